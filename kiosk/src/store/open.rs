//! Opening the kiosk database: pragmas for durability, migrations, and a corrupt file moved aside
//! with a timestamp (never deleted) so staff can hand it to someone who can rescue it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use super::migrations::{self, Migrated};
use super::{DATABASE_FILE, Store, StoreError};

/// An open store, and where a corrupt predecessor was moved if there was one.
#[derive(Debug)]
pub struct Opened {
    pub store: Store,
    pub moved_aside: Option<PathBuf>,
}

enum Failure {
    Corrupt(String),
    /// Another connection holds the lock (see [`try_open_waiting`]).
    Busy(rusqlite::Error),
    Store(StoreError),
}

/// How long an open waits for another connection setting up the same new database.
const SETUP_WAIT: Duration = Duration::from_secs(5);

pub(super) fn open(data_dir: &Path) -> Result<Opened, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|e| StoreError::NotWritable {
        path: data_dir.to_owned(),
        reason: e.to_string(),
    })?;
    let path = data_dir.join(DATABASE_FILE);
    match try_open_waiting(&path) {
        Ok(store) => Ok(Opened {
            store,
            moved_aside: None,
        }),
        Err(Failure::Store(e)) => Err(e),
        Err(Failure::Busy(e)) => Err(StoreError::from_sqlite(&path, e)),
        Err(Failure::Corrupt(reason)) => {
            let moved = move_aside(&path).map_err(|source| StoreError::CorruptAndStuck {
                path: path.clone(),
                reason: reason.clone(),
                source,
            })?;
            tracing::error!(
                database = %path.display(),
                moved_to = %moved.display(),
                %reason,
                "the kiosk database was corrupt; it was moved aside and a new one started"
            );
            match try_open_waiting(&path) {
                Ok(store) => Ok(Opened {
                    store,
                    moved_aside: Some(moved),
                }),
                Err(Failure::Store(e)) => Err(e),
                Err(Failure::Busy(e)) => Err(StoreError::from_sqlite(&path, e)),
                Err(Failure::Corrupt(reason)) => Err(StoreError::NotWritable {
                    path,
                    reason: format!("a fresh database is corrupt at once: {reason}"),
                }),
            }
        }
    }
}

/// [`try_open`], again while another connection holds the lock a new database's set-up needs
/// (two opening it at once, e.g. the kiosk's window and its sync thread at first start): SQLite
/// answers "locked" at once there rather than wait, as waiting could deadlock.
fn try_open_waiting(path: &Path) -> Result<Store, Failure> {
    let started = std::time::Instant::now();
    loop {
        match try_open(path) {
            Err(Failure::Busy(e)) if started.elapsed() < SETUP_WAIT => {
                tracing::debug!(error = %e, "the kiosk database is being set up by another connection");
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn try_open(path: &Path) -> Result<Store, Failure> {
    let classify = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            Failure::Corrupt(e.to_string())
        }
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Failure::Busy(e),
        _ => Failure::Store(StoreError::from_sqlite(path, e)),
    };
    let mut conn = Connection::open(path).map_err(classify)?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(classify)?;
    // The first statement reads the header: a file that is not a database fails here.
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(classify)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Failure::Store(StoreError::NotWritable {
            path: path.to_owned(),
            reason: format!("cannot switch to WAL journaling (journal_mode is {mode})"),
        }));
    }
    // FULL: the WAL is synced at every commit, so a committed answer survives power loss.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(classify)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(classify)?;
    // Keep the WAL from staying large after a checkpoint on a small SD card.
    conn.pragma_update(None, "journal_size_limit", 4 * 1024 * 1024)
        .map_err(classify)?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |row| row.get(0))
        .map_err(classify)?;
    if check != "ok" {
        return Err(Failure::Corrupt(check));
    }
    match migrations::migrate(&mut conn).map_err(classify)? {
        Migrated::TooNew { found } => Err(Failure::Store(StoreError::TooNew {
            path: path.to_owned(),
            found,
            known: migrations::LATEST,
        })),
        Migrated::UpToDate { from } => {
            if from != migrations::LATEST {
                tracing::info!(database = %path.display(), from, to = migrations::LATEST, "migrated");
            }
            Ok(Store {
                conn,
                path: path.to_owned(),
            })
        }
    }
}

/// Renames `kiosk.db` (and its -wal/-shm) to `kiosk.db.corrupt-<UTC timestamp>`.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let target = path.with_file_name(format!("{DATABASE_FILE}.corrupt-{stamp}"));
    std::fs::rename(path, &target)?;
    for suffix in ["-wal", "-shm"] {
        let side = path.with_file_name(format!("{DATABASE_FILE}{suffix}"));
        if side.exists() {
            std::fs::rename(
                &side,
                target.with_file_name(format!(
                    "{}{suffix}",
                    target
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                )),
            )?;
        }
    }
    Ok(target)
}
