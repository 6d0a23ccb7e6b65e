//! Bursts: overall ratings pressed in quick succession at one kiosk (a client "compensating" a
//! wrong press, or someone tapping the happy face over and over). They are flagged at ingest,
//! kept and counted under the rollups' `burst = 1` cells, which reports leave out unless asked.

use std::collections::HashMap;

/// A burst has at least this many overall ratings, each from a different visit…
pub const BURST_MIN_RATINGS: usize = 3;

/// …within this many milliseconds of event time (first to last, inclusive). A real visit takes
/// far longer than 10 s, so three visits inside 10 s are not three clients.
pub const BURST_WINDOW_MS: i64 = 10_000;

/// One overall rating near the one just stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nearby {
    pub event_utc_ms: i64,
    pub visit_id: String,
}

/// Which of `ratings` (sorted by event time) belong to a burst: some window of
/// [`BURST_WINDOW_MS`] holding them holds overall ratings from at least [`BURST_MIN_RATINGS`]
/// different visits. Corrections within one visit ("Change my answer") are not a burst. One pass
/// with two pointers: linear in the ratings, however dense.
pub fn members(ratings: &[Nearby]) -> Vec<bool> {
    let mut member = vec![false; ratings.len()];
    let mut visits: HashMap<&str, usize> = HashMap::new();
    let mut end = 0;
    let mut marked_to = 0;
    for (start, first) in ratings.iter().enumerate() {
        while end < ratings.len()
            && ratings[end].event_utc_ms - first.event_utc_ms <= BURST_WINDOW_MS
        {
            *visits.entry(ratings[end].visit_id.as_str()).or_default() += 1;
            end += 1;
        }
        if visits.len() >= BURST_MIN_RATINGS {
            member[start.max(marked_to)..end].fill(true);
            marked_to = marked_to.max(end);
        }
        let visit = first.visit_id.as_str();
        if let Some(count) = visits.get_mut(visit) {
            *count -= 1;
            if *count == 0 {
                visits.remove(visit);
            }
        }
    }
    member
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(times: &[(i64, &str)]) -> Vec<Nearby> {
        times
            .iter()
            .map(|(t, v)| Nearby {
                event_utc_ms: *t,
                visit_id: (*v).to_owned(),
            })
            .collect()
    }

    #[test]
    fn three_visits_within_ten_seconds_are_a_burst() {
        let ratings = at(&[(0, "a"), (4_000, "b"), (10_000, "c"), (60_000, "d")]);
        assert_eq!(members(&ratings), [true, true, true, false]);
    }

    #[test]
    fn three_visits_just_over_ten_seconds_apart_are_not() {
        let ratings = at(&[(0, "a"), (5_000, "b"), (10_001, "c")]);
        assert_eq!(members(&ratings), [false, false, false]);
    }

    #[test]
    fn corrections_within_one_visit_are_not_a_burst() {
        let ratings = at(&[(0, "a"), (2_000, "a"), (3_000, "a"), (4_000, "b")]);
        assert_eq!(members(&ratings), [false; 4]);
    }

    #[test]
    fn a_long_run_of_presses_is_one_burst_end_to_end() {
        let ratings: Vec<Nearby> = (0..10)
            .map(|i| Nearby {
                event_utc_ms: i * 6_000,
                visit_id: i.to_string(),
            })
            .collect();
        // Any two presses are 6 s apart: every window of 10 s holds two, never three.
        assert!(members(&ratings).iter().all(|m| !m));
        let dense: Vec<Nearby> = (0..10)
            .map(|i| Nearby {
                event_utc_ms: i * 2_000,
                visit_id: i.to_string(),
            })
            .collect();
        assert!(members(&dense).iter().all(|m| *m));
    }
}
