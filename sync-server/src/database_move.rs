//! Moving an aggregator from its SQLite file to an empty PostgreSQL database (`sync-server
//! migrate --to postgres://…`): every table is copied in one PostgreSQL transaction, then the
//! copy is checked against the file, which is only ever opened read-only.
//!
//! The checks, each on both engines: every table's row count and contents (an order-free digest
//! of its rows); the rollups' totals (daily, monthly, by hour, by reason) equal to each other and
//! to the counted answers (only at least those once answers were purged: their rollups stay);
//! and the dashboard's figures for the whole period (breakdowns by office and by question, and
//! the total) read through each engine's [`Storage`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use model::Question;
use sha2::{Digest, Sha256};

use crate::access::Scope;
use crate::analytics::{Disclosure, Filter, Level, Preset, Step};
use crate::config::Database;
use crate::storage::postgres::transfer::{Snapshot as PostgresSnapshot, import};
use crate::storage::sqlite::snapshot::Snapshot as SqliteSnapshot;
use crate::storage::transfer::{TABLES, TableSource, Value, check_tables};
use crate::storage::{Connections, Storage, StorageError};

/// The count columns summed per table: the rollups' scores, "does not apply" and reasons, the
/// reason rollups' `chosen`, and the answers' `counted` flag.
const COUNT_COLUMNS: &[&str] = &[
    "score_1",
    "score_2",
    "score_3",
    "score_4",
    "not_applicable",
    "reasons",
    "chosen",
    "counted",
];

/// The rollup tables that count answers, daily first.
const ANSWER_ROLLUPS: &[&str] = &[
    "rollups",
    "rollup_months",
    "rollup_hours",
    "rollup_month_hours",
];
/// The rollup tables that count reasons chosen, daily first.
const REASON_ROLLUPS: &[&str] = &["rollup_reasons", "rollup_month_reasons"];

/// What one table holds, engine-neutrally: enough to tell two copies apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSummary {
    pub rows: u64,
    /// The wrapping sum of each row's hash: equal for equal rows in any order.
    pub digest: u64,
    /// Sums of the [`COUNT_COLUMNS`] the table has.
    pub sums: BTreeMap<String, i64>,
    /// The earliest and latest `day` (the daily rollups' period).
    pub days: Option<(String, String)>,
}

impl TableSummary {
    fn sum(&self, column: &str) -> i64 {
        self.sums.get(column).copied().unwrap_or(0)
    }

    /// Answers a rollup table counts: the four scores and "does not apply".
    fn answers_counted(&self) -> i64 {
        ["score_1", "score_2", "score_3", "score_4", "not_applicable"]
            .iter()
            .map(|c| self.sum(c))
            .sum()
    }
}

/// What `migrate` did and found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Rows copied per table, in the order they were copied.
    pub copied: Vec<(&'static str, u64)>,
    pub copy_time: Duration,
    pub verify_time: Duration,
    /// Counted answers, and the answers each rollup table counts, on the source.
    pub rollup_totals: Vec<(&'static str, i64)>,
    /// Offices and overall ratings of the dashboard's whole-period view, when there was one.
    pub dashboard: Option<(usize, i64)>,
    /// Every difference found; empty when the copy is verified.
    pub problems: Vec<String>,
}

impl Report {
    /// A short account for the terminal.
    pub fn describe(&self, target: &str) -> String {
        let rows: u64 = self.copied.iter().map(|(_, n)| n).sum();
        let mut text = format!(
            "copied {} tables, {rows} rows, into {target} in {:.1} s (one transaction)\n",
            self.copied.len(),
            self.copy_time.as_secs_f64()
        );
        for (table, n) in &self.copied {
            text.push_str(&format!("  {table:<30} {n:>10}\n"));
        }
        let totals: Vec<String> = self
            .rollup_totals
            .iter()
            .map(|(what, n)| format!("{what} {n}"))
            .collect();
        text.push_str(&format!("rollup totals: {}\n", totals.join(", ")));
        match self.dashboard {
            Some((offices, responses)) => text.push_str(&format!(
                "dashboard, whole period: {offices} offices, {responses} overall ratings\n"
            )),
            None => text.push_str("dashboard: no answers to compare\n"),
        }
        if self.problems.is_empty() {
            text.push_str(&format!(
                "verified in {:.1} s: row counts and contents of every table, rollup totals and \
                 the dashboard's figures are equal on both engines; the SQLite file was only read\n",
                self.verify_time.as_secs_f64()
            ));
        } else {
            text.push_str("VERIFICATION FAILED:\n");
            for problem in &self.problems {
                text.push_str(&format!("  {problem}\n"));
            }
        }
        text
    }
}

/// Copies the SQLite database at `source` into the empty PostgreSQL database `target` and
/// verifies the copy ([`copy`], then [`verify`]); a report with problems means the copy was
/// made but differs. `disclosure` is the dashboard's, for the figures compared.
pub async fn move_to_postgres(
    source: PathBuf,
    target: Database,
    disclosure: Disclosure,
) -> Result<Report, StorageError> {
    let (copied, copy_time) = copy(source.clone(), target.clone()).await?;
    Ok(Report {
        copied,
        copy_time,
        ..verify(source, target, disclosure).await?
    })
}

/// Copies the SQLite database at `source` into the empty PostgreSQL database `target` in one
/// transaction: the rows copied per table and the time it took, or an error and nothing copied.
pub async fn copy(
    source: PathBuf,
    target: Database,
) -> Result<(Vec<(&'static str, u64)>, Duration), StorageError> {
    let Database::Postgres { url, password } = target else {
        return Err(StorageError::Invalid(
            "--to must name a PostgreSQL database (postgres://USER@HOST:PORT/NAME)".to_owned(),
        ));
    };
    let started = Instant::now();
    let copied = tokio::task::spawn_blocking(move || {
        let mut snapshot = SqliteSnapshot::open(&source)?;
        check_tables("SQLite", &snapshot.table_names()?, false)?;
        import(&url, password.as_deref(), &mut snapshot)
    })
    .await??;
    Ok((copied, started.elapsed()))
}

/// Compares the PostgreSQL database `target` with the SQLite database at `source` it was
/// copied from; the report's problems name every difference.
pub async fn verify(
    source: PathBuf,
    target: Database,
    disclosure: Disclosure,
) -> Result<Report, StorageError> {
    let Database::Postgres { url, password } = target.clone() else {
        return Err(StorageError::Invalid(
            "only a PostgreSQL copy can be verified".to_owned(),
        ));
    };
    let started = Instant::now();
    let (before, after) = {
        let source = source.clone();
        tokio::task::spawn_blocking(move || -> Result<_, StorageError> {
            let mut before = SqliteSnapshot::open(&source)?;
            let mut after = PostgresSnapshot::open(&url, password.as_deref())?;
            let mut summaries = (BTreeMap::new(), BTreeMap::new());
            for &table in TABLES {
                let columns = before.columns(table)?;
                summaries
                    .0
                    .insert(table, summarise(&mut before, table, &columns)?);
                summaries
                    .1
                    .insert(table, summarise(&mut after, table, &columns)?);
            }
            Ok(summaries)
        })
        .await??
    };
    let mut report = Report::default();
    compare_tables(&before, &after, &mut report.problems);
    report.rollup_totals = rollup_totals(&before);
    for (engine, summaries) in [("SQLite", &before), ("PostgreSQL", &after)] {
        check_rollups(engine, summaries, &mut report.problems);
    }
    if let Some((from, to)) = before.get("rollups").and_then(|s| s.days.clone()) {
        let sqlite = Storage::open_sqlite_read_only(source, Connections::default())
            .await?
            .with_disclosure(disclosure);
        let postgres = Storage::open(&target, Connections::default())
            .await?
            .with_disclosure(disclosure);
        report.dashboard =
            Some(compare_dashboard(&sqlite, &postgres, (&from, &to), &mut report.problems).await?);
    }
    report.verify_time = started.elapsed();
    Ok(report)
}

/// Reads every row of `table` (`columns` of it) into a [`TableSummary`].
fn summarise(
    source: &mut dyn TableSource,
    table: &str,
    columns: &[String],
) -> Result<TableSummary, StorageError> {
    let mut summary = TableSummary::default();
    let counted: Vec<(usize, &String)> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| COUNT_COLUMNS.contains(&c.as_str()))
        .collect();
    let day = columns.iter().position(|c| c == "day");
    summary.rows = source.rows(table, columns, &mut |values| {
        summary.digest = summary.digest.wrapping_add(row_hash(values));
        for &(i, column) in &counted {
            if let Value::Integer(n) = values[i] {
                *summary.sums.entry(column.clone()).or_default() += n;
            }
        }
        if let Some(Value::Text(day)) = day.map(|i| &values[i]) {
            summary.days = Some(match summary.days.take() {
                None => (day.clone(), day.clone()),
                Some((from, to)) => (from.min(day.clone()), to.max(day.clone())),
            });
        }
        Ok(())
    })?;
    Ok(summary)
}

/// A hash of one row's values, each tagged with its kind and length.
fn row_hash(values: &[Value]) -> u64 {
    let mut hasher = Sha256::new();
    for value in values {
        match value {
            Value::Null => hasher.update([0]),
            Value::Integer(n) => {
                hasher.update([1]);
                hasher.update(n.to_le_bytes());
            }
            Value::Real(x) => {
                hasher.update([2]);
                hasher.update(x.to_bits().to_le_bytes());
            }
            Value::Text(text) => {
                hasher.update([3]);
                hasher.update((text.len() as u64).to_le_bytes());
                hasher.update(text.as_bytes());
            }
            Value::Blob(bytes) => {
                hasher.update([4]);
                hasher.update((bytes.len() as u64).to_le_bytes());
                hasher.update(bytes);
            }
        }
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

type Summaries = BTreeMap<&'static str, TableSummary>;

/// Names each table whose rows differ between the engines.
fn compare_tables(before: &Summaries, after: &Summaries, problems: &mut Vec<String>) {
    for (table, source) in before {
        let copy = after.get(table).cloned().unwrap_or_default();
        if source.rows != copy.rows {
            problems.push(format!(
                "table {table}: {} rows in SQLite, {} in PostgreSQL",
                source.rows, copy.rows
            ));
        } else if source.digest != copy.digest {
            problems.push(format!(
                "table {table}: {} rows on both, but their contents differ",
                source.rows
            ));
        }
    }
}

/// Counted answers and what each rollup table counts.
fn rollup_totals(summaries: &Summaries) -> Vec<(&'static str, i64)> {
    let get = |table: &str| summaries.get(table).cloned().unwrap_or_default();
    let mut totals = vec![("counted answers", get("answers").sum("counted"))];
    for &table in ANSWER_ROLLUPS {
        totals.push((table, get(table).answers_counted()));
    }
    for &table in REASON_ROLLUPS {
        totals.push((table, get(table).sum("chosen")));
    }
    totals
}

/// Names each rollup table of `engine` whose total differs from the daily rollups', and daily
/// rollups that do not count the counted answers (at least them, once answers were purged).
fn check_rollups(engine: &str, summaries: &Summaries, problems: &mut Vec<String>) {
    let get = |table: &str| summaries.get(table).cloned().unwrap_or_default();
    let daily = get("rollups").answers_counted();
    for &table in &ANSWER_ROLLUPS[1..] {
        let total = get(table).answers_counted();
        if total != daily {
            problems.push(format!(
                "{engine}: {table} counts {total} answers, the daily rollups {daily}"
            ));
        }
    }
    let (reasons, monthly) = (
        get(REASON_ROLLUPS[0]).sum("chosen"),
        get(REASON_ROLLUPS[1]).sum("chosen"),
    );
    if reasons != monthly {
        problems.push(format!(
            "{engine}: rollup_month_reasons counts {monthly} reasons, rollup_reasons {reasons}"
        ));
    }
    let counted = get("answers").sum("counted");
    let purged = get("purged_answers").rows > 0;
    if daily != counted && !(purged && daily > counted) {
        problems.push(format!(
            "{engine}: the rollups count {daily} answers, the answers table {counted} counted"
        ));
    }
}

/// Compares the dashboard's whole-period figures on both engines; returns the offices and
/// responses shown.
async fn compare_dashboard(
    sqlite: &Storage,
    postgres: &Storage,
    (from, to): (&str, &str),
    problems: &mut Vec<String>,
) -> Result<(usize, i64), StorageError> {
    let day = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|e| StorageError::Corrupt(format!("rollup day {text:?}: {e}")))
    };
    let filter = Filter {
        preset: Preset::Custom,
        from: day(from)?,
        to: day(to)?,
        office: None,
        department: None,
        desk: None,
        question: Question::Overall,
        language: None,
        include_bursts: true,
        step: Step::Month,
    };
    let mut shown = (0, 0);
    for level in [Level::Office, Level::Question] {
        let mut read = Vec::with_capacity(2);
        for storage in [sqlite, postgres] {
            let page = storage.for_one_page();
            read.push(
                page.breakdown(filter.clone(), Scope::AllOffices, level)
                    .await?,
            );
        }
        let (on_sqlite, on_postgres) = (&read[0], &read[1]);
        if on_sqlite != on_postgres {
            problems.push(format!(
                "dashboard: the breakdown by {} differs ({on_sqlite:?} on SQLite, \
                 {on_postgres:?} on PostgreSQL)",
                level.code()
            ));
        }
        if level == Level::Office {
            shown.0 = on_sqlite.len();
        }
    }
    let mut totals = Vec::with_capacity(2);
    for storage in [sqlite, postgres] {
        let page = storage.for_one_page();
        totals.push(page.total(filter.clone(), Scope::AllOffices).await?);
    }
    let (on_sqlite, on_postgres) = (totals[0], totals[1]);
    if on_sqlite != on_postgres {
        problems.push(format!(
            "dashboard: the total differs ({on_sqlite:?} on SQLite, {on_postgres:?} on PostgreSQL)"
        ));
    }
    shown.1 = on_sqlite.scores.iter().sum::<i64>() + on_sqlite.not_applicable;
    Ok(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_hash_tells_kinds_and_boundaries_apart() {
        let text = |s: &str| Value::Text(s.to_owned());
        assert_ne!(
            row_hash(&[text("ab"), text("c")]),
            row_hash(&[text("a"), text("bc")])
        );
        assert_ne!(
            row_hash(&[Value::Integer(1)]),
            row_hash(&[Value::Real(1.0)])
        );
        assert_ne!(row_hash(&[Value::Null]), row_hash(&[text("")]));
        assert_eq!(row_hash(&[text("a")]), row_hash(&[text("a")]));
    }
}
