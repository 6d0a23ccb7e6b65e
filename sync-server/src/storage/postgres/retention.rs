//! Retention on PostgreSQL, as SQLite's (`sqlite/retention.rs`, which says why nothing a purge
//! leaves breaks exactly-once): answers placed on a Europe/Warsaw day before the cutoff are
//! deleted a desk at a time in transactions of at most [`PURGE_CHUNK`], each leaving its
//! tombstone in `purged_answers`; the rollups stay; conflict logs go by the same cutoff.

use postgres::{GenericClient, Transaction};

use crate::storage::StorageError;

/// Answers deleted per transaction at most.
pub const PURGE_CHUNK: usize = 5_000;

/// The desks that have answers before `before_day`.
pub(super) fn desks_with_old_answers(
    conn: &mut impl GenericClient,
    before_day: &str,
) -> Result<Vec<String>, StorageError> {
    Ok(conn
        .query(
            "SELECT d.id FROM desks d WHERE EXISTS (
                 SELECT 1 FROM answers a WHERE a.desk_id = d.id AND a.local_day < $1)
             ORDER BY d.id",
            &[&before_day],
        )?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// Deletes up to [`PURGE_CHUNK`] of `desk`'s answers before `before_day`, leaving their
/// tombstones; returns how many.
pub(super) fn purge_chunk(
    tx: &mut Transaction<'_>,
    desk: &str,
    before_day: &str,
) -> Result<usize, StorageError> {
    let chunk = i64::try_from(PURGE_CHUNK).unwrap_or(i64::MAX);
    let deleted = tx.execute(
        "WITH purging AS (
             SELECT id FROM answers WHERE desk_id = $1 AND local_day < $2 LIMIT $3
         ), tombstones AS (
             INSERT INTO purged_answers (id, kiosk_id, content_sha256, supersedes)
             SELECT a.id, a.kiosk_id, a.content_sha256, a.supersedes
             FROM answers a JOIN purging p ON p.id = a.id
             ON CONFLICT (id) DO NOTHING
         )
         DELETE FROM answers WHERE id IN (SELECT id FROM purging)",
        &[&desk, &before_day, &chunk],
    )?;
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}

/// Deletes the conflict logs received before `before_ms`.
pub(super) fn purge_conflicts(
    tx: &mut Transaction<'_>,
    before_ms: i64,
) -> Result<usize, StorageError> {
    let deleted = tx.execute(
        "DELETE FROM conflicts WHERE received_at_ms < $1",
        &[&before_ms],
    )?;
    Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
}
