//! The aggregator in-process on port 0 with its own temporary database, SQLite by default or a
//! fresh database of the throwaway PostgreSQL (`App::spawn_on_postgres`): the one way these tests
//! start a server (each suite adds its own offices, desks, users and client on top).

use std::net::SocketAddr;
use std::path::PathBuf;

use model::{LanguageTag, StandardId};
use sync_server::config::{
    AlertSettings, DashboardSettings, Database, Limits, PrivacySettings, RateLimits,
};
use sync_server::proxies::TrustedProxies;
use sync_server::storage::{NewDesk, Storage};
use sync_server::{Application, Settings};

/// A running server and what the tests reach around it.
pub struct App {
    pub address: SocketAddr,
    pub storage: Storage,
    /// The SQLite file; empty on PostgreSQL.
    pub database: PathBuf,
    /// Whether the settings make session cookies `Secure` (behind a TLS proxy).
    pub secure_cookies: bool,
    /// The database's directory, removed when the test ends.
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database the server runs on, dropped when the test ends.
    pub postgres: Option<throwaway_postgres::TestDatabase>,
}

impl App {
    /// Starts a server on default settings (no admin token, two readers), changed first by
    /// `adjust`, with the pilot's offices seeded.
    pub async fn spawn(adjust: impl FnOnce(&mut Settings)) -> App {
        let app = App::spawn_empty(adjust).await;
        app.storage.seed_partner_offices().await.expect("offices");
        app
    }

    /// As [`App::spawn`], with an empty database (as `demo` wants it).
    pub async fn spawn_empty(adjust: impl FnOnce(&mut Settings)) -> App {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().expect("address"),
            database: Database::Sqlite(dir.path().join("server.db")),
            reader_connections: 2,
            admin_token_sha256: None,
            rate_limit: RateLimits::default(),
            alerts: AlertSettings::default(),
            dashboard: DashboardSettings::default(),
            proxies: TrustedProxies::default(),
            limits: Limits::default(),
            privacy: PrivacySettings::default(),
        };
        adjust(&mut settings);
        let secure_cookies = settings.secure_cookies();
        let database = match &settings.database {
            Database::Sqlite(path) => path.clone(),
            Database::Postgres { .. } => PathBuf::new(),
        };
        let app = Application::build(settings).await.expect("server starts");
        let storage = app.storage().clone();
        let address = app.address();
        tokio::spawn(app.run_until_stopped());
        App {
            address,
            storage,
            database,
            secure_cookies,
            dir,
            postgres: None,
        }
    }

    /// As [`App::spawn`], on a fresh database of the test process's throwaway PostgreSQL.
    pub async fn spawn_on_postgres(adjust: impl FnOnce(&mut Settings)) -> App {
        let postgres = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL");
        let url = postgres.url();
        let app = App::spawn_empty(|settings| {
            settings.database = Database::Postgres {
                url,
                password: None,
            };
            adjust(settings);
        })
        .await;
        app.storage.seed_partner_offices().await.expect("offices");
        App {
            postgres: Some(postgres),
            ..app
        }
    }

    /// `http://` and the address.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    pub async fn add_department(&self, office: &str, id: &str, name: &str) {
        self.storage
            .add_department(office.into(), id.into(), name.into())
            .await
            .expect("department");
    }

    /// Adds desk `id` (named "Stanowisko …" unless `name` is given) asking `standards` in
    /// `languages`, the first being the default.
    pub async fn add_desk(
        &self,
        (office, department, id): (&str, &str, &str),
        name: Option<&str>,
        standards: &[StandardId],
        languages: &[&str],
    ) {
        let languages: Vec<LanguageTag> = languages
            .iter()
            .map(|l| l.parse().expect("language"))
            .collect();
        self.storage
            .add_desk(NewDesk {
                id: id.parse().expect("desk"),
                office_id: office.into(),
                department_id: department.into(),
                name: name.map_or_else(|| format!("Stanowisko {id}"), str::to_owned),
                internal_service: false,
                standards: standards.to_vec(),
                default_language: languages[0].clone(),
                languages,
            })
            .await
            .expect("desk");
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
