//! The figures every cell of the dashboard shows, from the counts of the four faces: responses,
//! CSAT (share of scores 3–4), mean and distribution. A cell is shown only when
//! [`disclosure`](super::disclosure) has not withheld it: that decision, with the configured
//! `k`, is the only rule. "Does not apply" answers are counted beside the scores, never among
//! them: they show only as their share of a standard's answers, under the same decision.

use serde::Serialize;
use utoipa::ToSchema;

/// The least number of answers any shown figure comes from: the default of
/// `[privacy] min_responses`, which may only be raised.
pub const MIN_RESPONSES: i64 = 5;

/// Counted answers of one cell by score: `scores[0]` is the number of 1s, `scores[3]` of 4s;
/// and the "does not apply" answers, which are not scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub scores: [i64; 4],
    pub not_applicable: i64,
    /// Set by [`Disclosure`](super::Disclosure): the cell shows no figure at all, not even its
    /// response count (too few answers, or a complement that would let them be worked out).
    pub withheld: bool,
}

impl Counts {
    pub fn new(scores: [i64; 4]) -> Counts {
        Counts {
            scores,
            not_applicable: 0,
            withheld: false,
        }
    }

    /// The response count a page may print: `None` when withheld.
    pub fn shown_responses(&self) -> Option<i64> {
        let responses = self.responses();
        (!self.is_withheld()).then_some(responses)
    }

    /// Whether the cell shows nothing: withheld by disclosure control.
    pub fn is_withheld(&self) -> bool {
        self.withheld
    }

    /// These counts with `not_applicable` "does not apply" answers.
    pub fn with_not_applicable(self, not_applicable: i64) -> Counts {
        Counts {
            not_applicable,
            ..self
        }
    }

    /// Scores given: what CSAT, mean and distribution are computed from.
    pub fn responses(&self) -> i64 {
        self.scores.iter().sum()
    }

    /// Every answer: the scores and the "does not apply" answers.
    pub fn answers(&self) -> i64 {
        self.responses() + self.not_applicable
    }

    /// The "does not apply" count a page may print: `None` when withheld (disclosure control
    /// weighs a cell's answers with "does not apply" as well as its scores).
    pub fn shown_not_applicable(&self) -> Option<i64> {
        (!self.is_withheld()).then_some(self.not_applicable)
    }

    /// The share of answers that said "does not apply", in percent; `None` when its count is not
    /// shown ([`Counts::shown_not_applicable`]) or the cell is empty.
    pub fn not_applicable_percent(&self) -> Option<f64> {
        let not_applicable = self.shown_not_applicable()?;
        let answers = self.answers();
        if answers == 0 {
            return None;
        }
        #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^52")]
        let (not_applicable, total) = (not_applicable as f64, answers as f64);
        Some(100.0 * not_applicable / total)
    }

    /// Adds another cell's counts to this one (a sum of cells is not withheld until disclosure
    /// control says so).
    pub fn add(&mut self, other: Counts) {
        for (mine, theirs) in self.scores.iter_mut().zip(other.scores) {
            *mine += theirs;
        }
        self.not_applicable += other.not_applicable;
    }

    /// The scores' figures, or `None` when the cell is withheld or empty.
    pub fn figures(&self) -> Option<Figures> {
        let responses = self.responses();
        if self.is_withheld() || responses == 0 {
            return None;
        }
        #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^52")]
        let (total, scores) = (responses as f64, self.scores.map(|n| n as f64));
        let weighted: f64 = scores
            .iter()
            .zip(1..=4)
            .map(|(n, s)| n * f64::from(s))
            .sum();
        Some(Figures {
            responses,
            csat_percent: 100.0 * (scores[2] + scores[3]) / total,
            mean: weighted / total,
            distribution: self.scores,
            shares_percent: scores.map(|n| 100.0 * n / total),
        })
    }

    /// The JSON form: nothing but the flag when withheld.
    pub fn cell(&self) -> Cell {
        let figures = self.figures();
        Cell {
            responses: self.shown_responses(),
            too_few_responses: self.is_withheld(),
            csat_percent: figures.as_ref().map(|f| f.csat_percent),
            mean: figures.as_ref().map(|f| f.mean),
            distribution: figures.map(|f| f.distribution),
            not_applicable: self.shown_not_applicable(),
            not_applicable_percent: self.not_applicable_percent(),
        }
    }
}

/// What a cell with enough responses shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub responses: i64,
    /// Share of scores 3 and 4, in percent.
    pub csat_percent: f64,
    /// Mean score on the 1–4 scale.
    pub mean: f64,
    /// Counts of scores 1, 2, 3, 4.
    pub distribution: [i64; 4],
    /// Shares of scores 1, 2, 3, 4, in percent.
    pub shares_percent: [f64; 4],
}

/// One cell as the JSON API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Cell {
    /// Counted answers in the cell; null when withheld.
    pub responses: Option<i64>,
    /// True when the cell is withheld: it has fewer than `min_responses` answers (5 unless
    /// configured higher), or it is withheld so that such a cell cannot be worked out by
    /// subtracting shown cells from a shown total. Every other field is then null.
    pub too_few_responses: bool,
    /// Share of scores 3–4 in percent.
    pub csat_percent: Option<f64>,
    /// Mean score, 1–4.
    pub mean: Option<f64>,
    /// Counts of scores 1, 2, 3 and 4.
    pub distribution: Option<[i64; 4]>,
    /// "Does not apply" answers in the cell: not scores, never in `responses`, CSAT or mean;
    /// null when the cell is withheld (its scores, or its answers with these, are too few).
    pub not_applicable: Option<i64>,
    /// Their share of every answer (scores and "does not apply") in percent; null as above.
    pub not_applicable_percent: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withheld_cell_shows_nothing_and_a_shown_one_its_figures() {
        let withheld = Counts {
            scores: [1, 0, 0, 30],
            not_applicable: 0,
            withheld: true,
        };
        assert_eq!(withheld.figures(), None);
        let cell = withheld.cell();
        assert!(cell.too_few_responses);
        assert_eq!(
            (cell.responses, cell.csat_percent, cell.mean),
            (None, None, None)
        );
        assert_eq!(cell.distribution, None);

        let five = Counts::new([1, 1, 0, 3]).figures().expect("shown");
        assert_eq!(five.responses, 5);
        assert!((five.csat_percent - 60.0).abs() < 1e-9);
        assert!((five.mean - 15.0 / 5.0).abs() < 1e-9);
        assert!((five.shares_percent[3] - 60.0).abs() < 1e-9);
    }

    #[test]
    fn withholding_is_disclosure_controls_decision_alone() {
        // Not withheld by disclosure control (which applies the configured k): shown, however
        // few its answers; no second, constant rule here.
        let four = Counts::new([0, 0, 2, 2]);
        assert!(!four.is_withheld());
        assert_eq!(four.shown_responses(), Some(4));
    }

    #[test]
    fn not_applicable_answers_never_move_csat_mean_or_distribution() {
        let scores = Counts::new([1, 1, 0, 3]);
        let with = scores.with_not_applicable(15);
        assert_eq!(with.responses(), 5);
        assert_eq!(with.answers(), 20);
        assert_eq!(with.figures(), scores.figures());
        let share = with.not_applicable_percent().expect("20 answers");
        assert!((share - 75.0).abs() < 1e-9);
        let cell = with.cell();
        assert_eq!((cell.responses, cell.not_applicable), (Some(5), Some(15)));
        assert_eq!(cell.csat_percent, scores.cell().csat_percent);
        // An empty cell has no share.
        assert_eq!(Counts::default().not_applicable_percent(), None);
        // Only "does not apply": no score figures, but the share.
        let only = Counts::default().with_not_applicable(6);
        assert_eq!(only.figures(), None);
        assert_eq!(only.not_applicable_percent(), Some(100.0));
        // A cell disclosure control withholds shows neither count nor share.
        let withheld = Counts {
            withheld: true,
            ..with
        };
        assert_eq!(withheld.cell().not_applicable, None);
        assert_eq!(withheld.not_applicable_percent(), None);
    }
}
