//! Checks read straight from an aggregator's PostgreSQL database, as `Server::answer_ids` and
//! `Server::counted_and_rolled_up` read its SQLite file. Blocking client: call these outside an
//! async runtime.

use std::collections::HashSet;

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
