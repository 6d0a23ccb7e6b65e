//! Debouncing and press semantics, pure and time-injected: raw contact levels in, clean changes
//! and presses out. Every GPIO backend feeds these, so the simulator's tests cover the Pi's logic.

use std::time::Duration;

/// One input line: a raw level counts only after it has held for `settle`. A contact that
/// bounces (on, off, on… within a few milliseconds) therefore changes state once.
#[derive(Debug, Clone)]
pub struct Debouncer {
    settle: Duration,
    stable: bool,
    /// A level different from `stable`, and since when it has been seen.
    candidate: Option<(bool, Duration)>,
}

impl Debouncer {
    /// Starts inactive; `settle` is how long a new level must hold.
    pub fn new(settle: Duration) -> Debouncer {
        Debouncer {
            settle,
            stable: false,
            candidate: None,
        }
    }

    /// The debounced level.
    pub fn is_active(&self) -> bool {
        self.stable
    }

    /// Feeds the raw level seen at `at` (time since any fixed origin, never going back);
    /// returns the new debounced level when it changes.
    pub fn sample(&mut self, active: bool, at: Duration) -> Option<bool> {
        if active == self.stable {
            self.candidate = None;
            return None;
        }
        match self.candidate {
            Some((level, _)) if level == active => {}
            _ => self.candidate = Some((active, at)),
        }
        self.tick(at)
    }

    /// Lets time pass without a new sample: a level that has held long enough becomes the
    /// debounced one. Returns the new level when it changes.
    pub fn tick(&mut self, now: Duration) -> Option<bool> {
        let (level, since) = self.candidate?;
        if now.saturating_sub(since) < self.settle {
            return None;
        }
        self.stable = level;
        self.candidate = None;
        Some(level)
    }
}

/// A push button: one press per push, however it bounces and however long it is held.
#[derive(Debug, Clone)]
pub struct PressDetector {
    contact: Debouncer,
}

impl PressDetector {
    pub fn new(settle: Duration) -> PressDetector {
        PressDetector {
            contact: Debouncer::new(settle),
        }
    }

    /// Feeds the raw level at `at`; true exactly when a new press is recognised.
    pub fn sample(&mut self, pressed: bool, at: Duration) -> bool {
        self.contact.sample(pressed, at) == Some(true)
    }

    /// Lets time pass; true exactly when a new press is recognised.
    pub fn tick(&mut self, now: Duration) -> bool {
        self.contact.tick(now) == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTLE: Duration = Duration::from_millis(20);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Feeds `(level, at_ms)` samples and counts recognised presses.
    fn presses(samples: &[(bool, u64)]) -> usize {
        let mut button = PressDetector::new(SETTLE);
        samples
            .iter()
            .filter(|(level, at)| button.sample(*level, ms(*at)))
            .count()
    }

    #[test]
    fn a_bouncing_contact_is_one_press() {
        let bounce = [
            (true, 0),
            (false, 1),
            (true, 2),
            (false, 4),
            (true, 5),
            (true, 30), // held past the settle time
            (false, 200),
            (true, 201), // release bounce
            (false, 202),
            (false, 260),
        ];
        assert_eq!(presses(&bounce), 1);
    }

    #[test]
    fn a_button_held_down_is_one_press_not_a_stream() {
        let held: Vec<(bool, u64)> = (0..500).map(|t| (true, t * 10)).collect();
        assert_eq!(presses(&held), 1);
    }

    #[test]
    fn release_then_press_after_the_settle_time_is_a_second_press() {
        let twice = [
            (true, 0),
            (true, 25),
            (false, 100),
            (false, 125),
            (true, 200),
            (true, 225),
        ];
        assert_eq!(presses(&twice), 2);
    }

    #[test]
    fn a_spike_shorter_than_the_settle_time_is_no_press() {
        assert_eq!(presses(&[(true, 0), (false, 5), (false, 100)]), 0);
        // A release too short to count keeps the first press from repeating.
        assert_eq!(
            presses(&[(true, 0), (true, 30), (false, 40), (true, 45), (true, 90)]),
            1
        );
    }

    #[test]
    fn time_passing_without_an_edge_completes_a_press() {
        // Interrupt-driven backends only see edges: the settle time is finished by a tick.
        let mut button = PressDetector::new(SETTLE);
        assert!(!button.sample(true, ms(0)));
        assert!(!button.tick(ms(10)));
        assert!(button.tick(ms(20)));
        assert!(!button.tick(ms(1_000)), "held, not repeated");
    }

    #[test]
    fn presence_is_debounced_both_ways_with_its_own_hold() {
        let mut presence = Debouncer::new(ms(2_000));
        assert_eq!(presence.sample(true, ms(0)), None);
        assert_eq!(
            presence.sample(false, ms(500)),
            None,
            "a flicker is ignored"
        );
        assert_eq!(presence.sample(true, ms(1_000)), None);
        assert_eq!(presence.tick(ms(3_000)), Some(true));
        assert!(presence.is_active());
        assert_eq!(presence.sample(false, ms(10_000)), None);
        assert_eq!(presence.tick(ms(12_000)), Some(false));
    }
}
