//! Retry delays: exponential backoff with "full jitter" (sleep a random time between zero and
//! min(cap, base·2^attempt)), no limit on attempts, and the server's Retry-After honoured: the
//! jitter is added to it, so kiosks refused at the same moment do not all return at the same
//! moment (a fleet coming back after an outage would otherwise retry in lockstep).

use std::time::Duration;

use rand::Rng;

/// The delay schedule of one kind of retry.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap,
            attempt: 0,
        }
    }

    /// The kiosk's schedule: from 1 s up to 5 minutes.
    pub fn for_sync() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(300))
    }

    /// The delay before the next try; `retry_after` (from the server) is a floor, and the
    /// jitter is spread above it.
    pub fn next_delay(&mut self, retry_after: Option<Duration>) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1 << self.attempt.min(20))
            .min(self.cap);
        self.attempt = self.attempt.saturating_add(1);
        let jittered = rand::rng().random_range(Duration::ZERO..=ceiling);
        retry_after.map_or(jittered, |after| after.saturating_add(jittered))
    }

    /// A success: the next failure starts from the base again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The delay after a failed attempt. One that still moved records (batches acknowledged
    /// before a later one failed) starts the schedule again: the link works, and a delay grown
    /// on a flaky network would leave a large backlog waiting ever longer.
    pub fn after_failure(
        &mut self,
        moved_records: bool,
        retry_after: Option<Duration>,
    ) -> Duration {
        if moved_records {
            self.reset();
        }
        self.next_delay(retry_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_that_still_moved_records_starts_the_schedule_again() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(60));
        for _ in 0..10 {
            backoff.after_failure(false, None);
        }
        for _ in 0..20 {
            assert!(backoff.clone().after_failure(true, None) <= Duration::from_millis(100));
        }
        let stalled = (0..200)
            .map(|_| backoff.clone().after_failure(false, None))
            .max()
            .expect("delays");
        assert!(stalled > Duration::from_millis(100), "{stalled:?}");
    }

    #[test]
    fn delays_stay_under_a_growing_ceiling_up_to_the_cap() {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        for attempt in 0..40 {
            let ceiling =
                Duration::from_millis(100 * (1 << attempt.min(20))).min(Duration::from_secs(2));
            let delay = backoff.next_delay(None);
            assert!(
                delay <= ceiling,
                "attempt {attempt}: {delay:?} > {ceiling:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_floor_and_reset_starts_over() {
        let mut backoff = Backoff::new(Duration::from_millis(10), Duration::from_millis(50));
        assert!(backoff.next_delay(Some(Duration::from_secs(7))) >= Duration::from_secs(7));
        for _ in 0..10 {
            backoff.next_delay(None);
        }
        backoff.reset();
        assert!(backoff.next_delay(None) <= Duration::from_millis(10));
    }

    #[test]
    fn kiosks_refused_together_with_retry_after_do_not_retry_in_lockstep() {
        // A storm: many kiosks get "503, Retry-After: 2" at the same moment on their first try.
        let delays: std::collections::HashSet<Duration> = (0..50)
            .map(|_| Backoff::for_sync().next_delay(Some(Duration::from_secs(2))))
            .collect();
        assert!(
            delays.len() > 40,
            "{} distinct delays for 50 kiosks: they come back together",
            delays.len()
        );
        assert!(delays.iter().all(|d| *d >= Duration::from_secs(2)));
    }
}
