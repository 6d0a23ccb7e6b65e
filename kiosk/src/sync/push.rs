//! Draining the outbox: batches of the oldest unsynced records go to the aggregator, and only
//! the ids its receipt says it holds are marked synced.

use std::collections::HashSet;

use model::RecordId;
use model::wire::{RecordBatch, RecordOutcome};

use super::client::{SyncClient, SyncError};
use crate::clock::Clock;
use crate::store::Store;

/// Records per batch (the server accepts up to `model::wire::MAX_BATCH_RECORDS`).
pub const BATCH_SIZE: usize = 200;

/// What one drain achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushReport {
    pub batches: usize,
    /// Records the aggregator now holds (stored, duplicate or conflict).
    pub settled: usize,
    /// Records the aggregator refused; kept locally, set aside, not resent.
    pub rejected: usize,
}

/// Sends the whole backlog, oldest first, until the outbox is empty or a step fails.
pub fn push_backlog(
    store: &mut Store,
    client: &SyncClient,
    clock: &dyn Clock,
) -> Result<PushReport, SyncError> {
    let mut report = PushReport::default();
    loop {
        let records = store.unsynced(BATCH_SIZE)?;
        if records.is_empty() {
            return Ok(report);
        }
        let sent_ids: HashSet<RecordId> = records.iter().map(|r| r.id).collect();
        // The send time is stamped at each attempt, so the server can place the records in time.
        let batch = RecordBatch {
            sent: clock.now(),
            records,
        };
        let receipt = client.send_batch(&batch)?;
        report.batches += 1;

        let mut settled = Vec::new();
        for result in receipt.results {
            if !sent_ids.contains(&result.id) {
                tracing::warn!(id = %result.id, "the receipt names a record that was not sent; ignored");
                continue;
            }
            match result.outcome {
                RecordOutcome::Rejected { reason } => {
                    tracing::error!(id = %result.id, %reason, "the aggregator rejected a record; it is kept locally");
                    store.set_aside_rejected(result.id, &reason)?;
                    report.rejected += 1;
                }
                RecordOutcome::Conflict => {
                    tracing::warn!(id = %result.id, "the aggregator holds a different record with this id");
                    settled.push(result.id);
                }
                RecordOutcome::Stored | RecordOutcome::Duplicate => settled.push(result.id),
            }
        }
        let now_ms = clock.now().wall_clock_ms;
        report.settled += store.acknowledge(&settled, now_ms)?;
        if settled.is_empty() && report.rejected == 0 {
            // The server answered but took nothing: do not spin on the same batch.
            return Err(SyncError::Refused {
                status: 200,
                error: "empty_receipt".into(),
                message: "the aggregator acknowledged none of the batch".into(),
            });
        }
    }
}
