//! A minimal SMTP server on loopback for the tests: it speaks the real dialogue lettre expects,
//! keeps every message it accepted (a message counts once the server has answered `250` to its
//! final dot), and can refuse a recipient once or hold a transaction unanswered, to stand for a
//! relay that fails or a delivery stopped mid-way.

#![allow(dead_code, reason = "each test file uses the part it needs")]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// One accepted message: the recipients from `RCPT TO` and the data as sent.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub recipients: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct Behaviour {
    accepted: Vec<Accepted>,
    /// Once this many messages are accepted, the next `MAIL FROM` gets no answer.
    hold_after: Option<usize>,
    /// `RCPT TO` addresses refused once with a temporary failure.
    refuse_once: Vec<String>,
}

/// The running server.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    behaviour: Arc<Mutex<Behaviour>>,
    /// Notified when a transaction is held unanswered.
    pub held: Arc<Notify>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let server = SmtpServer {
            port: listener.local_addr().expect("address").port(),
            behaviour: Arc::default(),
            held: Arc::new(Notify::new()),
        };
        let shared = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(shared.clone().converse(stream));
            }
        });
        server
    }

    /// Every message accepted so far.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.behaviour.lock().expect("lock").accepted.clone()
    }

    /// The data of every accepted message, joined.
    pub fn all_data(&self) -> String {
        self.accepted()
            .iter()
            .map(|m| m.data.as_str())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }

    /// How many accepted messages went to `address`.
    pub fn count_to(&self, address: &str) -> usize {
        self.accepted()
            .iter()
            .filter(|m| m.recipients.iter().any(|r| r.contains(address)))
            .count()
    }

    /// After `n` accepted messages, leave the next transaction unanswered (`None`: answer all).
    pub fn hold_after(&self, n: Option<usize>) {
        self.behaviour.lock().expect("lock").hold_after = n;
    }

    /// Refuse `address` once with `451`.
    pub fn refuse_once(&self, address: &str) {
        self.behaviour
            .lock()
            .expect("lock")
            .refuse_once
            .push(address.to_owned());
    }

    async fn converse(self, stream: tokio::net::TcpStream) {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test ESMTP\r\n").await.ok();
        let mut recipients: Vec<String> = Vec::new();
        let mut data: Option<String> = None;
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(body) = &mut data {
                if line == "." {
                    let message = Accepted {
                        recipients: std::mem::take(&mut recipients),
                        data: std::mem::take(body),
                    };
                    self.behaviour.lock().expect("lock").accepted.push(message);
                    data = None;
                    write.write_all(b"250 queued\r\n").await.ok();
                } else {
                    body.push_str(&line);
                    body.push('\n');
                }
                continue;
            }
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
                "MAIL" => {
                    let hold = {
                        let behaviour = self.behaviour.lock().expect("lock");
                        behaviour.hold_after == Some(behaviour.accepted.len())
                    };
                    if hold {
                        // Never answered: the client waits until it is stopped.
                        self.held.notify_one();
                        std::future::pending::<()>().await;
                    }
                    recipients.clear();
                    b"250 ok\r\n"
                }
                "RCPT" => {
                    let mut behaviour = self.behaviour.lock().expect("lock");
                    let refused = behaviour
                        .refuse_once
                        .iter()
                        .position(|address| line.contains(address.as_str()));
                    if let Some(i) = refused {
                        behaviour.refuse_once.remove(i);
                        b"451 4.3.0 try again later\r\n"
                    } else {
                        recipients.push(line.clone());
                        b"250 ok\r\n"
                    }
                }
                "DATA" => {
                    data = Some(String::new());
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.ok();
                    return;
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(reply).await.ok();
        }
    }
}
