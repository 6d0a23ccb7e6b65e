//! What a kiosk token holder can send and what the server's operator can misconfigure, against a
//! real server on port 0: records outside the catalogue or the desk's survey (a standard or a
//! language it does not offer, or "does not apply" where it is not) rejected one by one,
//! malformed answers refused whole, with nothing stored, unbounded boot ids and overflowing clocks refused while every dashboard
//! page still answers, webhook URLs (and their secrets) kept off the alerts page, API answers
//! never cached or sniffed, and forms behind the TLS proxy accepted only from `https://`.

use model::wire::{EnrollRequest, EnrollResponse, Heartbeat, RecordBatch, RecordOutcome};
use model::{
    Answer, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, COOKIE, ORIGIN, X_CONTENT_TYPE_OPTIONS};
use serde_json::{Value, json};
use sync_server::alert_monitor::Monitor;
use sync_server::alerts::RuleKind;
use sync_server::alerts::delivery::{Channels, WebhookSettings};
use sync_server::config::DashboardSettings;
use sync_server::credentials;
use sync_server::dashboard::{Lang, Role};
use sync_server::storage::{NewSession, NewUser, Storage, TokenLookup};
use sync_server::survey::DeskSurveyEdit;

use crate::support::app::{App, now_ms};

const DESK: &str = "plock-wso-03";
const MINUTE: i64 = 60_000;
/// The incoming-webhook URL's secret parts, which must never reach a page.
const WEBHOOK_SECRET_PATH: &str = "/services/T0C1TY/B0PL0CK/XyZsEcReTpAtH";
const WEBHOOK_SECRET_QUERY: &str = "token=hunter2-webhook-secret";

struct Server {
    origin: String,
    api: String,
    storage: Storage,
    client: reqwest::Client,
    database: std::path::PathBuf,
    secure_cookies: bool,
    _dir: tempfile::TempDir,
}

/// A synchronised clock reading at `wall_clock_ms`, in a boot that began a day before now.
fn clock(wall_clock_ms: i64) -> RecordedTime {
    RecordedTime {
        wall_clock_ms,
        boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
        boottime_ns: u64::try_from(wall_clock_ms - (now_ms() - 24 * 60 * MINUTE))
            .unwrap_or(1)
            .saturating_mul(1_000_000),
        clock_synchronized: true,
    }
}

fn record(
    question: Question,
    answer: impl Into<Answer>,
    reasons: &[&str],
    sequence: u64,
) -> RatingRecord {
    RatingRecord {
        id: RecordId::new_random(),
        visit_id: VisitId::new_random(),
        sequence,
        desk_id: DESK.parse().expect("desk"),
        question,
        answer: answer.into(),
        reasons: reasons
            .iter()
            .map(|r| r.parse().expect("reason code"))
            .collect(),
        language: LanguageTag::polish(),
        larger_text: false,
        input: InputKind::Touch,
        supersedes: None,
        recorded: clock(now_ms() - MINUTE),
    }
}

impl Server {
    async fn spawn() -> Server {
        Server::spawn_with(DashboardSettings::default()).await
    }

    /// A server with one Płock desk asking IV, III and V.
    async fn spawn_with(dashboard: DashboardSettings) -> Server {
        let app = App::spawn(|settings| settings.dashboard = dashboard).await;
        app.add_department("plock", "wso", "WSO").await;
        app.add_desk(
            ("plock", "wso", DESK),
            Some("Stanowisko 3"),
            &[StandardId::IV, StandardId::III, StandardId::V],
            &["pl"],
        )
        .await;
        let origin = app.origin();
        let (storage, database, secure_cookies) = (
            app.storage.clone(),
            app.database.clone(),
            app.secure_cookies,
        );
        let dir = app.dir;
        Server {
            api: format!("{origin}/api/v1"),
            origin,
            storage,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            database,
            secure_cookies,
            _dir: dir,
        }
    }

    /// Enrolls a kiosk over HTTP and returns its token.
    async fn enroll(&self) -> String {
        let code = credentials::new_enrollment_code();
        let now = now_ms();
        self.storage
            .add_enrollment_code(
                credentials::code_hash(&code),
                DESK.parse().expect("desk"),
                now,
                now + 60 * MINUTE,
            )
            .await
            .expect("code");
        let response = self
            .client
            .post(format!("{}/enroll", self.api))
            .json(&EnrollRequest {
                code,
                kiosk_version: "0.1.0".into(),
                clock: clock(now),
            })
            .send()
            .await
            .expect("enroll");
        assert_eq!(response.status(), StatusCode::OK);
        response
            .json::<EnrollResponse>()
            .await
            .expect("enrolled")
            .token
    }

    async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.api))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("sent")
    }

    /// Posts `records` as one batch and returns each record's outcome.
    async fn send(&self, token: &str, records: &[RatingRecord]) -> Vec<RecordOutcome> {
        let batch = RecordBatch {
            sent: clock(now_ms()),
            records: records.to_vec(),
        };
        let response = self
            .post(
                "/records",
                token,
                &serde_json::to_value(&batch).expect("json"),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let receipt: model::wire::BatchReceipt = response.json().await.expect("receipt");
        receipt.results.into_iter().map(|r| r.outcome).collect()
    }

    fn answers_stored(&self) -> i64 {
        rusqlite::Connection::open(&self.database)
            .expect("open")
            .query_row("SELECT count(*) FROM answers", [], |r| r.get(0))
            .expect("count")
    }

    /// A signed-in session's `Cookie` header (made in storage: signing in is tested elsewhere).
    async fn session(&self, username: &str, role: Role, office: Option<&str>) -> String {
        let now = now_ms();
        let user_id = self
            .storage
            .add_user(
                NewUser {
                    username: username.into(),
                    password_hash: "not used: the session is made directly".into(),
                    role,
                    office_id: office.map(str::to_owned),
                    department_id: None,
                    email: None,
                    lang: sync_server::dashboard::Lang::Pl,
                },
                now,
            )
            .await
            .expect("user");
        let token = format!("session token of {username} 0123456789abcdef");
        self.storage
            .create_session(NewSession {
                id_sha256: credentials::sha256(&token),
                user_id,
                csrf_token: "csrf-of-this-session".into(),
                lang: Lang::En,
                now_ms: now,
                expires_at_ms: now + 3_600_000,
                replaces: None,
            })
            .await
            .expect("session");
        let name = if self.secure_cookies {
            "__Host-ocena_session"
        } else {
            "ocena_session"
        };
        format!("{name}={token}")
    }

    async fn page(&self, cookie: &str, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.origin))
            .header(COOKIE, cookie)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }
}

fn rejected_because(outcome: &RecordOutcome, why: &str) -> bool {
    matches!(outcome, RecordOutcome::Rejected { reason } if reason.contains(why))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_outside_the_catalogue_or_the_desks_survey_are_rejected_one_by_one() {
    let server = Server::spawn().await;
    let token = server.enroll().await;
    let iv = Question::Standard(StandardId::IV);
    let mut long_boot = record(Question::Overall, Score::GOOD, &[], 8);
    long_boot.recorded.boot_id = "b".repeat(10_000);
    let mut ancient = record(Question::Overall, Score::GOOD, &[], 9);
    ancient.recorded.wall_clock_ms = i64::MIN;
    let mut far_future = record(Question::Overall, Score::GOOD, &[], 10);
    far_future.recorded.wall_clock_ms = i64::MAX;
    let batch = [
        record(Question::Overall, Score::BAD, &[], 1),
        record(iv, Score::BAD, &["iv-interrupted"], 2),
        record(iv, Score::BAD, &["iv-made-up-reason"], 3),
        record(iv, Score::BAD, &["iii-untidy"], 4),
        record(iv, Score::VERY_GOOD, &["iv-interrupted"], 5),
        record(Question::Standard(StandardId::II), Score::GOOD, &[], 6),
        record(Question::Standard(StandardId::X), Score::BAD, &[], 7),
        long_boot,
        ancient,
        far_future,
    ];
    let outcomes = server.send(&token, &batch).await;
    assert_eq!(outcomes.len(), batch.len());
    assert_eq!(outcomes[0], RecordOutcome::Stored);
    assert_eq!(outcomes[1], RecordOutcome::Stored);
    for (i, why) in [
        (
            2,
            "\"iv-made-up-reason\" is not one the catalogue offers for standard IV",
        ),
        (
            3,
            "\"iii-untidy\" is not one the catalogue offers for standard IV",
        ),
        (4, "only after a score of 1 or 2"),
        (
            5,
            "standard II has never been in the survey of desk plock-wso-03",
        ),
        (6, "standard X has never been in the survey"),
        (7, "recorded.boot_id must be 1-64 characters"),
        (8, "recorded.wall_clock_ms -9223372036854775808 is outside"),
        (9, "recorded.wall_clock_ms 9223372036854775807 is outside"),
    ] {
        assert!(
            rejected_because(&outcomes[i], why),
            "{i}: {:?}",
            outcomes[i]
        );
    }
    assert_eq!(server.answers_stored(), 2, "nothing of a rejected record");

    // A standard unknown to the catalogue does not even parse: the batch is refused whole.
    let mut unknown = serde_json::to_value(RecordBatch {
        sent: clock(now_ms()),
        records: vec![record(Question::Overall, Score::GOOD, &[], 11)],
    })
    .expect("json");
    unknown["records"][0]["question"] = json!("XIV");
    let response = server.post("/records", &token, &unknown).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.answers_stored(), 2);

    // A standard dropped from the survey still admits answers given while it was asked (a kiosk
    // may sync days later); one the desk never asked stays out.
    let edit = DeskSurveyEdit {
        standards: Some(vec![StandardId::III]),
        ..DeskSurveyEdit::default()
    };
    server
        .storage
        .edit_desk(DESK.parse().expect("desk"), edit)
        .await
        .expect("survey changed");
    let outcomes = server
        .send(
            &token,
            &[
                record(iv, Score::GOOD, &[], 12),
                record(Question::Standard(StandardId::II), Score::GOOD, &[], 13),
            ],
        )
        .await;
    assert_eq!(outcomes[0], RecordOutcome::Stored);
    assert!(rejected_because(&outcomes[1], "standard II has never been"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_in_a_language_the_desk_does_not_offer_is_rejected_by_name() {
    let server = Server::spawn().await;
    let token = server.enroll().await;
    let in_language = |language: &str, sequence: u64| RatingRecord {
        language: language.parse().expect("tag"),
        ..record(Question::Overall, Score::GOOD, &[], sequence)
    };
    // The desk offers Polish only; Ukrainian and English are shipped.
    let outcomes = server
        .send(&token, &[in_language("pl", 1), in_language("uk", 2)])
        .await;
    assert_eq!(outcomes[0], RecordOutcome::Stored);
    assert!(
        rejected_because(
            &outcomes[1],
            "language uk is not offered at desk plock-wso-03"
        ),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(server.answers_stored(), 1, "nothing of the rejected record");

    // English offered, answered in, then dropped: an English answer given before still arrives
    // (a kiosk may sync days later); Ukrainian, never offered, stays out.
    let languages = |tags: &[&str]| DeskSurveyEdit {
        languages: Some(tags.iter().map(|l| l.parse().expect("tag")).collect()),
        ..DeskSurveyEdit::default()
    };
    let desk = || DESK.parse().expect("desk");
    server
        .storage
        .edit_desk(desk(), languages(&["pl", "en"]))
        .await
        .expect("English added");
    assert_eq!(
        server.send(&token, &[in_language("en", 3)]).await,
        [RecordOutcome::Stored]
    );
    server
        .storage
        .edit_desk(desk(), languages(&["pl"]))
        .await
        .expect("English dropped");
    let outcomes = server
        .send(&token, &[in_language("en", 4), in_language("uk", 5)])
        .await;
    assert_eq!(outcomes[0], RecordOutcome::Stored);
    assert!(rejected_because(&outcomes[1], "language uk is not offered"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn does_not_apply_is_admitted_on_every_standard_and_only_well_formed() {
    let server = Server::spawn().await;
    let token = server.enroll().await;
    let (iv, v) = (
        Question::Standard(StandardId::IV),
        Question::Standard(StandardId::V),
    );
    // Every standard clients are asked about offers it: V (the phone) and IV (direct service).
    let outcomes = server
        .send(
            &token,
            &[
                record(v, Answer::NotApplicable, &[], 1),
                record(iv, Answer::NotApplicable, &[], 2),
            ],
        )
        .await;
    assert_eq!(outcomes, [RecordOutcome::Stored, RecordOutcome::Stored]);
    assert_eq!(server.answers_stored(), 2);

    // Malformed answers do not parse: the batch is refused whole, naming the problem.
    let well_formed = serde_json::to_value(RecordBatch {
        sent: clock(now_ms()),
        records: vec![record(v, Answer::NotApplicable, &[], 3)],
    })
    .expect("json");
    // (the problem named, the field spoilt, its value)
    let malformed = [
        ("neither a score nor", "not_applicable", json!(false)),
        ("both a score and", "score", json!(2)),
        ("takes no reasons", "reasons", json!(["v-slow-answer"])),
        ("overall question cannot", "question", json!("overall")),
        ("an integer", "score", json!(2.5)),
    ];
    for (problem, field, value) in malformed {
        let mut batch = well_formed.clone();
        batch["records"][0][field] = value;
        let response = server.post("/records", &token, &batch).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{problem}"
        );
        let body = response.text().await.expect("body");
        assert!(body.contains(problem), "{problem:?} not in {body}");
    }
    assert_eq!(server.answers_stored(), 2, "nothing of a refused batch");
    // The integral float reader reads 1.0 as the score 1 beside the null of another record.
    let mut scored = well_formed.clone();
    scored["records"][0]["score"] = json!(1.0);
    scored["records"][0]["not_applicable"] = json!(false);
    let response = server.post("/records", &token, &scored).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.answers_stored(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflowing_clocks_are_refused_and_every_page_still_answers() {
    let server = Server::spawn().await;
    let token = server.enroll().await;
    let heartbeat = |clock: RecordedTime| Heartbeat {
        kiosk_version: "0.1.0".into(),
        backlog: 0,
        oldest_unsynced_ms: None,
        last_error: None,
        clock,
    };
    for wall_clock_ms in [i64::MIN, i64::MAX] {
        let mut reading = clock(now_ms());
        reading.wall_clock_ms = wall_clock_ms;
        let body = serde_json::to_value(heartbeat(reading.clone())).expect("json");
        let response = server.post("/heartbeat", &token, &body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let message: Value = response.json().await.expect("error");
        assert!(
            message["message"]
                .as_str()
                .is_some_and(|m| m.contains("clock.wall_clock_ms")),
            "{message}"
        );
        let batch = json!({ "sent": reading, "records": [] });
        let response = server.post("/records", &token, &batch).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut unbounded = clock(now_ms());
    unbounded.boot_id = "x".repeat(100_000);
    let body = serde_json::to_value(heartbeat(unbounded)).expect("json");
    let response = server.post("/heartbeat", &token, &body).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let mut oldest = heartbeat(clock(now_ms()));
    oldest.oldest_unsynced_ms = Some(i64::MIN);
    let body = serde_json::to_value(oldest).expect("json");
    let response = server.post("/heartbeat", &token, &body).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Readings stored before these checks existed (straight into storage here) must not break
    // the pages either: every time field at both extremes, boot clock at its maximum.
    let kiosk = match server
        .storage
        .kiosk_by_token(credentials::sha256(&token))
        .await
        .expect("lookup")
    {
        TokenLookup::Valid(kiosk) => kiosk,
        other => panic!("{other:?}"),
    };
    let answers: Vec<RatingRecord> = (0..10)
        .map(|i| record(Question::Overall, Score::GOOD, &[], 100 + i))
        .collect();
    server
        .storage
        .ingest(
            kiosk.clone(),
            RecordBatch {
                sent: clock(now_ms()),
                records: answers,
            },
            now_ms(),
        )
        .await
        .expect("answers");
    for wall_clock_ms in [i64::MIN, i64::MAX] {
        let reading = RecordedTime {
            wall_clock_ms,
            boot_id: "legacy".into(),
            boottime_ns: u64::MAX,
            clock_synchronized: true,
        };
        server
            .storage
            .ingest(
                kiosk.clone(),
                RecordBatch {
                    sent: reading.clone(),
                    records: Vec::new(),
                },
                now_ms(),
            )
            .await
            .expect("batch");
        server
            .storage
            .heartbeat(
                kiosk.clone(),
                Heartbeat {
                    oldest_unsynced_ms: Some(wall_clock_ms),
                    ..heartbeat(reading)
                },
                now_ms(),
            )
            .await
            .expect("heartbeat");
        let admin = server
            .session(
                &format!("admin{}", wall_clock_ms.signum() + 1),
                Role::Admin,
                None,
            )
            .await;
        let month = chrono::Utc::now().format("%Y-%m");
        for path in [
            "/dashboard".to_owned(),
            "/dashboard?office=plock".to_owned(),
            format!("/dashboard?desk={DESK}"),
            "/dashboard/fleet".to_owned(),
            "/dashboard/alerts".to_owned(),
            "/dashboard/standards".to_owned(),
            "/dashboard/patterns".to_owned(),
            "/dashboard/reports".to_owned(),
            format!("/dashboard/reports/plock/{month}"),
            "/dashboard/export.csv".to_owned(),
            "/api/v1/dashboard/kiosks".to_owned(),
        ] {
            let (status, body) = server.page(&admin, &path).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "{path} with clock {wall_clock_ms}: {body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alerts_page_never_shows_a_webhook_url_or_its_secret() {
    let server = Server::spawn().await;
    server.enroll().await;
    // Nobody listens on port 9 of loopback: the delivery fails and its error is kept.
    let url = format!("http://127.0.0.1:9{WEBHOOK_SECRET_PATH}?{WEBHOOK_SECRET_QUERY}");
    let channels = Channels::new(
        None,
        Some(WebhookSettings {
            url: url.parse().expect("url"),
            secret: Some("a-signing-secret".into()),
        }),
    )
    .expect("channels");
    server
        .storage
        .add_alert_rule(
            RuleKind::KioskSilent { hours: 1 },
            Some("plock".into()),
            now_ms(),
        )
        .await
        .expect("rule");
    let summary = Monitor::new(server.storage.clone(), channels)
        .round(now_ms() + 3 * 60 * MINUTE)
        .await
        .expect("round");
    assert_eq!(summary.failed, 1, "{summary:?}");

    let viewer = server
        .session("olga", Role::OfficeViewer, Some("plock"))
        .await;
    let admin = server.session("adam", Role::Admin, None).await;
    let (status, page) = server.page(&viewer, "/dashboard/alerts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("failed attempts: 1"),
        "the viewer sees that it failed"
    );
    assert!(
        !page.contains("http://127.0.0.1:9/"),
        "why it failed is for admins, who configure the channels"
    );
    let (status, admin_page) = server.page(&admin, "/dashboard/alerts").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        admin_page.contains("webhook http://127.0.0.1:9/…"),
        "the admin sees where it failed"
    );

    // A delivery error stored before URLs were cut, as an older server kept it.
    rusqlite::Connection::open(&server.database)
        .expect("open")
        .execute(
            "UPDATE alert_deliveries SET last_error = ?1",
            [format!(
                "webhook {url}: error sending request for url ({url})"
            )],
        )
        .expect("old error");
    for cookie in [&viewer, &admin] {
        let (_, page) = server.page(cookie, "/dashboard/alerts").await;
        for secret in ["T0C1TY", "XyZsEcReTpAtH", "hunter2", WEBHOOK_SECRET_QUERY] {
            assert!(!page.contains(secret), "{secret} shown");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_are_never_cached_nor_sniffed() {
    let server = Server::spawn().await;
    let token = server.enroll().await;
    let analyst = server.session("anna", Role::Analyst, None).await;
    let responses = [
        server
            .client
            .get(format!("{}/stats/trend", server.api))
            .header(COOKIE, &analyst)
            .send()
            .await
            .expect("stats"),
        server
            .client
            .get(format!("{}/stats/trend", server.api))
            .send()
            .await
            .expect("stats without a session"),
        server
            .client
            .get(format!("{}/dashboard/kiosks", server.api))
            .header(COOKIE, &analyst)
            .send()
            .await
            .expect("kiosks"),
        server
            .client
            .get(format!("{}/openapi.json", server.api))
            .send()
            .await
            .expect("openapi"),
        server
            .post(
                "/heartbeat",
                &token,
                &json!({ "kiosk_version": "0.1.0", "backlog": 0, "clock": clock(now_ms()) }),
            )
            .await,
        server.post("/heartbeat", "unknown-token", &json!({})).await,
        server
            .client
            .get(format!("{}/no-such-route", server.api))
            .send()
            .await
            .expect("404"),
    ];
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 401, 200, 200, 200, 401, 404]);
    for response in &responses {
        let headers = response.headers();
        assert_eq!(
            headers.get(CACHE_CONTROL).and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{}",
            response.url()
        );
        assert_eq!(
            headers
                .get(X_CONTENT_TYPE_OPTIONS)
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{}",
            response.url()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_tls_proxy_forms_are_accepted_only_from_https_origins() {
    let server = Server::spawn_with(DashboardSettings {
        behind_tls_proxy: true,
        ..DashboardSettings::default()
    })
    .await;
    let rule = server
        .storage
        .add_alert_rule(RuleKind::KioskSilent { hours: 4 }, None, now_ms())
        .await
        .expect("rule")
        .id;
    let admin = server.session("adam", Role::Admin, None).await;
    assert!(admin.starts_with("__Host-ocena_session="), "{admin}");
    let host = server.origin.trim_start_matches("http://").to_owned();
    let toggle = |origin: String| {
        server
            .client
            .post(format!("{}/dashboard/alerts/rules/toggle", server.origin))
            .header(COOKIE, &admin)
            .header(ORIGIN, origin)
            .form(&[
                ("csrf_token", "csrf-of-this-session"),
                ("rule", &rule.to_string()),
                ("enable", "false"),
            ])
            .send()
    };
    let plain = toggle(format!("http://{host}")).await.expect("sent");
    assert_eq!(plain.status(), StatusCode::FORBIDDEN, "an http:// origin");
    assert!(
        server.storage.alert_rules().await.expect("rules")[0].enabled,
        "nothing changed"
    );
    let tls = toggle(format!("https://{host}")).await.expect("sent");
    assert_eq!(tls.status(), StatusCode::SEE_OTHER, "an https:// origin");
    assert!(!server.storage.alert_rules().await.expect("rules")[0].enabled);
}
