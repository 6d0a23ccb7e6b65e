//! The rollup tables as the SQLite backend keeps them: a stored answer read back as the
//! [`Counted`] the tally rules take (`crate::counting::tally`), and a transaction's [`Tally`]
//! written once per touched cell.

use model::{Answer, Score};
use rusqlite::{Transaction, params};

use crate::counting::tally::{Counted, MonthHourCell, Tally};
use crate::storage::StorageError;

/// Reads the answer `id` as stored, with whether it is counted; `None` if there is none.
pub(super) fn load_counted(
    tx: &Transaction<'_>,
    id: &str,
) -> Result<Option<(Counted, bool)>, StorageError> {
    use rusqlite::OptionalExtension;
    Ok(tx
        .prepare_cached(
            "SELECT desk_id, question, local_day, local_hour, language, larger_text, burst,
                    score, reasons, counted, not_applicable
             FROM answers WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                Counted {
                    desk: r.get(0)?,
                    question: r.get(1)?,
                    day: r.get(2)?,
                    hour: r.get(3)?,
                    language: r.get(4)?,
                    larger_text: r.get(5)?,
                    burst: r.get(6)?,
                    answer: stored_answer(r.get(7)?, r.get(10)?).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            7,
                            rusqlite::types::Type::Integer,
                            e.into(),
                        )
                    })?,
                    reasons: r.get(8)?,
                },
                r.get(9)?,
            ))
        })
        .optional()?)
}

/// The answer an `answers` row holds: its score, or "does not apply" (`score` NULL).
pub(super) fn stored_answer(score: Option<i64>, not_applicable: bool) -> Result<Answer, String> {
    match (score, not_applicable) {
        (Some(score), false) => Score::try_from(score)
            .map(Answer::Score)
            .map_err(|e| e.to_string()),
        (None, true) => Ok(Answer::NotApplicable),
        (score, not_applicable) => Err(format!(
            "score {score:?} stored with not_applicable {not_applicable}"
        )),
    }
}

/// Applies every change of `tally` to the rollup tables.
pub(super) fn write_tally(tally: Tally, tx: &Transaction<'_>) -> Result<(), StorageError> {
    let mut days = tx.prepare_cached(
        "INSERT INTO rollups (desk_id, question, day, language, larger_text, burst, score_1,
             score_2, score_3, score_4, reasons, not_applicable)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (desk_id, question, day, language, larger_text, burst) DO UPDATE SET
             score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
             score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4,
             reasons = reasons + excluded.reasons,
             not_applicable = not_applicable + excluded.not_applicable",
    )?;
    for (cell, change) in tally.days {
        if change.is_none() {
            continue;
        }
        let scores = change.scores;
        days.execute(params![
            cell.desk,
            cell.question,
            cell.day,
            cell.language,
            cell.larger_text,
            cell.burst,
            scores[0],
            scores[1],
            scores[2],
            scores[3],
            change.reasons,
            change.not_applicable,
        ])?;
    }
    let mut hours = tx.prepare_cached(
        "INSERT INTO rollup_hours (desk_id, question, day, hour, language, burst, score_1,
             score_2, score_3, score_4, not_applicable)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (desk_id, question, day, hour, language, burst) DO UPDATE SET
             score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
             score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4,
             not_applicable = not_applicable + excluded.not_applicable",
    )?;
    for (cell, change) in tally.hours {
        if change.is_none() {
            continue;
        }
        let scores = change.scores;
        hours.execute(params![
            cell.desk,
            cell.question,
            cell.day,
            cell.hour,
            cell.language,
            cell.burst,
            scores[0],
            scores[1],
            scores[2],
            scores[3],
            change.not_applicable,
        ])?;
    }
    let mut reasons = tx.prepare_cached(
        "INSERT INTO rollup_reasons (desk_id, question, day, language, burst, reason, chosen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (desk_id, question, day, language, burst, reason) DO UPDATE SET
             chosen = chosen + excluded.chosen",
    )?;
    for (cell, chosen) in tally.reasons {
        if chosen == 0 {
            continue;
        }
        reasons.execute(params![
            cell.desk,
            cell.question,
            cell.day,
            cell.language,
            cell.burst,
            cell.reason,
            chosen
        ])?;
    }
    let mut months = tx.prepare_cached(
        "INSERT INTO rollup_months (question, month, burst, desk_id, language, larger_text,
             score_1, score_2, score_3, score_4, not_applicable, reasons)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (question, month, burst, desk_id, language, larger_text) DO UPDATE SET
             score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
             score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4,
             not_applicable = not_applicable + excluded.not_applicable,
             reasons = reasons + excluded.reasons",
    )?;
    for (cell, change) in tally.months {
        if change.is_none() {
            continue;
        }
        let scores = change.scores;
        months.execute(params![
            cell.question,
            cell.day,
            cell.burst,
            cell.desk,
            cell.language,
            cell.larger_text,
            scores[0],
            scores[1],
            scores[2],
            scores[3],
            change.not_applicable,
            change.reasons,
        ])?;
    }
    let mut month_hours = tx.prepare_cached(
        "INSERT INTO rollup_month_hours (question, month, burst, desk_id, weekday, hour,
             language, score_1, score_2, score_3, score_4, not_applicable)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (question, month, burst, desk_id, weekday, hour, language) DO UPDATE SET
             score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
             score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4,
             not_applicable = not_applicable + excluded.not_applicable",
    )?;
    for (
        MonthHourCell {
            hour: cell,
            weekday,
        },
        change,
    ) in tally.month_hours
    {
        if change.is_none() {
            continue;
        }
        let scores = change.scores;
        month_hours.execute(params![
            cell.question,
            cell.day,
            cell.burst,
            cell.desk,
            weekday,
            cell.hour,
            cell.language,
            scores[0],
            scores[1],
            scores[2],
            scores[3],
            change.not_applicable,
        ])?;
    }
    let mut month_reasons = tx.prepare_cached(
        "INSERT INTO rollup_month_reasons (month, question, burst, desk_id, language, reason,
             chosen)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (month, question, burst, desk_id, language, reason) DO UPDATE SET
             chosen = chosen + excluded.chosen",
    )?;
    for (cell, chosen) in tally.month_reasons {
        if chosen == 0 {
            continue;
        }
        month_reasons.execute(params![
            cell.day,
            cell.question,
            cell.burst,
            cell.desk,
            cell.language,
            cell.reason,
            chosen
        ])?;
    }
    Ok(())
}
