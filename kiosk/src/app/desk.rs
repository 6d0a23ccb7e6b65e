//! The kiosk's behaviour at the desk beyond the screen: presence and wake-up (backlight through
//! [`DisplayPower`]), swallowing the input that only woke the display, and the status LED
//! (through [`StatusLight`]). Runs on the UI thread, like the rest of the app.
//!
//! The display rests only between visits: a visit left open ends through its own idle prompt
//! first, so a client never comes back to a dark screen in the middle of their answers.

use std::rc::Rc;

use hardware::{Hardware, LedState};
use slint::TimerMode;

use super::State;
use super::display_power::{Activity, DisplayPower};
use super::status_light::StatusLight;
use crate::config::DisplayPower as PowerSettings;

/// The desk's own state: display power and what the LED shows.
pub(super) struct Desk {
    pub(super) power: DisplayPower,
    pub(super) light: StatusLight,
    /// The backlight percent last given to the hardware, so it is written only on a change.
    backlight: Option<u8>,
    /// The LED state last given to the hardware, likewise.
    led: Option<LedState>,
}

impl Desk {
    pub(super) fn new(settings: PowerSettings) -> Desk {
        Desk {
            power: DisplayPower::new(settings),
            light: StatusLight::new(),
            backlight: None,
            led: None,
        }
    }
}

impl State {
    /// A touch or button press from a client. True if it is meant for the screen; false if the
    /// display was dimmed or off and the input only woke it (then nothing may be recorded).
    pub(super) fn input_reaches_screen(self: &Rc<Self>) -> bool {
        let activity = self.desk.borrow_mut().power.activity();
        self.display_power_changed();
        if activity == Activity::WokeTheDisplay {
            tracing::debug!("the display woke up; that input is not an answer");
            self.touched(); // the visit on screen, if any, gets its full idle time back
        }
        activity == Activity::SeenOnScreen
    }

    /// Activity seen on an awake screen keeps it awake; a dimmed or off one is only woken by the
    /// client (see [`State::input_reaches_screen`]), never by the app's own timers.
    pub(super) fn keep_display_awake(self: &Rc<Self>) {
        if self.desk.borrow().power.is_asleep() {
            return;
        }
        self.desk.borrow_mut().power.activity();
        self.display_power_changed();
    }

    /// The presence sensor: someone arrived (wakes the display) or everyone left.
    pub(super) fn presence(self: &Rc<Self>, present: bool) {
        tracing::debug!(present, "presence");
        self.desk.borrow_mut().power.presence(present);
        self.display_power_changed();
    }

    /// Applies the display's power state: backlight, the wake-up overlay, the next step's timer.
    pub(super) fn display_power_changed(self: &Rc<Self>) {
        let (percent, asleep, next) = {
            let desk = self.desk.borrow();
            (
                desk.power.backlight_percent(),
                desk.power.is_asleep(),
                desk.power.next_step_after(),
            )
        };
        if let Some(hardware) = self.hardware.borrow_mut().as_mut()
            && self.desk.borrow().backlight != Some(percent)
        {
            hardware.set_backlight(percent);
            self.desk.borrow_mut().backlight = Some(percent);
        }
        if let Some(window) = self.window.upgrade() {
            super::present::display_asleep(&window, asleep);
        }
        match next {
            None => self.power_timer.stop(),
            Some(after) => {
                let weak = Rc::downgrade(self);
                self.power_timer
                    .start(TimerMode::SingleShot, after, move || {
                        if let Some(state) = weak.upgrade() {
                            if state.visit.borrow().is_in_use() {
                                // A visit is open: its own idle prompt ends it if nobody is
                                // there, and the display only rests after that.
                                state.display_power_changed();
                                return;
                            }
                            state.desk.borrow_mut().power.quiet_time_passed();
                            tracing::info!(
                                state = ?state.desk.borrow().power.state(),
                                "nobody at the desk"
                            );
                            state.display_power_changed();
                        }
                    });
            }
        }
    }

    /// Brings the status LED up to date; called at every hardware poll, so the LED follows the
    /// kiosk within 20 ms. The hardware hears only changes and blinks each state's pattern on
    /// its own clock (`LedState::is_lit`).
    pub(super) fn show_status_light(&self, hardware: &mut dyn Hardware) {
        let state = self.desk.borrow().light.state();
        if self.desk.borrow().led != Some(state) {
            hardware.set_led(state);
            self.desk.borrow_mut().led = Some(state);
        }
    }
}
