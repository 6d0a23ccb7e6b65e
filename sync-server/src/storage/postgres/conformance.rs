//! The PostgreSQL backend against the backend conformance suite (`storage::conformance`), each
//! check on a fresh database of the test process's throwaway server (`throwaway-postgres`).

use std::sync::Arc;

use super::PostgresBackend;
use crate::storage::Connections;
use crate::storage::conformance::Fresh;

/// A fresh PostgreSQL database with the server's connections.
pub(super) fn open() -> Fresh {
    let database = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL database");
    let connections = Connections {
        readers: 2,
        ..Connections::default()
    };
    let config = database.config();
    let db = PostgresBackend::open(&config, &connections).expect("open");
    Fresh {
        keep_alive: Box::new(database),
        db: Arc::new(db),
        open_again: Box::new(move || {
            Arc::new(PostgresBackend::open(&config, &connections).expect("open again"))
        }),
    }
}

crate::storage::conformance::backend_conformance_tests!(open);
