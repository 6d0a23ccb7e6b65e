//! The SQLite database read as it was at one moment, through a read-only connection in one read
//! transaction: what `sync-server migrate` copies to another engine and checks the copy against.
//! Nothing here can write to the file.

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::schema;
use crate::storage::StorageError;
use crate::storage::transfer::{TableSource, Value};

/// A read transaction on a read-only connection: every table as it was when it began.
pub struct Snapshot {
    conn: Connection,
}

/// A read-only connection to the existing database at `path` (never created), at this
/// sync-server's schema version: an older one is brought up to date by this sync-server's
/// own commands first, a newer one is refused.
pub(super) fn open_read_only(path: &Path) -> Result<Connection, StorageError> {
    let open_err = |source: rusqlite::Error| StorageError::Open {
        path: path.display().to_string(),
        source: source.into(),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(open_err)?;
    let version = schema::refuse_newer(&conn)?;
    if version < schema::known_version() {
        return Err(StorageError::Invalid(format!(
            "database {} is at schema v{version}, older than this sync-server's v{}: run any \
             sync-server command on it once (e.g. `sync-server kiosks`) to bring it up to date",
            path.display(),
            schema::known_version()
        )));
    }
    Ok(conn)
}

impl Snapshot {
    /// Opens the database at `path` read-only and begins the read transaction.
    pub fn open(path: &Path) -> Result<Snapshot, StorageError> {
        let conn = open_read_only(path)?;
        conn.execute_batch("BEGIN")?;
        // The first read fixes what the transaction sees.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
        Ok(Snapshot { conn })
    }
}

impl TableSource for Snapshot {
    fn table_names(&mut self) -> Result<Vec<String>, StorageError> {
        let mut stmt = self.conn.prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY name",
        )?;
        let names = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(names)
    }

    fn columns(&mut self, table: &str) -> Result<Vec<String>, StorageError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
        let columns = stmt
            .query_map([table], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        if columns.is_empty() {
            return Err(StorageError::Invalid(format!(
                "the SQLite database has no table {table:?}"
            )));
        }
        Ok(columns)
    }

    fn rows(
        &mut self,
        table: &str,
        columns: &[String],
        each: &mut dyn FnMut(&[Value]) -> Result<(), StorageError>,
    ) -> Result<u64, StorageError> {
        let without_rowid: bool = self.conn.query_row(
            "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        let order = if without_rowid { "" } else { " ORDER BY rowid" };
        let sql = format!(
            "SELECT {} FROM {}{order}",
            columns
                .iter()
                .map(|c| quoted(c))
                .collect::<Vec<_>>()
                .join(", "),
            quoted(table)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        let mut values = Vec::with_capacity(columns.len());
        let mut count = 0;
        while let Some(row) = rows.next()? {
            values.clear();
            for (i, column) in columns.iter().enumerate() {
                values.push(match row.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Integer(n),
                    ValueRef::Real(x) => Value::Real(x),
                    ValueRef::Text(bytes) => {
                        Value::Text(String::from_utf8(bytes.to_vec()).map_err(|e| {
                            StorageError::Corrupt(format!(
                                "{table}.{column}: text that is not UTF-8: {e}"
                            ))
                        })?)
                    }
                    ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
                });
            }
            each(&values)?;
            count += 1;
        }
        Ok(count)
    }
}

/// `name` as an SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
