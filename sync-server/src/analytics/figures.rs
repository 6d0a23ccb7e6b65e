//! The figures every cell of the dashboard shows, from the counts of the four faces: responses,
//! CSAT (share of scores 3–4), mean and distribution. A cell is shown only when
//! [`disclosure`](super::disclosure) has not withheld it: that decision, with the configured
//! `k`, is the only rule.

use serde::Serialize;
use utoipa::ToSchema;

/// The least number of answers any shown figure comes from: the default of
/// `[privacy] min_responses`, which may only be raised.
pub const MIN_RESPONSES: i64 = 5;

/// Counted answers of one cell by score: `scores[0]` is the number of 1s, `scores[3]` of 4s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub scores: [i64; 4],
    /// Set by [`Disclosure`](super::Disclosure): the cell shows no figure at all, not even its
    /// response count (too few answers, or a complement that would let them be worked out).
    pub withheld: bool,
}

impl Counts {
    pub fn new(scores: [i64; 4]) -> Counts {
        Counts {
            scores,
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

    pub fn responses(&self) -> i64 {
        self.scores.iter().sum()
    }

    /// Adds another cell's counts to this one (a sum of cells is not withheld until disclosure
    /// control says so).
    pub fn add(&mut self, other: Counts) {
        for (mine, theirs) in self.scores.iter_mut().zip(other.scores) {
            *mine += theirs;
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withheld_cell_shows_nothing_and_a_shown_one_its_figures() {
        let withheld = Counts {
            scores: [1, 0, 0, 30],
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
}
