//! Filling an empty PostgreSQL database from another engine's tables ([`TableSource`]) in one
//! transaction, and reading this database's tables the same way to check the copy.
//!
//! The copy is `COPY … FROM STDIN (FORMAT binary)` per table, in [`TABLES`]' order, inside the
//! transaction that also migrates the schema: a failure at any row leaves the database exactly
//! as it was. Identity columns take the copied ids (COPY writes them as given) and their
//! sequences are moved past them, so what is added afterwards gets new ids.

use std::collections::HashMap;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, NoTls, Transaction};

use super::{WRITE_LOCK, config_from_url, describe, schema};
use crate::storage::StorageError;
use crate::storage::transfer::{TABLES, TableSource, Value, check_tables};

/// Rows looked at per table when a target is checked for emptiness.
const NON_EMPTY_SHOWN: i64 = 1000;

/// Copies every table of `source` into the empty PostgreSQL database `url` names, migrating
/// its schema first, all in one transaction; returns the rows copied per table. A database
/// with any row in any of the aggregator's tables is refused, naming what it holds.
pub fn import(
    url: &str,
    password: Option<&str>,
    source: &mut dyn TableSource,
) -> Result<Vec<(&'static str, u64)>, StorageError> {
    let config = config_from_url(url, password)?;
    let described = describe(&config);
    let mut client = config.connect(NoTls).map_err(|e| StorageError::Open {
        path: described.clone(),
        source: e.into(),
    })?;
    let mut tx = client.transaction()?;
    schema::migrate(&mut tx)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    check_tables("PostgreSQL", &table_names(&mut tx)?, true)?;
    refuse_non_empty(&mut tx, &described)?;
    let mut copied = Vec::with_capacity(TABLES.len());
    for &table in TABLES {
        let rows = copy_table(&mut tx, source, table).map_err(|e| match e {
            StorageError::Database(mut engine) => {
                engine.message = format!("copying table {table}: {}", engine.message);
                StorageError::Database(engine)
            }
            other => other,
        })?;
        copied.push((table, rows));
    }
    tx.commit()?;
    Ok(copied)
}

/// Copies every row of `table` from `source`; returns how many.
fn copy_table(
    tx: &mut Transaction<'_>,
    source: &mut dyn TableSource,
    table: &str,
) -> Result<u64, StorageError> {
    let columns = source.columns(table)?;
    let known = column_types(tx, table)?;
    let types = columns
        .iter()
        .map(|column| {
            known.get(column).cloned().ok_or_else(|| {
                StorageError::Invalid(format!(
                    "column {table}.{column} of the source has no place in the PostgreSQL \
                     schema"
                ))
            })
        })
        .collect::<Result<Vec<Type>, _>>()?;
    let sql = format!(
        "COPY {table} ({}) FROM STDIN (FORMAT binary)",
        columns.join(", ")
    );
    let mut writer = BinaryCopyInWriter::new(tx.copy_in(&sql)?, &types);
    let rows = source.rows(table, &columns, &mut |values| {
        let cells = values
            .iter()
            .zip(&types)
            .zip(&columns)
            .map(|((value, ty), column)| cell(table, column, value, ty))
            .collect::<Result<Vec<_>, _>>()?;
        let cells: Vec<&(dyn ToSql + Sync)> = cells.iter().map(AsRef::as_ref).collect();
        Ok(writer.write(&cells)?)
    })?;
    writer.finish()?;
    continue_identities(tx, table)?;
    Ok(rows)
}

/// `value` as PostgreSQL's `ty` wants it, or an error naming the column if it does not fit.
fn cell<'a>(
    table: &str,
    column: &str,
    value: &'a Value,
    ty: &Type,
) -> Result<Box<dyn ToSql + Sync + 'a>, StorageError> {
    Ok(match value {
        Value::Null if *ty == Type::BOOL => Box::new(None::<bool>),
        Value::Null if *ty == Type::INT8 => Box::new(None::<i64>),
        Value::Null if *ty == Type::FLOAT8 => Box::new(None::<f64>),
        Value::Null if *ty == Type::TEXT => Box::new(None::<&str>),
        Value::Null if *ty == Type::BYTEA => Box::new(None::<&[u8]>),
        Value::Integer(flag @ (0 | 1)) if *ty == Type::BOOL => Box::new(*flag == 1),
        Value::Integer(n) if *ty == Type::INT8 => Box::new(*n),
        Value::Real(x) if *ty == Type::FLOAT8 => Box::new(*x),
        Value::Text(text) if *ty == Type::TEXT => Box::new(text.as_str()),
        Value::Blob(bytes) if *ty == Type::BYTEA => Box::new(bytes.as_slice()),
        other => {
            return Err(StorageError::Invalid(format!(
                "{table}.{column}: {other:?} does not fit PostgreSQL's {ty}"
            )));
        }
    })
}

/// The aggregator's tables in the current schema (not `schema_migrations`).
fn table_names(client: &mut impl GenericClient) -> Result<Vec<String>, StorageError> {
    Ok(client
        .query(
            "SELECT tablename::text FROM pg_tables
             WHERE schemaname = current_schema() AND tablename <> 'schema_migrations'
             ORDER BY tablename",
            &[],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect())
}

/// Each column of `table` with its type.
fn column_types(
    client: &mut impl GenericClient,
    table: &str,
) -> Result<HashMap<String, Type>, StorageError> {
    client
        .query(
            "SELECT attname::text, atttypid FROM pg_attribute
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped",
            &[&table],
        )?
        .iter()
        .map(|row| {
            let column: String = row.get(0);
            let oid: u32 = row.get(1);
            let ty = Type::from_oid(oid).ok_or_else(|| {
                StorageError::Invalid(format!("{table}.{column} has a type this code cannot copy"))
            })?;
            Ok((column, ty))
        })
        .collect()
}

/// Refuses a database with a row in any of the aggregator's tables.
fn refuse_non_empty(client: &mut impl GenericClient, described: &str) -> Result<(), StorageError> {
    let mut found = Vec::new();
    for &table in TABLES {
        let rows: i64 = client
            .query_one(
                &format!("SELECT count(*) FROM (SELECT FROM {table} LIMIT {NON_EMPTY_SHOWN}) s"),
                &[],
            )?
            .get(0);
        if rows >= NON_EMPTY_SHOWN {
            found.push(format!("{NON_EMPTY_SHOWN} or more {table}"));
        } else if rows > 0 {
            found.push(format!("{rows} {table}"));
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(StorageError::Invalid(format!(
        "the target {described} is not empty (it holds {}): migrate copies into an empty \
         database only, and changed nothing",
        found.join(", ")
    )))
}

/// Moves each identity sequence of `table` past the largest id copied into it.
fn continue_identities(client: &mut impl GenericClient, table: &str) -> Result<(), StorageError> {
    let identities: Vec<String> = client
        .query(
            "SELECT attname::text FROM pg_attribute
             WHERE attrelid = $1::text::regclass AND attnum > 0 AND attidentity <> ''",
            &[&table],
        )?
        .iter()
        .map(|row| row.get(0))
        .collect();
    for column in identities {
        client.query_one(
            &format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({column}), 0) + 1,
                               false)
                 FROM {table}"
            ),
            &[&table, &column],
        )?;
    }
    Ok(())
}

/// This PostgreSQL database read as it was at one moment (a repeatable-read, read-only
/// transaction), for comparing with the database it was copied from.
pub struct Snapshot {
    client: Client,
}

impl Snapshot {
    pub fn open(url: &str, password: Option<&str>) -> Result<Snapshot, StorageError> {
        let config = config_from_url(url, password)?;
        let mut client = config.connect(NoTls).map_err(|e| StorageError::Open {
            path: describe(&config),
            source: e.into(),
        })?;
        client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        Ok(Snapshot { client })
    }
}

impl TableSource for Snapshot {
    fn table_names(&mut self) -> Result<Vec<String>, StorageError> {
        table_names(&mut self.client)
    }

    fn columns(&mut self, table: &str) -> Result<Vec<String>, StorageError> {
        Ok(self
            .client
            .query(
                "SELECT attname::text FROM pg_attribute
                 WHERE attrelid = $1::text::regclass AND attnum > 0 AND NOT attisdropped
                 ORDER BY attnum",
                &[&table],
            )?
            .iter()
            .map(|row| row.get(0))
            .collect())
    }

    fn rows(
        &mut self,
        table: &str,
        columns: &[String],
        each: &mut dyn FnMut(&[Value]) -> Result<(), StorageError>,
    ) -> Result<u64, StorageError> {
        let sql = format!("SELECT {} FROM {table}", columns.join(", "));
        let mut rows = self
            .client
            .query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())?;
        let mut values = Vec::with_capacity(columns.len());
        let mut count = 0;
        while let Some(row) = rows.next()? {
            values.clear();
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                values.push(if *ty == Type::BOOL {
                    row.try_get::<_, Option<bool>>(i)?
                        .map_or(Value::Null, |flag| Value::Integer(i64::from(flag)))
                } else if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i)?
                        .map_or(Value::Null, Value::Integer)
                } else if *ty == Type::FLOAT8 {
                    row.try_get::<_, Option<f64>>(i)?
                        .map_or(Value::Null, Value::Real)
                } else if *ty == Type::BYTEA {
                    row.try_get::<_, Option<Vec<u8>>>(i)?
                        .map_or(Value::Null, Value::Blob)
                } else {
                    row.try_get::<_, Option<String>>(i)?
                        .map_or(Value::Null, Value::Text)
                });
            }
            each(&values)?;
            count += 1;
        }
        Ok(count)
    }
}
