//! What the PostgreSQL backend does beyond the conformance suite: the retention purge keeps ids
//! taken and rollups as they were; a department report is queued and claimed once; a due alert
//! notification is handed to one of two processes only.

use model::wire::RecordOutcome;
use model::{Answer, Question, Score};

use crate::access::{Role, Scope};
use crate::alerts::delivery::{CLAIM_LEASE_MS, Channel};
use crate::alerts::{Change, RuleKind};
use crate::analytics::Disclosure;
use crate::lang::Lang;
use crate::storage::Connections;
use crate::storage::conformance::{MONDAY_8_UTC, enroll, record, send, set_up};
use crate::storage::postgres::PostgresBackend;
use crate::storage::{Backend, NewUser};

#[test]
fn a_purge_leaves_ids_taken_and_rollups_as_they_were() {
    let fresh = set_up(super::conformance::open);
    let db = &*fresh.db;
    let kiosk = enroll(db, "plock-wso-01", 1);
    let records: Vec<_> = (0..3)
        .map(|i| {
            record(
                "plock-wso-01",
                Question::Overall,
                Answer::Score(Score::GOOD),
                MONDAY_8_UTC + i * 3_600_000,
            )
        })
        .collect();
    assert!(
        send(db, &kiosk, &records)
            .iter()
            .all(|o| *o == RecordOutcome::Stored)
    );

    let purged = db.purge_answers("2026-12-01", 0).expect("purge");
    assert_eq!(purged.answers, 3);
    assert_eq!(db.answer_count().expect("count"), 0);
    assert!(
        send(db, &kiosk, &records)
            .iter()
            .all(|o| *o == RecordOutcome::Duplicate),
        "a purged id stays taken"
    );
    let counted: i64 = db
        .rollups(&"plock-wso-01".parse().expect("desk"))
        .expect("rollups")
        .iter()
        .map(|r| r.scores.iter().sum::<i64>())
        .sum();
    assert_eq!(counted, 3, "the rollups keep what was counted");
}

#[test]
fn a_department_report_is_queued_once_and_claimed_once() {
    let fresh = set_up(super::conformance::open);
    let db = &*fresh.db;
    let head = db
        .add_user(
            &NewUser {
                username: "ewa".into(),
                password_hash: "$argon2id$stand-in".into(),
                role: Role::DepartmentViewer,
                office_id: Some("plock".into()),
                department_id: Some("wso".into()),
                email: Some("ewa@plock.eu".into()),
                lang: Lang::Pl,
            },
            0,
        )
        .expect("head of department");
    assert_eq!(
        db.queue_department_reports("2026-11", 10).expect("queue"),
        1
    );
    assert_eq!(
        db.queue_department_reports("2026-11", 20).expect("again"),
        0
    );
    let claimed = db.claim_department_report(30, 60_000).expect("claim");
    assert_eq!(claimed.map(|c| c.user_id), Some(head));
    assert!(
        db.claim_department_report(40, 60_000)
            .expect("claim")
            .is_none()
    );
    db.record_department_report(head, "2026-11", &Ok(()), 50)
        .expect("record");
    let listed = db
        .department_report_deliveries(&Scope::AllOffices, 10)
        .expect("listing");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].delivered_at_ms, Some(50));
}

#[test]
fn a_due_notification_is_handed_to_one_process_only() {
    // Two backends on one database, as two aggregator processes.
    let database = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL database");
    let first = PostgresBackend::open(&database.config(), &Connections::default()).expect("open");
    let second =
        PostgresBackend::open(&database.config(), &Connections::default()).expect("open again");
    let rule = first
        .add_alert_rule(
            Disclosure::default(),
            RuleKind::KioskSilent { hours: 4 },
            None,
            0,
        )
        .expect("rule");
    let raise = Change::Raise {
        rule_id: rule.id,
        subject: "k1".into(),
        office_id: "plock".into(),
        value: 5.0,
        responses: None,
    };
    first
        .apply_alert_changes(&[raise], &[Channel::Webhook], 1)
        .expect("raise");
    let taken = first.pending_deliveries(2, 10).expect("due");
    assert_eq!(taken.len(), 1, "the raise is due");
    // While the first process sends it, the second runs its own round.
    assert!(
        second.pending_deliveries(3, 10).expect("due").is_empty(),
        "the notification the first process is sending is handed out again"
    );
    // A failed attempt ends the claim; the retry is anyone's once due.
    first
        .record_delivery(
            taken[0].alert.id,
            taken[0].event,
            taken[0].channel,
            &Err("refused".into()),
            4,
        )
        .expect("record");
    let retry = second.pending_deliveries(i64::MAX / 2, 10).expect("due");
    assert_eq!(retry.len(), 1, "the retry is handed out after its back-off");
    // A round that died holds its claim until the lease ends, then the notification is due again.
    let died_at = i64::MAX / 2;
    assert!(
        first
            .pending_deliveries(died_at + CLAIM_LEASE_MS - 1, 10)
            .expect("due")
            .is_empty()
    );
    assert_eq!(
        first
            .pending_deliveries(died_at + CLAIM_LEASE_MS, 10)
            .expect("due")
            .len(),
        1,
        "a dead round's claim lapses with its lease"
    );
}
