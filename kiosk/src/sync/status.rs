//! What the sync thread tells the rest of the kiosk after each round: whether the kiosk is
//! enrolled (and still accepted) and how many answers wait to be sent. The status LED is made
//! from it.

use crate::store::Outbox;

/// The kiosk's standing with the aggregator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollmentState {
    /// No enrollment file (or an unreadable one): answers cannot leave this kiosk.
    NotEnrolled,
    /// Enrolled; the last request was not refused for its token.
    Enrolled,
    /// The aggregator refused this kiosk's token (revoked, or enrolled elsewhere).
    Refused,
}

/// One sync round's findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStatus {
    pub enrollment: EnrollmentState,
    /// The outbox after the round; `None` if the store could not be read.
    pub outbox: Option<Outbox>,
}

/// Receives each round's [`SyncStatus`] (on the sync thread).
pub type OnStatus = Box<dyn Fn(SyncStatus) + Send>;
