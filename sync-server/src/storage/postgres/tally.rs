//! The rollup tables as the PostgreSQL backend keeps them: a stored answer read back as the
//! [`Counted`] the tally rules take (`crate::counting::tally`), and a transaction's [`Tally`]
//! written once per touched cell with `ON CONFLICT DO UPDATE SET n = n + excluded.n`, so two
//! transactions adding to one cell both count.

use model::{Answer, Score};
use postgres::Transaction;

use crate::counting::tally::{Counted, MonthHourCell, Tally};
use crate::storage::StorageError;

/// Reads the answer `id` as stored, with whether it is counted; `None` if there is none.
pub(super) fn load_counted(
    tx: &mut Transaction<'_>,
    id: &str,
) -> Result<Option<(Counted, bool)>, StorageError> {
    let Some(r) = tx.query_opt(
        "SELECT desk_id, question, local_day, local_hour, language, larger_text, burst,
                score, reasons, counted, not_applicable
         FROM answers WHERE id = $1",
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let answer = stored_answer(r.try_get(7)?, r.try_get(10)?).map_err(StorageError::Corrupt)?;
    Ok(Some((
        Counted {
            desk: r.try_get(0)?,
            question: r.try_get(1)?,
            day: r.try_get(2)?,
            hour: r.try_get(3)?,
            language: r.try_get(4)?,
            larger_text: r.try_get(5)?,
            burst: r.try_get(6)?,
            answer,
            reasons: r.try_get(8)?,
        },
        r.try_get(9)?,
    )))
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
pub(super) fn write_tally(tally: Tally, tx: &mut Transaction<'_>) -> Result<(), StorageError> {
    let days = tx.prepare(
        "INSERT INTO rollups (desk_id, question, day, language, larger_text, burst, score_1,
             score_2, score_3, score_4, reasons, not_applicable)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (question, day, burst, desk_id, language, larger_text) DO UPDATE SET
             score_1 = rollups.score_1 + excluded.score_1,
             score_2 = rollups.score_2 + excluded.score_2,
             score_3 = rollups.score_3 + excluded.score_3,
             score_4 = rollups.score_4 + excluded.score_4,
             reasons = rollups.reasons + excluded.reasons,
             not_applicable = rollups.not_applicable + excluded.not_applicable",
    )?;
    for (cell, change) in tally.days {
        if change.is_none() {
            continue;
        }
        let s = change.scores;
        tx.execute(
            &days,
            &[
                &cell.desk,
                &cell.question,
                &cell.day,
                &cell.language,
                &cell.larger_text,
                &cell.burst,
                &s[0],
                &s[1],
                &s[2],
                &s[3],
                &change.reasons,
                &change.not_applicable,
            ],
        )?;
    }
    let hours = tx.prepare(
        "INSERT INTO rollup_hours (desk_id, question, day, hour, language, burst, score_1,
             score_2, score_3, score_4, not_applicable)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (question, day, burst, desk_id, hour, language) DO UPDATE SET
             score_1 = rollup_hours.score_1 + excluded.score_1,
             score_2 = rollup_hours.score_2 + excluded.score_2,
             score_3 = rollup_hours.score_3 + excluded.score_3,
             score_4 = rollup_hours.score_4 + excluded.score_4,
             not_applicable = rollup_hours.not_applicable + excluded.not_applicable",
    )?;
    for (cell, change) in tally.hours {
        if change.is_none() {
            continue;
        }
        let s = change.scores;
        tx.execute(
            &hours,
            &[
                &cell.desk,
                &cell.question,
                &cell.day,
                &cell.hour,
                &cell.language,
                &cell.burst,
                &s[0],
                &s[1],
                &s[2],
                &s[3],
                &change.not_applicable,
            ],
        )?;
    }
    let reasons = tx.prepare(
        "INSERT INTO rollup_reasons (desk_id, question, day, language, burst, reason, chosen)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (day, question, burst, desk_id, language, reason) DO UPDATE SET
             chosen = rollup_reasons.chosen + excluded.chosen",
    )?;
    for (cell, chosen) in tally.reasons {
        if chosen == 0 {
            continue;
        }
        tx.execute(
            &reasons,
            &[
                &cell.desk,
                &cell.question,
                &cell.day,
                &cell.language,
                &cell.burst,
                &cell.reason,
                &chosen,
            ],
        )?;
    }
    let months = tx.prepare(
        "INSERT INTO rollup_months (question, month, burst, desk_id, language, larger_text,
             score_1, score_2, score_3, score_4, not_applicable, reasons)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (question, month, burst, desk_id, language, larger_text) DO UPDATE SET
             score_1 = rollup_months.score_1 + excluded.score_1,
             score_2 = rollup_months.score_2 + excluded.score_2,
             score_3 = rollup_months.score_3 + excluded.score_3,
             score_4 = rollup_months.score_4 + excluded.score_4,
             not_applicable = rollup_months.not_applicable + excluded.not_applicable,
             reasons = rollup_months.reasons + excluded.reasons",
    )?;
    for (cell, change) in tally.months {
        if change.is_none() {
            continue;
        }
        let s = change.scores;
        tx.execute(
            &months,
            &[
                &cell.question,
                &cell.day,
                &cell.burst,
                &cell.desk,
                &cell.language,
                &cell.larger_text,
                &s[0],
                &s[1],
                &s[2],
                &s[3],
                &change.not_applicable,
                &change.reasons,
            ],
        )?;
    }
    let month_hours = tx.prepare(
        "INSERT INTO rollup_month_hours (question, month, burst, desk_id, weekday, hour,
             language, score_1, score_2, score_3, score_4, not_applicable)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (question, month, burst, desk_id, weekday, hour, language) DO UPDATE SET
             score_1 = rollup_month_hours.score_1 + excluded.score_1,
             score_2 = rollup_month_hours.score_2 + excluded.score_2,
             score_3 = rollup_month_hours.score_3 + excluded.score_3,
             score_4 = rollup_month_hours.score_4 + excluded.score_4,
             not_applicable = rollup_month_hours.not_applicable + excluded.not_applicable",
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
        let s = change.scores;
        tx.execute(
            &month_hours,
            &[
                &cell.question,
                &cell.day,
                &cell.burst,
                &cell.desk,
                &i64::from(weekday),
                &cell.hour,
                &cell.language,
                &s[0],
                &s[1],
                &s[2],
                &s[3],
                &change.not_applicable,
            ],
        )?;
    }
    let month_reasons = tx.prepare(
        "INSERT INTO rollup_month_reasons (month, question, burst, desk_id, language, reason,
             chosen)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (month, question, burst, desk_id, language, reason) DO UPDATE SET
             chosen = rollup_month_reasons.chosen + excluded.chosen",
    )?;
    for (cell, chosen) in tally.month_reasons {
        if chosen == 0 {
            continue;
        }
        tx.execute(
            &month_reasons,
            &[
                &cell.day,
                &cell.question,
                &cell.burst,
                &cell.desk,
                &cell.language,
                &cell.reason,
                &chosen,
            ],
        )?;
    }
    Ok(())
}
