//! The display's power as a pure state machine: awake while someone is at the desk, dimmed and
//! then off after quiet time, woken by presence, a touch or a button. The app runs one timer
//! for [`DisplayPower::next_step_after`] and hands the backlight percent to the hardware.
//!
//! A touch or button that wakes the display is only a wake-up: [`DisplayPower::activity`] says
//! so, and the app records nothing from it (the client could not see what they pressed).

use std::time::Duration;

use crate::config::DisplayPower as Settings;

/// What the display is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    Awake,
    Dimmed,
    Off,
}

/// What a touch or button press meant to the display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// The display was awake: the input is meant for the screen and counts.
    SeenOnScreen,
    /// The display was dimmed or off: the input only woke it and must not count.
    WokeTheDisplay,
}

/// The display's power at one desk.
#[derive(Debug, Clone)]
pub struct DisplayPower {
    settings: Settings,
    state: PowerState,
    /// The presence sensor reports someone in front of the kiosk.
    someone_present: bool,
}

impl DisplayPower {
    /// Starts awake, with nobody reported present.
    pub fn new(settings: Settings) -> DisplayPower {
        DisplayPower {
            settings,
            state: PowerState::Awake,
            someone_present: false,
        }
    }

    pub fn state(&self) -> PowerState {
        self.state
    }

    /// Whether the screen should swallow the next touch as a wake-up.
    pub fn is_asleep(&self) -> bool {
        self.state != PowerState::Awake
    }

    /// The backlight brightness for the current state, 0 (off) to 100.
    pub fn backlight_percent(&self) -> u8 {
        match self.state {
            PowerState::Awake => self.settings.awake_percent,
            PowerState::Dimmed => self.settings.dim_percent,
            PowerState::Off => 0,
        }
    }

    /// A touch or a button press: wakes the display and restarts the quiet time.
    pub fn activity(&mut self) -> Activity {
        let was = self.state;
        self.state = PowerState::Awake;
        if was == PowerState::Awake {
            Activity::SeenOnScreen
        } else {
            Activity::WokeTheDisplay
        }
    }

    /// The presence sensor saw someone arrive (`true`) or everyone leave (`false`). Arrival
    /// wakes the display; while someone is present it never dims.
    pub fn presence(&mut self, present: bool) {
        self.someone_present = present;
        if present {
            self.state = PowerState::Awake;
        }
    }

    /// How long from now, if nothing happens, until the next step down (dim or off); `None` when
    /// nothing will change by itself (someone is present, or the display is already off). Call
    /// after every event and restart the one timer with it.
    pub fn next_step_after(&self) -> Option<Duration> {
        if self.someone_present {
            return None;
        }
        match self.state {
            PowerState::Awake => Some(self.settings.dim_after),
            PowerState::Dimmed => Some(self.settings.off_after - self.settings.dim_after),
            PowerState::Off => None,
        }
    }

    /// The time from [`DisplayPower::next_step_after`] has passed quietly: one step down.
    pub fn quiet_time_passed(&mut self) {
        if self.someone_present {
            return;
        }
        self.state = match self.state {
            PowerState::Awake => PowerState::Dimmed,
            PowerState::Dimmed | PowerState::Off => PowerState::Off,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            dim_after: Duration::from_secs(120),
            off_after: Duration::from_secs(600),
            awake_percent: 90,
            dim_percent: 15,
        }
    }

    /// Lets the machine's own timer run out once, as the app's timer would.
    fn wait(power: &mut DisplayPower) -> Option<Duration> {
        let after = power.next_step_after();
        if after.is_some() {
            power.quiet_time_passed();
        }
        after
    }

    #[test]
    fn nobody_at_the_desk_dims_then_switches_off() {
        let mut power = DisplayPower::new(settings());
        assert_eq!(
            (power.state(), power.backlight_percent()),
            (PowerState::Awake, 90)
        );
        assert_eq!(wait(&mut power), Some(Duration::from_secs(120)));
        assert_eq!(
            (power.state(), power.backlight_percent()),
            (PowerState::Dimmed, 15)
        );
        // Off comes `off_after` after the last activity, not after the dimming.
        assert_eq!(wait(&mut power), Some(Duration::from_secs(480)));
        assert_eq!(
            (power.state(), power.backlight_percent()),
            (PowerState::Off, 0)
        );
        assert_eq!(wait(&mut power), None, "off stays off");
    }

    #[test]
    fn a_touch_while_awake_counts_and_restarts_the_quiet_time() {
        let mut power = DisplayPower::new(settings());
        assert_eq!(power.activity(), Activity::SeenOnScreen);
        assert_eq!(power.next_step_after(), Some(Duration::from_secs(120)));
        assert!(!power.is_asleep());
    }

    #[test]
    fn a_touch_or_button_while_dimmed_or_off_only_wakes() {
        let mut power = DisplayPower::new(settings());
        wait(&mut power);
        assert!(power.is_asleep());
        assert_eq!(power.activity(), Activity::WokeTheDisplay);
        assert_eq!(
            (power.state(), power.backlight_percent()),
            (PowerState::Awake, 90)
        );
        // The next press is seen on the screen it woke.
        assert_eq!(power.activity(), Activity::SeenOnScreen);

        wait(&mut power);
        wait(&mut power);
        assert_eq!(power.state(), PowerState::Off);
        assert_eq!(power.activity(), Activity::WokeTheDisplay);
        assert_eq!(power.state(), PowerState::Awake);
    }

    #[test]
    fn someone_arriving_wakes_and_keeps_the_display_awake_until_they_leave() {
        let mut power = DisplayPower::new(settings());
        wait(&mut power);
        wait(&mut power);
        power.presence(true);
        assert_eq!(power.state(), PowerState::Awake);
        assert_eq!(power.next_step_after(), None, "never dims while present");
        power.quiet_time_passed(); // a timer that was already running changes nothing
        assert_eq!(power.state(), PowerState::Awake);
        // Woken by presence, the screen is lit: the first touch is a real one.
        assert_eq!(power.activity(), Activity::SeenOnScreen);

        power.presence(false);
        assert_eq!(power.next_step_after(), Some(Duration::from_secs(120)));
        assert_eq!(wait(&mut power), Some(Duration::from_secs(120)));
        assert_eq!(power.state(), PowerState::Dimmed);
    }

    #[test]
    fn leaving_does_not_wake_a_dimmed_display() {
        let mut power = DisplayPower::new(settings());
        wait(&mut power);
        power.presence(false);
        assert_eq!(power.state(), PowerState::Dimmed);
    }
}
