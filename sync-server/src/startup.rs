//! Builds the running server from [`Settings`]: opens the storage, binds the listener (port 0
//! picks a free port), starts the alert monitor and the department reports' mailer, and serves
//! (within [`crate::connections`]' budgets) until Ctrl-C or SIGTERM. Tests drive exactly this.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

use crate::alerts::delivery::{ChannelError, Channels};
use crate::alerts::monitor::Monitor;
use crate::config::{Limits, Settings};
use crate::dashboard::session::SessionPolicy;
use crate::department_reports::delivery::ReportMailer;
use crate::http::{AppState, Limiters, app};
use crate::passwords::PasswordSlots;
use crate::storage::{Connections, Storage, StorageError};

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
        let storage = Storage::open_sqlite(settings.database.clone(), connections)
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
