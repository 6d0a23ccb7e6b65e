//! The dashboard's queries: every aggregate reads the rollups (`rollups`, `rollup_hours`,
//! `rollup_reasons`) joined to `desks` for the office and department, filtered in SQL by the
//! viewer's scope and the filter, whose values are only ever bound parameters. Only the export
//! reads individual answers, desk by desk along an index, row by row.

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

/// Which of the filter's dimensions a rollup table has.
#[derive(Clone, Copy)]
struct Dimensions {
    /// The table's day column (`day` in rollups, `local_day` in answers).
    day: &'static str,
    /// Whether to filter by the filter's question.
    question: bool,
    /// Otherwise, whether to list every question (for tables indexed by question first).
    every_question: bool,
}

/// The conditions for rows of table alias `r` joined to `desks d`.
fn conditions(filter: &Filter, scope: &Scope, dims: Dimensions) -> Conditions {
    let mut c = Conditions {
        sql: format!("r.{0} >= ? AND r.{0} <= ?", dims.day),
        values: vec![
            Value::Text(filter.from.to_string()),
            Value::Text(filter.to.to_string()),
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
    day: "day",
    question: true,
    every_question: false,
};

/// A cell's counts, as [`counts_at`] reads them: scores 1-4, then "does not apply".
const SUMS: &str =
    "sum(r.score_1), sum(r.score_2), sum(r.score_3), sum(r.score_4), sum(r.not_applicable)";

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
        Level::Office => ("d.office_id, NULL", "d.office_id"),
        Level::Department => (
            "d.department_id, d.office_id",
            "d.office_id, d.department_id",
        ),
        Level::Desk => ("r.desk_id, d.office_id", "r.desk_id"),
        Level::Question => ("r.question, NULL", "r.question"),
    };
    let dims = Dimensions {
        question: level != Level::Question,
        every_question: level == Level::Question,
        ..ROLLUP_DAYS
    };
    let c = conditions(filter, scope, dims);
    let sql = format!(
        "SELECT {columns}, {SUMS} FROM rollups r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY {group} ORDER BY {group}",
        c.sql
    );
    (sql, c.values)
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
        ..ROLLUP_DAYS
    };
    let c = conditions(&everywhere, &Scope::AllOffices, dims);
    let sql = format!(
        "SELECT r.question, d.office_id, d.department_id, r.desk_id, {SUMS}
         FROM rollups r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY r.question, r.desk_id ORDER BY r.question, r.desk_id",
        c.sql
    );
    (sql, c.values)
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
        ..ROLLUP_DAYS
    };
    let c = conditions(&every_language, &Scope::AllOffices, dims);
    let sql = format!(
        "SELECT r.question, r.language, d.office_id, d.department_id, r.desk_id, {SUMS}
         FROM rollups r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY r.question, r.language, r.desk_id
         ORDER BY r.question, r.language, r.desk_id",
        c.sql
    );
    (sql, c.values)
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

/// The SQL and values of [`desk_days`].
fn desk_days_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let c = conditions(filter, scope, ROLLUP_DAYS);
    let sql = format!(
        "SELECT d.office_id, d.department_id, r.desk_id, r.day, {SUMS}
         FROM rollups r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY r.desk_id, r.day ORDER BY d.office_id, d.department_id, r.desk_id, r.day",
        c.sql
    );
    (sql, c.values)
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

/// The trend's SQL and values.
fn trend_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let bucket = match filter.step {
        Step::Week => "date(r.day, '-6 days', 'weekday 1')",
        Step::Month => "substr(r.day, 1, 7) || '-01'",
    };
    let c = conditions(filter, scope, ROLLUP_DAYS);
    let sql = format!(
        "SELECT {bucket} AS start, {SUMS} FROM rollups r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY start ORDER BY start",
        c.sql
    );
    (sql, c.values)
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
        ..ROLLUP_DAYS
    };
    let mut c = conditions(filter, scope, dims);
    c.values
        .push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT r.question, r.reason, sum(r.chosen) AS chosen
         FROM rollup_reasons r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY r.question, r.reason HAVING chosen > 0
         ORDER BY chosen DESC, r.question, r.reason LIMIT ?",
        c.sql
    );
    (sql, c.values)
}

/// The heatmap's SQL and values.
fn heatmap_query(filter: &Filter, scope: &Scope) -> (String, Vec<Value>) {
    let c = conditions(filter, scope, ROLLUP_DAYS);
    let sql = format!(
        "SELECT (CAST(strftime('%w', r.day) AS INTEGER) + 6) % 7 AS weekday, r.hour, {SUMS}
         FROM rollup_hours r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY weekday, r.hour ORDER BY weekday, r.hour",
        c.sql
    );
    (sql, c.values)
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
    let c = conditions(filter, scope, ROLLUP_DAYS);
    let sql = format!(
        "SELECT r.language, r.larger_text, {SUMS} FROM rollups r JOIN desks d ON d.id = r.desk_id
         WHERE {} GROUP BY r.language, r.larger_text",
        c.sql
    );
    (sql, c.values)
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
        crate::storage::schema::migrate(&mut conn).expect("migrate");
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
                    let everywhere = sql.contains("GROUP BY r.question, r.desk_id")
                        || sql.contains("GROUP BY r.question, r.language, r.desk_id");
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
