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
