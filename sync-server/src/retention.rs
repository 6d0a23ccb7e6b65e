//! The retention job `sync-server serve` runs: every [`PURGE_EVERY`], the answers older than
//! `[privacy] answer_retention_months` are deleted while the rollups stay (`sync-server purge`
//! runs one round by hand). The SQL is in `storage/sqlite/retention.rs`.

use std::time::Duration;

use crate::analytics::Filter;
use crate::storage::{PurgeSummary, Storage, StorageError};

/// How often the server purges: hourly, so a day's answers go within an hour of expiring.
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// One purge as of today (Europe/Warsaw), logged when it deleted anything.
pub async fn purge_now(
    storage: &Storage,
    retention_months: u32,
) -> Result<PurgeSummary, StorageError> {
    let summary = storage.purge(retention_months, Filter::today()).await?;
    if summary.answers > 0 || summary.conflicts > 0 {
        tracing::info!(
            before_day = summary.before_day,
            answers = summary.answers,
            conflicts = summary.conflicts,
            "answers past their retention deleted; rollups kept"
        );
    }
    Ok(summary)
}

/// Purges every `every` until the task is dropped; a failed round is logged and retried at the
/// next.
pub async fn run(storage: Storage, retention_months: u32, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = purge_now(&storage, retention_months).await {
            tracing::error!(error = %error, "retention purge failed");
        }
    }
}
