//! Builds the running server from [`Settings`]: opens the storage, binds the listener (port 0
//! picks a free port), starts the alert monitor and the department reports' mailer, and serves
//! (within [`crate::connections`]' budgets) until Ctrl-C or SIGTERM. Tests drive exactly this.
//! The one place the parts are put together: the [`AppState`] every handler reaches and the
//! routers of the JSON API and the dashboard ([`app`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use model::wire::{ApiError, MAX_BODY_BYTES};
use tokio::net::TcpListener;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

use crate::alert_monitor::Monitor;
use crate::alerts::delivery::{ChannelError, Channels};
use crate::config::{Limits, Settings};
use crate::department_reports::delivery::ReportMailer;
use crate::passwords::PasswordSlots;
use crate::storage::{Connections, Storage, StorageError};
use crate::web::session::SessionPolicy;
use crate::web::{AppState, Error, Limiters};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open storage")]
    Storage(#[from] StorageError),
    #[error("cannot set up alert delivery")]
    Alerts(#[from] ChannelError),
    #[error("cannot listen on {address}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A bound, ready server.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: Router,
    storage: Storage,
    monitor: Monitor,
    report_mailer: ReportMailer,
    alert_check_every: std::time::Duration,
    limits: Limits,
    answer_retention_months: u32,
}

impl Application {
    /// Opens the database (migrating it) and binds `settings.listen`.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let limits = settings.limits;
        let connections = Connections {
            readers: settings.reader_connections,
            exports: limits.concurrent_exports,
            max_wait: limits.max_wait,
        };
        let storage = Storage::open(&settings.database, connections)
            .await?
            .with_disclosure(settings.privacy.disclosure);
        let channels = Channels::new(
            settings.alerts.email.clone(),
            settings.alerts.webhook.clone(),
        )?;
        let report_mailer = ReportMailer::new(
            storage.clone(),
            channels.clone(),
            settings.alerts.dashboard_url.clone(),
        );
        let monitor = Monitor::new(storage.clone(), channels);
        let bind = |source| StartupError::Bind {
            address: settings.listen,
            source,
        };
        let listener = TcpListener::bind(settings.listen).await.map_err(bind)?;
        if !settings.secure_cookies() {
            tracing::warn!(
                "dashboard session cookie without Secure and the __Host- prefix: this server \
                 listens on loopback over plain HTTP (local development); behind a TLS proxy set \
                 [dashboard] behind_tls_proxy = true"
            );
        }
        // The first sign-in with an unknown name must not be slower than the rest.
        tokio::task::spawn_blocking(crate::passwords::warm_up);
        let address = listener.local_addr().map_err(bind)?;
        let router = app(AppState {
            storage: storage.clone(),
            limiters: Arc::new(Limiters::new(settings.rate_limit)),
            admin_token_sha256: settings.admin_token_sha256,
            sessions: SessionPolicy::from_settings(&settings),
            proxies: Arc::new(settings.proxies.clone()),
            password_slots: PasswordSlots::new(limits.concurrent_password_hashes, limits.max_wait),
            limits,
        });
        Ok(Application {
            listener,
            address,
            router,
            storage,
            monitor,
            report_mailer,
            alert_check_every: settings.alerts.check_every,
            limits,
            answer_retention_months: settings.privacy.answer_retention_months,
        })
    }

    /// The address actually bound.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The storage the server uses, for administration and tests.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Serves requests until Ctrl-C or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(address = %self.address, "sync-server listening");
        let monitor = tokio::spawn(self.monitor.run(self.alert_check_every));
        let reports = tokio::spawn(self.report_mailer.run(self.alert_check_every));
        let retention = tokio::spawn(crate::retention::run(
            self.storage.clone(),
            self.answer_retention_months,
            crate::retention::PURGE_EVERY,
        ));
        crate::connections::serve(self.listener, self.router, self.limits, shutdown_signal()).await;
        monitor.abort();
        reports.abort();
        retention.abort();
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

/// Every route the server answers, composed here and nowhere else: the JSON API
/// ([`crate::http::api_router`]) and the dashboard's pages, with their middleware. Gzip request
/// bodies are decompressed, and a request that reached a route has its body, at most
/// `MAX_BODY_BYTES` after decompression (the dashboard's forms less, see
/// [`crate::dashboard::MAX_FORM_BYTES`]), read whole within the body timeout. A request for no
/// route is answered 404 without reading its body.
pub fn app(state: AppState) -> Router {
    let (api, _) = crate::http::api_router().split_for_parts();
    api.merge(crate::dashboard::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            read_body_in_time,
        ))
        .fallback(|| async { Error::NotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestDecompressionLayer::new())
        .layer(axum::middleware::map_response(error_bodies_as_json))
        .layer(axum::middleware::map_response(never_cached_never_sniffed))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Reads the request's body (decompressed, at most `MAX_BODY_BYTES`) within the body timeout,
/// before its handler runs: a client trickling its body ends with 408 rather than holding a
/// handler, a database connection or a password-hashing slot while it dawdles.
async fn read_body_in_time(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let timeout = state.limits.body_read_timeout;
    let read = tokio::time::timeout(timeout, Limited::new(body, MAX_BODY_BYTES).collect()).await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Error::BodyTooLarge.into_response();
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "request body not read");
            return Error::InvalidJson(format!("the request body could not be read: {e}"))
                .into_response();
        }
        Err(_) => return Error::BodyTimeout(timeout).into_response(),
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Gives the error responses that middleware and routing produce themselves (415 for an
/// unsupported `Content-Encoding`, 405 for a wrong method) an `ApiError` body like all others;
/// the dashboard's HTML error pages keep theirs.
async fn error_bodies_as_json(response: Response) -> Response {
    let status = response.status();
    let has_own_body = response.headers().get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"application/json") || v.starts_with(b"text/html")
    });
    if !(status.is_client_error() || status.is_server_error()) || has_own_body {
        return response;
    }
    let reason = status.canonical_reason().unwrap_or("error");
    let body = ApiError {
        error: reason.to_lowercase().replace([' ', '-'], "_"),
        message: format!("{} {reason}", status.as_u16()),
    };
    (status, Json(body)).into_response()
}

/// Every response (API JSON, dashboard pages and data, errors) is per-client and typed: not kept
/// by browsers or proxies (`Cache-Control: no-store`, unless a route chose its own caching, as
/// the stylesheet does) and never content-sniffed (`X-Content-Type-Options: nosniff`).
async fn never_cached_never_sniffed(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
