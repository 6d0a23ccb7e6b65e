//! The `[hardware]` table of the kiosk's TOML: which backend, and how the buttons, presence
//! sensor and LED are wired, validated so a wiring mistake is named before the kiosk starts.
//!
//! The default wiring (BCM numbers; physical header pins in brackets), matching INSTALL.md:
//!
//! | part                  | GPIO      | other leg            | active |
//! |-----------------------|-----------|----------------------|--------|
//! | button "very bad"     | 5 (29)    | GND (30)             | low, pull-up |
//! | button "bad"          | 6 (31)    | GND (34)             | low, pull-up |
//! | button "good"         | 13 (33)   | GND (39)             | low, pull-up |
//! | button "very good"    | 19 (35)   | GND (39)             | low, pull-up |
//! | button "read aloud"   | 26 (37)   | GND (39)             | low, pull-up |
//! | status LED (+ 330 Ω)  | 16 (36)   | GND (34)             | high   |
//! | PIR presence sensor   | 4 (7)     | 5 V (2), GND (6)     | high, no pull |

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

/// Which implementation drives the desk's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Keyboard keys in the desktop window and scripted events in tests.
    Simulator,
    /// The Raspberry Pi's GPIO header (needs the `rppal` cargo feature).
    Gpio,
}

/// The electrical level at which an input or output counts as on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActiveLevel {
    Low,
    High,
}

/// The Pi's internal resistor on an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pull {
    Up,
    Down,
    None,
}

/// One input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputPin {
    /// BCM GPIO number.
    pub pin: u8,
    #[serde(default = "ActiveLevel::low")]
    pub active: ActiveLevel,
    #[serde(default = "Pull::up")]
    pub pull: Pull,
}

/// One output line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputPin {
    /// BCM GPIO number.
    pub pin: u8,
    #[serde(default = "ActiveLevel::high")]
    pub active: ActiveLevel,
}

/// The five buttons: one per face, and read-aloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonPins {
    pub very_bad: InputPin,
    pub bad: InputPin,
    pub good: InputPin,
    pub very_good: InputPin,
    pub read_aloud: InputPin,
}

/// The `[hardware]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HardwareConfig {
    pub backend: Backend,
    pub buttons: ButtonPins,
    /// The status LED; none fitted if absent.
    pub led: Option<OutputPin>,
    /// The PIR presence sensor; none fitted if absent.
    pub presence: Option<InputPin>,
    /// How long a button contact must hold a level to count (bounce suppression).
    pub debounce_ms: u64,
    /// How long the presence sensor must hold a level to count.
    pub presence_hold_ms: u64,
    /// How long a button must be kept down to count as a hold rather than a press (holding the
    /// read-aloud button chooses the control it has moved to).
    pub button_hold_ms: u64,
    /// The display's backlight control, e.g. `/sys/class/backlight/10-0045/brightness` for the
    /// official 7" display (its directory will do too). If absent, the GPIO backend uses the only
    /// device under `/sys/class/backlight` if there is exactly one, else none.
    pub backlight: Option<std::path::PathBuf>,
}

impl ActiveLevel {
    fn low() -> ActiveLevel {
        ActiveLevel::Low
    }

    fn high() -> ActiveLevel {
        ActiveLevel::High
    }
}

impl Pull {
    fn up() -> Pull {
        Pull::Up
    }
}

/// A button wired from its GPIO to ground, using the Pi's pull-up.
const fn to_ground(pin: u8) -> InputPin {
    InputPin {
        pin,
        active: ActiveLevel::Low,
        pull: Pull::Up,
    }
}

impl Default for HardwareConfig {
    fn default() -> HardwareConfig {
        HardwareConfig {
            backend: Backend::Simulator,
            buttons: ButtonPins {
                very_bad: to_ground(5),
                bad: to_ground(6),
                good: to_ground(13),
                very_good: to_ground(19),
                read_aloud: to_ground(26),
            },
            led: Some(OutputPin {
                pin: 16,
                active: ActiveLevel::High,
            }),
            presence: Some(InputPin {
                pin: 4,
                active: ActiveLevel::High,
                pull: Pull::None,
            }),
            debounce_ms: 20,
            presence_hold_ms: 1_000,
            button_hold_ms: 1_000,
            backlight: None,
        }
    }
}

/// A wiring mistake, naming the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HardwareConfigError {
    #[error("`{key}`: GPIO {pin} is not on the Pi's 40-pin header (BCM 2–27 can be used)")]
    NoSuchPin { key: &'static str, pin: u8 },
    #[error("`{key}`: GPIO {pin} is reserved for the HAT identification EEPROM (use 2–27)")]
    ReservedPin { key: &'static str, pin: u8 },
    #[error("`{key}` and `{other}` both use GPIO {pin}")]
    PinUsedTwice {
        key: &'static str,
        other: &'static str,
        pin: u8,
    },
    #[error(
        "`{key}`: active = \"{active}\" with pull = \"{pull}\" reads as active while nothing is \
         connected; use pull = \"{instead}\" (or \"none\" with an external resistor)"
    )]
    PullFightsActiveLevel {
        key: &'static str,
        active: &'static str,
        pull: &'static str,
        instead: &'static str,
    },
    #[error("`{key}`: {value} ms is outside {min}–{max} ms")]
    OutOfRange {
        key: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
}

impl HardwareConfig {
    /// Every pin exists and is used once; timings are sensible.
    pub fn validate(&self) -> Result<(), HardwareConfigError> {
        let mut used: HashMap<u8, &'static str> = HashMap::new();
        for (key, pin) in self.pins() {
            match pin {
                0 | 1 => return Err(HardwareConfigError::ReservedPin { key, pin }),
                28.. => return Err(HardwareConfigError::NoSuchPin { key, pin }),
                _ => {}
            }
            if let Some(other) = used.insert(pin, key) {
                return Err(HardwareConfigError::PinUsedTwice { key, other, pin });
            }
        }
        for (key, input) in self.inputs() {
            let fights = match (input.active, input.pull) {
                (ActiveLevel::Low, Pull::Down) => Some(("low", "down", "up")),
                (ActiveLevel::High, Pull::Up) => Some(("high", "up", "down")),
                _ => None,
            };
            if let Some((active, pull, instead)) = fights {
                return Err(HardwareConfigError::PullFightsActiveLevel {
                    key,
                    active,
                    pull,
                    instead,
                });
            }
        }
        check_range("hardware.debounce_ms", self.debounce_ms, 1, 200)?;
        check_range(
            "hardware.presence_hold_ms",
            self.presence_hold_ms,
            0,
            10_000,
        )?;
        // Shorter than half a second, a slow press becomes a hold by mistake; longer than three,
        // people let go before it counts.
        check_range("hardware.button_hold_ms", self.button_hold_ms, 500, 3_000)?;
        Ok(())
    }

    pub fn debounce(&self) -> Duration {
        Duration::from_millis(self.debounce_ms)
    }

    pub fn presence_hold(&self) -> Duration {
        Duration::from_millis(self.presence_hold_ms)
    }

    pub fn button_hold(&self) -> Duration {
        Duration::from_millis(self.button_hold_ms)
    }

    /// Every input line with the key of its table.
    fn inputs(&self) -> Vec<(&'static str, InputPin)> {
        let b = &self.buttons;
        let mut inputs = vec![
            ("hardware.buttons.very_bad", b.very_bad),
            ("hardware.buttons.bad", b.bad),
            ("hardware.buttons.good", b.good),
            ("hardware.buttons.very_good", b.very_good),
            ("hardware.buttons.read_aloud", b.read_aloud),
        ];
        inputs.extend(self.presence.map(|p| ("hardware.presence", p)));
        inputs
    }

    /// Every configured pin with the key that names it.
    pub(crate) fn pins(&self) -> Vec<(&'static str, u8)> {
        let b = &self.buttons;
        let mut pins = vec![
            ("hardware.buttons.very_bad.pin", b.very_bad.pin),
            ("hardware.buttons.bad.pin", b.bad.pin),
            ("hardware.buttons.good.pin", b.good.pin),
            ("hardware.buttons.very_good.pin", b.very_good.pin),
            ("hardware.buttons.read_aloud.pin", b.read_aloud.pin),
        ];
        pins.extend(self.led.map(|led| ("hardware.led.pin", led.pin)));
        pins.extend(self.presence.map(|p| ("hardware.presence.pin", p.pin)));
        pins
    }
}

fn check_range(
    key: &'static str,
    value: u64,
    min: u64,
    max: u64,
) -> Result<(), HardwareConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(HardwareConfigError::OutOfRange {
            key,
            value,
            min,
            max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> HardwareConfig {
        toml::from_str(toml_text).expect("valid TOML")
    }

    #[test]
    fn the_default_wiring_is_valid_and_an_empty_table_means_it() {
        assert_eq!(HardwareConfig::default().validate(), Ok(()));
        assert_eq!(parse(""), HardwareConfig::default());
    }

    #[test]
    fn a_pin_used_twice_names_both_keys() {
        let config = parse(
            "backend = \"gpio\"\n[buttons]\nvery_bad = { pin = 5 }\nbad = { pin = 6 }\n\
             good = { pin = 13 }\nvery_good = { pin = 19 }\nread_aloud = { pin = 26 }\n\
             [led]\npin = 13\n",
        );
        let err = config.validate().expect_err("13 twice");
        assert_eq!(
            err.to_string(),
            "`hardware.led.pin` and `hardware.buttons.good.pin` both use GPIO 13"
        );
    }

    #[test]
    fn pins_off_the_header_or_reserved_are_named() {
        let mut config = HardwareConfig::default();
        config.buttons.read_aloud.pin = 40;
        let err = config.validate().expect_err("no GPIO 40");
        assert!(
            err.to_string()
                .starts_with("`hardware.buttons.read_aloud.pin`: GPIO 40 is not on"),
            "{err}"
        );
        let config = HardwareConfig {
            presence: Some(InputPin {
                pin: 0,
                active: ActiveLevel::High,
                pull: Pull::None,
            }),
            ..HardwareConfig::default()
        };
        assert_eq!(
            config.validate(),
            Err(HardwareConfigError::ReservedPin {
                key: "hardware.presence.pin",
                pin: 0
            })
        );
    }

    #[test]
    fn timings_out_of_range_and_unknown_keys_are_refused() {
        let config = HardwareConfig {
            debounce_ms: 0,
            ..HardwareConfig::default()
        };
        assert!(
            config
                .validate()
                .expect_err("0 ms")
                .to_string()
                .contains("`hardware.debounce_ms`")
        );
        let config = HardwareConfig {
            button_hold_ms: 200,
            ..HardwareConfig::default()
        };
        assert_eq!(
            config.validate().expect_err("200 ms").to_string(),
            "`hardware.button_hold_ms`: 200 ms is outside 500–3000 ms"
        );
        assert_eq!(
            parse("button_hold_ms = 1500").button_hold(),
            Duration::from_millis(1_500)
        );
        let err = toml::from_str::<HardwareConfig>("debounce = 5").expect_err("unknown key");
        assert!(err.to_string().contains("debounce"), "{err}");
        let err = toml::from_str::<HardwareConfig>("backend = \"wiringpi\"").expect_err("unknown");
        assert!(err.to_string().contains("wiringpi"), "{err}");
    }

    #[test]
    fn a_pull_that_holds_an_input_active_at_rest_is_refused() {
        let config = parse(
            "[buttons]\nvery_bad = { pin = 5 }\nbad = { pin = 6, pull = \"down\" }\n\
             good = { pin = 13 }\nvery_good = { pin = 19 }\nread_aloud = { pin = 26 }\n",
        );
        assert_eq!(
            config.validate().expect_err("pressed at rest").to_string(),
            "`hardware.buttons.bad`: active = \"low\" with pull = \"down\" reads as active while \
             nothing is connected; use pull = \"up\" (or \"none\" with an external resistor)"
        );
        let config = HardwareConfig {
            presence: Some(InputPin {
                pin: 4,
                active: ActiveLevel::High,
                pull: Pull::Up,
            }),
            ..HardwareConfig::default()
        };
        assert!(matches!(
            config.validate(),
            Err(HardwareConfigError::PullFightsActiveLevel {
                key: "hardware.presence",
                instead: "down",
                ..
            })
        ));
        let external = HardwareConfig {
            presence: Some(InputPin {
                pin: 4,
                active: ActiveLevel::Low,
                pull: Pull::None,
            }),
            ..HardwareConfig::default()
        };
        assert_eq!(external.validate(), Ok(()));
    }

    #[test]
    fn buttons_default_to_active_low_with_pull_up() {
        let config = parse(
            "[buttons]\nvery_bad = { pin = 5 }\nbad = { pin = 6 }\ngood = { pin = 13 }\n\
             very_good = { pin = 19 }\nread_aloud = { pin = 26, active = \"high\", pull = \"down\" }\n",
        );
        assert_eq!(config.buttons.very_bad, to_ground(5));
        assert_eq!(config.buttons.read_aloud.active, ActiveLevel::High);
        assert_eq!(config.buttons.read_aloud.pull, Pull::Down);
    }
}
