//! The dashboard's queries on PostgreSQL: every aggregate reads the rollups (`rollups`,
//! `rollup_hours`, `rollup_reasons`, and for a period's whole calendar months their monthly
//! twins) joined to `desks` for the office and department, filtered in SQL by the viewer's scope
//! and the filter, whose values are only ever bound parameters.
//!
//! This is SQLite's query builder (`sqlite/analytics.rs`) in PostgreSQL's dialect (numbered
//! placeholders, booleans, a weekday from a date, sums cast back to BIGINT, every selected
//! column grouped). Lifting the shared builder above both engines, with a dialect for these few
//! differences, is the next step (issue 16); until then a change to one must be made to both.

use chrono::{Datelike, Months, NaiveDate};
use postgres::GenericClient;
use postgres::types::ToSql;

use crate::access::Scope;
use crate::analytics::{
    Counts, DeskCounts, DeskDay, Filter, Group, HeatCell, Level, ReasonCount, Step, TrendPoint,
    Usage,
};
use crate::storage::StorageError;

/// The weekday (0 Monday … 6 Sunday) of a daily rollup's `r.day`, as the monthly rollups keep it.
const WEEKDAY_OF_DAY: &str = "(extract(isodow FROM r.day::date)::bigint - 1)";
/// The Monday that starts the week of `c.day`, `YYYY-MM-DD`.
const WEEK_OF_DAY: &str = "to_char(date_trunc('week', c.day::date), 'YYYY-MM-DD')";

/// A value bound to a placeholder.
enum Value {
    Text(String),
    Integer(i64),
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Text(text)
    }
}

/// Runs `sql`, whose placeholders are `?` in order, with `values`.
fn query(
    conn: &mut impl GenericClient,
    sql: &str,
    values: &[Value],
) -> Result<Vec<postgres::Row>, StorageError> {
    let mut numbered = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            numbered.push_str(&format!("${n}"));
        } else {
            numbered.push(c);
        }
    }
    let params: Vec<&(dyn ToSql + Sync)> = values
        .iter()
        .map(|v| match v {
            Value::Text(text) => text as &(dyn ToSql + Sync),
            Value::Integer(n) => n as &(dyn ToSql + Sync),
        })
        .collect();
    Ok(conn.query(&numbered, &params)?)
}

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
        c.sql.push_str(" AND NOT r.burst");
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
            (Family::Hours, false) => ("rollup_hours", "day", WEEKDAY_OF_DAY),
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
const SUMS: &str = "sum(c.score_1)::bigint, sum(c.score_2)::bigint, sum(c.score_3)::bigint, \
     sum(c.score_4)::bigint, sum(c.not_applicable)::bigint";

fn counts_at(row: &postgres::Row, first: usize) -> Result<Counts, StorageError> {
    Ok(Counts::new([
        row.try_get(first)?,
        row.try_get(first + 1)?,
        row.try_get(first + 2)?,
        row.try_get(first + 3)?,
    ])
    .with_not_applicable(row.try_get(first + 4)?))
}

/// The breakdown's SQL and values.
fn breakdown_query(filter: &Filter, scope: &Scope, level: Level) -> (String, Vec<Value>) {
    let (columns, group) = match level {
        Level::Office => ("c.office_id, NULL::text", "c.office_id"),
        Level::Department => (
            "c.department_id, c.office_id",
            "c.office_id, c.department_id",
        ),
        Level::Desk => ("c.desk_id, c.office_id", "c.desk_id, c.office_id"),
        Level::Question => ("c.question, NULL::text", "c.question"),
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
    conn: &mut impl GenericClient,
    filter: &Filter,
    scope: &Scope,
    level: Level,
) -> Result<Vec<Group>, StorageError> {
    let (sql, values) = breakdown_query(filter, scope, level);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok(Group {
                id: r.try_get(0)?,
                office_id: r.try_get(1)?,
                counts: counts_at(r, 2)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
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
         GROUP BY c.question, c.desk_id, c.office_id, c.department_id
         ORDER BY c.question, c.desk_id"
    );
    (sql, values)
}

/// Counts per desk of every office, with its question, for disclosure control: the filter's
/// period, language and bursts, but not its places (the decision is made over all of them), and
/// its question or, with `every_question`, each question.
pub(super) fn desk_counts(
    conn: &mut impl GenericClient,
    filter: &Filter,
    every_question: bool,
) -> Result<Vec<(String, DeskCounts)>, StorageError> {
    let (sql, values) = desk_counts_query(filter, every_question);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                DeskCounts {
                    office_id: r.try_get(1)?,
                    department_id: r.try_get(2)?,
                    desk_id: r.try_get(3)?,
                    counts: counts_at(r, 4)?,
                },
            ))
        })
        .collect::<Result<_, StorageError>>()?;
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
         FROM {source} GROUP BY c.question, c.language, c.desk_id, c.office_id, c.department_id
         ORDER BY c.question, c.language, c.desk_id"
    );
    (sql, values)
}

/// As [`desk_counts`], per language too and whatever the filter's language: what a language
/// filter's figures must agree with.
pub(super) fn desk_language_counts(
    conn: &mut impl GenericClient,
    filter: &Filter,
    every_question: bool,
) -> Result<Vec<(String, String, DeskCounts)>, StorageError> {
    let (sql, values) = desk_language_counts_query(filter, every_question);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                DeskCounts {
                    office_id: r.try_get(2)?,
                    department_id: r.try_get(3)?,
                    desk_id: r.try_get(4)?,
                    counts: counts_at(r, 5)?,
                },
            ))
        })
        .collect::<Result<_, StorageError>>()?;
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
         GROUP BY c.desk_id, c.day, c.office_id, c.department_id ORDER BY c.office_id, c.department_id, c.desk_id, c.day"
    );
    (sql, values)
}

/// Counts per desk and day (the aggregate export), by office, department, desk and day.
pub(super) fn desk_days(
    conn: &mut impl GenericClient,
    filter: &Filter,
    scope: &Scope,
) -> Result<Vec<DeskDay>, StorageError> {
    let (sql, values) = desk_days_query(filter, scope);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok(DeskDay {
                office_id: r.try_get(0)?,
                department_id: r.try_get(1)?,
                desk_id: r.try_get(2)?,
                day: r.try_get(3)?,
                counts: counts_at(r, 4)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    Ok(rows)
}

/// The trend's SQL and values: weeks are read day by day, months month by month.
fn trend_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let (bucket, reading) = match filter.step {
        Step::Week => (WEEK_OF_DAY, Reading::Days),
        Step::Month => ("substr(c.day, 1, 7) || '-01'", Reading::Months),
    };
    let (source, values) = source(filter, scope, ROLLUP_DAYS, (Family::Days, false), reading);
    let sql =
        format!("SELECT {bucket} AS start, {SUMS} FROM {source} GROUP BY start ORDER BY start");
    (sql, values)
}

/// Counts per week (from Monday) or month of the filter's period.
pub(super) fn trend(
    conn: &mut impl GenericClient,
    filter: &Filter,
    scope: &Scope,
) -> Result<Vec<TrendPoint>, StorageError> {
    let (sql, values) = trend_query(filter, scope);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok(TrendPoint {
                start: r.try_get(0)?,
                counts: counts_at(r, 1)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    Ok(rows)
}

/// The `limit` most chosen reasons: of the filter's standard, or of every standard when the
/// filter is on the overall question.
pub(super) fn reasons(
    conn: &mut impl GenericClient,
    filter: &Filter,
    scope: &Scope,
    limit: usize,
) -> Result<Vec<ReasonCount>, StorageError> {
    let (sql, values) = reasons_query(filter, scope, limit);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok(ReasonCount {
                question: r.try_get(0)?,
                reason: r.try_get(1)?,
                chosen: r.try_get(2)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
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
        "SELECT c.question, c.reason, sum(c.chosen)::bigint AS chosen FROM {source}
         GROUP BY c.question, c.reason HAVING sum(c.chosen) > 0
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
    conn: &mut impl GenericClient,
    filter: &Filter,
    scope: &Scope,
) -> Result<Vec<HeatCell>, StorageError> {
    let (sql, values) = heatmap_query(filter, scope);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok(HeatCell {
                weekday: small(r.try_get(0)?)?,
                hour: small(r.try_get(1)?)?,
                counts: counts_at(r, 2)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
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
    conn: &mut impl GenericClient,
    filter: &Filter,
    scope: &Scope,
) -> Result<Usage, StorageError> {
    let (sql, values) = usage_query(filter, scope);
    let rows = query(conn, &sql, &values)?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<_, String>(0)?,
                r.try_get::<_, bool>(1)?,
                counts_at(r, 2)?,
            ))
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
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

/// A weekday or hour as the heatmap holds it.
fn small(value: i64) -> Result<u8, StorageError> {
    u8::try_from(value).map_err(|_| StorageError::Corrupt(format!("{value} is no weekday or hour")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::Preset;
    use chrono::Datelike;

    #[test]
    fn weekdays_and_weeks_are_read_as_the_rules_count_them() {
        let database = throwaway_postgres::fresh_database().expect("database");
        let mut client = database.config().connect(postgres::NoTls).expect("connect");
        let weekday = WEEKDAY_OF_DAY.replace("r.day", "$1::text");
        let week = WEEK_OF_DAY.replace("c.day", "$1::text");
        let sql = format!("SELECT {weekday}, {week}");
        let first = NaiveDate::from_ymd_opt(2026, 11, 20).expect("date");
        for day in first.iter_days().take(10) {
            let row = client.query_one(&sql, &[&day.to_string()]).expect("query");
            let monday = day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
            assert_eq!(
                (row.get::<_, i64>(0), row.get::<_, String>(1)),
                (
                    i64::from(day.weekday().num_days_from_monday()),
                    monday.to_string()
                ),
                "{day}"
            );
        }
    }

    #[test]
    fn every_query_is_valid_sql_whichever_way_its_period_is_read() {
        let database = throwaway_postgres::fresh_database().expect("database");
        crate::storage::postgres::PostgresBackend::open(
            &database.config(),
            &crate::storage::Connections::default(),
        )
        .expect("migrated");
        let mut client = database.config().connect(postgres::NoTls).expect("connect");
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        // Days only, whole months and days, and both steps of the trend.
        for (from, to, step) in [
            (day(2), day(20), Step::Week),
            (day(1), day(30), Step::Month),
        ] {
            let filter = Filter {
                preset: Preset::Custom,
                from,
                to,
                office: Some("plock".into()),
                department: None,
                desk: None,
                question: model::Question::Overall,
                language: None,
                include_bursts: false,
                step,
            };
            let scope = Scope::AllOffices;
            for level in [
                Level::Office,
                Level::Department,
                Level::Desk,
                Level::Question,
            ] {
                breakdown(&mut client, &filter, &scope, level).expect("breakdown");
            }
            trend(&mut client, &filter, &scope).expect("trend");
            reasons(&mut client, &filter, &scope, 5).expect("reasons");
            heatmap(&mut client, &filter, &scope).expect("heatmap");
            usage(&mut client, &filter, &scope).expect("usage");
            desk_days(&mut client, &filter, &scope).expect("desk days");
            for every_question in [false, true] {
                desk_counts(&mut client, &filter, every_question).expect("desk counts");
                desk_language_counts(&mut client, &filter, every_question)
                    .expect("desk language counts");
            }
        }
    }
}
