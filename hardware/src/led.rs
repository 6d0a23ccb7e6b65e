//! What the status LED shows for each state, as a pattern in time: staff read it at a glance,
//! and INSTALL.md's troubleshooting table is written from these.

use std::time::Duration;

/// The kiosk's state as the LED shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedState {
    /// Steady on: every answer has reached the aggregator.
    AllSynced,
    /// Slow blink (1 s on, 1 s off): answers are stored here and waiting for the network.
    RecordsWaiting,
    /// Fast blink (0.2 s on, 0.2 s off): storage or enrollment problem; see `kiosk status`.
    OutOfService,
}

impl LedState {
    /// How long the LED is on and then off in one cycle; `None` for steady on.
    pub fn blink(self) -> Option<(Duration, Duration)> {
        match self {
            LedState::AllSynced => None,
            LedState::RecordsWaiting => {
                Some((Duration::from_millis(1_000), Duration::from_millis(1_000)))
            }
            LedState::OutOfService => {
                Some((Duration::from_millis(200), Duration::from_millis(200)))
            }
        }
    }

    /// Whether the LED is lit `elapsed` after the state was entered.
    pub fn is_lit(self, elapsed: Duration) -> bool {
        let Some((on, off)) = self.blink() else {
            return true;
        };
        let cycle = (on + off).as_millis();
        elapsed.as_millis() % cycle < on.as_millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit_pattern(state: LedState, step_ms: u64, steps: u64) -> Vec<bool> {
        (0..steps)
            .map(|i| state.is_lit(Duration::from_millis(i * step_ms)))
            .collect()
    }

    #[test]
    fn each_state_has_its_own_pattern() {
        assert!(
            lit_pattern(LedState::AllSynced, 100, 50)
                .iter()
                .all(|&on| on)
        );
        assert_eq!(
            lit_pattern(LedState::RecordsWaiting, 500, 8),
            [true, true, false, false, true, true, false, false]
        );
        assert_eq!(
            lit_pattern(LedState::OutOfService, 100, 8),
            [true, true, false, false, true, true, false, false]
        );
    }

    #[test]
    fn the_two_blinks_are_told_apart_by_speed() {
        let slow = LedState::RecordsWaiting.blink().expect("blinks");
        let fast = LedState::OutOfService.blink().expect("blinks");
        assert!(slow.0 >= 4 * fast.0);
    }
}
