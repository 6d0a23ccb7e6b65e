//! Sync: the kiosk's side of getting every stored answer to the aggregator exactly once.
//!
//! The outbox is the store's `answers` table. A record is marked synced only when the aggregator's
//! receipt says it holds that id (stored, duplicate or conflict); failures are retried with
//! exponential backoff and full jitter, for as long as records wait. Only this module and the
//! server speak HTTP.

mod backoff;
mod client;
mod enrollment;
mod push;
mod service;
mod status;
pub mod survey;

pub use backoff::Backoff;
pub use client::{SyncClient, SyncError};
pub use enrollment::{Enrollment, EnrollmentError};
pub use push::{BATCH_SIZE, PushReport, push_backlog};
pub use service::{OnConfig, SyncService};
pub use status::{EnrollmentState, OnStatus, SyncStatus};

/// The heartbeat that reports this store's backlog and the last sync error.
pub fn heartbeat(
    status: crate::store::StoreStatus,
    clock: &dyn crate::clock::Clock,
) -> model::wire::Heartbeat {
    model::wire::Heartbeat {
        kiosk_version: env!("CARGO_PKG_VERSION").to_owned(),
        backlog: status.unsynced,
        oldest_unsynced_ms: status.oldest_unsynced.map(|o| o.wall_clock_ms),
        last_error: status.last_sync_error,
        clock: clock.now(),
    }
}
