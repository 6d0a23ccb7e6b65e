//! Department reports mailed to heads of departments through a real SMTP dialogue on loopback:
//! nothing before the month's first working day, then exactly one e-mail per head and month
//! across a round stopped mid-way and a restart on the same database, a refused recipient
//! retried after the alerts' back-off, each in the recipient's language with a link to the
//! page, and one sent again by hand.

use crate::support::smtp::SmtpServer;
use model::wire::RecordBatch;
use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};
use sync_server::alerts::delivery::{Channels, EmailSettings, SmtpSecurity};
use sync_server::credentials;
use sync_server::dashboard::{Lang, Role, Scope};
use sync_server::department_reports::delivery::{CLAIM_LEASE_MS, ReportMailer, RoundSummary};
use sync_server::storage::{Connections, NewDesk, NewKiosk, NewUser, Storage, TokenLookup};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 2026-10-05 08:00 UTC, a Monday: the kiosks are enrolled and answer during October.
const OCTOBER: i64 = 1_791_187_200_000;
/// 2026-11-01 10:00 Warsaw (09:00 UTC), a Sunday and All Saints' Day.
const ALL_SAINTS: i64 = 1_793_523_600_000;
/// 2026-11-02 08:00 Warsaw (07:00 UTC), a Monday: the first working day of November.
const FIRST_WORKING_DAY: i64 = 1_793_602_800_000;
const DASHBOARD: &str = "https://ocena.plock.test";

fn clock(wall_clock_ms: i64) -> RecordedTime {
    RecordedTime {
        wall_clock_ms,
        boot_id: "5a1c2d9e-0000-4000-8000-000000000000".into(),
        boottime_ns: u64::try_from(wall_clock_ms - OCTOBER + HOUR).expect("after the boot")
            * 1_000_000,
        clock_synchronized: true,
    }
}

/// Płock with departments wso and wgk, a desk and a kiosk in each, and October's answers.
async fn offices_with_answers(storage: &Storage) {
    storage.seed_partner_offices().await.expect("offices");
    for (department, name, desk, scores) in [
        (
            "wso",
            "Wydział Spraw Obywatelskich",
            "plock-wso-01",
            [4, 4, 3, 4, 4, 3, 4],
        ),
        (
            "wgk",
            "Wydział Gospodarki Komunalnej",
            "plock-wgk-01",
            [2, 1, 2, 3, 1, 2, 2],
        ),
    ] {
        storage
            .add_department("plock".into(), department.into(), name.into())
            .await
            .expect("department");
        let desk_id: DeskId = desk.parse().expect("desk");
        storage
            .add_desk(NewDesk {
                id: desk_id.clone(),
                office_id: "plock".into(),
                department_id: department.into(),
                name: format!("Stanowisko {desk}"),
                internal_service: false,
                standards: vec![StandardId::IV],
                languages: vec![LanguageTag::polish()],
                default_language: LanguageTag::polish(),
            })
            .await
            .expect("desk");
        let code = credentials::new_enrollment_code();
        storage
            .add_enrollment_code(
                credentials::code_hash(&code),
                desk_id,
                OCTOBER,
                OCTOBER + HOUR,
            )
            .await
            .expect("code");
        let token = format!("kiosk token of {desk}");
        storage
            .enroll(
                credentials::code_hash(&code),
                NewKiosk {
                    id: format!("kiosk-{desk}"),
                    token_sha256: credentials::sha256(&token),
                    version: "0.1.0".into(),
                    clock: clock(OCTOBER),
                },
                OCTOBER,
            )
            .await
            .expect("enroll")
            .expect("code accepted");
        let TokenLookup::Valid(kiosk) = storage
            .kiosk_by_token(credentials::sha256(&token))
            .await
            .expect("lookup")
        else {
            panic!("the kiosk's token is valid");
        };
        let records: Vec<RatingRecord> = (0_u64..)
            .zip(scores)
            .map(|(i, score)| RatingRecord {
                id: RecordId::new_random(),
                visit_id: VisitId::new_random(),
                sequence: i + 1,
                desk_id: desk.parse().expect("desk"),
                question: Question::Overall,
                answer: Score::try_from(score).expect("score").into(),
                reasons: vec![],
                language: LanguageTag::polish(),
                larger_text: false,
                input: InputKind::Touch,
                supersedes: None,
                recorded: clock(OCTOBER + i64::try_from(i).expect("small") * DAY),
            })
            .collect();
        storage
            .ingest(
                kiosk,
                RecordBatch {
                    sent: clock(OCTOBER + 10 * DAY),
                    records,
                },
                OCTOBER + 10 * DAY,
            )
            .await
            .expect("ingest");
    }
}

/// Adds a user; returns its id.
async fn user(
    storage: &Storage,
    name: &str,
    role: Role,
    department: Option<&str>,
    email: Option<&str>,
    lang: Lang,
) -> i64 {
    storage
        .add_user(
            NewUser {
                username: name.into(),
                password_hash: "not used".into(),
                role,
                office_id: Some("plock".into()),
                department_id: department.map(str::to_owned),
                email: email.map(str::to_owned),
                lang,
            },
            OCTOBER,
        )
        .await
        .expect("user")
}

fn mailer(storage: &Storage, smtp: &SmtpServer) -> ReportMailer {
    let channels = Channels::new(
        Some(EmailSettings {
            smtp_host: "127.0.0.1".into(),
            smtp_port: smtp.port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "Ocena <ocena@plock.test>".parse().expect("from"),
            to: vec!["Wydział Organizacyjny <wo@plock.test>".parse().expect("to")],
        }),
        None,
    )
    .expect("channels");
    ReportMailer::new(
        storage.clone(),
        channels,
        Some(DASHBOARD.parse().expect("url")),
    )
}

async fn open(path: &std::path::Path) -> Storage {
    Storage::open_sqlite(path.to_owned(), Connections::default())
        .await
        .expect("storage")
}

#[tokio::test]
async fn each_head_receives_one_report_per_month_across_a_restart_in_the_middle_of_a_round() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("server.db");
    let storage = open(&path).await;
    offices_with_answers(&storage).await;
    let ewa = user(
        &storage,
        "ewa",
        Role::DepartmentViewer,
        Some("wso"),
        Some("ewa@plock.test"),
        Lang::Pl,
    )
    .await;
    user(
        &storage,
        "john",
        Role::DepartmentViewer,
        Some("wso"),
        Some("john@plock.test"),
        Lang::En,
    )
    .await;
    user(
        &storage,
        "greg",
        Role::DepartmentViewer,
        Some("wgk"),
        Some("greg@plock.test"),
        Lang::Pl,
    )
    .await;
    // Not heads with an address: nothing for them.
    user(
        &storage,
        "olga",
        Role::OfficeViewer,
        None,
        Some("olga@plock.test"),
        Lang::Pl,
    )
    .await;
    user(
        &storage,
        "nina",
        Role::DepartmentViewer,
        Some("wso"),
        None,
        Lang::Pl,
    )
    .await;
    user(
        &storage,
        "zenon",
        Role::DepartmentViewer,
        Some("wgk"),
        Some("zenon@plock.test"),
        Lang::Pl,
    )
    .await;
    assert!(
        storage
            .disable_user("zenon".into(), OCTOBER)
            .await
            .expect("disable")
    );

    let smtp = SmtpServer::start().await;
    let first = mailer(&storage, &smtp);
    assert_eq!(
        first.round(ALL_SAINTS).await.expect("round"),
        RoundSummary::default(),
        "1 November 2026 is a Sunday and a public holiday: nothing is due"
    );

    // The first working day: the round sends one e-mail, then is stopped while the relay has
    // not answered the second (the process ends in the middle of a round).
    smtp.hold_after(Some(1));
    let round = tokio::spawn(async move { first.round(FIRST_WORKING_DAY).await });
    tokio::time::timeout(std::time::Duration::from_secs(30), smtp.held.notified())
        .await
        .expect("the second e-mail reaches the relay");
    round.abort();
    assert!(round.await.expect_err("stopped").is_cancelled());
    assert_eq!(smtp.accepted().len(), 1);
    assert_eq!(
        smtp.count_to("ewa@plock.test"),
        1,
        "the first head's is sent"
    );
    drop(storage);

    // A restart on the same database: the e-mail that was being sent stays claimed until its
    // lease ends; the rest go now (greg's relay refuses once and is retried after back-off).
    smtp.hold_after(None);
    smtp.refuse_once("greg@plock.test");
    let storage = open(&path).await;
    let restarted = mailer(&storage, &smtp);
    let after_restart = restarted
        .round(FIRST_WORKING_DAY + MINUTE)
        .await
        .expect("round");
    assert_eq!(
        after_restart,
        RoundSummary {
            queued: 0,
            delivered: 0,
            failed: 1
        },
        "nobody queued twice, john's claim held, greg refused"
    );
    let states = storage
        .department_report_deliveries(Scope::AllOffices, 10)
        .await
        .expect("listing");
    let state = |name: &str| {
        states
            .iter()
            .find(|s| s.username == name)
            .unwrap_or_else(|| panic!("{name}: {states:?}"))
    };
    assert_eq!(states.len(), 3, "{states:?}");
    assert!(state("ewa").delivered_at_ms.is_some());
    assert!(
        state("john")
            .claimed_until_ms
            .is_some_and(|t| t > FIRST_WORKING_DAY + MINUTE)
    );
    assert_eq!(state("greg").attempts, 1);
    assert!(
        state("greg")
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("451")),
        "{:?}",
        state("greg")
    );
    let too_soon = restarted
        .round(FIRST_WORKING_DAY + MINUTE + 30_000)
        .await
        .expect("round");
    assert_eq!(
        too_soon,
        RoundSummary::default(),
        "no retry before the back-off"
    );
    let retried = restarted
        .round(FIRST_WORKING_DAY + 3 * MINUTE)
        .await
        .expect("round");
    assert_eq!(
        retried.delivered, 1,
        "greg's, after the one-minute back-off"
    );
    let after_lease = restarted
        .round(FIRST_WORKING_DAY + CLAIM_LEASE_MS + MINUTE)
        .await
        .expect("round");
    assert_eq!(
        after_lease.delivered, 1,
        "john's, once its claim has lapsed"
    );
    for later in [FIRST_WORKING_DAY + DAY, FIRST_WORKING_DAY + 20 * DAY] {
        assert_eq!(
            restarted.round(later).await.expect("round"),
            RoundSummary::default(),
            "a month's report goes once"
        );
    }
    for (head, expected) in [
        ("ewa@plock.test", 1),
        ("john@plock.test", 1),
        ("greg@plock.test", 1),
        ("olga@plock.test", 0),
        ("zenon@plock.test", 0),
    ] {
        assert_eq!(smtp.count_to(head), expected, "{head}");
    }
    assert_eq!(smtp.accepted().len(), 3, "and nobody else");

    // In the recipient's language, with a link to the page and the department's own figures.
    let to = |address: &str| {
        smtp.accepted()
            .into_iter()
            .find(|m| m.recipients.iter().any(|r| r.contains(address)))
            .expect("message")
            .data
    };
    let polish = to("ewa@plock.test");
    for expected in [
        "Szanowni Pa=C5=84stwo",
        "Wydzia=C5=82 Spraw Obywatelskich",
        "pa=C5=BAdziernik 2026",
        "7 odpowiedzi, odsetek zadowolonych 100,0%",
        "https://ocena.plock.test/dashboard/reports/plock/wso/2026-10",
        "Message-ID: <ocena-department-report-2026-10-",
    ] {
        assert!(
            decoded(&polish).contains(&decoded(expected)),
            "{expected}: {}",
            decoded(&polish)
        );
    }
    let english = decoded(&to("john@plock.test"));
    for expected in [
        "Dear Sir or Madam",
        "October 2026",
        "7 responses, CSAT 100.0%",
        "https://ocena.plock.test/dashboard/reports/plock/wso/2026-10?lang=en",
    ] {
        assert!(english.contains(expected), "{expected}: {english}");
    }
    let greg = decoded(&to("greg@plock.test"));
    assert!(greg.contains("Wydział Gospodarki Komunalnej"), "{greg}");
    assert!(
        greg.contains("odsetek zadowolonych 14,3%"),
        "wgk's own figures: {greg}"
    );
    assert!(!greg.contains("Spraw Obywatelskich"), "not wso's: {greg}");

    // An admin sends ewa's again by hand: one more, and the listing says who asked.
    assert!(
        storage
            .resend_department_report(
                ewa,
                "2026-10".into(),
                "adam".into(),
                FIRST_WORKING_DAY + DAY
            )
            .await
            .expect("resend")
    );
    let resent = restarted
        .round(FIRST_WORKING_DAY + DAY + MINUTE)
        .await
        .expect("round");
    assert_eq!(resent.delivered, 1);
    assert_eq!(smtp.count_to("ewa@plock.test"), 2);
    // A new message, not another copy of the first: mail services drop a message whose
    // Message-ID the mailbox already holds, which would swallow the admin's send-again.
    let message_ids: std::collections::BTreeSet<String> = smtp
        .accepted()
        .into_iter()
        .filter(|m| m.recipients.iter().any(|r| r.contains("ewa@plock.test")))
        .filter_map(|m| {
            m.data
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(message_ids.len(), 2, "{message_ids:?}");
    let states = storage
        .department_report_deliveries(
            Scope::Department {
                office: "plock".into(),
                department: "wso".into(),
            },
            10,
        )
        .await
        .expect("listing");
    assert_eq!(
        states.len(),
        2,
        "a head of wso sees wso's e-mails only: {states:?}"
    );
    assert!(
        states
            .iter()
            .any(|s| s.resent_by.as_deref() == Some("adam"))
    );
}

/// `text` with quoted-printable soft line breaks and `=XX` escapes undone (the e-mail's parts
/// may be sent so), as UTF-8.
fn decoded(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
