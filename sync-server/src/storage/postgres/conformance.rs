//! The PostgreSQL backend against the backend conformance suite (`storage::conformance`), each
//! check on a fresh database of the test process's throwaway server (`throwaway-postgres`).

use std::sync::Arc;

use super::PostgresBackend;
use crate::storage::Connections;
use crate::storage::conformance::Fresh;

/// A fresh PostgreSQL database with the server's connections.
fn open() -> Fresh {
    let database = throwaway_postgres::fresh_database().expect("a throwaway PostgreSQL database");
    let connections = Connections {
        readers: 2,
        ..Connections::default()
    };
    let db = PostgresBackend::open(&database.config(), &connections).expect("open");
    Fresh {
        keep_alive: Box::new(database),
        db: Arc::new(db),
    }
}

// The checks whose methods the PostgreSQL backend has so far (issue 16): the dashboard's
// figures (which the scope check reads too) follow, and then the full `backend_conformance_tests!(open)`.
crate::storage::conformance::backend_conformance_tests!(@checks open;
    offices_are_added_once_renamed_and_named_when_unknown,
    enrollment_spends_a_code_once_and_names_each_problem,
    a_batch_is_stored_once_however_often_it_is_sent,
    identical_batches_sent_at_once_are_stored_once,
    each_record_gets_its_own_outcome,
    a_chain_of_corrections_counts_only_the_last_in_every_order_of_arrival,
    an_approximate_answer_moves_when_its_boot_gets_an_anchor,
    sessions_live_until_idle_expiry_sign_out_or_their_user_changes,
    an_alert_is_raised_delivered_once_and_cleared,
);
