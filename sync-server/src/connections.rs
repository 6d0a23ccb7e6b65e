//! Serving connections within budgets: at most `max_connections` at once (one more is answered
//! 503 and closed), a request's headers within `header_read_timeout` (slowloris; an idle
//! keep-alive connection is closed after it too), and a response that makes no progress for
//! `send_timeout` (a client that stopped reading) ends its connection. Stopping finishes the
//! requests in flight, for at most [`SHUTDOWN_GRACE`].

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Sleep;
use tower::Service;

use crate::busy::BUSY_RETRY_AFTER;
use crate::config::Limits;

/// How long stopping waits for the requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Connections over the cap being answered with care at once (see [`turn_away`]); beyond them a
/// connection gets its 503 and is closed straight away.
const TURNING_AWAY: usize = 256;
/// How long a connection over the cap has to send its request head before its 503 (a kiosk
/// sends it at once).
const TURN_AWAY_HEAD_WAIT: Duration = Duration::from_secs(1);
/// What a connection over the cap may still send after its 503 (a batch's body), read and
/// dropped so closing does not reset the connection before the client has read the answer.
const TURN_AWAY_LINGER: Duration = Duration::from_secs(2);
const TURN_AWAY_LINGER_BYTES: usize = 2 * 1024 * 1024;

/// Serves `router` on `listener` within `limits` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let turning_away = Arc::new(Semaphore::new(TURNING_AWAY));
    let (closing, closing_seen) = watch::channel(());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait for connections to end.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Replies go out at once: without TCP_NODELAY a reply written in two parts can wait
        // for the client's delayed acknowledgement.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            let with_care = Arc::clone(&turning_away).try_acquire_owned().ok();
            tokio::spawn(turn_away(tcp, limits.send_timeout, with_care));
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(request)
        });
        let io = TokioIo::new(StallGuard::new(tcp, limits.send_timeout));
        let connection = http.serve_connection(io, service);
        let mut closing = closing_seen.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = closing.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = closing.send(());
    // Every slot back means every connection has ended.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            ?SHUTDOWN_GRACE,
            "stopping with requests still in flight after the grace period"
        );
    }
}

/// Answers a connection over the cap with 503 and closes it. With care (one of [`TURNING_AWAY`]
/// permits), it first lets the client send its request head and afterwards reads what else it
/// sends: a 503 written before the request, or a close with the request's body unread (which
/// resets the connection), reaches an HTTP client as a broken connection, not as a 503 with
/// `Retry-After`, and a kiosk would back off without it. Takes at most
/// [`TURN_AWAY_HEAD_WAIT`] + `send_timeout` + [`TURN_AWAY_LINGER`].
async fn turn_away(
    mut tcp: TcpStream,
    send_timeout: Duration,
    with_care: Option<tokio::sync::OwnedSemaphorePermit>,
) {
    tracing::warn!("connection refused: max_connections reached");
    let mut buffer = vec![0; 16 * 1024];
    if with_care.is_some() {
        let _ = tokio::time::timeout(TURN_AWAY_HEAD_WAIT, async {
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") && seen.len() < buffer.len() {
                let read = tcp.read(&mut buffer).await?;
                if read == 0 {
                    break;
                }
                seen.extend_from_slice(&buffer[..read]);
            }
            io::Result::Ok(())
        })
        .await;
    }
    let body = format!(
        r#"{{"error":"busy","message":"too many connections; try again in {} s"}}"#,
        BUSY_RETRY_AFTER.seconds()
    );
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        BUSY_RETRY_AFTER.seconds(),
        body.len()
    );
    let sent = tokio::time::timeout(send_timeout, async {
        tcp.write_all(response.as_bytes()).await?;
        tcp.shutdown().await
    })
    .await;
    if with_care.is_none() || !matches!(sent, Ok(Ok(()))) {
        return;
    }
    let _ = tokio::time::timeout(TURN_AWAY_LINGER, async {
        let mut dropped = 0;
        while dropped < TURN_AWAY_LINGER_BYTES {
            match tcp.read(&mut buffer).await? {
                0 => break,
                read => dropped += read,
            }
        }
        io::Result::Ok(())
    })
    .await;
}

/// A TCP stream whose writes fail once they have made no progress for `limit`: hyper then ends
/// the connection, where it would otherwise wait for a client that never reads.
struct StallGuard {
    tcp: TcpStream,
    limit: Duration,
    /// Running while writes are blocked; reset by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl StallGuard {
    fn new(tcp: TcpStream, limit: Duration) -> StallGuard {
        StallGuard {
            tcp,
            limit,
            stalled: None,
        }
    }

    fn watch<T>(&mut self, cx: &mut Context<'_>, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let limit = self.limit;
        let timer = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took no data within the send timeout",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for StallGuard {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for StallGuard {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.tcp).poll_write(cx, buf);
        this.watch(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs);
        this.watch(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.tcp).poll_flush(cx);
        this.watch(cx, poll)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
