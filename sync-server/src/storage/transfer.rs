//! An engine-neutral view of an aggregator's tables, row by row: what moving an aggregator from
//! one engine to another (`sync-server migrate`) copies and then compares. The SQLite backend
//! reads its tables through [`TableSource`], the PostgreSQL backend reads its own the same way
//! and fills an empty database from any source; neither knows the other's types.

use super::StorageError;

/// One stored value, as both engines can hold it: a flag is an integer 0 or 1 here (SQLite's
/// form; PostgreSQL's BOOLEAN is turned into it and back).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Every table that holds an aggregator's state, each after the tables its rows refer to (the
/// order a copy fills them in). Both schemas have exactly these tables, besides each engine's
/// own bookkeeping (SQLite's `sqlite_sequence`, PostgreSQL's `schema_migrations`); a table
/// added to one schema and not here makes `migrate` refuse by name until it is listed.
pub const TABLES: &[&str] = &[
    "offices",
    "departments",
    "desks",
    "desk_standards_offered",
    "kiosks",
    "enrollment_codes",
    "answers",
    "boot_anchors",
    "conflicts",
    "purged_answers",
    "rollups",
    "rollup_hours",
    "rollup_reasons",
    "rollup_months",
    "rollup_month_hours",
    "rollup_month_reasons",
    "alert_rules",
    "alerts",
    "alert_deliveries",
    "users",
    "sessions",
    "department_report_deliveries",
];

/// A consistent snapshot of a database's tables, read one row at a time.
pub trait TableSource {
    /// The names of every table there is, the engine's own bookkeeping left out.
    fn table_names(&mut self) -> Result<Vec<String>, StorageError>;

    /// `table`'s columns, in their order in the table.
    fn columns(&mut self, table: &str) -> Result<Vec<String>, StorageError>;

    /// Calls `each` with every row of `table` (the `columns` asked for, in that order) and
    /// returns how many there were. A table whose rows have an insertion order (SQLite's rowid)
    /// gives them in that order.
    fn rows(
        &mut self,
        table: &str,
        columns: &[String],
        each: &mut dyn FnMut(&[Value]) -> Result<(), StorageError>,
    ) -> Result<u64, StorageError>;
}

/// Refuses a source whose tables are not exactly [`TABLES`] (a table this code does not know
/// would be left behind), or a target without one of them (`others_allowed`: a PostgreSQL
/// schema may hold other applications' tables), naming the difference.
pub fn check_tables(
    engine: &str,
    found: &[String],
    others_allowed: bool,
) -> Result<(), StorageError> {
    let unknown: Vec<&str> = found
        .iter()
        .map(String::as_str)
        .filter(|table| !others_allowed && !TABLES.contains(table))
        .collect();
    let missing: Vec<&str> = TABLES
        .iter()
        .copied()
        .filter(|table| !found.iter().any(|f| f == table))
        .collect();
    if unknown.is_empty() && missing.is_empty() {
        return Ok(());
    }
    Err(StorageError::Invalid(format!(
        "the {engine} database's tables are not the ones this sync-server moves \
         (unknown: {}; missing: {}): use the sync-server release that made it",
        list(&unknown),
        list(&missing)
    )))
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_not_listed_or_one_missing_is_named() {
        let mut found: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
        check_tables("SQLite", &found, false).expect("exactly the tables");
        found.push("kiosk_photos".to_owned());
        check_tables("PostgreSQL", &found, true).expect("another application's table");
        found.retain(|t| t != "sessions");
        let err = check_tables("SQLite", &found, false)
            .expect_err("differs")
            .to_string();
        assert!(
            err.contains("unknown: kiosk_photos") && err.contains("missing: sessions"),
            "{err}"
        );
        let err = check_tables("PostgreSQL", &found, true)
            .expect_err("a table missing")
            .to_string();
        assert!(err.contains("missing: sessions"), "{err}");
    }
}
