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

#[test]
fn a_rejected_record_plants_no_anchor_for_its_boot() {
    use crate::storage::conformance::MONDAY_8_UTC;
    const HOUR: i64 = 3_600_000;
    let fresh = set_up(super::conformance::open);
    let db = &*fresh.db;
    let kiosk = enroll(db, "plock-wso-01", 1);
    // Rejected (its boot time is above i64::MAX), but its clock claims to be synchronised.
    let mut absurd = record(
        "plock-wso-01",
        Question::Overall,
        Answer::Score(Score::GOOD),
        MONDAY_8_UTC + 2 * 24 * HOUR,
    );
    absurd.recorded.boot_id = "boot-2".into();
    absurd.recorded.boottime_ns = u64::MAX;
    // The same boot's real answer, on Wednesday by its unsynchronised wall clock.
    let mut wednesday = record(
        "plock-wso-01",
        Question::Overall,
        Answer::Score(Score::GOOD),
        MONDAY_8_UTC + 2 * 24 * HOUR + HOUR,
    );
    wednesday.recorded.boot_id = "boot-2".into();
    wednesday.recorded.boottime_ns = 3_600_000_000_000;
    wednesday.recorded.clock_synchronized = false;
    // Delivered by a later boot, begun an hour before, with no clock to anchor boot-2 by.
    let received_ms = MONDAY_8_UTC + 20 * 24 * HOUR;
    let batch = model::wire::RecordBatch {
        sent: model::RecordedTime {
            wall_clock_ms: received_ms,
            boot_id: "boot-3".into(),
            boottime_ns: 3_600_000_000_000,
            clock_synchronized: false,
        },
        records: vec![absurd, wednesday],
    };
    let outcomes: Vec<RecordOutcome> = db
        .ingest(&kiosk, &batch, received_ms)
        .expect("ingest")
        .results
        .into_iter()
        .map(|r| r.outcome)
        .collect();
    assert!(matches!(outcomes[0], RecordOutcome::Rejected { .. }));
    assert_eq!(outcomes[1], RecordOutcome::Stored);
    let days: Vec<String> = db
        .rollups(&"plock-wso-01".parse().expect("desk"))
        .expect("rollups")
        .into_iter()
        .map(|r| r.day)
        .collect();
    assert_eq!(
        days,
        ["2026-11-25"],
        "placed by its own wall clock, not by the rejected record's anchor"
    );
}

#[test]
fn a_write_behind_a_stuck_lock_holder_is_busy_within_max_wait() {
    let fresh = set_up(super::conformance::open);
    let database = fresh
        .keep_alive
        .downcast_ref::<throwaway_postgres::TestDatabase>()
        .expect("the throwaway database");
    // Another process took the write lock and then stopped answering (frozen, or cut off).
    let mut stuck = database.config().connect(postgres::NoTls).expect("connect");
    let mut holding = stuck.transaction().expect("begin");
    holding
        .execute("SELECT pg_advisory_xact_lock($1)", &[&super::WRITE_LOCK])
        .expect("lock");
    let db = std::sync::Arc::clone(&fresh.db);
    let (done, outcome) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(db.rename_office("plock", "Płock").map(|_| ()));
    });
    let waited = outcome.recv_timeout(crate::storage::Connections::default().max_wait * 3);
    holding.rollback().expect("release the lock");
    let _ = outcome.recv();
    match waited {
        Ok(Err(error)) => assert!(error.busy().is_some(), "{error}"),
        other => panic!("a write behind a stuck lock holder: {other:?}, not busy within max_wait"),
    }
}

#[test]
fn a_write_reads_what_the_write_before_it_committed_whatever_the_database_default_isolation() {
    let fresh = set_up(super::conformance::open);
    let database = fresh
        .keep_alive
        .downcast_ref::<throwaway_postgres::TestDatabase>()
        .expect("the throwaway database");
    let mut admin = database.config().connect(postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} SET default_transaction_isolation = 'repeatable read'",
            database.name()
        ))
        .expect("a database whose administrator chose repeatable read");
    // Opened after the change, so its connections start with it.
    let db = std::sync::Arc::new(
        super::PostgresBackend::open(&database.config(), &crate::storage::Connections::default())
            .expect("open"),
    );
    // The write before: holds the lock while the next write queues behind it.
    let mut before = database.config().connect(postgres::NoTls).expect("connect");
    let mut holding = before.transaction().expect("begin");
    holding
        .execute("SELECT pg_advisory_xact_lock($1)", &[&super::WRITE_LOCK])
        .expect("lock");
    let next = std::sync::Arc::clone(&db);
    let adding = std::thread::spawn(move || {
        crate::storage::Backend::add_department(&*next, "plock", "new", "Nowy")
    });
    while admin
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
            &[],
        )
        .expect("locks")
        .get::<_, i64>(0)
        == 0
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    holding
        .execute(
            "INSERT INTO departments (office_id, id, name) VALUES ('plock', 'new', 'Nowy')",
            &[],
        )
        .expect("the write before adds it");
    holding.commit().expect("commit");
    let added = adding.join().expect("no panic");
    match added {
        Err(crate::storage::StorageError::Invalid(why)) => {
            assert!(why.contains("already exists"), "{why}");
        }
        other => panic!("the department the write before added: {other:?}"),
    }
}

#[test]
fn a_write_is_refused_once_a_newer_server_migrated_the_database() {
    let fresh = set_up(super::conformance::open);
    let database = fresh
        .keep_alive
        .downcast_ref::<throwaway_postgres::TestDatabase>()
        .expect("the throwaway database");
    let mut newer = database.config().connect(postgres::NoTls).expect("connect");
    newer
        .execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&(super::schema::latest_version() + 1)],
        )
        .expect("a newer server's migration");
    let refused = fresh
        .db
        .rename_office("plock", "Płock")
        .expect_err("written by code that would misread the newer tables");
    assert!(refused.to_string().contains("newer"), "{refused}");
}

#[test]
fn a_connection_ended_by_the_server_mid_write_is_busy_and_the_next_write_reconnects() {
    let fresh = set_up(super::conformance::open);
    let database = fresh
        .keep_alive
        .downcast_ref::<throwaway_postgres::TestDatabase>()
        .expect("the throwaway database");
    let mut admin = database.config().connect(postgres::NoTls).expect("connect");
    let mut holding = admin.transaction().expect("begin");
    holding
        .execute("SELECT pg_advisory_xact_lock($1)", &[&super::WRITE_LOCK])
        .expect("lock");
    let db = std::sync::Arc::clone(&fresh.db);
    let writing = std::thread::spawn(move || db.rename_office("plock", "Płock"));
    // The server ends the waiting write's connection, as a restart or an administrator does.
    let mut other = database.config().connect(postgres::NoTls).expect("connect");
    loop {
        let ended: i64 = other
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks
                 WHERE locktype = 'advisory' AND NOT granted",
                &[],
            )
            .expect("terminate")
            .get(0);
        if ended > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let ended = writing.join().expect("no panic");
    holding.rollback().expect("release");
    assert!(
        fresh
            .db
            .rename_office("plock", "Płock")
            .expect("the next write has a working connection")
    );
    let error = ended.expect_err("its connection was ended");
    assert!(error.busy().is_some(), "{error:?}");
}
