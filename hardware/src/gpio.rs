//! The Raspberry Pi's GPIO header through rppal: the thin adapter that claims the configured
//! pins and reads and writes their levels. Sampling, debouncing and the LED's rhythm are the
//! shared [`PolledDesk`] loop; rppal's types never leave this file.

use std::collections::HashMap;

use rppal::gpio::{Gpio, Level};

use crate::OpenError;
use crate::backlight::SysfsBacklight;
use crate::config::{HardwareConfig, Pull};
use crate::desk::{PinIo, PolledDesk};
use crate::sampler::{InputSampler, level_for};

/// The claimed pins. rppal resets each one when it is dropped (inputs lose their pull, the LED
/// pin goes back to an input, so the LED goes dark).
struct RppalPins {
    inputs: HashMap<u8, rppal::gpio::InputPin>,
    led: Option<rppal::gpio::OutputPin>,
}

impl PinIo for RppalPins {
    fn read_high(&mut self, pin: u8) -> bool {
        // Only claimed pins are read: `open` claims every pin the sampler lists.
        self.inputs
            .get(&pin)
            .is_some_and(rppal::gpio::InputPin::is_high)
    }

    fn write(&mut self, pin: u8, high: bool) {
        if let Some(led) = self.led.as_mut().filter(|led| led.pin() == pin) {
            led.write(if high { Level::High } else { Level::Low });
        }
    }
}

/// Claims the header's pins as `config` wires them and starts sampling them.
pub(crate) fn open(
    config: &HardwareConfig,
    backlight: Option<SysfsBacklight>,
) -> Result<PolledDesk, OpenError> {
    let gpio = Gpio::new().map_err(|e| OpenError::Gpio(Box::new(e)))?;
    let keys: HashMap<u8, &'static str> = config
        .pins()
        .into_iter()
        .map(|(key, pin)| (pin, key))
        .collect();
    let claim = |pin: u8| {
        gpio.get(pin).map_err(|e| OpenError::Pin {
            key: keys.get(&pin).copied().unwrap_or("hardware"),
            pin,
            source: Box::new(e),
        })
    };
    let mut inputs = HashMap::new();
    for line in InputSampler::new(config).pins() {
        let pin = claim(line.pin)?;
        let input = match line.pull {
            Pull::Up => pin.into_input_pullup(),
            Pull::Down => pin.into_input_pulldown(),
            Pull::None => pin.into_input(),
        };
        inputs.insert(line.pin, input);
    }
    let led = match config.led {
        Some(line) => {
            let pin = claim(line.pin)?;
            // Dark from the first instant, whichever level that takes.
            Some(if level_for(false, line.active) {
                pin.into_output_high()
            } else {
                pin.into_output_low()
            })
        }
        None => None,
    };
    PolledDesk::start("gpio", config, RppalPins { inputs, led }, backlight)
        .map_err(OpenError::Thread)
}
