//! The kiosk's GPIO seam: face buttons, read-aloud button and presence sensor in; status LED and
//! backlight out. Only this crate knows about GPIO; everything else sees [`Hardware`].
//!
//! - [`config`]: the `[hardware]` TOML table (backend, pins, levels, timings), validated.
//! - [`debounce`]: raw contact levels → debounced levels and pushes (a short press, reported at
//!   the release, or one hold), time-injected.
//! - [`led`]: the LED pattern of each state.
//! - [`Simulator`]: the implementation for desktops and tests; the Raspberry Pi implementation
//!   plugs in behind the same trait and feeds the same debouncers.

#![forbid(unsafe_code)]

pub mod config;
pub mod debounce;
pub mod led;

pub use config::{Backend, HardwareConfig, HardwareConfigError};
pub use led::LedState;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// A physical button at the desk: one per face, plus read-aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Button {
    VeryBad,
    Bad,
    Good,
    VeryGood,
    ReadAloud,
}

/// Something that happened at the desk, already debounced. One push of a button is either one
/// `Pressed` (a short push, at its release) or one `Held` (kept down for the hold time, at that
/// moment), never both and never repeated (see [`debounce::PressDetector`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEvent {
    Pressed(Button),
    Held(Button),
    PresenceDetected,
    PresenceLost,
}

/// The desk's inputs and outputs.
pub trait Hardware: Send {
    /// A short name for the log: which implementation is in use.
    fn name(&self) -> &'static str;
    /// The next input event, if any (never blocks).
    fn poll_event(&mut self) -> Option<InputEvent>;
    fn set_led(&mut self, state: LedState);
    /// Backlight brightness, 0 (off) to 100.
    fn set_backlight(&mut self, percent: u8);
}

/// Hardware for desktops and tests: events are scripted, outputs are remembered. Clones share
/// the same desk, so a test (or the desktop window's keyboard) keeps a clone to press buttons
/// while the app owns another.
#[derive(Debug, Clone, Default)]
pub struct Simulator {
    desk: Arc<Mutex<SimulatedDesk>>,
}

#[derive(Debug, Default)]
struct SimulatedDesk {
    events: VecDeque<InputEvent>,
    led: Option<LedState>,
    backlight: Option<u8>,
}

impl Simulator {
    pub fn new() -> Self {
        Self::default()
    }

    fn desk(&self) -> MutexGuard<'_, SimulatedDesk> {
        self.desk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event as if it happened at the desk.
    pub fn inject(&self, event: InputEvent) {
        self.desk().events.push_back(event);
    }

    /// A button pressed briefly (already debounced, as the GPIO backend delivers it).
    pub fn press(&self, button: Button) {
        self.inject(InputEvent::Pressed(button));
    }

    /// A button kept down for the hold time.
    pub fn hold(&self, button: Button) {
        self.inject(InputEvent::Held(button));
    }

    pub fn led(&self) -> Option<LedState> {
        self.desk().led
    }

    pub fn backlight(&self) -> Option<u8> {
        self.desk().backlight
    }
}

impl Hardware for Simulator {
    fn name(&self) -> &'static str {
        "simulator"
    }

    fn poll_event(&mut self) -> Option<InputEvent> {
        self.desk().events.pop_front()
    }

    fn set_led(&mut self, state: LedState) {
        tracing::debug!(?state, "simulated LED");
        self.desk().led = Some(state);
    }

    fn set_backlight(&mut self, percent: u8) {
        self.desk().backlight = Some(percent.min(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulator_replays_events_in_order_and_remembers_outputs() {
        let mut hw = Simulator::new();
        let desk = hw.clone();
        desk.inject(InputEvent::PresenceDetected);
        desk.press(Button::Good);
        desk.hold(Button::ReadAloud);
        assert_eq!(hw.poll_event(), Some(InputEvent::PresenceDetected));
        assert_eq!(hw.poll_event(), Some(InputEvent::Pressed(Button::Good)));
        assert_eq!(hw.poll_event(), Some(InputEvent::Held(Button::ReadAloud)));
        assert_eq!(hw.poll_event(), None);
        hw.set_led(LedState::RecordsWaiting);
        hw.set_backlight(150);
        assert_eq!(
            (desk.led(), desk.backlight()),
            (Some(LedState::RecordsWaiting), Some(100))
        );
    }
}
