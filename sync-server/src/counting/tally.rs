//! How counted answers change the rollup cells, summed in memory during one transaction so the
//! backend writes each touched cell once at its end: a batch of 200 answers touches a handful of
//! cells, not 200. One counted answer changes three rollups: the daily one, the hourly one and,
//! for each reason it names, the reasons'; and the same three by calendar month (the hourly one
//! by weekday and hour), which long periods read. A "does not apply" answer is counted in a
//! cell's `not_applicable`, never among the four scores.

use std::collections::HashMap;

use model::Answer;

/// A counted answer: everything its rollup cells are keyed by, and what they count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
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

/// Changes to one rollup cell's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    /// Scores 1–4.
    pub scores: [i64; 4],
    pub not_applicable: i64,
    /// Answers that named at least one reason.
    pub reasons: i64,
}

impl Change {
    /// Counts `answer` (`delta` +1) or un-counts it (−1).
    pub fn count(&mut self, answer: Answer, delta: i64) {
        match answer {
            Answer::Score(score) => self.scores[usize::from(score.value() - 1)] += delta,
            Answer::NotApplicable => self.not_applicable += delta,
        }
    }

    /// Whether the cell is left as it was.
    pub fn is_none(&self) -> bool {
        *self == Change::default()
    }
}

/// A cell of `rollups`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DayCell {
    pub desk: String,
    pub question: String,
    pub day: String,
    pub language: String,
    pub larger_text: bool,
    pub burst: bool,
}

/// A cell of `rollup_hours`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HourCell {
    pub desk: String,
    pub question: String,
    pub day: String,
    pub hour: i64,
    pub language: String,
    pub burst: bool,
}

/// A cell of `rollup_reasons`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReasonCell {
    pub desk: String,
    pub question: String,
    pub day: String,
    pub language: String,
    pub burst: bool,
    pub reason: String,
}

/// A cell of `rollup_month_hours`: `day` holds the month's first day, and the weekday is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MonthHourCell {
    pub hour: HourCell,
    /// 0 Monday … 6 Sunday.
    pub weekday: u32,
}

/// The first day (`YYYY-MM-01`) of the month of `day` (`YYYY-MM-DD`): the key of the monthly
/// rollups.
pub fn month_of(day: &str) -> Result<String, String> {
    Ok(format!("{}-01", &parse_day(day)?.format("%Y-%m")))
}

/// The weekday of `day`, 0 Monday … 6 Sunday.
fn weekday_of(day: &str) -> Result<u32, String> {
    Ok(chrono::Datelike::weekday(&parse_day(day)?).num_days_from_monday())
}

fn parse_day(day: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .map_err(|e| format!("answer day {day:?}: {e}"))
}

/// Changes to every rollup this transaction touches.
#[derive(Debug, Default)]
pub struct Tally {
    pub days: HashMap<DayCell, Change>,
    pub hours: HashMap<HourCell, Change>,
    pub reasons: HashMap<ReasonCell, i64>,
    /// The monthly cells: as the daily ones, with `day` the month's first day.
    pub months: HashMap<DayCell, Change>,
    pub month_hours: HashMap<MonthHourCell, Change>,
    pub month_reasons: HashMap<ReasonCell, i64>,
}

impl Tally {
    /// Counts an answer (`delta` +1) or un-counts one (−1), in its day's cells and its month's.
    pub fn add(&mut self, answer: &Counted, delta: i64) -> Result<(), String> {
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
    pub fn change(&mut self, before: &Counted, after: &Counted) -> Result<(), String> {
        if before != after {
            self.add(before, -1)?;
            self.add(after, 1)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use model::{Answer, Score};

    use super::*;

    fn counted(day: &str, hour: i64, answer: Answer, reasons: &str) -> Counted {
        Counted {
            desk: "plock-wso-01".into(),
            question: "IV".into(),
            day: day.into(),
            hour,
            language: "pl".into(),
            larger_text: false,
            burst: false,
            answer,
            reasons: reasons.into(),
        }
    }

    fn day_cell<'a>(tally: &'a Tally, day: &str) -> Option<&'a Change> {
        tally
            .days
            .iter()
            .find(|(cell, _)| cell.day == day)
            .map(|(_, change)| change)
    }

    #[test]
    fn an_answer_counts_in_its_day_hour_month_and_reasons() {
        let mut tally = Tally::default();
        let bad = counted(
            "2026-11-23",
            9,
            Score::VERY_BAD.into(),
            "iv-interrupted,iv-jargon",
        );
        tally.add(&bad, 1).expect("count");
        let day = day_cell(&tally, "2026-11-23").expect("day cell");
        assert_eq!(
            (day.scores, day.not_applicable, day.reasons),
            ([1, 0, 0, 0], 0, 1)
        );
        assert_eq!(tally.hours.len(), 1);
        assert_eq!(tally.reasons.len(), 2, "one cell per reason named");
        let month = tally
            .months
            .iter()
            .find(|(cell, _)| cell.day == "2026-11-01")
            .map(|(_, change)| change.scores);
        assert_eq!(month, Some([1, 0, 0, 0]));
        let (cell, _) = tally.month_hours.iter().next().expect("month hour");
        assert_eq!((cell.weekday, cell.hour.hour), (0, 9), "a Monday at 9");
        assert_eq!(tally.month_reasons.values().sum::<i64>(), 2);
    }

    #[test]
    fn not_applicable_is_never_a_score() {
        let mut tally = Tally::default();
        tally
            .add(&counted("2026-11-23", 9, Answer::NotApplicable, ""), 1)
            .expect("count");
        let day = day_cell(&tally, "2026-11-23").expect("day cell");
        assert_eq!((day.scores, day.not_applicable), ([0; 4], 1));
    }

    #[test]
    fn a_corrected_answer_leaves_only_the_correction_counted() {
        let mut tally = Tally::default();
        let first = counted("2026-11-23", 9, Score::BAD.into(), "");
        let correction = counted("2026-11-23", 9, Score::VERY_GOOD.into(), "");
        tally.add(&first, 1).expect("count");
        tally.add(&correction, 1).expect("count");
        tally.add(&first, -1).expect("un-count");
        let day = day_cell(&tally, "2026-11-23").expect("day cell");
        assert_eq!(day.scores, [0, 0, 0, 1]);
    }

    #[test]
    fn a_moved_answer_leaves_its_old_day_and_an_unchanged_one_touches_nothing() {
        let mut tally = Tally::default();
        let before = counted("2026-11-25", 14, Score::GOOD.into(), "");
        let after = counted("2026-11-23", 9, Score::GOOD.into(), "");
        tally.change(&before, &after).expect("move");
        assert_eq!(
            day_cell(&tally, "2026-11-25").map(|c| c.scores),
            Some([0, 0, -1, 0])
        );
        assert_eq!(
            day_cell(&tally, "2026-11-23").map(|c| c.scores),
            Some([0, 0, 1, 0])
        );
        let mut untouched = Tally::default();
        untouched.change(&after, &after).expect("no move");
        assert!(untouched.days.is_empty() && untouched.months.is_empty());
    }

    #[test]
    fn a_malformed_day_is_named() {
        let err = Tally::default()
            .add(&counted("23.11.2026", 9, Score::GOOD.into(), ""), 1)
            .expect_err("not a day");
        assert!(err.contains("23.11.2026"), "{err}");
    }
}
