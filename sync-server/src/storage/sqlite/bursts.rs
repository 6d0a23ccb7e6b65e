//! Bursts in the answers table: after a batch, the overall ratings near the ones it stored are
//! read back and those [`members`] finds in a burst flagged and moved to the rollups' `burst = 1`
//! cells (the rule itself is `crate::counting::bursts`).

use rusqlite::{Transaction, params};

use super::tally::load_counted;
use crate::counting::bursts::{BURST_WINDOW_MS, Nearby, members};
use crate::counting::tally::{Counted, Tally};
use crate::storage::StorageError;

/// After a batch stored overall ratings of `kiosk_id` placed between `first_ms` and `last_ms`
/// (one of the batch's `spans`): flags every overall rating of that kiosk that is now part of a
/// burst and moves the counted ones to the burst cells of the rollups. One query and one pass per
/// span. A flag is never cleared: answers are only ever added.
pub(super) fn flag_between(
    tx: &Transaction<'_>,
    kiosk_id: &str,
    first_ms: i64,
    last_ms: i64,
    tally: &mut Tally,
) -> Result<(), StorageError> {
    let nearby = tx
        .prepare_cached(
            // The question is written out, not bound: the index holds overall ratings only.
            "SELECT id, event_utc_ms, visit_id, burst FROM answers INDEXED BY answers_overall_time
             WHERE kiosk_id = ?1 AND question = 'overall' AND event_utc_ms BETWEEN ?2 AND ?3
             ORDER BY event_utc_ms",
        )?
        .query_map(
            params![
                kiosk_id,
                first_ms - BURST_WINDOW_MS,
                last_ms + BURST_WINDOW_MS
            ],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Nearby {
                        event_utc_ms: r.get(1)?,
                        visit_id: r.get(2)?,
                    },
                    r.get::<_, bool>(3)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let ratings: Vec<Nearby> = nearby.iter().map(|(_, n, _)| n.clone()).collect();
    for ((id, _, flagged), member) in nearby.iter().zip(members(&ratings)) {
        if !member || *flagged {
            continue;
        }
        let Some((before, counted)) = load_counted(tx, id)? else {
            continue;
        };
        tx.prepare_cached("UPDATE answers SET burst = 1 WHERE id = ?1")?
            .execute([id])?;
        if counted {
            let after = Counted {
                burst: true,
                ..before.clone()
            };
            tally
                .change(&before, &after)
                .map_err(StorageError::Corrupt)?;
        }
    }
    Ok(())
}
