//! What the server-side fuzz targets share: the real aggregator (`Application`, SQLite in a
//! temporary directory) listening on loopback, with one desk and one enrolled kiosk, driven over
//! HTTP so every request passes the same layers (gzip decompression, body limit, authentication,
//! rate limits) as in production. Started once per fuzzing process.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use model::wire::{EnrollRequest, EnrollResponse};
use model::{LanguageTag, RecordedTime, StandardId};
use sync_server::storage::NewDesk;
use sync_server::{Application, Settings, credentials};

/// The desk the fuzzing kiosk is enrolled at; seed batches name it so that records get stored.
pub const DESK: &str = "plock-wso-03";

/// Limits far above what one fuzzing process can send, so no answer is a 429.
const CONFIG: &str = r#"
listen = "127.0.0.1:0"
reader_connections = 2
[rate_limit.enroll]
burst = 100000
per_minute = 1000000.0
[rate_limit.kiosk]
burst = 100000
per_minute = 1000000.0
[rate_limit.bad_token]
burst = 100000
per_minute = 1000000.0
"#;

/// The running aggregator and the enrolled kiosk's token.
pub struct Aggregator {
    base: String,
    token: String,
    client: reqwest::blocking::Client,
    _dir: tempfile::TempDir,
}

/// What the server answered.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Aggregator {
    /// The aggregator of this process, started at the first call.
    pub fn get() -> &'static Aggregator {
        static AGGREGATOR: OnceLock<Aggregator> = OnceLock::new();
        AGGREGATOR.get_or_init(Aggregator::start)
    }

    fn start() -> Aggregator {
        let dir = tempfile::tempdir().expect("temporary directory");
        // `database` first: after the tables it would belong to the last one.
        let config = format!(
            "database = {:?}\n{CONFIG}",
            dir.path().join("server.db").to_string_lossy()
        );
        let settings =
            Settings::from_toml(&config, Path::new("fuzz.toml")).expect("fuzzing settings");
        let (ready, started) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let app = Application::build(settings).await.expect("server starts");
                let code = seed(app.storage()).await;
                ready
                    .send((app.address(), code))
                    .expect("fuzz target waits");
                app.run_until_stopped().await.expect("server runs");
            });
        });
        let (address, code) = started.recv().expect("server started");
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        let base = format!("http://{address}/api/v1");
        let request = EnrollRequest {
            code,
            kiosk_version: "0.1.0".into(),
            clock: RecordedTime {
                wall_clock_ms: chrono::Utc::now().timestamp_millis(),
                boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
                boottime_ns: 60_000_000_000,
                clock_synchronized: true,
            },
        };
        let response = client
            .post(format!("{base}/enroll"))
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&request).expect("JSON"))
            .send()
            .expect("enrollment sent");
        assert_eq!(response.status().as_u16(), 200, "enrollment");
        let enrolled: EnrollResponse =
            serde_json::from_slice(&response.bytes().expect("enrollment body")).expect("JSON");
        Aggregator {
            base,
            token: enrolled.token,
            client,
            _dir: dir,
        }
    }

    /// POSTs `body` to `/api/v1{path}` as the enrolled kiosk, with `Content-Encoding` if given.
    pub fn post(&self, path: &str, body: Vec<u8>, content_encoding: Option<&str>) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body);
        if let Some(encoding) = content_encoding {
            request = request.header("content-encoding", encoding);
        }
        let response = request.send().expect("the server answers");
        Answer {
            status: response.status().as_u16(),
            body: response.bytes().expect("response body").to_vec(),
        }
    }
}

/// The five offices, one department and [`DESK`]; returns an enrollment code for it.
async fn seed(storage: &sync_server::storage::Storage) -> String {
    storage.seed_partner_offices().await.expect("offices");
    storage
        .add_department(
            "plock".into(),
            "wso".into(),
            "Wydział Spraw Obywatelskich".into(),
        )
        .await
        .expect("department");
    storage
        .add_desk(NewDesk {
            id: DESK.parse().expect("desk id"),
            office_id: "plock".into(),
            department_id: "wso".into(),
            name: "Stanowisko 3".into(),
            internal_service: false,
            standards: vec![StandardId::IV, StandardId::III, StandardId::II],
            languages: vec![LanguageTag::polish(), "uk".parse().expect("uk")],
            default_language: LanguageTag::polish(),
        })
        .await
        .expect("desk");
    let code = credentials::new_enrollment_code();
    let now = chrono::Utc::now().timestamp_millis();
    storage
        .add_enrollment_code(
            credentials::code_hash(&code),
            DESK.parse().expect("desk id"),
            now,
            now + 3_600_000,
        )
        .await
        .expect("enrollment code");
    code
}
