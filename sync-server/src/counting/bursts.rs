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

/// The stretches of event time a batch's overall ratings (`times`, in any order) need looking
/// at for bursts, as (first, last) pairs in order: the times sorted and split wherever two
/// neighbours are more than [`BURST_WINDOW_MS`] apart. Any burst a rating at `t` joins lies
/// within [`BURST_WINDOW_MS`] of `t`, so reading each stretch widened by the window finds every
/// one, and two ratings a month apart read two minutes of a kiosk's history, not the month.
pub fn spans(times: &[i64]) -> Vec<(i64, i64)> {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let mut spans: Vec<(i64, i64)> = Vec::new();
    for t in sorted {
        match spans.last_mut() {
            Some((_, last)) if t - *last <= BURST_WINDOW_MS => *last = t,
            _ => spans.push((t, t)),
        }
    }
    spans
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
    fn a_batch_is_looked_at_in_stretches_split_where_its_ratings_are_over_the_window_apart() {
        assert_eq!(spans(&[]), []);
        assert_eq!(spans(&[5]), [(5, 5)]);
        // Two ratings a month apart: two stretches of one instant each, not the month between.
        let month = 30 * 24 * 3_600_000;
        assert_eq!(spans(&[month, 0]), [(0, 0), (month, month)]);
        // Within the window of a neighbour, one stretch; just over it, a new one.
        assert_eq!(
            spans(&[0, 10_000, 20_000, 30_001, 35_000]),
            [(0, 20_000), (30_001, 35_000)]
        );
        // However the batch is ordered.
        assert_eq!(
            spans(&[35_000, 0, 30_001, 20_000, 10_000]),
            spans(&[0, 10_000, 20_000, 30_001, 35_000])
        );
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
