//! Debouncing and press semantics, pure and time-injected: raw contact levels in, clean changes
//! and pushes (a short press or a hold) out. Every GPIO backend feeds these, so the simulator's tests cover the Pi's logic.

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

/// What one push of a button meant, reported once per push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Released before the hold time: reported at the release.
    Press,
    /// Kept down for the hold time: reported once, the moment the hold time is reached; the
    /// release that follows reports nothing.
    Hold,
}

/// A push button: one [`Push`] per push, however it bounces. A short push is a
/// [`Push::Press`] when it is released; a push kept down for the hold time is one
/// [`Push::Hold`] and never also a press. Nothing repeats while a button stays down (EN 301 549
/// 5.7: no key repeat).
#[derive(Debug, Clone)]
pub struct PressDetector {
    contact: Debouncer,
    hold: Duration,
    /// While the debounced contact is down: since when, and whether its hold was reported.
    down: Option<(Duration, bool)>,
}

impl PressDetector {
    /// `settle` suppresses bounce; a push kept down for `hold` is a hold.
    pub fn new(settle: Duration, hold: Duration) -> PressDetector {
        PressDetector {
            contact: Debouncer::new(settle),
            hold,
            down: None,
        }
    }

    /// Feeds the raw level at `at`; returns the push it completes, if any.
    pub fn sample(&mut self, pressed: bool, at: Duration) -> Option<Push> {
        let change = self.contact.sample(pressed, at);
        self.advance(change, at)
    }

    /// Lets time pass without a new sample (interrupt-driven backends see only edges, so they
    /// tick to finish a settle time or reach the hold time); returns the push it completes.
    pub fn tick(&mut self, now: Duration) -> Option<Push> {
        let change = self.contact.tick(now);
        self.advance(change, now)
    }

    fn advance(&mut self, change: Option<bool>, now: Duration) -> Option<Push> {
        match (change, self.down) {
            (Some(true), _) => {
                self.down = Some((now, false));
                self.hold_reached(now)
            }
            (Some(false), Some((_, held))) => {
                self.down = None;
                (!held).then_some(Push::Press)
            }
            (Some(false), None) => None,
            (None, _) => self.hold_reached(now),
        }
    }

    fn hold_reached(&mut self, now: Duration) -> Option<Push> {
        match &mut self.down {
            Some((since, held @ false)) if now.saturating_sub(*since) >= self.hold => {
                *held = true;
                Some(Push::Hold)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTLE: Duration = Duration::from_millis(20);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const HOLD: Duration = Duration::from_millis(1_000);

    /// Feeds `(level, at_ms)` samples; returns every push recognised, with its time.
    fn pushes(samples: &[(bool, u64)]) -> Vec<(Push, u64)> {
        let mut button = PressDetector::new(SETTLE, HOLD);
        samples
            .iter()
            .filter_map(|&(level, at)| button.sample(level, ms(at)).map(|push| (push, at)))
            .collect()
    }

    #[test]
    fn a_bouncing_contact_is_one_press_reported_at_the_release() {
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
        assert_eq!(pushes(&bounce), [(Push::Press, 260)]);
    }

    #[test]
    fn a_button_held_down_is_one_hold_not_a_stream_and_not_also_a_press() {
        let mut held: Vec<(bool, u64)> = (0..500).map(|t| (true, t * 10)).collect();
        held.extend([(false, 5_000), (false, 5_030)]);
        // Down from 20 ms (the settle time), a hold from 1 020 ms.
        assert_eq!(pushes(&held), [(Push::Hold, 1_020)]);
    }

    #[test]
    fn a_push_released_just_before_the_hold_time_is_a_press() {
        let short = [
            (true, 0),
            (true, 20),
            (true, 1_000),
            (false, 1_010),
            (false, 1_040),
        ];
        assert_eq!(pushes(&short), [(Push::Press, 1_040)]);
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
            (false, 300),
            (false, 325),
        ];
        assert_eq!(pushes(&twice), [(Push::Press, 125), (Push::Press, 325)]);
    }

    #[test]
    fn a_hold_then_a_short_press_are_one_each() {
        let samples = [
            (true, 0),
            (true, 30),
            (true, 1_100),
            (false, 1_500),
            (false, 1_530),
            (true, 2_000),
            (true, 2_030),
            (false, 2_200),
            (false, 2_230),
        ];
        assert_eq!(
            pushes(&samples),
            [(Push::Hold, 1_100), (Push::Press, 2_230)]
        );
    }

    #[test]
    fn a_spike_shorter_than_the_settle_time_is_no_push() {
        assert_eq!(pushes(&[(true, 0), (false, 5), (false, 100)]), []);
        // A release too short to count keeps one push from becoming two.
        assert_eq!(
            pushes(&[
                (true, 0),
                (true, 30),
                (false, 40),
                (true, 45),
                (true, 90),
                (false, 120),
                (false, 150)
            ]),
            [(Push::Press, 150)]
        );
    }

    #[test]
    fn time_passing_without_an_edge_completes_a_release_and_a_hold() {
        // Interrupt-driven backends only see edges: settle and hold times are finished by ticks.
        let mut button = PressDetector::new(SETTLE, HOLD);
        assert_eq!(button.sample(true, ms(0)), None);
        assert_eq!(button.tick(ms(20)), None, "down, but not yet a push");
        assert_eq!(button.sample(false, ms(300)), None);
        assert_eq!(button.tick(ms(320)), Some(Push::Press));

        assert_eq!(button.sample(true, ms(1_000)), None);
        assert_eq!(button.tick(ms(1_020)), None);
        assert_eq!(button.tick(ms(2_019)), None);
        assert_eq!(button.tick(ms(2_020)), Some(Push::Hold));
        assert_eq!(button.tick(ms(9_000)), None, "held, not repeated");
        assert_eq!(button.sample(false, ms(9_500)), None);
        assert_eq!(
            button.tick(ms(9_520)),
            None,
            "the release after a hold is nothing"
        );
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
