//! Raw pin levels in, desk events and LED levels out: the logic every GPIO backend shares. The
//! Pi backend is a thin adapter that reads and writes pins; everything else is here, pure and
//! time-injected, and tested without a Pi.

use std::collections::VecDeque;
use std::time::Duration;

use crate::config::{ActiveLevel, HardwareConfig, InputPin, OutputPin};
use crate::debounce::{Debouncer, PressDetector, Push};
use crate::{Button, InputEvent, LedState};

/// Whether an electrical level counts as "on" for a line wired with `active`.
pub fn is_active(high: bool, active: ActiveLevel) -> bool {
    high == (active == ActiveLevel::High)
}

/// The electrical level that makes a line wired with `active` "on" (`lit`) or "off".
pub fn level_for(lit: bool, active: ActiveLevel) -> bool {
    lit == (active == ActiveLevel::High)
}

/// One button line and its press detector.
#[derive(Debug, Clone)]
struct ButtonLine {
    button: Button,
    pin: InputPin,
    detector: PressDetector,
}

/// Every input line of the desk, debounced: the five buttons (one push each time, however the
/// contact bounces: a press at the release, or one hold once `button_hold_ms` is reached) and
/// the presence sensor (detected and lost, each only after holding for `presence_hold_ms`).
#[derive(Debug, Clone)]
pub struct InputSampler {
    buttons: Vec<ButtonLine>,
    presence: Option<(InputPin, Debouncer)>,
}

impl InputSampler {
    /// Lines and settle times from a validated configuration.
    pub fn new(config: &HardwareConfig) -> InputSampler {
        let b = &config.buttons;
        let buttons = [
            (Button::VeryBad, b.very_bad),
            (Button::Bad, b.bad),
            (Button::Good, b.good),
            (Button::VeryGood, b.very_good),
            (Button::ReadAloud, b.read_aloud),
        ]
        .into_iter()
        .map(|(button, pin)| ButtonLine {
            button,
            pin,
            detector: PressDetector::new(config.debounce(), config.button_hold()),
        })
        .collect();
        InputSampler {
            buttons,
            presence: config
                .presence
                .map(|pin| (pin, Debouncer::new(config.presence_hold()))),
        }
    }

    /// Every input pin the sampler reads, for the backend to claim.
    pub fn pins(&self) -> Vec<InputPin> {
        let mut pins: Vec<InputPin> = self.buttons.iter().map(|line| line.pin).collect();
        pins.extend(self.presence.as_ref().map(|(pin, _)| *pin));
        pins
    }

    /// Reads every line once through `read_high` (the electrical level of a BCM pin: true for
    /// high) at `now` (time since any fixed origin, never going back) and appends what happened.
    pub fn sample(
        &mut self,
        now: Duration,
        mut read_high: impl FnMut(u8) -> bool,
        events: &mut VecDeque<InputEvent>,
    ) {
        for line in &mut self.buttons {
            let pressed = is_active(read_high(line.pin.pin), line.pin.active);
            match line.detector.sample(pressed, now) {
                Some(Push::Press) => events.push_back(InputEvent::Pressed(line.button)),
                Some(Push::Hold) => events.push_back(InputEvent::Held(line.button)),
                None => {}
            }
        }
        if let Some((pin, presence)) = &mut self.presence {
            match presence.sample(is_active(read_high(pin.pin), pin.active), now) {
                Some(true) => events.push_back(InputEvent::PresenceDetected),
                Some(false) => events.push_back(InputEvent::PresenceLost),
                None => {}
            }
        }
    }
}

/// The status LED's pin level over time: the pattern of the current [`LedState`], restarted
/// when the state changes, written only when the level changes.
#[derive(Debug, Clone)]
pub struct LedDriver {
    pin: OutputPin,
    /// The state shown and when it was entered; dark until the first state is set.
    shown: Option<(LedState, Duration)>,
    written: Option<bool>,
}

impl LedDriver {
    pub fn new(pin: OutputPin) -> LedDriver {
        LedDriver {
            pin,
            shown: None,
            written: None,
        }
    }

    pub fn pin(&self) -> OutputPin {
        self.pin
    }

    /// Shows `state` from `now` on; setting the state already shown keeps its rhythm.
    pub fn set(&mut self, state: LedState, now: Duration) {
        if self.shown.map(|(shown, _)| shown) != Some(state) {
            self.shown = Some((state, now));
        }
    }

    /// The electrical level to write at `now`, if it differs from the last one written (the
    /// first call always writes, so the LED starts dark rather than as the boot left it).
    pub fn level_change(&mut self, now: Duration) -> Option<bool> {
        let lit = self
            .shown
            .is_some_and(|(state, since)| state.is_lit(now.saturating_sub(since)));
        let level = level_for(lit, self.pin.active);
        if self.written == Some(level) {
            return None;
        }
        self.written = Some(level);
        Some(level)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Pull;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A desk with the default wiring whose pins idle as the pull-ups and the PIR leave them.
    struct Levels(HashMap<u8, bool>);

    impl Levels {
        fn idle() -> Levels {
            let mut levels = HashMap::new();
            for pin in [5, 6, 13, 19, 26] {
                levels.insert(pin, true); // pulled up, buttons open
            }
            levels.insert(4, false); // PIR output low: nobody there
            Levels(levels)
        }
    }

    fn run(sampler: &mut InputSampler, steps: &[(u64, u8, bool)]) -> Vec<InputEvent> {
        let mut levels = Levels::idle();
        let mut events = VecDeque::new();
        for &(at, pin, high) in steps {
            levels.0.insert(pin, high);
            sampler.sample(ms(at), |pin| levels.0[&pin], &mut events);
        }
        events.into()
    }

    #[test]
    fn an_active_low_button_pressed_and_bouncing_is_one_press_of_that_button() {
        let mut sampler = InputSampler::new(&HardwareConfig::default());
        let events = run(
            &mut sampler,
            &[
                (0, 13, false), // GPIO 13 ("good") to ground
                (2, 13, true),  // bounce
                (4, 13, false),
                (10, 13, false),
                (30, 13, false), // held past 20 ms: one press
                (500, 13, false),
                (600, 13, true), // released
                (700, 13, true),
            ],
        );
        assert_eq!(events, [InputEvent::Pressed(Button::Good)]);
    }

    #[test]
    fn idle_lines_produce_nothing_and_each_button_maps_to_its_face() {
        let mut sampler = InputSampler::new(&HardwareConfig::default());
        assert!(run(&mut sampler, &[(0, 5, true), (100, 5, true)]).is_empty());
        let mut steps = Vec::new();
        for (i, pin) in [5u8, 6, 13, 19, 26].into_iter().enumerate() {
            let start = 1_000 * (i as u64 + 1);
            steps.extend([
                (start, pin, false),
                (start + 50, pin, false),
                (start + 100, pin, true),
                (start + 150, pin, true),
            ]);
        }
        assert_eq!(
            run(&mut sampler, &steps),
            [
                Button::VeryBad,
                Button::Bad,
                Button::Good,
                Button::VeryGood,
                Button::ReadAloud
            ]
            .map(InputEvent::Pressed)
        );
    }

    #[test]
    fn an_active_high_button_counts_when_its_pin_goes_high() {
        let mut config = HardwareConfig::default();
        config.buttons.bad = InputPin {
            pin: 6,
            active: ActiveLevel::High,
            pull: Pull::Down,
        };
        let mut sampler = InputSampler::new(&config);
        let mut levels = Levels::idle();
        levels.0.insert(6, false); // pulled down, open
        let mut events = VecDeque::new();
        for (at, high) in [
            (0, false),
            (10, true),
            (40, true),
            (100, false),
            (130, false),
        ] {
            levels.0.insert(6, high);
            sampler.sample(ms(at), |pin| levels.0[&pin], &mut events);
        }
        assert_eq!(Vec::from(events), [InputEvent::Pressed(Button::Bad)]);
    }

    #[test]
    fn a_button_kept_down_is_one_hold_and_no_press() {
        let mut sampler = InputSampler::new(&HardwareConfig::default()); // hold 1 s
        let mut steps: Vec<(u64, u8, bool)> = (0..=300).map(|i| (i * 10, 26, false)).collect();
        steps.extend([(3_010, 26, true), (3_100, 26, true)]);
        assert_eq!(
            run(&mut sampler, &steps),
            [InputEvent::Held(Button::ReadAloud)]
        );
    }

    #[test]
    fn presence_is_reported_after_its_hold_and_lost_after_its_hold() {
        let mut sampler = InputSampler::new(&HardwareConfig::default()); // hold 1 s
        let events = run(
            &mut sampler,
            &[
                (0, 4, true),
                (300, 4, false), // a flicker shorter than the hold
                (400, 4, true),
                (1_000, 4, true),
                (1_400, 4, true), // held 1 s since 400
                (5_000, 4, false),
                (6_000, 4, false),
            ],
        );
        assert_eq!(
            events,
            [InputEvent::PresenceDetected, InputEvent::PresenceLost]
        );
    }

    #[test]
    fn without_a_sensor_only_buttons_are_read() {
        let config = HardwareConfig {
            presence: None,
            ..HardwareConfig::default()
        };
        let sampler = InputSampler::new(&config);
        let pins: Vec<u8> = sampler.pins().iter().map(|p| p.pin).collect();
        assert_eq!(pins, [5, 6, 13, 19, 26]);
        let mut read = Vec::new();
        let mut sampler = sampler;
        sampler.sample(
            ms(0),
            |pin| {
                read.push(pin);
                true
            },
            &mut VecDeque::new(),
        );
        assert_eq!(read, [5, 6, 13, 19, 26]);
    }

    #[test]
    fn the_led_starts_dark_then_follows_its_pattern_writing_only_changes() {
        let mut led = LedDriver::new(OutputPin {
            pin: 16,
            active: ActiveLevel::High,
        });
        assert_eq!(led.level_change(ms(0)), Some(false), "dark until told");
        led.set(LedState::RecordsWaiting, ms(100));
        let writes: Vec<(u64, bool)> = (1..=50)
            .map(|i| i * 100)
            .filter_map(|t| led.level_change(ms(t)).map(|level| (t, level)))
            .collect();
        assert_eq!(
            writes,
            [
                (100, true),
                (1_100, false),
                (2_100, true),
                (3_100, false),
                (4_100, true)
            ]
        );
        // Setting the same state again keeps the rhythm; a new state restarts lit.
        led.set(LedState::RecordsWaiting, ms(5_000));
        assert_eq!(led.level_change(ms(5_200)), Some(false));
        led.set(LedState::AllSynced, ms(5_300));
        assert_eq!(led.level_change(ms(5_300)), Some(true));
        assert_eq!(led.level_change(ms(60_000)), None, "steady");
    }

    #[test]
    fn an_active_low_led_is_lit_by_a_low_level() {
        let mut led = LedDriver::new(OutputPin {
            pin: 16,
            active: ActiveLevel::Low,
        });
        assert_eq!(led.level_change(ms(0)), Some(true), "dark = high");
        led.set(LedState::OutOfService, ms(0));
        assert_eq!(led.level_change(ms(0)), Some(false));
        assert_eq!(led.level_change(ms(250)), Some(true));
        assert_eq!(led.level_change(ms(400)), Some(false));
    }
}
