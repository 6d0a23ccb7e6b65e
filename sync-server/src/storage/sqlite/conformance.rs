//! The SQLite backend against the backend conformance suite (`storage::conformance`).

use std::sync::Arc;

use super::SqliteBackend;
use crate::storage::Connections;
use crate::storage::conformance::Fresh;

/// A fresh SQLite database in a temporary directory, with the server's connections.
fn open() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let connections = Connections {
        readers: 2,
        ..Connections::default()
    };
    let path = dir.path().join("conformance.db");
    let db = SqliteBackend::open(&path, &connections).expect("open");
    Fresh {
        keep_alive: Box::new(dir),
        db: Arc::new(db),
        open_again: Box::new(move || {
            Arc::new(SqliteBackend::open(&path, &connections).expect("open again"))
        }),
    }
}

crate::storage::conformance::backend_conformance_tests!(open);
