//! Unit tests of the kiosk store against real SQLite files in temporary directories.

use super::*;
use model::StandardId;

fn answer(question: Question, score: Score) -> Answer {
    Answer {
        visit_id: VisitId::new_random(),
        desk_id: "plock-wso-03".parse().expect("desk id"),
        question,
        answer: score.into(),
        reasons: vec![],
        language: LanguageTag::polish(),
        larger_text: false,
        input: InputKind::Touch,
        supersedes: None,
    }
}

fn at() -> RecordedTime {
    RecordedTime {
        wall_clock_ms: 1_763_900_000_000,
        boot_id: "b0b0b0b0-0000-4000-8000-000000000000".into(),
        boottime_ns: 42_000_000_000,
        clock_synchronized: true,
    }
}

fn open(dir: &Path) -> Store {
    Store::open(dir).expect("open store").store
}

#[test]
fn a_recorded_answer_reads_back_identically_after_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    let mut low = answer(Question::Standard(StandardId::IV), Score::BAD);
    low.reasons = vec![
        "iv-interrupted".parse().expect("code"),
        "iv-jargon".parse().expect("code"),
    ];
    let first = store
        .record(answer(Question::Overall, Score::VERY_GOOD), at())
        .expect("record");
    let mut correction = low;
    correction.supersedes = Some(first.id);
    let second = store.record(correction, at()).expect("record");
    assert_eq!((first.sequence, second.sequence), (1, 2));
    let mut not_applicable = answer(Question::Standard(StandardId::V), Score::GOOD);
    not_applicable.answer = model::Answer::NotApplicable;
    let third = store.record(not_applicable, at()).expect("record");
    drop(store);

    let store = open(dir.path());
    let mut all = Vec::new();
    store
        .for_each_record(|r| {
            all.push(r);
            Ok(())
        })
        .expect("read");
    assert_eq!(all, vec![first, second, third]);
}

#[test]
fn sequence_numbers_keep_increasing_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = open(dir.path())
        .record(answer(Question::Overall, Score::GOOD), at())
        .expect("record");
    let b = open(dir.path())
        .record(answer(Question::Overall, Score::GOOD), at())
        .expect("record");
    assert!(b.sequence > a.sequence);
}

#[test]
fn durability_pragmas_are_in_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("q");
    let sync: i64 = store
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("q");
    assert_eq!(
        (mode.as_str(), sync),
        ("wal", 2),
        "WAL with synchronous=FULL (2)"
    );
}

#[test]
fn status_counts_records_and_names_the_oldest_unsynced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    assert_eq!(store.status().expect("status").oldest_unsynced, None);
    let first = store
        .record(answer(Question::Overall, Score::BAD), at())
        .expect("record");
    store
        .record(answer(Question::Overall, Score::GOOD), at())
        .expect("record");
    let status = store.status().expect("status");
    assert_eq!((status.records, status.unsynced), (2, 2));
    assert_eq!(status.oldest_unsynced.map(|o| o.id), Some(first.id));
    assert_eq!(status.integrity, "ok");
    assert_eq!(status.schema_version, migrations::LATEST);
    assert_eq!(store.unsynced(1).expect("unsynced").len(), 1);
}

#[test]
fn export_writes_one_json_record_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    let a = store
        .record(answer(Question::Overall, Score::VERY_BAD), at())
        .expect("record");
    let b = store
        .record(
            answer(Question::Standard(StandardId::II), Score::GOOD),
            at(),
        )
        .expect("record");
    let mut not_applicable = answer(Question::Standard(StandardId::V), Score::GOOD);
    not_applicable.answer = model::Answer::NotApplicable;
    let c = store.record(not_applicable, at()).expect("record");
    let mut out = Vec::new();
    assert_eq!(store.export_json_lines(&mut out).expect("export"), 3);
    let lines: Vec<RatingRecord> = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json record"))
        .collect();
    assert_eq!(lines, vec![a, b, c]);
    assert_eq!(lines[2].answer, model::Answer::NotApplicable);
}

#[test]
fn a_corrupt_file_is_moved_aside_with_a_timestamp_not_deleted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = b"this is not a database, it is a shopping list".repeat(100);
    std::fs::write(dir.path().join(DATABASE_FILE), &garbage).expect("write garbage");
    let opened = Store::open(dir.path()).expect("opens anew");
    let moved = opened.moved_aside.expect("moved aside");
    assert!(
        moved
            .file_name()
            .expect("name")
            .to_string_lossy()
            .starts_with("kiosk.db.corrupt-")
    );
    assert_eq!(std::fs::read(&moved).expect("kept"), garbage);
    assert_eq!(opened.store.status().expect("status").records, 0);
}

#[test]
fn a_damaged_page_is_detected_and_moved_aside() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let mut store = open(dir.path());
        for _ in 0..200 {
            store
                .record(answer(Question::Overall, Score::GOOD), at())
                .expect("record");
        }
        store
            .conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
    }
    let path = dir.path().join(DATABASE_FILE);
    let mut bytes = std::fs::read(&path).expect("read");
    assert!(bytes.len() > 4096 * 3, "several pages");
    for b in &mut bytes[4096 * 2 + 8..4096 * 3 - 8] {
        *b = 0x5A;
    }
    std::fs::write(&path, &bytes).expect("damage");
    let opened = Store::open(dir.path()).expect("opens anew");
    assert!(opened.moved_aside.is_some());
}

#[test]
fn a_database_from_a_newer_kiosk_is_refused_not_touched() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(open(dir.path()));
    let conn = Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
    conn.pragma_update(None, "user_version", 99).expect("bump");
    drop(conn);
    let err = Store::open(dir.path()).expect_err("too new");
    assert!(err.to_string().contains("schema version 99"), "{err}");
}

#[test]
fn a_full_database_reports_disk_full_and_recovers_when_space_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    let pages: i64 = store
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("q");
    store
        .conn
        .pragma_update(None, "max_page_count", pages)
        .expect("limit");
    let err = (0..10_000)
        .find_map(|_| {
            store
                .record(answer(Question::Overall, Score::GOOD), at())
                .err()
        })
        .expect("fills up");
    assert!(matches!(err, StoreError::DiskFull { .. }), "{err}");
    assert!(err.is_storage_unavailable());
    assert!(
        store.probe_writable().is_err()
            || store
                .record(answer(Question::Overall, Score::GOOD), at())
                .is_err()
    );
    store
        .conn
        .pragma_update(None, "max_page_count", 1_000_000)
        .expect("unlimit");
    store.probe_writable().expect("writable again");
    store
        .record(answer(Question::Overall, Score::GOOD), at())
        .expect("records again");
}

#[test]
fn an_uncreatable_data_directory_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"").expect("file");
    let err = Store::open(&blocker.join("data")).expect_err("cannot create");
    assert!(err.is_storage_unavailable());
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

#[test]
fn acknowledged_records_leave_the_outbox_but_stay_in_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    let a = store
        .record(answer(Question::Overall, Score::GOOD), at())
        .expect("record");
    let b = store
        .record(answer(Question::Overall, Score::BAD), at())
        .expect("record");
    assert_eq!(store.acknowledge(&[a.id], 1_000).expect("ack"), 1);
    assert_eq!(
        store.acknowledge(&[a.id], 2_000).expect("ack again"),
        0,
        "idempotent"
    );
    let unsynced: Vec<_> = store
        .unsynced(10)
        .expect("unsynced")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(unsynced, vec![b.id]);
    let status = store.status().expect("status");
    assert_eq!((status.records, status.unsynced), (2, 1));
    assert_eq!(status.oldest_unsynced.map(|o| o.id), Some(b.id));
}

#[test]
fn the_last_sync_attempt_is_remembered_for_status() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    store
        .note_sync_attempt(5, Some("connection refused"))
        .expect("note");
    let status = store.status().expect("status");
    assert_eq!(
        status.last_sync_error.as_deref(),
        Some("connection refused")
    );
    assert_eq!(
        (status.last_sync_attempt_ms, status.last_sync_success_ms),
        (Some(5), None)
    );
    store.note_sync_attempt(9, None).expect("note");
    let status = store.status().expect("status");
    assert_eq!(
        (status.last_sync_success_ms, status.last_sync_error),
        (Some(9), None)
    );
}

#[test]
fn the_read_probe_sees_the_newest_record_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Store::probe_readable(dir.path()).expect_err("no database yet");
    assert!(err.to_string().contains(DATABASE_FILE), "{err}");
    assert!(
        !dir.path().join(DATABASE_FILE).exists(),
        "the probe never creates the database"
    );
    let mut store = open(dir.path());
    assert_eq!(Store::probe_readable(dir.path()).expect("empty"), 0);
    store
        .record(answer(Question::Overall, Score::BAD), at())
        .expect("first");
    let second = store
        .record(answer(Question::Overall, Score::VERY_GOOD), at())
        .expect("second");
    assert_eq!(
        Store::probe_readable(dir.path()).expect("two records"),
        second.sequence
    );
}

#[test]
fn the_outbox_counts_what_still_has_to_be_sent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    assert_eq!(store.outbox().expect("outbox"), Outbox::default());
    let ids: Vec<RecordId> = (0..3)
        .map(|_| {
            store
                .record(answer(Question::Overall, Score::GOOD), at())
                .expect("record")
                .id
        })
        .collect();
    let outbox = store.outbox().expect("outbox");
    assert_eq!(outbox.waiting, 3);
    let newest = outbox.newest_sequence.expect("a newest record");

    store.acknowledge(&ids[..1], 1).expect("acknowledge");
    store.set_aside_rejected(ids[1], "refused").expect("reject");
    assert_eq!(
        store.outbox().expect("outbox"),
        Outbox {
            waiting: 1,
            newest_sequence: Some(newest)
        },
        "acknowledged and rejected records no longer wait"
    );
}

#[test]
fn a_not_applicable_answer_that_breaks_the_records_rules_is_refused_by_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open(dir.path());
    let mut overall = answer(Question::Overall, Score::GOOD);
    overall.answer = model::Answer::NotApplicable;
    assert!(store.record(overall, at()).is_err());
    let mut with_reasons = answer(Question::Standard(StandardId::IV), Score::GOOD);
    with_reasons.answer = model::Answer::NotApplicable;
    with_reasons.reasons = vec!["iv-jargon".parse().expect("code")];
    assert!(store.record(with_reasons, at()).is_err());
    assert_eq!(store.outbox().expect("outbox").waiting, 0, "nothing stored");
}

#[test]
fn connections_opening_a_new_database_at_once_all_get_it() {
    // The kiosk's window and its sync thread open the store at first start: one sets the new
    // database up (WAL, migrations) while the other is told "locked" at once by SQLite.
    for _ in 0..20 {
        let dir = tempfile::tempdir().expect("temp dir");
        let start = std::sync::Barrier::new(4);
        std::thread::scope(|scope| {
            let openers: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        Store::open(dir.path()).map(|opened| opened.moved_aside)
                    })
                })
                .collect();
            for opener in openers {
                let opened = opener.join().expect("no panic");
                assert!(
                    matches!(opened, Ok(None)),
                    "an open beside another failed: {opened:?}"
                );
            }
        });
    }
}
