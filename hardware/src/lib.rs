//! The kiosk's GPIO seam: face buttons, read-aloud button and presence sensor in; status LED and
//! backlight out. Only this crate knows about GPIO; everything else sees [`Hardware`].
//!
//! - [`config`]: the `[hardware]` TOML table (backend, pins, levels, timings), validated.
//! - [`debounce`]: raw contact levels → debounced levels and pushes (a short press, reported at
//!   the release, or one hold), time-injected.
//! - [`led`]: the LED pattern of each state.
//! - [`sampler`]: pin levels → debounced events, LED state → pin level; shared by every GPIO
//!   backend and tested without one.
//! - [`desk`]: [`PolledDesk`], the sampling thread behind the trait, over any [`desk::PinIo`].
//! - [`backlight`]: the display's backlight through sysfs.
//! - [`Simulator`]: the implementation for desktops and tests.
//! - `gpio` (cargo feature `gpio`): the Raspberry Pi's header through rppal, a thin [`desk::PinIo`].
//!
//! [`open`] picks the backend the configuration names, once, and logs which one runs.

#![forbid(unsafe_code)]

pub mod backlight;
pub mod config;
pub mod debounce;
pub mod desk;
#[cfg(feature = "gpio")]
mod gpio;
pub mod led;
pub mod sampler;

pub use backlight::{BacklightError, SysfsBacklight};
pub use config::{Backend, HardwareConfig, HardwareConfigError};
pub use desk::PolledDesk;
pub use led::LedState;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// Why the desk's hardware could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Config(#[from] HardwareConfigError),
    #[error(
        "`hardware.backend = \"gpio\"` needs a kiosk built with GPIO support (the Raspberry Pi \
         package, built by `cargo xtask pi-build`); this build has none. Use \
         `backend = \"simulator\"` on a desktop"
    )]
    GpioNotBuilt,
    #[error(
        "cannot open the GPIO header (not a Raspberry Pi, or the kiosk's user is not in the `gpio` group)"
    )]
    Gpio(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("`{key}`: cannot claim GPIO {pin}")]
    Pin {
        key: &'static str,
        pin: u8,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("`hardware.backlight`")]
    Backlight(#[from] BacklightError),
    #[error("cannot start the thread that samples the desk's inputs")]
    Thread(#[source] std::io::Error),
}

/// Opens the backend `config` names, once, and logs which one runs and how it is wired.
///
/// With the GPIO backend the backlight is the configured `hardware.backlight` (an error if it
/// cannot be opened) or else the only device under `/sys/class/backlight`, if exactly one.
pub fn open(config: &HardwareConfig) -> Result<Box<dyn Hardware>, OpenError> {
    config.validate()?;
    match config.backend {
        Backend::Simulator => {
            tracing::info!(
                backend = "simulator",
                "desk hardware: simulated (keyboard keys and scripted events; no GPIO)"
            );
            Ok(Box::new(Simulator::new()))
        }
        Backend::Gpio => open_gpio(config),
    }
}

#[cfg(feature = "gpio")]
fn open_gpio(config: &HardwareConfig) -> Result<Box<dyn Hardware>, OpenError> {
    let backlight = match &config.backlight {
        Some(path) => Some(SysfsBacklight::open(path)?),
        None => SysfsBacklight::discover(std::path::Path::new(backlight::SYSFS_BACKLIGHTS))
            .unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the backlight will not be dimmed");
                None
            }),
    };
    let desk = gpio::open(config, backlight.clone())?;
    tracing::info!(
        backend = "gpio",
        "desk hardware: {}",
        describe_wiring(config, backlight.as_ref())
    );
    Ok(Box::new(desk))
}

#[cfg(not(feature = "gpio"))]
fn open_gpio(_config: &HardwareConfig) -> Result<Box<dyn Hardware>, OpenError> {
    Err(OpenError::GpioNotBuilt)
}

/// One line for the log: which pin does what.
pub fn describe_wiring(config: &HardwareConfig, backlight: Option<&SysfsBacklight>) -> String {
    let b = &config.buttons;
    let mut line = format!(
        "GPIO header; buttons very bad {}, bad {}, good {}, very good {}, read aloud {}",
        b.very_bad.pin, b.bad.pin, b.good.pin, b.very_good.pin, b.read_aloud.pin
    );
    match config.led {
        Some(led) => line.push_str(&format!("; LED {}", led.pin)),
        None => line.push_str("; no LED"),
    }
    match config.presence {
        Some(presence) => line.push_str(&format!("; presence sensor {}", presence.pin)),
        None => line.push_str("; no presence sensor"),
    }
    match backlight {
        Some(backlight) => line.push_str(&format!("; backlight {}", backlight.path().display())),
        None => line.push_str("; no backlight control"),
    }
    line
}

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
    fn open_picks_the_configured_backend_and_names_what_is_missing() {
        let hardware = open(&HardwareConfig::default()).expect("the simulator always opens");
        assert_eq!(hardware.name(), "simulator");

        let mut bad = HardwareConfig::default();
        bad.buttons.bad.pin = 13;
        let err = open(&bad).err().expect("pin used twice");
        assert!(err.to_string().contains("both use GPIO 13"), "{err}");

        let gpio = HardwareConfig {
            backend: Backend::Gpio,
            ..HardwareConfig::default()
        };
        match open(&gpio) {
            #[cfg(not(feature = "gpio"))]
            Err(err @ OpenError::GpioNotBuilt) => {
                assert!(
                    err.to_string()
                        .contains("needs a kiosk built with GPIO support")
                );
            }
            // Built with GPIO: off a Pi (CI, qemu) the header cannot be opened; on one it opens.
            #[cfg(feature = "gpio")]
            Err(OpenError::Gpio(_)) => {}
            #[cfg(feature = "gpio")]
            Ok(hardware) => assert_eq!(hardware.name(), "gpio"),
            Err(other) => panic!("unexpected error: {other}"),
            #[cfg(not(feature = "gpio"))]
            Ok(hardware) => panic!("opened {} without GPIO support", hardware.name()),
        }
    }

    #[test]
    fn the_wiring_line_names_every_pin() {
        assert_eq!(
            describe_wiring(&HardwareConfig::default(), None),
            "GPIO header; buttons very bad 5, bad 6, good 13, very good 19, read aloud 26; \
             LED 16; presence sensor 4; no backlight control"
        );
    }

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
