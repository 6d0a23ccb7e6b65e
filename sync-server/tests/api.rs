//! The real server on port 0 with its own temporary database, driven over HTTP with reqwest:
//! enrollment, authentication, exactly-once ingest with rollups, and refusal of bad input.

use std::io::Write;

use model::wire::{
    BatchReceipt, DeskSurvey, EnrollRequest, EnrollResponse, Heartbeat, MAX_BATCH_RECORDS,
    RecordBatch, RecordOutcome,
};
use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sync_server::credentials;
use sync_server::storage::{NewDesk, Rollup, Storage};
use sync_server::{Application, Settings};

const DESK: &str = "plock-wso-03";
const OTHER_DESK: &str = "plock-wso-04";
/// 2026-11-23 10:00 UTC.
const T0: i64 = 1_795_428_000_000;

struct TestServer {
    base: String,
    storage: Storage,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

fn desk(id: &str) -> DeskId {
    id.parse().expect("desk id")
}

fn clock(wall_clock_ms: i64) -> RecordedTime {
    RecordedTime {
        wall_clock_ms,
        boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
        boottime_ns: 60_000_000_000,
        clock_synchronized: true,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl TestServer {
    async fn spawn() -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            listen: "127.0.0.1:0".parse().expect("address"),
            database: dir.path().join("server.db"),
            reader_connections: 2,
        };
        let app = Application::build(settings).await.expect("server starts");
        let storage = app.storage().clone();
        let base = format!("http://{}/api/v1", app.address());
        tokio::spawn(app.run_until_stopped());
        storage.seed_offices().await.expect("offices");
        storage
            .add_department(
                "plock".into(),
                "wso".into(),
                "Wydział Spraw Obywatelskich".into(),
            )
            .await
            .expect("department");
        for id in [DESK, OTHER_DESK] {
            storage
                .add_desk(NewDesk {
                    id: desk(id),
                    office_id: "plock".into(),
                    department_id: "wso".into(),
                    name: format!("Stanowisko {id}"),
                    internal_service: false,
                    standards: vec![StandardId::IV, StandardId::III, StandardId::II],
                    languages: vec![LanguageTag::polish(), "uk".parse().expect("uk")],
                    default_language: LanguageTag::polish(),
                })
                .await
                .expect("desk");
        }
        TestServer {
            base,
            storage,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn code(&self, desk_id: &str, valid_for_ms: i64) -> String {
        let code = credentials::new_enrollment_code();
        let now = now_ms();
        self.storage
            .add_enrollment_code(
                credentials::code_hash(&code),
                desk(desk_id),
                now,
                now + valid_for_ms,
            )
            .await
            .expect("code stored");
        code
    }

    async fn post_enroll(&self, code: &str) -> reqwest::Response {
        let request = EnrollRequest {
            code: code.to_owned(),
            kiosk_version: "0.1.0".into(),
            clock: clock(T0),
        };
        self.client
            .post(format!("{}/enroll", self.base))
            .json(&request)
            .send()
            .await
            .expect("enroll sent")
    }

    async fn enroll(&self) -> EnrollResponse {
        let code = self.code(DESK, 3_600_000).await;
        let response = self.post_enroll(&code).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("enroll response")
    }

    async fn post_body(
        &self,
        token: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/records", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("records sent")
    }

    async fn post_records(&self, token: &str, records: &[RatingRecord]) -> reqwest::Response {
        let batch = RecordBatch {
            sent: clock(T0 + 60_000),
            records: records.to_vec(),
        };
        self.post_body(Some(token), serde_json::to_vec(&batch).expect("json"))
            .await
    }

    async fn ingest(&self, token: &str, records: &[RatingRecord]) -> Vec<RecordOutcome> {
        let response = self.post_records(token, records).await;
        assert_eq!(response.status(), StatusCode::OK);
        let receipt: BatchReceipt = response.json().await.expect("receipt");
        assert_eq!(
            receipt.results.iter().map(|r| r.id).collect::<Vec<_>>(),
            records.iter().map(|r| r.id).collect::<Vec<_>>(),
            "one outcome per record, in order"
        );
        receipt.results.into_iter().map(|r| r.outcome).collect()
    }

    async fn answers(&self) -> i64 {
        self.storage.answer_count().await.expect("count")
    }

    async fn rollups(&self) -> Vec<Rollup> {
        self.storage.rollups(desk(DESK)).await.expect("rollups")
    }

    /// Total counted answers per score 1-4 at the test desk.
    async fn counted(&self) -> [i64; 4] {
        self.rollups().await.iter().fold([0; 4], |mut acc, r| {
            for (a, n) in acc.iter_mut().zip(r.scores) {
                *a += n;
            }
            acc
        })
    }
}

fn record(desk_id: &str, score: u8, sequence: u64) -> RatingRecord {
    RatingRecord {
        id: RecordId::new_random(),
        visit_id: VisitId::new_random(),
        sequence,
        desk_id: desk(desk_id),
        question: Question::Standard(StandardId::IV),
        score: Score::try_from(i64::from(score)).expect("score"),
        reasons: vec![],
        language: LanguageTag::polish(),
        larger_text: false,
        input: InputKind::Touch,
        supersedes: None,
        recorded: clock(T0 + i64::try_from(sequence).expect("small") * 1_000),
    }
}

async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("ApiError JSON");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body["error"].as_str().expect("error code").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_code_works_once_and_returns_the_desks_survey() {
    let server = TestServer::spawn().await;
    let code = server.code(DESK, 3_600_000).await;
    let response = server.post_enroll(&code.to_lowercase()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let enrolled: EnrollResponse = response.json().await.expect("response");
    assert_eq!(enrolled.survey.desk_id.as_str(), DESK);
    assert_eq!(enrolled.survey.office, "Urząd Miasta Płocka");
    assert_eq!(enrolled.survey.standards[0], StandardId::IV);
    assert!(enrolled.token.len() >= 43, "256 bits in base64url");

    let again = server.post_enroll(&code).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(error_code(again).await, "code_used");
    assert_eq!(server.storage.kiosks().await.expect("kiosks").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_unknown_codes_are_refused() {
    let server = TestServer::spawn().await;
    let expired = server.code(DESK, -1).await;
    let response = server.post_enroll(&expired).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(error_code(response).await, "code_expired");
    let response = server.post_enroll("ABCDE-FGHJK").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(response).await, "invalid_code");
    assert!(server.storage.kiosks().await.expect("kiosks").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_stored_and_counted() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let mut low = record(DESK, 2, 2);
    low.reasons = vec!["iv-interrupted".parse().expect("reason")];
    let records = [record(DESK, 4, 1), low, record(DESK, 4, 3)];
    let outcomes = server.ingest(&kiosk.token, &records).await;
    assert_eq!(outcomes, vec![RecordOutcome::Stored; 3]);
    assert_eq!(server.answers().await, 3);
    let rollups = server.rollups().await;
    assert_eq!(rollups.len(), 1, "{rollups:?}");
    assert_eq!(rollups[0].scores, [0, 1, 0, 2]);
    assert_eq!(rollups[0].reasons, 1);
    assert_eq!(rollups[0].day, "2026-11-23");
    assert_eq!(rollups[0].question, "IV");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_replayed_ten_times_changes_nothing() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let records: Vec<_> = (1..=20)
        .map(|i| record(DESK, (i % 4 + 1) as u8, i))
        .collect();
    server.ingest(&kiosk.token, &records).await;
    let rollups = server.rollups().await;
    for _ in 0..10 {
        let outcomes = server.ingest(&kiosk.token, &records).await;
        assert!(
            outcomes.iter().all(|o| *o == RecordOutcome::Duplicate),
            "{outcomes:?}"
        );
    }
    assert_eq!(server.answers().await, 20);
    assert_eq!(server.rollups().await, rollups);
    assert_eq!(server.counted().await, [5, 5, 5, 5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_identical_posts_store_each_record_once() {
    let server = std::sync::Arc::new(TestServer::spawn().await);
    let kiosk = server.enroll().await;
    let records: Vec<_> = (1..=10).map(|i| record(DESK, 3, i)).collect();
    let posts = (0..50).map(|_| {
        let (server, token, records) = (server.clone(), kiosk.token.clone(), records.clone());
        tokio::spawn(async move { server.ingest(&token, &records).await })
    });
    let mut stored = vec![0; records.len()];
    for post in posts {
        let outcomes = post.await.expect("post task");
        for (n, outcome) in stored.iter_mut().zip(outcomes) {
            match outcome {
                RecordOutcome::Stored => *n += 1,
                RecordOutcome::Duplicate => {}
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!(
        stored,
        vec![1; records.len()],
        "each id stored exactly once"
    );
    assert_eq!(server.answers().await, 10);
    assert_eq!(server.counted().await, [0, 0, 10, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_id_with_different_content_is_a_conflict_and_the_first_is_kept() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let first = record(DESK, 4, 1);
    server
        .ingest(&kiosk.token, std::slice::from_ref(&first))
        .await;
    let mut second = first.clone();
    second.score = Score::VERY_BAD;
    let outcomes = server.ingest(&kiosk.token, &[second]).await;
    assert_eq!(outcomes, vec![RecordOutcome::Conflict]);
    assert_eq!(server.answers().await, 1);
    assert_eq!(server.storage.conflict_count().await.expect("conflicts"), 1);
    assert_eq!(server.counted().await, [0, 0, 0, 1], "the first is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_uncounts_the_answer_it_supersedes_in_either_order() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    // In order: the first answer is counted, then replaced by its correction.
    let first = record(DESK, 1, 1);
    let mut change = record(DESK, 4, 2);
    change.supersedes = Some(first.id);
    server
        .ingest(&kiosk.token, std::slice::from_ref(&first))
        .await;
    assert_eq!(server.counted().await, [1, 0, 0, 0]);
    server
        .ingest(&kiosk.token, std::slice::from_ref(&change))
        .await;
    assert_eq!(server.counted().await, [0, 0, 0, 1]);
    // Replaying either changes nothing.
    server.ingest(&kiosk.token, &[first, change]).await;
    assert_eq!(server.counted().await, [0, 0, 0, 1]);

    // Out of order: the correction arrives first; the older answer is stored but not counted.
    let older = record(DESK, 2, 3);
    let mut newer = record(DESK, 3, 4);
    newer.supersedes = Some(older.id);
    server.ingest(&kiosk.token, &[newer]).await;
    let outcomes = server.ingest(&kiosk.token, &[older]).await;
    assert_eq!(outcomes, vec![RecordOutcome::Stored]);
    assert_eq!(server.answers().await, 4);
    assert_eq!(server.counted().await, [0, 0, 1, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_for_another_desk_is_rejected_and_not_stored() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let outcomes = server
        .ingest(
            &kiosk.token,
            &[record(OTHER_DESK, 4, 1), record(DESK, 4, 2)],
        )
        .await;
    assert!(
        matches!(&outcomes[0], RecordOutcome::Rejected { reason } if reason.contains(OTHER_DESK)),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], RecordOutcome::Stored);
    assert_eq!(server.answers().await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_with_its_status_and_nothing_is_stored() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let good = serde_json::to_value(RecordBatch {
        sent: clock(T0),
        records: vec![record(DESK, 4, 1), record(DESK, 3, 2)],
    })
    .expect("json");
    let with = |path: &str, value: Value| {
        let mut batch = good.clone();
        batch["records"][1][path] = value;
        serde_json::to_vec(&batch).expect("json")
    };

    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "malformed",
            b"{\"sent\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "score 5",
            with("score", json!(5)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "XIV",
            with("question", json!("XIV")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "wrong type",
            with("sequence", json!("seven")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "too many records",
            serde_json::to_vec(&RecordBatch {
                sent: clock(T0),
                records: (0..=MAX_BATCH_RECORDS as u64)
                    .map(|i| record(DESK, 3, i))
                    .collect(),
            })
            .expect("json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
        ),
        (
            "too large body",
            serde_json::to_vec(&json!({"pad": "x".repeat(1_100_000)})).expect("json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
    ];
    for (name, body, status, code) in cases {
        let response = server.post_body(Some(&kiosk.token), body).await;
        assert_eq!(response.status(), status, "{name}");
        assert_eq!(error_code(response).await, code, "{name}");
    }
    let response = server
        .post_body(Some(&kiosk.token), with("score", json!(5)))
        .await;
    let message: Value = response.json().await.expect("json");
    assert!(
        message["message"]
            .as_str()
            .is_some_and(|m| m.contains("score 5")),
        "{message}"
    );
    assert_eq!(server.answers().await, 0);
    assert!(server.rollups().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_unknown_or_revoked_tokens_get_401_and_store_nothing() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let body = || {
        serde_json::to_vec(&RecordBatch {
            sent: clock(T0),
            records: vec![record(DESK, 4, 1)],
        })
        .expect("json")
    };
    let response = server.post_body(None, body()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(response).await, "unauthorized");
    let response = server
        .post_body(Some(&credentials::new_token()), body())
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    assert!(
        server
            .storage
            .revoke(kiosk.kiosk_id.clone(), now_ms())
            .await
            .expect("revoke")
    );
    let response = server.post_body(Some(&kiosk.token), body()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(response).await, "unauthorized");
    assert_eq!(server.answers().await, 0);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_are_accepted_and_bombs_refused() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let batch = RecordBatch {
        sent: clock(T0),
        records: vec![record(DESK, 4, 1), record(DESK, 2, 2)],
    };
    let response = server
        .client
        .post(format!("{}/records", server.base))
        .bearer_auth(&kiosk.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip(&serde_json::to_vec(&batch).expect("json")))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.answers().await, 2);

    // Small on the wire, over the limit once decompressed.
    let bomb = gzip(&serde_json::to_vec(&json!({"pad": "x".repeat(4_000_000)})).expect("json"));
    assert!(bomb.len() < 100_000);
    let response = server
        .client
        .post(format!("{}/records", server.base))
        .bearer_auth(&kiosk.token)
        .header("content-encoding", "gzip")
        .body(bomb)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "body_too_large");

    let response = server
        .client
        .post(format!("{}/records", server.base))
        .bearer_auth(&kiosk.token)
        .header("content-encoding", "br")
        .body(vec![1, 2, 3])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(response).await, "unsupported_media_type");
    assert_eq!(server.answers().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_errors_are_api_errors_too() {
    let server = TestServer::spawn().await;
    let response = server
        .client
        .get(format!("{}/records", server.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(response).await, "method_not_allowed");
    let response = server
        .client
        .get(format!("{}/nothing-here", server.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(response).await, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_updates_fleet_health_and_returns_the_survey() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let heartbeat = Heartbeat {
        kiosk_version: "0.2.0".into(),
        backlog: 17,
        oldest_unsynced_ms: Some(T0),
        last_error: Some("connection refused".into()),
        clock: clock(T0),
    };
    let response = server
        .client
        .post(format!("{}/heartbeat", server.base))
        .bearer_auth(&kiosk.token)
        .json(&heartbeat)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let survey: DeskSurvey = response.json().await.expect("survey");
    assert_eq!(survey, kiosk.survey);
    let kiosks = server.storage.kiosks().await.expect("kiosks");
    assert_eq!(kiosks[0].backlog, Some(17));
    assert_eq!(kiosks[0].version, "0.2.0");
    assert_eq!(kiosks[0].last_error.as_deref(), Some("connection refused"));

    let long = Heartbeat {
        last_error: Some("é".repeat(5_000)),
        ..heartbeat.clone()
    };
    let response = server
        .client
        .post(format!("{}/heartbeat", server.base))
        .bearer_auth(&kiosk.token)
        .json(&long)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let kiosks = server.storage.kiosks().await.expect("kiosks");
    assert_eq!(
        kiosks[0].last_error.as_deref().map(|e| e.chars().count()),
        Some(1_000),
        "cut to a bounded length"
    );
    let bad_version = Heartbeat {
        kiosk_version: "v".repeat(65),
        ..heartbeat.clone()
    };
    let response = server
        .client
        .post(format!("{}/heartbeat", server.base))
        .bearer_auth(&kiosk.token)
        .json(&bad_version)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let unauthenticated = server
        .client
        .post(format!("{}/heartbeat", server.base))
        .json(&heartbeat)
        .send()
        .await
        .expect("sent");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}

impl TestServer {
    /// Runs the real `sync-server` administration command on this server's database.
    fn admin(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .arg("--config")
            .arg(self._dir.path().join("absent.toml"))
            .args(args)
            .env("OCENA_SERVER_DATABASE", self._dir.path().join("server.db"))
            .env_remove("OCENA_SERVER_LISTEN")
            .output()
            .expect("sync-server runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    async fn heartbeat(&self, token: &str, heartbeat: &Heartbeat) -> DeskSurvey {
        let response = self
            .client
            .post(format!("{}/heartbeat", self.base))
            .bearer_auth(token)
            .json(heartbeat)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("survey")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_after_desk_set_brings_the_new_survey() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    assert_eq!(kiosk.survey.revision, 1);
    let heartbeat = Heartbeat {
        kiosk_version: "0.1.0".into(),
        backlog: 0,
        oldest_unsynced_ms: None,
        last_error: None,
        clock: clock(now_ms()),
    };
    server.admin(&[
        "desk",
        "set",
        "--id",
        DESK,
        "--standards",
        "II,IV",
        "--idle-countdown-s",
        "30",
    ]);
    let survey = server.heartbeat(&kiosk.token, &heartbeat).await;
    assert_eq!(survey.revision, 2);
    assert_eq!(survey.standards, vec![StandardId::II, StandardId::IV]);
    assert_eq!(survey.idle_countdown_s, 30);
    let unchanged = DeskSurvey {
        revision: 2,
        standards: vec![StandardId::II, StandardId::IV],
        idle_countdown_s: 30,
        ..kiosk.survey.clone()
    };
    assert_eq!(survey, unchanged, "only the fields set changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_health_shows_a_kiosk_clock_three_days_ahead() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let three_days_ms = 3 * 86_400_000;
    let heartbeat = Heartbeat {
        kiosk_version: "0.1.0".into(),
        backlog: 4,
        oldest_unsynced_ms: Some(T0),
        last_error: Some("connection refused".into()),
        clock: RecordedTime {
            clock_synchronized: false,
            ..clock(now_ms() + three_days_ms)
        },
    };
    server.heartbeat(&kiosk.token, &heartbeat).await;

    let listed: Value = serde_json::from_str(&server.admin(&["kiosks", "--json"])).expect("json");
    let row = &listed[0];
    assert_eq!(row["id"], kiosk.kiosk_id.as_str());
    let drift = row["clock_drift_ms"].as_i64().expect("a drift");
    assert!(
        (drift - three_days_ms).abs() < 60_000,
        "drift {drift} ms, expected about {three_days_ms}"
    );
    assert_eq!(row["clock_synchronized"], false);
    assert_eq!(row["backlog"], 4);
    assert_eq!(row["last_error"], "connection refused");

    let table = server.admin(&["kiosks"]);
    let line = table.lines().nth(1).expect("one kiosk");
    assert!(
        line.contains("+3 d 0 h") && line.contains("\tno\t") && line.contains("s ago)"),
        "{table}"
    );
}
