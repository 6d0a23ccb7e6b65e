//! Alerts end to end through the real storage and real delivery: a desk whose CSAT falls below a
//! rule's threshold is raised once and cleared when it recovers, a silent kiosk is raised, and
//! each raise and clear reaches a real SMTP conversation and a signed webhook, with failed
//! deliveries retried after back-off.

use std::sync::{Arc, Mutex};

use crate::support::smtp::SmtpServer;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use model::wire::RecordBatch;
use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};
use sync_server::alert_monitor::{Monitor, RoundSummary};
use sync_server::alerts::delivery::{
    Channels, EmailSettings, SIGNATURE_HEADER, SmtpSecurity, TIMESTAMP_HEADER, WebhookSettings,
    verify_signature,
};
use sync_server::alerts::{CsatWindow, RuleKind};
use sync_server::analytics::Disclosure;
use sync_server::credentials;
use sync_server::dashboard::Scope;
use sync_server::storage::{Connections, Kiosk, NewDesk, NewKiosk, Storage, TokenLookup};
use tokio::net::TcpListener;

const DESK: &str = "gabin-ogolny-01";
/// 2026-11-23 10:00 UTC.
const T0: i64 = 1_795_428_000_000;
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const WEBHOOK_SECRET: &str = "shared-secret-for-the-webhook";

fn clock(wall_clock_ms: i64) -> RecordedTime {
    RecordedTime {
        wall_clock_ms,
        boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
        // One boot that began an hour before T0: the boot clock moves with the wall clock, so
        // answers a minute apart are placed a minute apart (not as a burst).
        boottime_ns: u64::try_from(wall_clock_ms - T0 + HOUR).expect("after the boot") * 1_000_000,
        clock_synchronized: true,
    }
}

/// A storage with one desk in Gąbin and one enrolled kiosk at it.
async fn desk_with_kiosk(dir: &tempfile::TempDir) -> (Storage, Kiosk) {
    let storage = Storage::open_sqlite(dir.path().join("server.db"), Connections::default())
        .await
        .expect("storage");
    storage.seed_partner_offices().await.expect("offices");
    storage
        .add_department("gabin".into(), "ogolny".into(), "Referat Ogólny".into())
        .await
        .expect("department");
    let desk_id: DeskId = DESK.parse().expect("desk id");
    storage
        .add_desk(NewDesk {
            id: desk_id.clone(),
            office_id: "gabin".into(),
            department_id: "ogolny".into(),
            name: "Stanowisko 1".into(),
            internal_service: false,
            standards: vec![StandardId::IV],
            languages: vec![LanguageTag::polish()],
            default_language: LanguageTag::polish(),
        })
        .await
        .expect("desk");
    let code = credentials::new_enrollment_code();
    storage
        .add_enrollment_code(credentials::code_hash(&code), desk_id, T0, T0 + HOUR)
        .await
        .expect("code");
    let token = "kiosk-token-for-the-alert-tests";
    storage
        .enroll(
            credentials::code_hash(&code),
            NewKiosk {
                id: "kiosk-gabin-1".into(),
                token_sha256: credentials::sha256(token),
                version: "0.1.0".into(),
                clock: clock(T0),
            },
            T0,
        )
        .await
        .expect("enroll")
        .expect("code accepted");
    let TokenLookup::Valid(kiosk) = storage
        .kiosk_by_token(credentials::sha256(token))
        .await
        .expect("lookup")
    else {
        panic!("the kiosk's token is valid");
    };
    (storage, kiosk)
}

/// Stores overall answers with these scores, a minute apart from `start_ms`.
async fn rate(storage: &Storage, kiosk: &Kiosk, first_sequence: u64, start_ms: i64, scores: &[u8]) {
    let records: Vec<RatingRecord> = (0_u64..)
        .zip(scores)
        .map(|(i, &score)| RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: first_sequence + i,
            desk_id: DESK.parse().expect("desk"),
            question: Question::Overall,
            answer: Score::try_from(i64::from(score)).expect("score").into(),
            reasons: vec![],
            language: LanguageTag::polish(),
            larger_text: false,
            input: InputKind::Touch,
            supersedes: None,
            recorded: clock(start_ms + i64::try_from(i).expect("small") * MINUTE),
        })
        .collect();
    let last_ms = start_ms + i64::try_from(scores.len()).expect("small") * MINUTE;
    storage
        .ingest(
            kiosk.clone(),
            RecordBatch {
                sent: clock(last_ms),
                records,
            },
            last_ms,
        )
        .await
        .expect("ingest");
}

/// The loopback SMTP server of `support::smtp`, and its port.
async fn smtp_server() -> (u16, SmtpServer) {
    let server = SmtpServer::start().await;
    (server.port, server)
}

/// A webhook request's body, its signature header and its timestamp header.
type Received = (Vec<u8>, Option<String>, Option<String>);

#[derive(Clone, Default)]
struct Webhook {
    /// Bodies and signature headers received.
    received: Arc<Mutex<Vec<Received>>>,
    /// Requests still to answer with 500.
    failures_left: Arc<Mutex<u32>>,
}

async fn webhook_server() -> (String, Webhook) {
    async fn receive(
        State(hook): State<Webhook>,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> StatusCode {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        hook.received.lock().expect("lock").push((
            body.to_vec(),
            header(SIGNATURE_HEADER),
            header(TIMESTAMP_HEADER),
        ));
        let mut failures = hook.failures_left.lock().expect("lock");
        if *failures > 0 {
            *failures -= 1;
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::NO_CONTENT
        }
    }
    let hook = Webhook::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(hook.clone());
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind webhook");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hook)
}

fn channels(smtp_port: u16, webhook_url: &str) -> Channels {
    Channels::new(
        Some(EmailSettings {
            smtp_host: "127.0.0.1".into(),
            smtp_port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Ocena <ocena@gabin.test>".parse().expect("from"),
            to: vec!["Wydział Organizacyjny <wo@plock.test>".parse().expect("to")],
        }),
        Some(WebhookSettings {
            url: webhook_url.parse().expect("url"),
            secret: Some(WEBHOOK_SECRET.into()),
        }),
    )
    .expect("channels")
}

fn webhook_events(hook: &Webhook) -> Vec<serde_json::Value> {
    hook.received
        .lock()
        .expect("lock")
        .iter()
        .map(|(body, signature, timestamp)| {
            let signature = signature.as_deref().expect("every webhook is signed");
            let now_s = chrono::Utc::now().timestamp();
            assert!(
                verify_signature(WEBHOOK_SECRET, signature, body, now_s),
                "signed with the shared secret, just now: {signature}"
            );
            let timestamp = timestamp.as_deref().expect("the timestamp header");
            assert!(
                signature.starts_with(&format!("t={timestamp},v1=")),
                "the header's time is the signed one: {signature}"
            );
            assert!(
                !verify_signature(WEBHOOK_SECRET, signature, body, now_s + 6 * 60),
                "a receiver refuses the same request replayed six minutes later"
            );
            serde_json::from_slice(body).expect("webhook JSON")
        })
        .collect()
}

#[tokio::test]
async fn a_weak_desk_is_raised_once_notified_by_mail_and_webhook_and_cleared_when_it_recovers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (storage, kiosk) = desk_with_kiosk(&dir).await;
    let (smtp_port, mails) = smtp_server().await;
    let (url, hook) = webhook_server().await;
    let monitor = Monitor::new(storage.clone(), channels(smtp_port, &url));
    let rule = storage
        .add_alert_rule(
            RuleKind::DeskCsat {
                below_percent: 70,
                window: CsatWindow::LastResponses(10),
            },
            Some("gabin".into()),
            T0,
        )
        .await
        .expect("rule");

    // Four of ten satisfied: CSAT 40%.
    rate(&storage, &kiosk, 1, T0, &[1, 2, 1, 4, 3, 2, 1, 4, 3, 2]).await;
    let now = T0 + HOUR;
    let first = monitor.round(now).await.expect("round");
    assert_eq!(
        first,
        RoundSummary {
            raised_or_cleared: 1,
            delivered: 2,
            failed: 0
        }
    );
    let alerts = storage
        .alert_listing(Scope::AllOffices, 10)
        .await
        .expect("listing");
    assert_eq!(alerts.len(), 1);
    let alert = &alerts[0].alert;
    assert_eq!(
        (alert.subject.as_str(), alert.office_id.as_str()),
        (DESK, "gabin")
    );
    assert!(
        (alert.value - 40.0).abs() < 1e-9,
        "CSAT 40%, got {}",
        alert.value
    );
    assert_eq!(alert.responses, Some(10));
    assert_eq!(alert.rule.id, rule.id);
    assert!(
        alerts[0]
            .deliveries
            .iter()
            .all(|d| d.delivered_at_ms == Some(now))
    );

    let mail = mails.all_data();
    assert!(
        mail.contains("Subject: [Ocena] Alert: gabin-ogolny-01"),
        "{mail}"
    );
    assert!(mail.contains("wo@plock.test"), "{mail}");
    let events = webhook_events(&hook);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event"], "raised");
    assert_eq!(events[0]["subject"], DESK);
    assert_eq!(events[0]["responses"], 10);

    let again = monitor.round(now + MINUTE).await.expect("round");
    assert_eq!(
        again,
        RoundSummary::default(),
        "an open alert is neither raised nor sent again"
    );

    // Ten satisfied clients later the last ten responses are all 3-4.
    rate(
        &storage,
        &kiosk,
        11,
        T0 + 2 * HOUR,
        &[4, 3, 4, 4, 3, 4, 4, 4, 3, 4],
    )
    .await;
    let later = now + 3 * HOUR;
    let cleared = monitor.round(later).await.expect("round");
    assert_eq!(cleared.raised_or_cleared, 1);
    let alerts = storage
        .alert_listing(Scope::AllOffices, 10)
        .await
        .expect("listing");
    assert_eq!(
        alerts[0].alert.cleared_at_ms,
        Some(later),
        "history keeps the alert, cleared"
    );
    let events = webhook_events(&hook);
    assert_eq!(events.last().expect("event")["event"], "cleared");
    assert_eq!(
        mails.accepted().len(),
        2,
        "one mail for the raise, one for the clear"
    );
}

#[tokio::test]
async fn a_silent_kiosk_is_raised_and_a_failing_webhook_is_retried_after_back_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (storage, _kiosk) = desk_with_kiosk(&dir).await;
    let (smtp_port, _mails) = smtp_server().await;
    let (url, hook) = webhook_server().await;
    *hook.failures_left.lock().expect("lock") = 1;
    let monitor = Monitor::new(storage.clone(), channels(smtp_port, &url));
    storage
        .add_alert_rule(RuleKind::KioskSilent { hours: 4 }, None, T0)
        .await
        .expect("rule");

    assert_eq!(
        monitor.round(T0 + 3 * HOUR).await.expect("round"),
        RoundSummary::default(),
        "three hours of silence is within the rule"
    );
    let now = T0 + 5 * HOUR;
    let first = monitor.round(now).await.expect("round");
    assert_eq!(
        (first.raised_or_cleared, first.delivered, first.failed),
        (1, 1, 1)
    );
    let listing = storage
        .alert_listing(Scope::AllOffices, 10)
        .await
        .expect("listing");
    let webhook = listing[0]
        .deliveries
        .iter()
        .find(|d| d.channel.as_str() == "webhook")
        .expect("webhook delivery");
    assert_eq!(webhook.attempts, 1);
    assert!(
        webhook
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("500")),
        "the error names the answer: {:?}",
        webhook.last_error
    );

    let too_soon = monitor.round(now + 30_000).await.expect("round");
    assert_eq!(
        too_soon.delivered + too_soon.failed,
        0,
        "no retry before the back-off"
    );
    let retried = monitor.round(now + MINUTE + 1).await.expect("round");
    assert_eq!((retried.delivered, retried.failed), (1, 0));
    let events = webhook_events(&hook);
    assert_eq!(events.len(), 2, "the failed attempt and the retry");
    assert!(
        events
            .iter()
            .all(|e| e["subject"] == "kiosk-gabin-1" && e["event"] == "raised")
    );
}

#[tokio::test]
async fn too_few_responses_raise_nothing_and_a_disabled_rule_clears_its_alerts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (storage, kiosk) = desk_with_kiosk(&dir).await;
    let monitor = Monitor::new(storage.clone(), Channels::default());
    let rule = storage
        .add_alert_rule(
            RuleKind::DeskCsat {
                below_percent: 90,
                window: CsatWindow::LastDays(7),
            },
            None,
            T0,
        )
        .await
        .expect("rule");
    rate(&storage, &kiosk, 1, T0, &[1, 1, 1, 1]).await;
    assert_eq!(
        monitor.round(T0 + HOUR).await.expect("round"),
        RoundSummary::default()
    );
    rate(&storage, &kiosk, 5, T0 + 10 * MINUTE, &[1]).await;
    assert_eq!(
        monitor
            .round(T0 + HOUR)
            .await
            .expect("round")
            .raised_or_cleared,
        1
    );

    assert!(
        storage
            .set_alert_rule_enabled(rule.id, false)
            .await
            .expect("disable")
    );
    assert_eq!(
        monitor
            .round(T0 + 2 * HOUR)
            .await
            .expect("round")
            .raised_or_cleared,
        1
    );
    assert!(storage.open_alerts().await.expect("open").is_empty());
    assert!(
        !storage
            .set_alert_rule_enabled(999, true)
            .await
            .expect("unknown rule")
    );
}

#[tokio::test]
async fn rules_with_impossible_numbers_or_unknown_offices_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (storage, _) = desk_with_kiosk(&dir).await;
    let error = storage
        .add_alert_rule(RuleKind::KioskSilent { hours: 0 }, None, T0)
        .await
        .expect_err("zero hours");
    assert!(error.to_string().contains("0 hours"), "{error}");
    let error = storage
        .add_alert_rule(
            RuleKind::KioskSilent { hours: 4 },
            Some("warszawa".into()),
            T0,
        )
        .await
        .expect_err("unknown office");
    assert!(error.to_string().contains("warszawa"), "{error}");
    assert!(storage.alert_rules().await.expect("rules").is_empty());
}

#[tokio::test]
async fn no_alert_mail_reports_a_figure_from_fewer_than_k_responses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (storage, kiosk) = desk_with_kiosk(&dir).await;
    // A rule over the last 5 responses, written while k was 5.
    let narrow = storage
        .add_alert_rule(
            RuleKind::DeskCsat {
                below_percent: 70,
                window: CsatWindow::LastResponses(5),
            },
            None,
            T0,
        )
        .await
        .expect("rule at k = 5");
    // k raised to 10: such a rule can no longer be written…
    let k10 = storage
        .clone()
        .with_disclosure(Disclosure::new(10).expect("k"));
    let error = k10
        .add_alert_rule(
            RuleKind::DeskCsat {
                below_percent: 70,
                window: CsatWindow::LastResponses(9),
            },
            None,
            T0,
        )
        .await
        .expect_err("a window narrower than k");
    assert!(error.to_string().contains("last 9 responses"), "{error}");
    // …and the old one is read over the last 10.
    let (smtp_port, mails) = smtp_server().await;
    let (url, _hook) = webhook_server().await;
    let monitor = Monitor::new(k10.clone(), channels(smtp_port, &url));
    // Seven answers, all bad: fewer than k, nothing is decided or sent.
    rate(&k10, &kiosk, 1, T0, &[1; 7]).await;
    assert_eq!(
        monitor.round(T0 + HOUR).await.expect("round"),
        RoundSummary::default()
    );
    assert!(mails.accepted().is_empty());
    // Three more: ten, and the mail reports ten responses, not the rule's five.
    rate(&k10, &kiosk, 8, T0 + 10 * MINUTE, &[1, 4, 4]).await;
    let round = monitor.round(T0 + HOUR).await.expect("round");
    assert_eq!(round.raised_or_cleared, 1);
    let alerts = k10
        .alert_listing(Scope::AllOffices, 10)
        .await
        .expect("listing");
    assert_eq!(alerts[0].alert.rule.id, narrow.id);
    assert_eq!(alerts[0].alert.responses, Some(10));
    let mail = mails.all_data();
    assert!(mail.contains("z 10 odpowiedzi"), "{mail}");
    assert!(mail.contains("of 10 responses"), "{mail}");
}
