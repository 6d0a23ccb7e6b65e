//! The real server on port 0 with its own temporary database, driven over HTTP with reqwest:
//! enrollment, authentication, exactly-once ingest with rollups, refusal of bad input, rate
//! limits, the admin fleet-health API, and the OpenAPI document checked against the router.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

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
use sync_server::config::{
    AlertSettings, DashboardSettings, Limits, PrivacySettings, Rate, RateLimits,
};
use sync_server::credentials;
use sync_server::proxies::TrustedProxies;
use sync_server::storage::{NewDesk, Rollup, Storage};
use sync_server::{Application, Settings};

const DESK: &str = "plock-wso-03";
const OTHER_DESK: &str = "plock-wso-04";
/// 2026-11-23 10:00 UTC.
const T0: i64 = 1_795_428_000_000;
/// The admin token test servers are given (as `OCENA_ADMIN_TOKEN` would give it).
const ADMIN_TOKEN: &str = "test-admin-token-0123456789-abcdefghij";

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
        TestServer::spawn_with(|_| {}).await
    }

    /// A server whose default settings `adjust` may change first.
    async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = Settings {
            listen: "127.0.0.1:0".parse().expect("address"),
            database: dir.path().join("server.db"),
            reader_connections: 2,
            admin_token_sha256: Some(credentials::sha256(ADMIN_TOKEN)),
            rate_limit: RateLimits::default(),
            alerts: AlertSettings::default(),
            dashboard: DashboardSettings::default(),
            proxies: TrustedProxies::default(),
            limits: Limits::default(),
            privacy: PrivacySettings::default(),
        };
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("server starts");
        let storage = app.storage().clone();
        let base = format!("http://{}/api/v1", app.address());
        tokio::spawn(app.run_until_stopped());
        sync_server::offices::seed_partner_offices(&storage)
            .await
            .expect("offices");
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
        answer: Score::try_from(i64::from(score)).expect("score").into(),
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
    let warsaw_day = || sync_server::event_time::local_day_and_hour(now_ms()).0;
    let day_before = warsaw_day();
    let outcomes = server.ingest(&kiosk.token, &records).await;
    let day_after = warsaw_day();
    assert_eq!(outcomes, vec![RecordOutcome::Stored; 3]);
    assert_eq!(server.answers().await, 3);
    let rollups = server.rollups().await;
    assert_eq!(rollups.len(), 1, "{rollups:?}");
    assert_eq!(rollups[0].scores, [0, 1, 0, 2]);
    assert_eq!(rollups[0].reasons, 1);
    // The records say T0, but the kiosk was enrolled just now and nothing is placed before
    // enrollment: they count on today's date in Warsaw.
    assert!(
        [day_before, day_after].contains(&rollups[0].day),
        "{rollups:?}"
    );
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
    second.answer = Score::VERY_BAD.into();
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

// Rate limits.

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in whole seconds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enrollment_code_guessing_gets_429_with_retry_after_until_the_bucket_refills() {
    let server = TestServer::spawn_with(|s| {
        s.rate_limit.enroll = Rate {
            burst: 3,
            per_minute: 60.0,
        };
    })
    .await;
    for _ in 0..3 {
        let response = server.post_enroll("ABCDE-FGHJK").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Even a valid code waits: the limit counts attempts, failed ones included.
    let code = server.code(DESK, 3_600_000).await;
    let response = server.post_enroll(&code).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&response);
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    assert_eq!(error_code(response).await, "rate_limited");
    assert!(
        server.storage.kiosks().await.expect("kiosks").is_empty(),
        "the 429 stored nothing and did not spend the code"
    );

    // Honouring Retry-After is the protocol, so this wait is the experiment.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let response = server.post_enroll(&code).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.storage.kiosks().await.expect("kiosks").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_guessing_from_one_address_gets_429_and_stores_nothing() {
    let server = TestServer::spawn_with(|s| {
        s.rate_limit.bad_token = Rate {
            burst: 2,
            per_minute: 1.0,
        };
    })
    .await;
    let body = || {
        serde_json::to_vec(&RecordBatch {
            sent: clock(T0),
            records: vec![record(DESK, 4, 1)],
        })
        .expect("json")
    };
    for _ in 0..2 {
        let response = server
            .post_body(Some(&credentials::new_token()), body())
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = server
        .post_body(Some(&credentials::new_token()), body())
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&response) >= 1);
    assert_eq!(error_code(response).await, "rate_limited");
    let response = server
        .client
        .get(format!("{}/admin/kiosks", server.base))
        .bearer_auth("a-guess-at-the-admin-token-0123456789")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "admin guesses count too"
    );
    assert_eq!(server.answers().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_over_its_rate_gets_429_and_nothing_is_stored() {
    let server = TestServer::spawn_with(|s| {
        s.rate_limit.kiosk = Rate {
            burst: 2,
            per_minute: 1.0,
        };
    })
    .await;
    let kiosk = server.enroll().await;
    server.ingest(&kiosk.token, &[record(DESK, 4, 1)]).await;
    server.ingest(&kiosk.token, &[record(DESK, 4, 2)]).await;
    let response = server
        .post_records(&kiosk.token, &[record(DESK, 4, 3)])
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&response) >= 1);
    assert_eq!(error_code(response).await, "rate_limited");
    assert_eq!(server.answers().await, 2);
    // Another kiosk has its own bucket.
    let other = server.enroll().await;
    server.ingest(&other.token, &[record(DESK, 4, 4)]).await;
    assert_eq!(server.answers().await, 3);
}

// The admin fleet-health API.

async fn get_fleet(server: &TestServer, token: Option<&str>) -> reqwest::Response {
    let mut request = server.client.get(format!("{}/admin/kiosks", server.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("sent")
}

async fn post_heartbeat(server: &TestServer, token: &str, heartbeat: &Heartbeat) -> StatusCode {
    server
        .client
        .post(format!("{}/heartbeat", server.base))
        .bearer_auth(token)
        .json(heartbeat)
        .send()
        .await
        .expect("sent")
        .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_token_lists_every_kiosks_health_with_its_clock_drift() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;
    let revoked = server.enroll().await;
    server
        .storage
        .revoke(revoked.kiosk_id.clone(), now_ms())
        .await
        .expect("revoke");
    let sent_at = now_ms();
    let mut behind = clock(sent_at - 5_000);
    behind.clock_synchronized = false;
    let heartbeat = Heartbeat {
        kiosk_version: "0.2.0".into(),
        backlog: 3,
        oldest_unsynced_ms: Some(T0),
        last_error: Some("timed out".into()),
        clock: behind,
    };
    assert_eq!(
        post_heartbeat(&server, &kiosk.token, &heartbeat).await,
        StatusCode::OK
    );

    let response = get_fleet(&server, Some(ADMIN_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let fleet: Value = response.json().await.expect("json");
    let kiosks = fleet["kiosks"].as_array().expect("kiosks");
    assert_eq!(kiosks.len(), 2, "{fleet}");
    let health = kiosks
        .iter()
        .find(|k| k["id"] == kiosk.kiosk_id.as_str())
        .expect("the kiosk");
    assert_eq!(health["desk_id"], DESK);
    assert_eq!(health["version"], "0.2.0");
    assert_eq!(health["backlog"], 3);
    assert_eq!(health["oldest_unsynced_ms"], T0);
    assert_eq!(health["last_error"], "timed out");
    assert_eq!(health["revoked_at_ms"], Value::Null);
    assert!(
        health["enrolled_at_ms"]
            .as_i64()
            .is_some_and(|t| t <= now_ms())
    );
    let last_seen = health["last_seen_ms"].as_i64().expect("last seen");
    assert!(last_seen >= sent_at, "the server's receipt time");
    let drift = health["clock_drift_ms"].as_i64().expect("drift");
    assert_eq!(drift, sent_at - 5_000 - last_seen);
    assert!((-15_000..=-5_000).contains(&drift), "{drift}");
    assert_eq!(health["clock_synchronized"], false);
    let gone = kiosks
        .iter()
        .find(|k| k["id"] == revoked.kiosk_id.as_str())
        .expect("the revoked kiosk");
    assert!(gone["revoked_at_ms"].as_i64().is_some(), "{gone}");
    assert_eq!(
        gone["clock_synchronized"], true,
        "from its enrollment clock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_refuse_missing_wrong_and_kiosk_tokens_and_kiosk_routes_the_admin_token() {
    let server = TestServer::spawn().await;
    let kiosk = server.enroll().await;

    let response = get_fleet(&server, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(response).await, "unauthorized");
    let response = get_fleet(&server, Some("not-the-admin-token-0123456789-abcdef")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(response).await, "unauthorized");

    let response = get_fleet(&server, Some(&kiosk.token)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "forbidden");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("kiosk tokens cannot use admin routes")),
        "{body}"
    );

    let response = server
        .post_records(ADMIN_TOKEN, &[record(DESK, 4, 1)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(response).await, "forbidden");
    assert_eq!(server.answers().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_the_admin_api_says_how_to_enable_it() {
    let server = TestServer::spawn_with(|s| s.admin_token_sha256 = None).await;
    let response = get_fleet(&server, Some(ADMIN_TOKEN)).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"], "admin_disabled");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("OCENA_ADMIN_TOKEN")),
        "{body}"
    );
}

// The OpenAPI document.

/// Every route the server answers, as (method, path).
const ROUTES: [(&str, &str); 11] = [
    ("post", "/api/v1/enroll"),
    ("post", "/api/v1/records"),
    ("post", "/api/v1/heartbeat"),
    ("get", "/api/v1/admin/kiosks"),
    ("get", "/api/v1/dashboard/kiosks"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/stats/breakdown"),
    ("get", "/api/v1/stats/trend"),
    ("get", "/api/v1/stats/reasons"),
    ("get", "/api/v1/stats/heatmap"),
    ("get", "/api/v1/stats/usage"),
];
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn openapi(server: &TestServer) -> Value {
    let response = server
        .client
        .get(format!("{}/openapi.json", server.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("the document is JSON")
}

fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| ((*m).to_owned(), path.clone()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_exactly_the_routes_the_server_answers() {
    let server = TestServer::spawn().await;
    let doc = openapi(&server).await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let expected: BTreeSet<_> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented_routes(&doc), expected);

    let origin = server.base.trim_end_matches("/api/v1");
    for path in doc["paths"].as_object().expect("paths").keys() {
        for method in METHODS {
            let response = server
                .client
                .request(
                    method.to_uppercase().parse().expect("method"),
                    format!("{origin}{path}"),
                )
                .send()
                .await
                .expect("sent");
            let status = response.status();
            if doc["paths"][path].get(method).is_some() {
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but answers {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is not documented"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_errors_security_and_gzip() {
    let server = TestServer::spawn().await;
    let doc = openapi(&server).await;
    let schemes = &doc["components"]["securitySchemes"];
    for scheme in ["kiosk_token", "admin_token"] {
        assert_eq!(schemes[scheme]["type"], "http", "{scheme}");
        assert_eq!(schemes[scheme]["scheme"], "bearer", "{scheme}");
    }
    assert_eq!(schemes["session_cookie"]["type"], "apiKey");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
    assert_eq!(schemes["session_cookie"]["name"], "__Host-ocena_session");
    let dashboard = &doc["paths"]["/api/v1/dashboard/kiosks"]["get"];
    assert!(
        dashboard["security"][0].get("session_cookie").is_some(),
        "{dashboard}"
    );
    assert_eq!(dashboard["parameters"][0]["name"], "office", "{dashboard}");
    let expect: [(&str, &str, &[u16], Option<&str>); 4] = [
        (
            "post",
            "/api/v1/enroll",
            &[200, 400, 401, 410, 413, 415, 422, 429, 500],
            None,
        ),
        (
            "post",
            "/api/v1/records",
            &[200, 400, 401, 403, 413, 415, 422, 429, 500],
            Some("kiosk_token"),
        ),
        (
            "post",
            "/api/v1/heartbeat",
            &[200, 400, 401, 403, 413, 415, 422, 429, 500],
            Some("kiosk_token"),
        ),
        (
            "get",
            "/api/v1/admin/kiosks",
            &[200, 401, 403, 429, 500, 503],
            Some("admin_token"),
        ),
    ];
    for (method, path, statuses, security) in expect {
        let operation = &doc["paths"][path][method];
        let responses = operation["responses"].as_object().expect("responses");
        let documented: Vec<u16> = responses
            .keys()
            .map(|s| s.parse().expect("status"))
            .collect();
        assert_eq!(documented, statuses, "{method} {path}");
        for (status, response) in responses {
            if !status.starts_with('2') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ApiError",
                    "{method} {path} {status}"
                );
            }
        }
        assert!(
            responses["429"]["headers"]["Retry-After"].is_object(),
            "{method} {path}"
        );
        match security {
            Some(scheme) => assert!(
                operation["security"][0].get(scheme).is_some(),
                "{method} {path}: {}",
                operation["security"]
            ),
            None => assert!(operation.get("security").is_none(), "{method} {path}"),
        }
        if method == "post" {
            let body = &operation["requestBody"];
            assert_eq!(body["required"], true, "{path}");
            assert!(
                body["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("gzip")),
                "{path}: {body}"
            );
        }
    }
}

/// Checks `value` against `schema` as far as this API's schemas go (types, required and known
/// properties, enums, integer bounds, `$ref`, `allOf`, `oneOf`); returns what does not fit.
fn schema_errors(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    errors_in(doc, schema, value, at, true)
}

/// [`schema_errors`]; `whole` is false for a part of an `allOf` or `oneOf`, whose object may
/// carry the other parts' properties too.
fn errors_in(doc: &Value, schema: &Value, value: &Value, at: &str, whole: bool) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference
            .strip_prefix("#/components/schemas/")
            .expect("a local schema reference");
        let target = &doc["components"]["schemas"][name];
        assert!(target.is_object(), "{reference} is not defined");
        return errors_in(doc, target, value, at, whole);
    }
    let mut errors = Vec::new();
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            errors.extend(errors_in(doc, part, value, at, false));
        }
    }
    if let Some(one) = schema["oneOf"].as_array() {
        let fits = one
            .iter()
            .filter(|option| errors_in(doc, option, value, at, false).is_empty())
            .count();
        if fits != 1 {
            errors.push(format!("{at}: fits {fits} of the oneOf options: {value}"));
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => panic!("{at}: odd type {types}"),
        };
        let fits = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            other => panic!("{at}: unknown type {other}"),
        });
        if !fits {
            errors.push(format!("{at}: {value} is not {types:?}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {allowed:?}"));
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        errors.push(format!("{at}: {n} < minimum {min}"));
    }
    if let (Some(max), Some(n)) = (schema["maximum"].as_f64(), value.as_f64())
        && n > max
    {
        errors.push(format!("{at}: {n} > maximum {max}"));
    }
    if let Some(object) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().expect("a property name");
            if !object.contains_key(name) {
                errors.push(format!("{at}: missing required `{name}`"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, property) in properties.into_iter().flatten() {
            if let Some(field) = object.get(name) {
                errors.extend(schema_errors(doc, property, field, &format!("{at}.{name}")));
            }
        }
        let known = known_properties(doc, schema);
        if whole && !known.is_empty() {
            for name in object.keys().filter(|name| !known.contains(*name)) {
                errors.push(format!("{at}: `{name}` is not documented"));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            errors.extend(schema_errors(doc, items, item, &format!("{at}[{i}]")));
        }
    }
    errors
}

/// The property names an object schema allows, through `$ref`, `allOf` and `oneOf`.
fn known_properties(doc: &Value, schema: &Value) -> BTreeSet<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        return known_properties(doc, &doc["components"]["schemas"][name]);
    }
    let mut known: BTreeSet<String> = schema["properties"]
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in ["allOf", "oneOf"] {
        for option in schema[part].as_array().into_iter().flatten() {
            known.extend(known_properties(doc, option));
        }
    }
    known
}

fn request_schema<'a>(doc: &'a Value, path: &str) -> &'a Value {
    &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
}

fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, status: &str) -> &'a Value {
    &doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
}

#[track_caller]
fn assert_fits(doc: &Value, schema: &Value, value: &Value) {
    let errors = schema_errors(doc, schema, value, "$");
    assert!(errors.is_empty(), "{errors:#?}\nschema: {schema}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tests_bodies_and_the_servers_answers_fit_the_documented_schemas() {
    let server = TestServer::spawn().await;
    let doc = openapi(&server).await;

    let enroll = serde_json::to_value(EnrollRequest {
        code: "ABCDE-FGHJK".into(),
        kiosk_version: "0.1.0".into(),
        clock: clock(T0),
    })
    .expect("json");
    assert_fits(&doc, request_schema(&doc, "/api/v1/enroll"), &enroll);
    let code = server.code(DESK, 3_600_000).await;
    let response = server.post_enroll(&code).await;
    let enrolled: Value = response.json().await.expect("json");
    let enrolled_schema = response_schema(&doc, "post", "/api/v1/enroll", "200");
    assert_fits(&doc, enrolled_schema, &enrolled);
    let token = enrolled["token"].as_str().expect("token");

    let mut corrected = record(DESK, 2, 2);
    corrected.reasons = vec!["iv-interrupted".parse().expect("reason")];
    corrected.supersedes = Some(RecordId::new_random());
    corrected.question = Question::Overall;
    corrected.input = InputKind::Button;
    let batch = serde_json::to_value(RecordBatch {
        sent: clock(T0),
        records: vec![record(DESK, 4, 1), corrected, record(OTHER_DESK, 1, 3)],
    })
    .expect("json");
    let batch_schema = request_schema(&doc, "/api/v1/records");
    assert_fits(&doc, batch_schema, &batch);
    let response = server.post_body(Some(token), batch.to_string()).await;
    let receipt: Value = response.json().await.expect("json");
    assert_eq!(receipt["results"][2]["status"], "rejected", "{receipt}");
    let receipt_schema = response_schema(&doc, "post", "/api/v1/records", "200");
    assert_fits(&doc, receipt_schema, &receipt);

    let heartbeat = serde_json::to_value(Heartbeat {
        kiosk_version: "0.1.0".into(),
        backlog: 0,
        oldest_unsynced_ms: None,
        last_error: None,
        clock: clock(T0),
    })
    .expect("json");
    assert_fits(&doc, request_schema(&doc, "/api/v1/heartbeat"), &heartbeat);

    let fleet: Value = get_fleet(&server, Some(ADMIN_TOKEN))
        .await
        .json()
        .await
        .expect("json");
    let fleet_schema = response_schema(&doc, "get", "/api/v1/admin/kiosks", "200");
    assert_fits(&doc, fleet_schema, &fleet);
    let refused: Value = get_fleet(&server, None).await.json().await.expect("json");
    assert_fits(
        &doc,
        response_schema(&doc, "get", "/api/v1/admin/kiosks", "401"),
        &refused,
    );

    // The check can fail: wrong values and missing or unknown fields are caught.
    let mut bad = batch.clone();
    bad["records"][0]["score"] = json!(5);
    bad["records"][1]["question"] = json!("XIV");
    bad["records"][2]["input"] = json!("voice");
    bad["sent"].as_object_mut().expect("sent").remove("boot_id");
    bad["records"][0]["desk_id"] = json!(7);
    bad["extra"] = json!(true);
    let errors = schema_errors(&doc, batch_schema, &bad, "$");
    for expected in [
        "records[0].score",
        "records[1].question",
        "records[2].input",
        "boot_id",
        "records[0].desk_id",
        "extra",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{expected} not caught: {errors:#?}"
        );
    }
    let mut bad_receipt = receipt.clone();
    bad_receipt["results"][0]["status"] = json!("lost");
    assert!(!schema_errors(&doc, receipt_schema, &bad_receipt, "$").is_empty());
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
