//! Retention against a real server on port 0: three years of answers, the dashboard's pages, the
//! stats API, the monthly reports (HTML and CSV) and the aggregate export taken before a purge
//! are byte for byte the same after it; the answers older than the retention are gone; and a
//! record a kiosk re-sends after the purge, or a late correction of a purged one, is not counted
//! again.

use chrono::{Datelike, Months, NaiveDate};
use model::wire::{RecordBatch, RecordOutcome};
use model::{
    Answer, DeskId, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use sync_server::analytics::Filter;
use sync_server::config::{AlertSettings, DashboardSettings, Limits, PrivacySettings, RateLimits};
use sync_server::credentials;
use sync_server::dashboard::{Lang, Role};
use sync_server::proxies::TrustedProxies;
use sync_server::storage::{Kiosk, NewDesk, NewKiosk, NewSession, NewUser, Storage, TokenLookup};
use sync_server::{Application, Settings};

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
const DESKS: [(&str, &str, &str); 3] = [
    ("plock", "wso", "plock-wso-01"),
    ("plock", "wso", "plock-wso-02"),
    ("gabin", "fin", "gabin-fin-01"),
];

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The kiosks' one boot, begun four years ago, with a synchronised clock.
fn reading(wall_clock_ms: i64) -> RecordedTime {
    let boot_start = now_ms() - 4 * 366 * DAY;
    RecordedTime {
        wall_clock_ms,
        boot_id: "boot-of-four-years".into(),
        boottime_ns: u64::try_from(wall_clock_ms - boot_start).expect("after boot") * 1_000_000,
        clock_synchronized: true,
    }
}

struct Server {
    base: String,
    storage: Storage,
    client: reqwest::Client,
    cookie: String,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn spawn() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings {
            listen: "127.0.0.1:0".parse().expect("address"),
            database: dir.path().join("server.db"),
            reader_connections: 2,
            admin_token_sha256: None,
            rate_limit: RateLimits::default(),
            alerts: AlertSettings::default(),
            dashboard: DashboardSettings::default(),
            proxies: TrustedProxies::default(),
            limits: Limits::default(),
            // The server's own hourly purge keeps ten years; the test purges 24 months itself.
            privacy: PrivacySettings {
                answer_retention_months: 120,
                ..PrivacySettings::default()
            },
        };
        let app = Application::build(settings).await.expect("server starts");
        let storage = app.storage().clone();
        let base = format!("http://{}", app.address());
        tokio::spawn(app.run_until_stopped());
        sync_server::offices::seed_partner_offices(&storage)
            .await
            .expect("offices");
        for (office, department) in [("plock", "wso"), ("gabin", "fin")] {
            storage
                .add_department(office.into(), department.into(), department.into())
                .await
                .expect("department");
        }
        for (office, department, desk) in DESKS {
            storage
                .add_desk(NewDesk {
                    id: desk.parse().expect("desk"),
                    office_id: office.into(),
                    department_id: department.into(),
                    name: format!("Stanowisko {desk}"),
                    internal_service: false,
                    standards: vec![StandardId::IV, StandardId::V],
                    languages: vec![LanguageTag::polish(), "uk".parse().expect("uk")],
                    default_language: LanguageTag::polish(),
                })
                .await
                .expect("desk");
        }
        let now = now_ms();
        let user_id = storage
            .add_user(
                NewUser {
                    username: "anna".into(),
                    password_hash: "not used".into(),
                    role: Role::Analyst,
                    office_id: None,
                    department_id: None,
                    email: None,
                    lang: sync_server::dashboard::Lang::Pl,
                },
                now,
            )
            .await
            .expect("user");
        let token = "session token of anna 0123456789abcdef";
        storage
            .create_session(NewSession {
                id_sha256: credentials::sha256(token),
                user_id,
                csrf_token: "csrf".into(),
                lang: Lang::Pl,
                now_ms: now,
                expires_at_ms: now + 3_600_000,
                replaces: None,
            })
            .await
            .expect("session");
        Server {
            base,
            storage,
            client: reqwest::Client::new(),
            cookie: format!("ocena_session={token}"),
            _dir: dir,
        }
    }

    async fn kiosk(&self, desk: &str) -> Kiosk {
        let code = credentials::sha256(&format!("code {desk}"));
        let token = credentials::sha256(&format!("token {desk}"));
        let enrolled = now_ms() - 4 * 365 * DAY;
        self.storage
            .add_enrollment_code(
                code,
                desk.parse::<DeskId>().expect("desk"),
                enrolled,
                enrolled + MINUTE,
            )
            .await
            .expect("code");
        let kiosk = NewKiosk {
            id: format!("kiosk-{desk}"),
            token_sha256: token,
            version: "test".into(),
            clock: reading(enrolled),
        };
        self.storage
            .enroll(code, kiosk, enrolled)
            .await
            .expect("storage")
            .expect("code accepted");
        match self.storage.kiosk_by_token(token).await.expect("lookup") {
            TokenLookup::Valid(kiosk) => kiosk,
            other => panic!("kiosk not enrolled: {other:?}"),
        }
    }

    async fn send(&self, kiosk: &Kiosk, records: Vec<RatingRecord>) -> Vec<RecordOutcome> {
        let now = now_ms();
        self.storage
            .ingest(
                kiosk.clone(),
                RecordBatch {
                    sent: reading(now),
                    records,
                },
                now,
            )
            .await
            .expect("ingest")
            .results
            .into_iter()
            .map(|r| r.outcome)
            .collect()
    }

    async fn get(&self, path: &str) -> String {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.text().await.expect("body")
    }

    /// Every page, API answer, report and aggregate export the history shows, by path.
    async fn everything(&self, paths: &[String]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for path in paths {
            out.push((path.clone(), self.get(path).await));
        }
        out
    }
}

/// Three years of answers at a desk: on every third day, eight visits (overall and standard IV,
/// a reason after a low IV, Ukrainian and the larger text now and then; every other visit also
/// answers V, the phone, half of them "does not apply").
fn history(desk: &str, first_sequence: u64, today_ms: i64, seed: u64) -> Vec<RatingRecord> {
    let desk_id: DeskId = desk.parse().expect("desk");
    let mut records = Vec::new();
    let mut sequence = first_sequence;
    for day in (1..3 * 365 + 20).step_by(3) {
        for visit in 0..8_u64 {
            let at = today_ms - day * DAY + i64::try_from(visit).expect("small") * 7 * MINUTE;
            let visit_id = VisitId::new_random();
            let n = seed + u64::try_from(day).expect("day") * 8 + visit;
            let overall = Score::try_from(i64::try_from(n % 4 + 1).expect("score")).expect("score");
            let language: LanguageTag = if n.is_multiple_of(5) { "uk" } else { "pl" }
                .parse()
                .expect("language");
            let base = |question, score, reasons: Vec<&str>, sequence| RatingRecord {
                id: RecordId::new_random(),
                visit_id,
                sequence,
                desk_id: desk_id.clone(),
                question,
                answer: Answer::Score(score),
                reasons: reasons
                    .into_iter()
                    .map(|r| r.to_owned().try_into().expect("reason"))
                    .collect(),
                language: language.clone(),
                larger_text: n.is_multiple_of(7),
                input: InputKind::Touch,
                supersedes: None,
                recorded: reading(at),
            };
            records.push(base(Question::Overall, overall, vec![], sequence));
            sequence += 1;
            if n.is_multiple_of(2) {
                let mut v = base(Question::Standard(StandardId::V), overall, vec![], sequence);
                if n.is_multiple_of(4) {
                    v.answer = Answer::NotApplicable;
                }
                v.recorded = reading(at + 10_000);
                records.push(v);
                sequence += 1;
            }
            let low = n.is_multiple_of(3);
            let iv_score = if low { Score::BAD } else { Score::GOOD };
            let reasons = if low { vec!["iv-interrupted"] } else { vec![] };
            let mut iv = base(
                Question::Standard(StandardId::IV),
                iv_score,
                reasons,
                sequence,
            );
            iv.recorded = reading(at + 20_000);
            records.push(iv);
            sequence += 1;
        }
    }
    records
}

#[tokio::test]
async fn a_purge_deletes_old_answers_and_changes_no_page_report_or_figure() {
    let server = Server::spawn().await;
    let today_ms = now_ms();
    let mut kiosks = Vec::new();
    let mut sent = Vec::new();
    for (i, (_, _, desk)) in DESKS.iter().enumerate() {
        let kiosk = server.kiosk(desk).await;
        let records = history(desk, 1, today_ms, u64::try_from(i).expect("i") * 3);
        for batch in records.chunks(500) {
            let outcomes = server.send(&kiosk, batch.to_vec()).await;
            assert!(outcomes.iter().all(|o| *o == RecordOutcome::Stored));
        }
        sent.push(records);
        kiosks.push(kiosk);
    }
    let stored = server.storage.answer_count().await.expect("count");

    let today = Filter::today();
    let first = today
        .checked_sub_months(Months::new(36))
        .expect("three years ago");
    let period = format!("period=custom&from={first}&to={today}");
    let whole = format!("{period}&step=month");
    let mut paths: Vec<String> = [
        format!("/dashboard?{whole}"),
        format!("/dashboard?{whole}&office=plock"),
        format!("/dashboard?{whole}&office=plock&department=wso"),
        format!("/dashboard?{whole}&desk=gabin-fin-01"),
        format!("/dashboard?{whole}&standard=IV&bursts=include"),
        format!("/dashboard?{whole}&standard=V"),
        format!("/dashboard/standards?{whole}"),
        format!("/dashboard/patterns?{whole}"),
        format!("/dashboard/patterns?{whole}&language=uk"),
        format!("/api/v1/stats/breakdown?by=desk&{whole}"),
        format!("/api/v1/stats/breakdown?by=question&{whole}&office=plock"),
        format!("/api/v1/stats/breakdown?by=desk&{whole}&standard=V"),
        format!("/api/v1/stats/trend?{whole}"),
        format!("/api/v1/stats/trend?{period}&desk=plock-wso-02&step=week"),
        format!("/api/v1/stats/reasons?{whole}&standard=IV"),
        format!("/api/v1/stats/heatmap?{whole}"),
        format!("/api/v1/stats/usage?{whole}"),
        format!("/dashboard/export-days.csv?{whole}"),
        format!("/dashboard/export-days.csv?{whole}&standard=IV&format=excel"),
    ]
    .into();
    let mut month = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).expect("month");
    while month <= today {
        let m = month.format("%Y-%m");
        for office in ["plock", "gabin"] {
            paths.push(format!("/dashboard/reports/{office}/{m}"));
            paths.push(format!("/dashboard/reports/{office}/{m}.csv"));
        }
        month = month.checked_add_months(Months::new(1)).expect("next");
    }
    let before = server.everything(&paths).await;
    let (_, standards) = before
        .iter()
        .find(|(path, _)| path.starts_with("/dashboard/standards"))
        .expect("the standards page");
    assert!(
        standards.contains("data-not-applicable-share="),
        "the share of \"does not apply\" is among the figures kept: {standards}"
    );
    let old_export = format!(
        "/dashboard/export.csv?period=custom&from={first}&to={}",
        today - chrono::Days::new(2 * 366)
    );
    let old = server.get(&old_export).await;
    assert!(old.lines().count() > 100, "old answers are there to purge");
    let old_v = server.get(&format!("{old_export}&standard=V")).await;
    assert!(
        old_v.lines().any(|l| l.split(',').nth(6) == Some("1")),
        "old \"does not apply\" answers are among them"
    );

    let summary = server.storage.purge(24, today).await.expect("purge");
    let cutoff = today.checked_sub_months(Months::new(24)).expect("cutoff");
    assert_eq!(summary.before_day, cutoff.to_string());
    let left = server.storage.answer_count().await.expect("count");
    assert_eq!(usize::try_from(stored - left).ok(), Some(summary.answers));
    assert!(
        summary.answers > usize::try_from(stored / 4).expect("count"),
        "about a third of three years goes: {summary:?} of {stored}"
    );
    // The per-answer export reads answers: nothing before the cutoff is left, all after it is.
    let exported = server
        .get(&format!("/dashboard/export.csv?{whole}&bursts=include"))
        .await;
    let days: Vec<&str> = exported
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().expect("day"))
        .collect();
    assert!(days.iter().all(|d| *d >= cutoff.to_string().as_str()));
    assert!(!days.is_empty());

    // Every page, figure, report and aggregate export is unchanged.
    let after = server.everything(&paths).await;
    for ((path, was), (_, is)) in before.iter().zip(&after) {
        assert!(was == is, "{path} changed after the purge");
    }
    // A second purge finds nothing.
    let again = server.storage.purge(24, today).await.expect("purge");
    assert_eq!((again.answers, again.conflicts), (0, 0));

    // A kiosk re-sends purged records (lost acknowledgements): duplicates, counted once.
    let purged: Vec<RatingRecord> = sent[0].iter().rev().take(6).cloned().collect();
    assert!(
        purged
            .iter()
            .all(|r| r.recorded.wall_clock_ms < today_ms - 2 * 366 * DAY)
    );
    let outcomes = server.send(&kiosks[0], purged.clone()).await;
    assert_eq!(outcomes, vec![RecordOutcome::Duplicate; 6]);
    // The same id with other content is a conflict, never a second answer.
    // (Another score on the same side of the scale, so the reasons it carries stay admissible.)
    let mut changed = purged[0].clone();
    let score = changed.answer.score().expect("a scored answer");
    let other: i64 = match score.value() {
        1 => 2,
        2 => 1,
        3 => 4,
        _ => 3,
    };
    changed.answer = Score::try_from(other).expect("a score").into();
    assert_eq!(
        server.send(&kiosks[0], vec![changed]).await,
        vec![RecordOutcome::Conflict]
    );
    // A late correction of a purged answer is kept but not counted beside it.
    let original = &purged[1];
    let correction = RatingRecord {
        id: RecordId::new_random(),
        sequence: original.sequence + 1_000_000,
        supersedes: Some(original.id),
        answer: Score::VERY_GOOD.into(),
        reasons: vec![],
        recorded: reading(original.recorded.wall_clock_ms + 5_000),
        ..original.clone()
    };
    assert_eq!(
        server.send(&kiosks[0], vec![correction]).await,
        vec![RecordOutcome::Stored]
    );
    let after_replay = server.everything(&paths).await;
    for ((path, was), (_, is)) in before.iter().zip(&after_replay) {
        assert!(was == is, "{path} changed after records were re-sent");
    }
}

#[tokio::test]
async fn retention_and_k_are_validated_with_the_key_named() {
    for (toml, key) in [
        ("[privacy]\nmin_responses = 4\n", "privacy.min_responses"),
        (
            "[privacy]\nanswer_retention_months = 0\n",
            "privacy.answer_retention_months",
        ),
        (
            "[privacy]\nanswer_retention_months = 121\n",
            "privacy.answer_retention_months",
        ),
    ] {
        let text = format!("database = \"x.db\"\n{toml}");
        let error = Settings::from_toml(&text, std::path::Path::new("s.toml"))
            .expect_err(toml)
            .to_string();
        assert!(error.contains(key), "{error}");
    }
    let text = "database = \"x.db\"\n[privacy]\nmin_responses = 10\nanswer_retention_months = 36\n";
    let settings = Settings::from_toml(text, std::path::Path::new("s.toml")).expect("valid");
    assert_eq!(settings.privacy.disclosure.min_responses(), 10);
    assert_eq!(settings.privacy.answer_retention_months, 36);
}
