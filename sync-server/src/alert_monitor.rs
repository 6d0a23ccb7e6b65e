//! The alert monitor: every `check_every`, evaluates each rule against fresh readings, applies
//! the raises and clears, then sends the notifications that are due (retrying failed ones with
//! back-off). Runs inside `sync-server serve`; `sync-server alerts check` runs one round. It
//! stands above storage; the rules in [`crate::alerts`] know nothing of storage or of it.

use std::time::Duration;

use crate::alerts::delivery::{Channels, Notification};
use crate::alerts::evaluate;
use crate::storage::{Storage, StorageError};

/// Notifications sent per round at most; the rest wait for the next round.
const DELIVERIES_PER_ROUND: usize = 100;

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundSummary {
    pub raised_or_cleared: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// Evaluates the rules and delivers notifications.
#[derive(Clone)]
pub struct Monitor {
    storage: Storage,
    channels: Channels,
}

impl Monitor {
    pub fn new(storage: Storage, channels: Channels) -> Monitor {
        Monitor { storage, channels }
    }

    /// One evaluation and delivery round at `now_ms`.
    pub async fn round(&self, now_ms: i64) -> Result<RoundSummary, StorageError> {
        let mut summary = RoundSummary::default();
        let open = self.storage.open_alerts().await?;
        for rule in self.storage.alert_rules().await? {
            let readings = if rule.enabled {
                self.storage.alert_readings(rule.clone(), now_ms).await?
            } else {
                Vec::new()
            };
            let changes = evaluate(&rule, &readings, &open, now_ms, self.storage.disclosure());
            if !changes.is_empty() {
                summary.raised_or_cleared += self
                    .storage
                    .apply_alert_changes(changes, self.channels.configured(), now_ms)
                    .await?;
            }
        }
        for pending in self
            .storage
            .pending_deliveries(now_ms, DELIVERIES_PER_ROUND)
            .await?
        {
            let notification = Notification {
                event: pending.event,
                alert: pending.alert,
            };
            let outcome = self.channels.deliver(pending.channel, &notification).await;
            match &outcome {
                Ok(()) => summary.delivered += 1,
                Err(error) => {
                    summary.failed += 1;
                    tracing::warn!(
                        alert = notification.alert.id,
                        channel = pending.channel.as_str(),
                        attempt = pending.attempts + 1,
                        error,
                        "alert notification not delivered"
                    );
                }
            }
            self.storage
                .record_delivery(
                    notification.alert.id,
                    notification.event,
                    pending.channel,
                    outcome,
                    now_ms,
                )
                .await?;
        }
        Ok(summary)
    }

    /// Runs a round every `every` until the task is dropped; a failed round is logged and the
    /// next one tries again.
    pub async fn run(self, every: Duration) {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match self.round(chrono::Utc::now().timestamp_millis()).await {
                Ok(summary) if summary != RoundSummary::default() => {
                    tracing::info!(
                        changes = summary.raised_or_cleared,
                        delivered = summary.delivered,
                        failed = summary.failed,
                        "alert round"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::error!(error = %error, "alert round failed"),
            }
        }
    }
}
