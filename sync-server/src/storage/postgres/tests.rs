//! What the PostgreSQL backend does beyond the conformance suite: the retention purge keeps ids
//! taken and rollups as they were; a department report is queued and claimed once.

use model::wire::RecordOutcome;
use model::{Answer, Question, Score};

use crate::access::{Role, Scope};
use crate::lang::Lang;
use crate::storage::NewUser;
use crate::storage::conformance::{MONDAY_8_UTC, enroll, record, send, set_up};

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
