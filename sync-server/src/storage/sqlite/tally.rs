//! Rollup changes summed in memory during one transaction and written once per cell at its end:
//! a batch of 200 answers touches a handful of cells, not 200. One counted answer changes three
//! rollups: the daily one (`rollups`), the hourly one (`rollup_hours`) and, for each reason it
//! names, `rollup_reasons`; and the same three by calendar month (`rollup_months`,
//! `rollup_month_hours` by weekday and hour, `rollup_month_reasons`), which long periods read.
//! A "does not apply" answer is counted in the cells' `not_applicable` column, never among the
//! four scores.

use std::collections::HashMap;

use model::{Answer, Score};
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
    pub answer: Answer,
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

/// Changes to one rollup cell's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Change {
    /// Scores 1–4.
    scores: [i64; 4],
    not_applicable: i64,
    /// Answers that named at least one reason (kept in daily cells only).
    reasons: i64,
}

impl Change {
    fn count(&mut self, answer: Answer, delta: i64) {
        match answer {
            Answer::Score(score) => self.scores[usize::from(score.value() - 1)] += delta,
            Answer::NotApplicable => self.not_applicable += delta,
        }
    }

    fn is_none(&self) -> bool {
        *self == Change::default()
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

/// A cell of `rollup_month_hours`: `day` holds the month's first day, and the weekday is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct MonthHourCell {
    hour: HourCell,
    /// 0 Monday … 6 Sunday.
    weekday: u32,
}

/// The first day (`YYYY-MM-01`) of the month of `day` (`YYYY-MM-DD`): the key of the monthly
/// rollups.
pub(super) fn month_of(day: &str) -> Result<String, StorageError> {
    Ok(format!("{}-01", &parse_day(day)?.format("%Y-%m")))
}

/// The weekday of `day`, 0 Monday … 6 Sunday.
fn weekday_of(day: &str) -> Result<u32, StorageError> {
    Ok(chrono::Datelike::weekday(&parse_day(day)?).num_days_from_monday())
}

fn parse_day(day: &str) -> Result<chrono::NaiveDate, StorageError> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|e| StorageError::Corrupt(format!("answer day {day:?}: {e}")))
}

/// Changes to every rollup this transaction touches.
#[derive(Debug, Default)]
pub(super) struct Tally {
    days: HashMap<DayCell, Change>,
    hours: HashMap<HourCell, Change>,
    reasons: HashMap<ReasonCell, i64>,
    /// The monthly cells: as the daily ones, with `day` the month's first day.
    months: HashMap<DayCell, Change>,
    month_hours: HashMap<MonthHourCell, Change>,
    month_reasons: HashMap<ReasonCell, i64>,
}

impl Tally {
    /// Counts an answer (`delta` +1) or un-counts one (−1), in its day's cells and its month's.
    pub fn add(&mut self, answer: &Counted, delta: i64) -> Result<(), StorageError> {
        let month = month_of(&answer.day)?;
        let weekday = weekday_of(&answer.day)?;
        for (day, monthly) in [(answer.day.as_str(), false), (month.as_str(), true)] {
            let day_cell = DayCell {
                desk: answer.desk.clone(),
                question: answer.question.clone(),
                day: day.to_owned(),
                language: answer.language.clone(),
                larger_text: answer.larger_text,
                burst: answer.burst,
            };
            let days = if monthly {
                &mut self.months
            } else {
                &mut self.days
            };
            let change = days.entry(day_cell).or_default();
            change.count(answer.answer, delta);
            if !answer.reasons.is_empty() {
                change.reasons += delta;
            }
            let hour = HourCell {
                desk: answer.desk.clone(),
                question: answer.question.clone(),
                day: day.to_owned(),
                hour: answer.hour,
                language: answer.language.clone(),
                burst: answer.burst,
            };
            let change = if monthly {
                self.month_hours
                    .entry(MonthHourCell { hour, weekday })
                    .or_default()
            } else {
                self.hours.entry(hour).or_default()
            };
            change.count(answer.answer, delta);
            let reasons = if monthly {
                &mut self.month_reasons
            } else {
                &mut self.reasons
            };
            for reason in answer.reasons.split(',').filter(|r| !r.is_empty()) {
                let cell = ReasonCell {
                    desk: answer.desk.clone(),
                    question: answer.question.clone(),
                    day: day.to_owned(),
                    language: answer.language.clone(),
                    burst: answer.burst,
                    reason: reason.to_owned(),
                };
                *reasons.entry(cell).or_default() += delta;
            }
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
                 score_2, score_3, score_4, reasons, not_applicable)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT (desk_id, question, day, language, larger_text, burst) DO UPDATE SET
                 score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
                 score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4,
                 reasons = reasons + excluded.reasons,
                 not_applicable = not_applicable + excluded.not_applicable",
        )?;
        for (cell, change) in self.days {
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
        for (cell, change) in self.hours {
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
        for (cell, change) in self.months {
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
        ) in self.month_hours
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
        for (cell, chosen) in self.month_reasons {
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
}
