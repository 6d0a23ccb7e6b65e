//! The kiosk database's schema, versioned with `PRAGMA user_version`: each migration runs once, in
//! order, inside the transaction that bumps the version.

use rusqlite::{Connection, TransactionBehavior};

/// Migration N (1-based) brings the schema from version N-1 to N. Append only; never edit one
/// that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: the answers buffer (also the sync outbox) and the writability probe.
    "CREATE TABLE answers (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        visit_id TEXT NOT NULL,
        desk_id TEXT NOT NULL,
        question TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 4),
        reasons TEXT NOT NULL,
        language TEXT NOT NULL,
        larger_text INTEGER NOT NULL CHECK (larger_text IN (0, 1)),
        input TEXT NOT NULL CHECK (input IN ('touch', 'button')),
        supersedes TEXT REFERENCES answers (id),
        wall_clock_ms INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        boottime_ns INTEGER NOT NULL,
        clock_synchronized INTEGER NOT NULL CHECK (clock_synchronized IN (0, 1)),
        synced_at_ms INTEGER
    ) STRICT;
    CREATE INDEX answers_unsynced ON answers (sequence) WHERE synced_at_ms IS NULL;
    CREATE TABLE health (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_write_ms INTEGER NOT NULL
    ) STRICT;",
    // 2: what the sync client knows, for `kiosk status` in another process.
    "CREATE TABLE sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_attempt_ms INTEGER,
        last_success_ms INTEGER,
        last_error TEXT
    ) STRICT;
    INSERT INTO sync_state (id) VALUES (1);
    -- The aggregator refused the record (e.g. a desk the kiosk no longer belongs to): kept, not resent.
    ALTER TABLE answers ADD COLUMN rejected_reason TEXT;",
    // 3: "does not apply" answers: `score` may be NULL when `not_applicable` is 1 (a standard's
    // question only, never with reasons). SQLite cannot relax NOT NULL in place, so the table is
    // rebuilt: the old one is renamed (its self-reference follows the rename), every row is
    // copied in sequence order (a correction always follows what it supersedes, so the foreign
    // key holds row by row), the old table dropped. Sequence numbers and sync state are kept.
    "ALTER TABLE answers RENAME TO answers_v2;
    DROP INDEX answers_unsynced;
    CREATE TABLE answers (
        sequence INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        visit_id TEXT NOT NULL,
        desk_id TEXT NOT NULL,
        question TEXT NOT NULL,
        score INTEGER CHECK (score BETWEEN 1 AND 4),
        not_applicable INTEGER NOT NULL DEFAULT 0 CHECK (not_applicable IN (0, 1)),
        reasons TEXT NOT NULL,
        language TEXT NOT NULL,
        larger_text INTEGER NOT NULL CHECK (larger_text IN (0, 1)),
        input TEXT NOT NULL CHECK (input IN ('touch', 'button')),
        supersedes TEXT REFERENCES answers (id),
        wall_clock_ms INTEGER NOT NULL,
        boot_id TEXT NOT NULL,
        boottime_ns INTEGER NOT NULL,
        clock_synchronized INTEGER NOT NULL CHECK (clock_synchronized IN (0, 1)),
        synced_at_ms INTEGER,
        rejected_reason TEXT,
        CHECK ((score IS NULL) = (not_applicable = 1)),
        CHECK (not_applicable = 0 OR (question <> 'overall' AND reasons = ''))
    ) STRICT;
    INSERT INTO answers (sequence, id, visit_id, desk_id, question, score, not_applicable,
        reasons, language, larger_text, input, supersedes, wall_clock_ms, boot_id, boottime_ns,
        clock_synchronized, synced_at_ms, rejected_reason)
    SELECT sequence, id, visit_id, desk_id, question, score, 0, reasons, language, larger_text,
        input, supersedes, wall_clock_ms, boot_id, boottime_ns, clock_synchronized,
        synced_at_ms, rejected_reason
    FROM answers_v2 ORDER BY sequence;
    DROP TABLE answers_v2;
    CREATE INDEX answers_unsynced ON answers (sequence) WHERE synced_at_ms IS NULL;",
];

/// The schema version this build writes.
pub(super) const LATEST: i64 = MIGRATIONS.len() as i64;

pub(super) fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Outcome of [`migrate`]: either done, or the file is newer than this kiosk.
pub(super) enum Migrated {
    UpToDate { from: i64 },
    TooNew { found: i64 },
}

pub(super) fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let from = current_version(conn)?;
    if from > LATEST {
        return Ok(Migrated::TooNew { found: from });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process (the kiosk itself, `kiosk status`) may have migrated since the version
        // was read: read it again now that this transaction holds the write lock.
        if current_version(&tx)? >= version {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(Migrated::UpToDate { from })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brings a fresh database to `version` only, as an older kiosk left it.
    fn at_version(conn: &mut Connection, version: usize) {
        for (index, sql) in MIGRATIONS.iter().enumerate().take(version) {
            conn.execute_batch(sql).expect("older migration");
            conn.pragma_update(None, "user_version", index as i64 + 1)
                .expect("version");
        }
    }

    /// What a kiosk of schema 2 buffered: sequence, id, score, reasons, supersedes, synced at,
    /// rejection.
    type Buffered = (
        i64,
        String,
        i64,
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
    );

    fn buffered(conn: &Connection, condition: &str) -> Vec<Buffered> {
        conn.prepare(&format!(
            "SELECT sequence, id, score, reasons, supersedes, synced_at_ms, rejected_reason
             FROM answers WHERE {condition} ORDER BY sequence"
        ))
        .expect("select")
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read")
    }

    #[test]
    fn buffered_answers_survive_the_not_applicable_migration() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = Connection::open(dir.path().join("kiosk.db")).expect("open");
        conn.pragma_update(None, "foreign_keys", true).expect("fks");
        at_version(&mut conn, 2);
        // An overall rating already synced, a low score, and its reasons set aside as rejected.
        conn.execute_batch(
            "INSERT INTO answers (id, visit_id, desk_id, question, score, reasons, language,
                larger_text, input, supersedes, wall_clock_ms, boot_id, boottime_ns,
                clock_synchronized, synced_at_ms, rejected_reason) VALUES
             ('a', 'v', 'plock-wso-03', 'overall', 4, '', 'uk', 1, 'button', NULL, 1000, 'b', 7,
                1, 5, NULL),
             ('b', 'v', 'plock-wso-03', 'IV', 1, '', 'uk', 1, 'button', NULL, 1000, 'b', 8, 1,
                NULL, NULL),
             ('c', 'v', 'plock-wso-03', 'IV', 1, 'iv-jargon', 'uk', 1, 'button', 'b', 1000, 'b',
                9, 1, NULL, 'unknown desk');",
        )
        .expect("old rows");
        let before = buffered(&conn, "1");
        assert_eq!(before.len(), 3);

        migrate(&mut conn).expect("migrated");
        assert_eq!(current_version(&conn).expect("version"), LATEST);
        assert_eq!(buffered(&conn, "not_applicable = 0"), before);
        let unsynced: i64 = conn
            .query_row(
                "SELECT count(*) FROM answers INDEXED BY answers_unsynced WHERE synced_at_ms IS NULL",
                [],
                |r| r.get(0),
            )
            .expect("the outbox index is back");
        assert_eq!(unsynced, 2);

        // The next answer continues the sequence; "does not apply" fits, and only as it may.
        conn.execute(
            "INSERT INTO answers (id, visit_id, desk_id, question, score, not_applicable, reasons,
                language, larger_text, input, wall_clock_ms, boot_id, boottime_ns,
                clock_synchronized) VALUES ('d', 'v', 'plock-wso-03', 'V', NULL, 1, '', 'pl', 0,
                'touch', 1, 'b', 8, 1)",
            [],
        )
        .expect("a not-applicable answer");
        assert_eq!(conn.last_insert_rowid(), 4);
        for refused in [
            "'overall', NULL, 1, ''",
            "'V', NULL, 1, 'v-x'",
            "'V', 3, 1, ''",
            "'V', NULL, 0, ''",
        ] {
            let sql = format!(
                "INSERT INTO answers (id, visit_id, desk_id, question, score, not_applicable,
                    reasons, language, larger_text, input, wall_clock_ms, boot_id, boottime_ns,
                    clock_synchronized) VALUES ('e', 'v', 'plock-wso-03', {refused}, 'pl', 0,
                    'touch', 1, 'b', 9, 1)"
            );
            assert!(conn.execute(&sql, []).is_err(), "accepted {refused}");
        }
        let fk_problems: i64 = conn
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .expect("fk check");
        assert_eq!(fk_problems, 0);
    }

    #[test]
    fn two_processes_opening_a_new_file_at_once_both_migrate_it_once() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("kiosk.db");
            let start = std::sync::Arc::new(std::sync::Barrier::new(2));
            let openers: Vec<_> = (0..2)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        let mut conn = Connection::open(&path).expect("open");
                        conn.busy_timeout(std::time::Duration::from_secs(5))
                            .expect("busy timeout");
                        start.wait();
                        migrate(&mut conn).map(|_| ())
                    })
                })
                .collect();
            for opener in openers {
                opener.join().expect("thread").expect("migrated");
            }
            let conn = Connection::open(&path).expect("open");
            assert_eq!(current_version(&conn).expect("version"), LATEST);
        }
    }
}
