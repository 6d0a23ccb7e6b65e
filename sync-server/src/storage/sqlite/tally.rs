//! Rollup changes summed in memory during one transaction and written once per cell at its end:
//! a batch of 200 answers touches a handful of cells, not 200. One counted answer changes three
//! rollups: the daily one (`rollups`), the hourly one (`rollup_hours`) and, for each reason it
//! names, `rollup_reasons`.

use std::collections::HashMap;

use rusqlite::{Transaction, params};

use crate::storage::StorageError;

/// A counted answer: everything its rollup cells are keyed by, and what they count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Counted {
    pub desk: String,
    pub question: String,
    /// The Europe/Warsaw day of the answer's placed event time.
    pub day: String,
    /// The Europe/Warsaw hour (0–23) of the answer's placed event time.
    pub hour: i64,
    pub language: String,
    pub larger_text: bool,
    /// Whether the answer is an overall rating within a burst (see `bursts.rs`).
    pub burst: bool,
    pub score: u8,
    /// The reason codes as stored: comma-separated, empty for none.
    pub reasons: String,
}

impl Counted {
    /// Reads the answer `id` as stored, with whether it is counted; `None` if there is none.
    pub fn load(tx: &Transaction<'_>, id: &str) -> Result<Option<(Counted, bool)>, StorageError> {
        use rusqlite::OptionalExtension;
        Ok(tx
            .prepare_cached(
                "SELECT desk_id, question, local_day, local_hour, language, larger_text, burst,
                        score, reasons, counted
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
                        score: r.get(7)?,
                        reasons: r.get(8)?,
                    },
                    r.get(9)?,
                ))
            })
            .optional()?)
    }
}

/// A cell of `rollups`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct DayCell {
    desk: String,
    question: String,
    day: String,
    language: String,
    larger_text: bool,
    burst: bool,
}

/// A cell of `rollup_hours`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct HourCell {
    desk: String,
    question: String,
    day: String,
    hour: i64,
    language: String,
    burst: bool,
}

/// A cell of `rollup_reasons`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ReasonCell {
    desk: String,
    question: String,
    day: String,
    language: String,
    burst: bool,
    reason: String,
}

/// Changes to every rollup this transaction touches.
#[derive(Debug, Default)]
pub(super) struct Tally {
    /// Per cell: changes to the counts of scores 1–4, and to answers with reasons.
    days: HashMap<DayCell, ([i64; 4], i64)>,
    hours: HashMap<HourCell, [i64; 4]>,
    reasons: HashMap<ReasonCell, i64>,
}

impl Tally {
    /// Counts an answer (`delta` +1) or un-counts one (−1).
    pub fn add(&mut self, answer: &Counted, delta: i64) -> Result<(), StorageError> {
        let index = match answer.score {
            1..=4 => usize::from(answer.score - 1),
            other => return Err(StorageError::Corrupt(format!("score {other} stored"))),
        };
        let day = DayCell {
            desk: answer.desk.clone(),
            question: answer.question.clone(),
            day: answer.day.clone(),
            language: answer.language.clone(),
            larger_text: answer.larger_text,
            burst: answer.burst,
        };
        let (scores, with_reasons) = self.days.entry(day).or_default();
        scores[index] += delta;
        if !answer.reasons.is_empty() {
            *with_reasons += delta;
        }
        let hour = HourCell {
            desk: answer.desk.clone(),
            question: answer.question.clone(),
            day: answer.day.clone(),
            hour: answer.hour,
            language: answer.language.clone(),
            burst: answer.burst,
        };
        self.hours.entry(hour).or_default()[index] += delta;
        for reason in answer.reasons.split(',').filter(|r| !r.is_empty()) {
            let cell = ReasonCell {
                desk: answer.desk.clone(),
                question: answer.question.clone(),
                day: answer.day.clone(),
                language: answer.language.clone(),
                burst: answer.burst,
                reason: reason.to_owned(),
            };
            *self.reasons.entry(cell).or_default() += delta;
        }
        Ok(())
    }

    /// Moves an answer's counts from its cells as `before` to its cells as `after`.
    pub fn change(&mut self, before: &Counted, after: &Counted) -> Result<(), StorageError> {
        if before != after {
            self.add(before, -1)?;
            self.add(after, 1)?;
        }
        Ok(())
    }

    /// Applies every change to the rollup tables.
    pub fn write(self, tx: &Transaction<'_>) -> Result<(), StorageError> {
        let mut days = tx.prepare_cached(
            "INSERT INTO rollups (desk_id, question, day, language, larger_text, burst, score_1,
                 score_2, score_3, score_4, reasons)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (desk_id, question, day, language, larger_text, burst) DO UPDATE SET
                 score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
                 score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4,
                 reasons = reasons + excluded.reasons",
        )?;
        for (cell, (scores, reasons)) in self.days {
            if scores == [0; 4] && reasons == 0 {
                continue;
            }
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
                reasons
            ])?;
        }
        let mut hours = tx.prepare_cached(
            "INSERT INTO rollup_hours (desk_id, question, day, hour, language, burst, score_1,
                 score_2, score_3, score_4)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (desk_id, question, day, hour, language, burst) DO UPDATE SET
                 score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
                 score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4",
        )?;
        for (cell, scores) in self.hours {
            if scores == [0; 4] {
                continue;
            }
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
            ])?;
        }
        let mut reasons = tx.prepare_cached(
            "INSERT INTO rollup_reasons (desk_id, question, day, language, burst, reason, chosen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (desk_id, question, day, language, burst, reason) DO UPDATE SET
                 chosen = chosen + excluded.chosen",
        )?;
        for (cell, chosen) in self.reasons {
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
        Ok(())
    }
}
