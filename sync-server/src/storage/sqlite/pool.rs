//! A fixed set of SQLite connections lent one at a time (the writer is a set of one): a borrower
//! waits at most the pool's `max_wait` for one and then gets [`Busy`], never waits for good. A
//! lent connection goes back on drop, even if its borrower panics.

use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::busy::Busy;
use crate::storage::StorageError;

pub(super) struct Pool {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
    max_wait: Duration,
    /// What the connections are, for [`Busy`].
    what: &'static str,
}

impl Pool {
    pub(super) fn new(
        connections: Vec<Connection>,
        max_wait: Duration,
        what: &'static str,
    ) -> Pool {
        Pool {
            idle: Mutex::new(connections),
            returned: Condvar::new(),
            max_wait,
            what,
        }
    }

    /// A connection, as soon as one is free and at most `max_wait` from now.
    pub(super) fn lend(&self) -> Result<Lent<'_>, StorageError> {
        let deadline = Instant::now() + self.max_wait;
        // A panic elsewhere while holding the lock leaves only the list of idle connections.
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(conn) = idle.pop() {
                return Ok(Lent {
                    conn: Some(conn),
                    pool: self,
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StorageError::Busy(Busy { what: self.what }));
            }
            idle = self
                .returned
                .wait_timeout(idle, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// A connection borrowed from a [`Pool`].
pub(super) struct Lent<'a> {
    conn: Option<Connection>,
    pool: &'a Pool,
}

impl Deref for Lent<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Present from construction until drop.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl DerefMut for Lent<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(conn);
            self.pool.returned.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrower_waits_at_most_max_wait_then_is_told_busy() {
        let pool = Pool::new(
            vec![Connection::open_in_memory().expect("connection")],
            Duration::from_millis(100),
            "test connection",
        );
        let first = pool.lend().expect("one is free");
        let start = Instant::now();
        let Err(StorageError::Busy(busy)) = pool.lend() else {
            panic!("the only connection is lent");
        };
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_secs(2),
            "{waited:?}"
        );
        assert_eq!(busy.what, "test connection");
        drop(first);
        assert!(pool.lend().is_ok(), "returned on drop");
    }

    #[test]
    fn a_returned_connection_wakes_a_waiting_borrower() {
        let pool = std::sync::Arc::new(Pool::new(
            vec![Connection::open_in_memory().expect("connection")],
            Duration::from_secs(10),
            "test connection",
        ));
        let lent = pool.lend().expect("free");
        let waiter = {
            let pool = std::sync::Arc::clone(&pool);
            std::thread::spawn(move || pool.lend().map(|_| ()).is_ok())
        };
        std::thread::sleep(Duration::from_millis(50));
        drop(lent);
        assert!(waiter.join().expect("thread"), "woken, not timed out");
    }
}
