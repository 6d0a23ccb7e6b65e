//! PostgreSQL's errors turned into the seam's engine-neutral [`EngineError`]: its message and
//! those beneath it kept, a serialization failure or deadlock (worth retrying) kept as busy, no
//! `postgres` type above the backend.

use crate::storage::{EngineError, StorageError};

impl From<postgres::Error> for EngineError {
    fn from(error: postgres::Error) -> EngineError {
        use postgres::error::SqlState;
        // Worth retrying: contention, and a connection the server ended or could not give yet
        // (a restart, an administrator, a failover: class 08 and the shutdown codes); the pool
        // drops a closed connection and the next request connects afresh.
        let busy = error.is_closed()
            || error.code().is_some_and(|code| {
                [
                    SqlState::T_R_SERIALIZATION_FAILURE,
                    SqlState::T_R_DEADLOCK_DETECTED,
                    SqlState::LOCK_NOT_AVAILABLE,
                    SqlState::TOO_MANY_CONNECTIONS,
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                    SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
                ]
                .contains(code)
                    || code.code().starts_with("08")
            });
        let mut message = match error.as_db_error() {
            Some(db) => format!("{}: {}", db.severity(), db.message()),
            None => error.to_string(),
        };
        let mut beneath = std::error::Error::source(&error);
        while let Some(cause) = beneath {
            let cause_text = cause.to_string();
            if !message.contains(&cause_text) {
                message.push_str(": ");
                message.push_str(&cause_text);
            }
            beneath = cause.source();
        }
        EngineError { message, busy }
    }
}

impl From<postgres::Error> for StorageError {
    fn from(error: postgres::Error) -> StorageError {
        StorageError::Database(error.into())
    }
}
