//! Checks read straight from an aggregator's PostgreSQL database, for `Server::answer_ids`,
//! `Server::counted_and_rolled_up` and `Server::integers` on that engine. Blocking client: call
//! these outside an async runtime.

use std::collections::HashSet;

use postgres::types::Type;

/// Every answer id stored.
pub fn answer_ids(db: &mut postgres::Client) -> anyhow::Result<HashSet<String>> {
    Ok(db
        .query("SELECT id FROM answers", &[])?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// (answers the rollups should count, answers the rollups do count).
pub fn counted_and_rolled_up(db: &mut postgres::Client) -> anyhow::Result<(i64, i64)> {
    let counted: i64 = db
        .query_one("SELECT count(*) FROM answers WHERE counted", &[])?
        .try_get(0)?;
    let rolled: i64 = db
        .query_one(
            "SELECT coalesce(sum(score_1 + score_2 + score_3 + score_4 + not_applicable), 0)::bigint \
             FROM rollups",
            &[],
        )?
        .try_get(0)?;
    Ok((counted, rolled))
}

/// The rows `sql` selects, every column an integer (a boolean as 0 or 1), with `parameters`
/// bound as text to `$1`, `$2`….
pub fn integers(
    db: &mut postgres::Client,
    sql: &str,
    parameters: &[&str],
) -> anyhow::Result<Vec<Vec<i64>>> {
    let parameters: Vec<&(dyn postgres::types::ToSql + Sync)> = parameters
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect();
    db.query(sql, &parameters)?
        .iter()
        .map(|row| (0..row.len()).map(|i| integer(row, i)).collect())
        .collect()
}

/// Column `i` of `row` as an integer: a boolean as 0 or 1.
fn integer(row: &postgres::Row, i: usize) -> anyhow::Result<i64> {
    let column = &row.columns()[i];
    Ok(match *column.type_() {
        Type::BOOL => i64::from(row.try_get::<_, bool>(i)?),
        Type::INT2 => i64::from(row.try_get::<_, i16>(i)?),
        Type::INT4 => i64::from(row.try_get::<_, i32>(i)?),
        Type::INT8 => row.try_get::<_, i64>(i)?,
        ref other => anyhow::bail!(
            "column {} is {other}, not an integer or a boolean (cast it in the query)",
            column.name()
        ),
    })
}
