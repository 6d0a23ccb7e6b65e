//! Retention: answers placed on a Europe/Warsaw day before the cutoff are deleted, a desk at a
//! time in transactions of at most [`PURGE_CHUNK`] answers (so ingest never waits long for the
//! writer), each leaving a tombstone in `purged_answers` (id, kiosk, content hash, the id it
//! corrected) so the id stays unique forever. The rollups are not touched: the dashboard and the
//! reports read only them, so history stays as it was. Conflict logs, which hold whole records,
//! go by the same cutoff (by when they were received).
//!
//! Nothing re-derives rollups from answers later in a way a purge could break: a boot's
//! approximate answers are re-placed only while they exist (a purged one stays where it was
//! counted); bursts are flagged among the answers a batch stores and their stored neighbours
//! within seconds, which moves only rows still stored; a correction of a purged answer, or an
//! original whose correction was purged, is kept uncounted so the purged one is never counted
//! twice; and a record re-sent after the purge is a duplicate (`ingest.rs`).

use rusqlite::{Connection, Transaction, params};

use crate::storage::StorageError;

/// The writer's `secure_delete` outside a purge (see `configure` in `sqlite.rs`), restored
/// after each purge turns it fully on.
const WRITER_SECURE_DELETE: &str = "FAST";

/// Answers deleted per transaction at most.
pub const PURGE_CHUNK: usize = 5_000;

/// The desks that have answers before `before_day`.
pub(super) fn desks_with_old_answers(
    conn: &Connection,
    before_day: &str,
) -> Result<Vec<String>, StorageError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM desks ORDER BY id")?;
    let desks: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut old = Vec::new();
    for desk in desks {
        let any: bool = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM answers INDEXED BY answers_desk_day
                 WHERE desk_id = ?1 AND local_day < ?2)",
            )?
            .query_row(params![desk, before_day], |r| r.get(0))?;
        if any {
            old.push(desk);
        }
    }
    Ok(old)
}

/// Deletes up to [`PURGE_CHUNK`] of `desk`'s answers before `before_day`, leaving their
/// tombstones; returns how many.
pub(super) fn purge_chunk(
    tx: &Transaction<'_>,
    desk: &str,
    before_day: &str,
) -> Result<usize, StorageError> {
    let chunk = i64::try_from(PURGE_CHUNK).unwrap_or(i64::MAX);
    // Deleted answers are overwritten in the file, not left in free pages.
    tx.pragma_update(None, "secure_delete", true)?;
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS purging (id TEXT PRIMARY KEY) WITHOUT ROWID;
         DELETE FROM temp.purging;",
    )?;
    tx.prepare_cached(
        "INSERT INTO temp.purging (id)
         SELECT id FROM answers INDEXED BY answers_desk_day
         WHERE desk_id = ?1 AND local_day < ?2 LIMIT ?3",
    )?
    .execute(params![desk, before_day, chunk])?;
    tx.prepare_cached(
        "INSERT INTO purged_answers (id, kiosk_id, content_sha256, supersedes)
         SELECT a.id, a.kiosk_id, a.content_sha256, a.supersedes
         FROM temp.purging p JOIN answers a ON a.id = p.id
         ON CONFLICT (id) DO NOTHING",
    )?
    .execute([])?;
    let deleted = tx
        .prepare_cached("DELETE FROM answers WHERE id IN (SELECT id FROM temp.purging)")?
        .execute([])?;
    tx.pragma_update(None, "secure_delete", WRITER_SECURE_DELETE)?;
    Ok(deleted)
}

/// Deletes the conflict logs received before `before_ms`.
pub(super) fn purge_conflicts(tx: &Transaction<'_>, before_ms: i64) -> Result<usize, StorageError> {
    tx.pragma_update(None, "secure_delete", true)?;
    let deleted = tx
        .prepare_cached("DELETE FROM conflicts WHERE received_at_ms < ?1")?
        .execute([before_ms])?;
    tx.pragma_update(None, "secure_delete", WRITER_SECURE_DELETE)?;
    Ok(deleted)
}

/// After a purge: copies every page into the database file and truncates the write-ahead log,
/// which still holds the pages as they were before the purge (with the deleted answers) until
/// it is overwritten. A reader still on an older snapshot (a long export) keeps the log from
/// being truncated: then it is left for the next purge and the log is emptied later, as
/// SQLite reuses it.
pub(super) fn empty_write_ahead_log(writer: &Connection) -> Result<(), StorageError> {
    let (busy, _, _): (bool, i64, i64) =
        writer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy {
        tracing::warn!(
            "after the purge, a reader kept the write-ahead log from being emptied: the deleted \
             answers' old pages stay in it until SQLite overwrites them"
        );
    }
    Ok(())
}
