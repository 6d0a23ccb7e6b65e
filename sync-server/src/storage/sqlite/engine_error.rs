//! SQLite's errors turned into the seam's engine-neutral [`EngineError`]: its message and those
//! beneath it kept, busy or locked kept as a flag, no `rusqlite` type above the backend.

use crate::storage::{EngineError, StorageError};

impl From<rusqlite::Error> for EngineError {
    /// SQLite's message and those beneath it; busy or locked is kept as [`EngineError::busy`].
    fn from(error: rusqlite::Error) -> EngineError {
        let busy = matches!(
            error.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        );
        let mut message = error.to_string();
        let mut beneath = std::error::Error::source(&error);
        while let Some(cause) = beneath {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            beneath = cause.source();
        }
        EngineError { message, busy }
    }
}

impl From<rusqlite::Error> for StorageError {
    fn from(error: rusqlite::Error) -> StorageError {
        StorageError::Database(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_database_is_busy_and_keeps_sqlite_s_words() {
        let locked = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".to_owned()),
        );
        let error = StorageError::from(locked);
        assert!(error.busy().is_some(), "{error:?}");
        let StorageError::Database(engine) = error else {
            panic!("not a database error");
        };
        assert!(
            engine.message.contains("database is locked"),
            "{}",
            engine.message
        );
    }

    #[test]
    fn other_failures_are_not_busy() {
        let error = StorageError::from(rusqlite::Error::QueryReturnedNoRows);
        assert!(error.busy().is_none());
        assert!(error.to_string().contains("database error"));
    }
}
