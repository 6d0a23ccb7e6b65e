//! Checks read straight from an aggregator's SQLite database, as `tests::postgres` reads a
//! PostgreSQL one.

use std::collections::HashSet;

/// Every answer id stored.
pub fn answer_ids(db: &rusqlite::Connection) -> anyhow::Result<HashSet<String>> {
    let mut select = db.prepare("SELECT id FROM answers")?;
    let ids = select
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// (answers the rollups should count, answers the rollups do count).
pub fn counted_and_rolled_up(db: &rusqlite::Connection) -> anyhow::Result<(i64, i64)> {
    let counted: i64 = db.query_row("SELECT count(*) FROM answers WHERE counted = 1", [], |r| {
        r.get(0)
    })?;
    let rolled: i64 = db.query_row(
        "SELECT coalesce(sum(score_1 + score_2 + score_3 + score_4 + not_applicable), 0) \
         FROM rollups",
        [],
        |r| r.get(0),
    )?;
    Ok((counted, rolled))
}
