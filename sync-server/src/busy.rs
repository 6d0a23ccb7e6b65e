//! What a request gets when a bounded resource is full (a database connection, an export slot, a
//! password-hashing slot): [`Busy`] names it and says when to retry; the API and the dashboard
//! answer it with 503 Service Unavailable and `Retry-After`, never by waiting without limit.

use std::time::Duration;

use crate::rate_limit::RetryAfter;

/// How long a client is told to wait when something was busy: the waits are short, so a few
/// seconds is enough for one to end.
pub const BUSY_RETRY_AFTER: RetryAfter = RetryAfter(Duration::from_secs(2));

/// A bounded resource that had no room within its wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("busy: no {what} free")]
pub struct Busy {
    /// What was full, for logs: "database connection", "export slot", "password-hashing slot".
    pub what: &'static str,
}

impl Busy {
    /// The `Retry-After` to answer with.
    pub fn retry_after(self) -> RetryAfter {
        BUSY_RETRY_AFTER
    }
}
