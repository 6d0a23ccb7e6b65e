//! The dashboard's queries: every aggregate reads the rollups (`rollups`, `rollup_hours`,
//! `rollup_reasons`, and for a period's whole calendar months their monthly twins) joined to
//! `desks` for the office and department, filtered in SQL by the
//! viewer's scope and the filter, whose values are only ever bound parameters. Only the export
//! reads individual answers, desk by desk along an index, row by row.

use chrono::{Datelike, Months, NaiveDate};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use crate::access::Scope;
use crate::analytics::{
    Counts, DeskCounts, DeskDay, ExportRow, Filter, Group, HeatCell, Level, Place, Places,
    ReasonCount, Step, TrendPoint, Usage,
};
use crate::storage::StorageError;

/// A `WHERE` clause and the values bound to its placeholders, in order.
struct Conditions {
    sql: String,
    values: Vec<Value>,
}

impl Conditions {
    fn push(&mut self, clause: &str, value: impl Into<Value>) {
        self.sql.push_str(" AND ");
        self.sql.push_str(clause);
        self.values.push(value.into());
    }
}

/// Which of the filter's dimensions a query narrows by.
#[derive(Clone, Copy)]
struct Dimensions {
    /// Whether to filter by the filter's question.
    question: bool,
    /// Otherwise, whether to list every question (for tables indexed by question first).
    every_question: bool,
}

/// The conditions for rows of rollup table alias `r` joined to `desks d`, in the period from
/// `first` to `last` of the table's `period` column (a day, or a month's first day).
fn conditions(
    filter: &Filter,
    scope: &Scope,
    dims: Dimensions,
    period: &str,
    (first, last): (NaiveDate, NaiveDate),
) -> Conditions {
    let mut c = Conditions {
        sql: format!("r.{period} >= ? AND r.{period} <= ?"),
        values: vec![
            Value::Text(first.to_string()),
            Value::Text(last.to_string()),
        ],
    };
    if dims.question {
        c.push("r.question = ?", filter.question.to_string());
    } else if dims.every_question {
        // Every question, named, so the index on (question, day) is read range by range.
        c.sql.push_str(" AND r.question IN ('overall'");
        for id in model::StandardId::ALL {
            c.sql.push_str(", ?");
            c.values.push(Value::Text(id.roman().to_owned()));
        }
        c.sql.push(')');
    }
    if let Some(own) = scope.office() {
        c.push("d.office_id = ?", own.to_owned());
    }
    if let Some(own) = scope.department() {
        c.push("d.department_id = ?", own.to_owned());
    }
    if let Some(office) = &filter.office {
        c.push("d.office_id = ?", office.clone());
    }
    if let Some(department) = &filter.department {
        c.push("d.department_id = ?", department.clone());
    }
    if let Some(desk) = &filter.desk {
        c.push("r.desk_id = ?", desk.to_string());
    }
    if let Some(language) = &filter.language {
        c.push("r.language = ?", language.to_string());
    }
    if !filter.include_bursts {
        c.sql.push_str(" AND r.burst = 0");
    }
    c
}

const ROLLUP_DAYS: Dimensions = Dimensions {
    question: true,
    every_question: false,
};

/// How a period is read: whole calendar months from the monthly rollups and the days before
/// the first and after the last of them from the daily ones (`Months`), or day by day (`Days`,
/// for what is grouped by day or week).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reading {
    Months,
    Days,
}

/// A span of days, or of months by their first days, first to last.
type Span = (NaiveDate, NaiveDate);

/// The parts of the period `from`..=`to`: spans of days, and the first days of its first and
/// last whole calendar months, if it holds any (and `reading` is by months).
fn spans(from: NaiveDate, to: NaiveDate, reading: Reading) -> (Vec<Span>, Option<Span>) {
    let first_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let next_month = |d: NaiveDate| first_of(d).checked_add_months(Months::new(1));
    // The first whole month starts on `from` or the 1st after it; the last whole month ends
    // on `to` or on the last day before `to`'s month.
    let first_month = if from.day() == 1 {
        Some(from)
    } else {
        next_month(from)
    };
    let after_last_month = if next_month(to).and_then(|n| n.pred_opt()) == Some(to) {
        next_month(to)
    } else {
        Some(first_of(to))
    };
    match (reading, first_month, after_last_month) {
        (Reading::Months, Some(first), Some(after)) if first < after => {
            let last_month = after.checked_sub_months(Months::new(1)).unwrap_or(first);
            let mut days = Vec::new();
            if let Some(before) = first.pred_opt().filter(|b| from <= *b) {
                days.push((from, before));
            }
            if after <= to {
                days.push((after, to));
            }
            (days, Some((first, last_month)))
        }
        _ => (vec![(from, to)], None),
    }
}

/// A rollup family, read from its daily table and its monthly one alike.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Family {
    /// `rollups` and `rollup_months`: `question, day, desk_id, language, larger_text, burst`,
    /// the counts and `reasons` (the answers that named one).
    Days,
    /// `rollup_hours` and `rollup_month_hours`: `question, weekday, hour, desk_id, language,
    /// burst` and the counts.
    Hours,
    /// `rollup_reasons` and `rollup_month_reasons`: `question, reason, chosen, desk_id,
    /// language, burst`.
    Reasons,
}

impl Family {
    /// The table, its period column and the columns one part of a period selects from it.
    fn part(self, monthly: bool) -> (&'static str, &'static str, &'static str) {
        match (self, monthly) {
            (Family::Days, false) => ("rollups", "day", "r.day"),
            (Family::Days, true) => ("rollup_months", "month", "r.month"),
            (Family::Hours, false) => (
                "rollup_hours",
                "day",
                "(CAST(strftime('%w', r.day) AS INTEGER) + 6) % 7",
            ),
            (Family::Hours, true) => ("rollup_month_hours", "month", "r.weekday"),
            (Family::Reasons, false) => ("rollup_reasons", "day", ""),
            (Family::Reasons, true) => ("rollup_month_reasons", "month", ""),
        }
    }

    /// What one part selects, `when` being its day or weekday column, with its desk's office
    /// and department if `places`.
    fn columns(self, when: &str, places: bool) -> String {
        const COUNTS: &str = "r.score_1, r.score_2, r.score_3, r.score_4, r.not_applicable";
        let place = if places {
            "r.desk_id, r.language, r.burst, d.office_id, d.department_id"
        } else {
            "r.desk_id, r.language, r.burst"
        };
        match self {
            Family::Days => {
                format!("r.question, {when} AS day, r.larger_text, {COUNTS}, r.reasons, {place}")
            }
            Family::Hours => format!("r.question, {when} AS weekday, r.hour, {COUNTS}, {place}"),
            Family::Reasons => format!("r.question, r.reason, r.chosen, {place}"),
        }
    }
}

/// The rows of `family` the filter and scope select, as a subquery aliased `c`: one part per
/// span of days and one for the whole months (see [`spans`]), each narrowed by [`conditions`],
/// so the outer query only groups and sums. A part is joined to its desk when it selects the
/// desk's office and department (`places`) or is narrowed by them; otherwise it need not be, as
/// every rollup's desk is in `desks` (desks are never deleted).
fn source(
    filter: &Filter,
    scope: &Scope,
    dims: Dimensions,
    (family, places): (Family, bool),
    reading: Reading,
) -> (String, Vec<Value>) {
    #[cfg(test)]
    let reading = if tests::DAYS_ONLY.with(std::cell::Cell::get) {
        Reading::Days
    } else {
        reading
    };
    let (days, months) = spans(filter.from, filter.to, reading);
    let mut parts = Vec::new();
    let mut values = Vec::new();
    let spans = days
        .into_iter()
        .map(|span| (false, span))
        .chain(months.map(|span| (true, span)));
    for (monthly, span) in spans {
        let (table, period, when) = family.part(monthly);
        let c = conditions(filter, scope, dims, period, span);
        let joined = places
            || scope.office().is_some()
            || scope.department().is_some()
            || filter.office.is_some()
            || filter.department.is_some();
        let join = if joined {
            " JOIN desks d ON d.id = r.desk_id"
        } else {
            ""
        };
        parts.push(format!(
            "SELECT {} FROM {table} r{join} WHERE {}",
            family.columns(when, joined),
            c.sql
        ));
        values.extend(c.values);
    }
    (format!("({}) c", parts.join(" UNION ALL ")), values)
}

/// A cell's counts, as [`counts_at`] reads them: scores 1-4, then "does not apply".
const SUMS: &str =
    "sum(c.score_1), sum(c.score_2), sum(c.score_3), sum(c.score_4), sum(c.not_applicable)";

fn counts_at(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Counts> {
    Ok(Counts::new([
        row.get(first)?,
        row.get(first + 1)?,
        row.get(first + 2)?,
        row.get(first + 3)?,
    ])
    .with_not_applicable(row.get(first + 4)?))
}

/// The breakdown's SQL and values.
fn breakdown_query(filter: &Filter, scope: &Scope, level: Level) -> (String, Vec<Value>) {
    let (columns, group) = match level {
        Level::Office => ("c.office_id, NULL", "c.office_id"),
        Level::Department => (
            "c.department_id, c.office_id",
            "c.office_id, c.department_id",
        ),
        Level::Desk => ("c.desk_id, c.office_id", "c.desk_id"),
        Level::Question => ("c.question, NULL", "c.question"),
    };
    let dims = Dimensions {
        question: level != Level::Question,
        every_question: level == Level::Question,
    };
    let (source, values) = source(filter, scope, dims, (Family::Days, true), Reading::Months);
    let sql = format!("SELECT {columns}, {SUMS} FROM {source} GROUP BY {group} ORDER BY {group}");
    (sql, values)
}

/// Counts per office, department, desk or question.
pub(super) fn breakdown(
    conn: &Connection,
    filter: &Filter,
    scope: &Scope,
    level: Level,
) -> Result<Vec<Group>, StorageError> {
    let (sql, values) = breakdown_query(filter, scope, level);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok(Group {
                id: r.get(0)?,
                office_id: r.get(1)?,
                counts: counts_at(r, 2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The SQL and values of [`desk_counts`].
fn desk_counts_query(filter: &Filter, every_question: bool) -> (String, Vec<Value>) {
    let everywhere = Filter {
        office: None,
        department: None,
        desk: None,
        ..filter.clone()
    };
    let dims = Dimensions {
        question: !every_question,
        every_question,
    };
    let (source, values) = source(
        &everywhere,
        &Scope::AllOffices,
        dims,
        (Family::Days, true),
        Reading::Months,
    );
    let sql = format!(
        "SELECT c.question, c.office_id, c.department_id, c.desk_id, {SUMS} FROM {source}
         GROUP BY c.question, c.desk_id ORDER BY c.question, c.desk_id"
    );
    (sql, values)
}

/// Counts per desk of every office, with its question, for disclosure control: the filter's
/// period, language and bursts, but not its places (the decision is made over all of them), and
/// its question or, with `every_question`, each question.
pub(super) fn desk_counts(
    conn: &Connection,
    filter: &Filter,
    every_question: bool,
) -> Result<Vec<(String, DeskCounts)>, StorageError> {
    let (sql, values) = desk_counts_query(filter, every_question);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok((
                r.get(0)?,
                DeskCounts {
                    office_id: r.get(1)?,
                    department_id: r.get(2)?,
                    desk_id: r.get(3)?,
                    counts: counts_at(r, 4)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The SQL and values of [`desk_language_counts`].
fn desk_language_counts_query(filter: &Filter, every_question: bool) -> (String, Vec<Value>) {
    let every_language = Filter {
        office: None,
        department: None,
        desk: None,
        language: None,
        ..filter.clone()
    };
    let dims = Dimensions {
        question: !every_question,
        every_question,
    };
    let (source, values) = source(
        &every_language,
        &Scope::AllOffices,
        dims,
        (Family::Days, true),
        Reading::Months,
    );
    let sql = format!(
        "SELECT c.question, c.language, c.office_id, c.department_id, c.desk_id, {SUMS}
         FROM {source} GROUP BY c.question, c.language, c.desk_id
         ORDER BY c.question, c.language, c.desk_id"
    );
    (sql, values)
}

/// As [`desk_counts`], per language too and whatever the filter's language: what a language
/// filter's figures must agree with.
pub(super) fn desk_language_counts(
    conn: &Connection,
    filter: &Filter,
    every_question: bool,
) -> Result<Vec<(String, String, DeskCounts)>, StorageError> {
    let (sql, values) = desk_language_counts_query(filter, every_question);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                DeskCounts {
                    office_id: r.get(2)?,
                    department_id: r.get(3)?,
                    desk_id: r.get(4)?,
                    counts: counts_at(r, 5)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The SQL and values of [`desk_days`]: day by day.
fn desk_days_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let (source, values) = source(
        filter,
        scope,
        ROLLUP_DAYS,
        (Family::Days, true),
        Reading::Days,
    );
    let sql = format!(
        "SELECT c.office_id, c.department_id, c.desk_id, c.day, {SUMS} FROM {source}
         GROUP BY c.desk_id, c.day ORDER BY c.office_id, c.department_id, c.desk_id, c.day"
    );
    (sql, values)
}

/// Counts per desk and day (the aggregate export), by office, department, desk and day.
pub(super) fn desk_days(
    conn: &Connection,
    filter: &Filter,
    scope: &Scope,
) -> Result<Vec<DeskDay>, StorageError> {
    let (sql, values) = desk_days_query(filter, scope);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok(DeskDay {
                office_id: r.get(0)?,
                department_id: r.get(1)?,
                desk_id: r.get(2)?,
                day: r.get(3)?,
                counts: counts_at(r, 4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The trend's SQL and values: weeks are read day by day, months month by month.
fn trend_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let (bucket, reading) = match filter.step {
        Step::Week => ("date(c.day, '-6 days', 'weekday 1')", Reading::Days),
        Step::Month => ("substr(c.day, 1, 7) || '-01'", Reading::Months),
    };
    let (source, values) = source(filter, scope, ROLLUP_DAYS, (Family::Days, false), reading);
    let sql =
        format!("SELECT {bucket} AS start, {SUMS} FROM {source} GROUP BY start ORDER BY start");
    (sql, values)
}

/// Counts per week (from Monday) or month of the filter's period.
pub(super) fn trend(
    conn: &Connection,
    filter: &Filter,
    scope: &Scope,
) -> Result<Vec<TrendPoint>, StorageError> {
    let (sql, values) = trend_query(filter, scope);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok(TrendPoint {
                start: r.get(0)?,
                counts: counts_at(r, 1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The `limit` most chosen reasons: of the filter's standard, or of every standard when the
/// filter is on the overall question.
pub(super) fn reasons(
    conn: &Connection,
    filter: &Filter,
    scope: &Scope,
    limit: usize,
) -> Result<Vec<ReasonCount>, StorageError> {
    let (sql, values) = reasons_query(filter, scope, limit);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok(ReasonCount {
                question: r.get(0)?,
                reason: r.get(1)?,
                chosen: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The reasons' SQL and values.
fn reasons_query(filter: &Filter, scope: &Scope, limit: usize) -> (String, Vec<Value>) {
    let dims = Dimensions {
        question: filter.question != model::Question::Overall,
        every_question: false,
    };
    let (source, mut values) = source(
        filter,
        scope,
        dims,
        (Family::Reasons, false),
        Reading::Months,
    );
    values.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT c.question, c.reason, sum(c.chosen) AS chosen FROM {source}
         GROUP BY c.question, c.reason HAVING chosen > 0
         ORDER BY chosen DESC, c.question, c.reason LIMIT ?"
    );
    (sql, values)
}

/// The heatmap's SQL and values.
fn heatmap_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let (source, values) = source(
        filter,
        scope,
        ROLLUP_DAYS,
        (Family::Hours, false),
        Reading::Months,
    );
    let sql = format!(
        "SELECT c.weekday, c.hour, {SUMS} FROM {source}
         GROUP BY c.weekday, c.hour ORDER BY c.weekday, c.hour"
    );
    (sql, values)
}

/// Counts per weekday (Monday first) and hour, in Europe/Warsaw time.
pub(super) fn heatmap(
    conn: &Connection,
    filter: &Filter,
    scope: &Scope,
) -> Result<Vec<HeatCell>, StorageError> {
    let (sql, values) = heatmap_query(filter, scope);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok(HeatCell {
                weekday: r.get(0)?,
                hour: r.get(1)?,
                counts: counts_at(r, 2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// The usage query's SQL and values.
fn usage_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let (source, values) = source(
        filter,
        scope,
        ROLLUP_DAYS,
        (Family::Days, false),
        Reading::Months,
    );
    let sql = format!(
        "SELECT c.language, c.larger_text, {SUMS} FROM {source}
         GROUP BY c.language, c.larger_text"
    );
    (sql, values)
}

/// Answers per language chosen and per text size.
pub(super) fn usage(
    conn: &Connection,
    filter: &Filter,
    scope: &Scope,
) -> Result<Usage, StorageError> {
    let (sql, values) = usage_query(filter, scope);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params_from_iter(values), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                counts_at(r, 2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut usage = Usage::default();
    for (language, larger_text, counts) in rows {
        match usage.languages.iter_mut().find(|(l, _)| *l == language) {
            Some((_, total)) => total.add(counts),
            None => usage.languages.push((language, counts)),
        }
        if larger_text {
            usage.larger_text.add(counts);
        } else {
            usage.normal_text.add(counts);
        }
    }
    usage.languages.sort_by(|a, b| {
        b.1.responses()
            .cmp(&a.1.responses())
            .then_with(|| a.0.cmp(&b.0))
    });
    Ok(usage)
}

/// The offices, departments and desks `scope` may read: a department scope reads its office's
/// name and nothing else of the office but that department and its desks.
pub(super) fn places(conn: &Connection, scope: &Scope) -> Result<Places, StorageError> {
    let own = scope.office();
    let own_department = scope.department();
    let offices = conn
        .prepare_cached("SELECT id, name FROM offices WHERE ?1 IS NULL OR id = ?1 ORDER BY rowid")?
        .query_map([own], |r| {
            Ok(Place {
                office_id: r.get(0)?,
                department_id: None,
                desk_id: None,
                name: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let departments = conn
        .prepare_cached(
            "SELECT office_id, id, name FROM departments
             WHERE (?1 IS NULL OR office_id = ?1) AND (?2 IS NULL OR id = ?2)
             ORDER BY office_id, id",
        )?
        .query_map([own, own_department], |r| {
            Ok(Place {
                office_id: r.get(0)?,
                department_id: Some(r.get(1)?),
                desk_id: None,
                name: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let desks = conn
        .prepare_cached(
            "SELECT office_id, department_id, id, name FROM desks
             WHERE (?1 IS NULL OR office_id = ?1) AND (?2 IS NULL OR department_id = ?2)
             ORDER BY office_id, department_id, id",
        )?
        .query_map([own, own_department], |r| {
            Ok(Place {
                office_id: r.get(0)?,
                department_id: Some(r.get(1)?),
                desk_id: Some(r.get(2)?),
                name: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Places {
        offices,
        departments,
        desks,
    })
}

/// Calls `each` with every counted answer the filter selects, desk by desk in id order, each
/// desk's by day and then by content (never by time, so the order cannot tie a row to a
/// visit); stops early when `each` returns false. Rows are read one at a time, so
/// memory stays flat however many there are.
pub(super) fn export(
    conn: &Connection,
    filter: &Filter,
    scope: &Scope,
    each: &mut dyn FnMut(&ExportRow) -> bool,
) -> Result<(), StorageError> {
    let desks: Vec<Place> = places(conn, scope)?
        .desks
        .into_iter()
        .filter(|d| filter.office.as_deref().is_none_or(|o| o == d.office_id))
        .filter(|d| {
            filter
                .department
                .as_deref()
                .is_none_or(|dep| d.department_id.as_deref() == Some(dep))
        })
        .filter(|d| {
            filter
                .desk
                .as_ref()
                .is_none_or(|id| d.desk_id.as_deref() == Some(id.as_str()))
        })
        .collect();
    let mut sql = String::from(
        "SELECT local_day, question, score, reasons, burst, not_applicable
         FROM answers INDEXED BY answers_desk_day
         WHERE desk_id = ?1 AND local_day >= ?2 AND local_day <= ?3 AND counted = 1
           AND question = ?4 AND (?5 IS NULL OR language = ?5)",
    );
    if !filter.include_bursts {
        sql.push_str(" AND burst = 0");
    }
    sql.push_str(" ORDER BY local_day, score, reasons, burst");
    let mut stmt = conn.prepare_cached(&sql)?;
    for desk in desks {
        let desk_id = desk.desk_id.unwrap_or_default();
        let department_id = desk.department_id.unwrap_or_default();
        let mut rows = stmt.query(rusqlite::params![
            desk_id,
            filter.from.to_string(),
            filter.to.to_string(),
            filter.question.to_string(),
            filter.language.as_ref().map(ToString::to_string),
        ])?;
        while let Some(r) = rows.next()? {
            let row = ExportRow {
                local_day: r.get(0)?,
                office_id: desk.office_id.clone(),
                department_id: department_id.clone(),
                desk_id: desk_id.clone(),
                question: r.get(1)?,
                score: r.get(2)?,
                reasons: r.get(3)?,
                burst: r.get(4)?,
                not_applicable: r.get(5)?,
            };
            if !each(&row) {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counting::tally::{Counted, Tally};
    use crate::storage::sqlite::tally::write_tally;

    thread_local! {
        /// Makes every query read its period day by day, as before monthly rollups.
        pub(super) static DAYS_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("date")
    }

    #[test]
    fn a_period_is_read_by_whole_months_and_the_days_at_its_ends() {
        let spans_of = |from: &str, to: &str| spans(day(from), day(to), Reading::Months);
        let pair = |a: &str, b: &str| (day(a), day(b));
        assert_eq!(
            spans_of("2026-01-01", "2026-11-20"),
            (
                vec![pair("2026-11-01", "2026-11-20")],
                Some(pair("2026-01-01", "2026-10-01"))
            )
        );
        assert_eq!(
            spans_of("2024-11-21", "2026-11-20"),
            (
                vec![
                    pair("2024-11-21", "2024-11-30"),
                    pair("2026-11-01", "2026-11-20")
                ],
                Some(pair("2024-12-01", "2026-10-01"))
            )
        );
        assert_eq!(
            spans_of("2026-02-01", "2026-02-28"),
            (vec![], Some(pair("2026-02-01", "2026-02-01")))
        );
        assert_eq!(
            spans_of("2025-12-31", "2026-03-01"),
            (
                vec![
                    pair("2025-12-31", "2025-12-31"),
                    pair("2026-03-01", "2026-03-01")
                ],
                Some(pair("2026-01-01", "2026-02-01"))
            )
        );
        // No whole month, or read by day: the period as it is.
        for (from, to, reading) in [
            ("2026-10-28", "2026-11-26", Reading::Months),
            ("2026-02-02", "2026-02-28", Reading::Months),
            ("2026-01-01", "2026-11-20", Reading::Days),
        ] {
            assert_eq!(
                spans(day(from), day(to), reading),
                (vec![(day(from), day(to))], None)
            );
        }
    }

    /// Every aggregate the dashboard reads for `filter`, as text to compare.
    fn every_figure(conn: &Connection, filter: &Filter, scope: &Scope) -> String {
        let mut all = Vec::new();
        for level in [
            Level::Office,
            Level::Department,
            Level::Desk,
            Level::Question,
        ] {
            all.push(format!(
                "{:?}",
                breakdown(conn, filter, scope, level).expect("q")
            ));
        }
        all.push(format!("{:?}", trend(conn, filter, scope).expect("q")));
        all.push(format!(
            "{:?}",
            reasons(conn, filter, scope, 100).expect("q")
        ));
        all.push(format!("{:?}", heatmap(conn, filter, scope).expect("q")));
        all.push(format!("{:?}", usage(conn, filter, scope).expect("q")));
        for every in [false, true] {
            all.push(format!(
                "{:?}",
                desk_counts(conn, filter, every).expect("q")
            ));
            all.push(format!(
                "{:?}",
                desk_language_counts(conn, filter, every).expect("q")
            ));
        }
        all.join("\n")
    }

    #[test]
    fn figures_read_by_month_equal_figures_read_day_by_day() {
        use rand::{Rng, SeedableRng};
        let mut conn = Connection::open_in_memory().expect("open");
        crate::storage::sqlite::schema::migrate(&mut conn).expect("migrate");
        conn.execute_batch(
            "INSERT INTO offices VALUES ('plock', 'P'), ('gabin', 'G');
             INSERT INTO departments VALUES ('plock', 'wso', 'W'), ('gabin', 'wso', 'W');
             INSERT INTO desks VALUES ('plock-wso-01', 'plock', 'wso', 'D', 0, 'IV', 'pl', 'pl',
                 60, 20, 5, 8, 1);
             INSERT INTO desks VALUES ('gabin-wso-01', 'gabin', 'wso', 'D', 0, 'IV', 'pl', 'pl',
                 60, 20, 5, 8, 1);",
        )
        .expect("desks");
        let mut rng = rand::rngs::StdRng::seed_from_u64(15);
        let mut tally = Tally::default();
        let first = day("2025-12-20");
        for _ in 0..3000 {
            let on = first + chrono::Days::new(rng.random_range(0..150));
            let question = ["overall", "IV"][rng.random_range(0..2)];
            let score = rng.random_range(1..=4);
            let reasons = if question == "IV" && score <= 2 {
                ["iv-jargon", "iv-interrupted", "iv-jargon,iv-interrupted"][rng.random_range(0..3)]
            } else {
                ""
            };
            let answer = Counted {
                desk: ["plock-wso-01", "gabin-wso-01"][rng.random_range(0..2)].to_owned(),
                question: question.to_owned(),
                day: on.to_string(),
                hour: rng.random_range(8..16),
                language: ["pl", "uk"][rng.random_range(0..2)].to_owned(),
                larger_text: rng.random_ratio(1, 5),
                burst: question == "overall" && rng.random_ratio(1, 10),
                answer: if question == "IV" && rng.random_ratio(1, 10) {
                    model::Answer::NotApplicable
                } else {
                    model::Answer::Score(model::Score::try_from(score).expect("score"))
                },
                reasons: if rng.random_ratio(1, 10) { "" } else { reasons }.to_owned(),
            };
            tally.add(&answer, 1).expect("tally");
        }
        let tx = conn.transaction().expect("tx");
        write_tally(tally, &tx).expect("write");
        tx.commit().expect("commit");

        let today = day("2026-05-20");
        let department = Scope::Department {
            office: "plock".into(),
            department: "wso".into(),
        };
        for query in [
            "from=2025-12-20&to=2026-05-18",
            "from=2026-01-01&to=2026-03-31",
            "from=2025-12-31&to=2026-02-01&standard=IV",
            "from=2026-01-15&to=2026-04-10&office=plock&language=uk&bursts=include",
            "from=2026-01-01&to=2026-04-30&desk=gabin-wso-01&step=week",
        ] {
            let filter = Filter::parse(query, today, &[]).expect("filter").0;
            for scope in [Scope::AllOffices, department.clone()] {
                let by_month = every_figure(&conn, &filter, &scope);
                DAYS_ONLY.with(|d| d.set(true));
                let by_day = every_figure(&conn, &filter, &scope);
                DAYS_ONLY.with(|d| d.set(false));
                assert_eq!(by_month, by_day, "{query}");
                assert!(by_month.contains("Counts"), "{query}: some figures");
            }
        }
    }

    /// The query plan of `sql`, one line per step.
    fn plan(conn: &Connection, sql: &str, values: Vec<Value>) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("prepare");
        let rows = stmt
            .query_map(params_from_iter(values), |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<rusqlite::Result<Vec<_>>>()
            .expect("rows");
        rows.join("; ")
    }

    #[test]
    fn every_dashboard_query_reads_rollups_by_index_never_answers() {
        let mut conn = Connection::open_in_memory().expect("open");
        crate::storage::sqlite::schema::migrate(&mut conn).expect("migrate");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        let filters = [
            Filter::default_for(today),
            Filter::parse(
                "office=plock&department=wso&standard=IV&language=uk",
                today,
                &[],
            )
            .expect("filter")
            .0,
            Filter::parse("desk=plock-wso-03&bursts=include", today, &[])
                .expect("filter")
                .0,
            Filter::parse("from=2026-01-01&to=2026-11-20", today, &[])
                .expect("filter")
                .0,
            Filter::parse(
                "from=2024-11-21&to=2026-11-20&office=plock&standard=II&language=en",
                today,
                &[],
            )
            .expect("filter")
            .0,
        ];
        let department = Scope::Department {
            office: "plock".into(),
            department: "wso".into(),
        };
        for scope in [
            Scope::AllOffices,
            Scope::Office("gabin".into()),
            department.clone(),
        ] {
            for filter in &filters {
                let mut queries = vec![
                    trend_query(filter, &scope),
                    reasons_query(filter, &scope, 10),
                    heatmap_query(filter, &scope),
                    usage_query(filter, &scope),
                    desk_days_query(filter, &scope),
                ];
                for level in [
                    Level::Office,
                    Level::Department,
                    Level::Desk,
                    Level::Question,
                ] {
                    queries.push(breakdown_query(filter, &scope, level));
                }
                // Disclosure control decides over every office, whatever the scope.
                let everywhere = [
                    desk_counts_query(filter, false),
                    desk_counts_query(filter, true),
                    desk_language_counts_query(filter, false),
                    desk_language_counts_query(filter, true),
                ];
                for (sql, values) in queries.into_iter().chain(everywhere) {
                    let plan = plan(&conn, &sql, values);
                    assert!(!plan.contains("answers"), "{sql}: {plan}");
                    assert!(
                        !plan.contains("SCAN r"),
                        "a period is read along an index, not by scanning the rollups: {sql}: {plan}"
                    );
                    let everywhere = sql.contains("GROUP BY c.question, c.desk_id")
                        || sql.contains("GROUP BY c.question, c.language, c.desk_id");
                    if scope != Scope::AllOffices && !everywhere {
                        assert!(
                            sql.contains("d.office_id = ?"),
                            "the scope is in the query: {sql}"
                        );
                    }
                    if scope == department && !everywhere {
                        assert!(
                            sql.contains("d.department_id = ?"),
                            "the department scope is in the query: {sql}"
                        );
                    }
                }
            }
        }
    }
}
