//! The desktop window's stand-in for the desk's parts: keys 1-4 press the face buttons (very bad
//! to very good), R the read-aloud button, and P makes someone arrive or leave. They drive the
//! hardware [`Simulator`], so the app sees exactly what GPIO would deliver.

use std::cell::Cell;

use hardware::{Button, InputEvent, Simulator};

/// What a key stands for at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskKey {
    Press(Button),
    /// Someone arrives if nobody was there, else they leave.
    TogglePresence,
}

/// The desk action of a key typed in the window (Slint's key text), if any.
pub fn desk_key(text: &str) -> Option<DeskKey> {
    Some(match text {
        "1" => DeskKey::Press(Button::VeryBad),
        "2" => DeskKey::Press(Button::Bad),
        "3" => DeskKey::Press(Button::Good),
        "4" => DeskKey::Press(Button::VeryGood),
        "r" | "R" => DeskKey::Press(Button::ReadAloud),
        "p" | "P" => DeskKey::TogglePresence,
        _ => return None,
    })
}

/// Turns typed keys into simulated desk events.
#[derive(Debug)]
pub struct KeyboardDesk {
    desk: Simulator,
    someone_present: Cell<bool>,
}

impl KeyboardDesk {
    /// Keys will drive `desk` (a clone of the simulator the app polls).
    pub fn new(desk: Simulator) -> KeyboardDesk {
        KeyboardDesk {
            desk,
            someone_present: Cell::new(false),
        }
    }

    /// Handles one typed key; true if it meant something at the desk.
    pub fn key(&self, text: &str) -> bool {
        match desk_key(text) {
            Some(DeskKey::Press(button)) => self.desk.press(button),
            Some(DeskKey::TogglePresence) => {
                let present = !self.someone_present.get();
                self.someone_present.set(present);
                self.desk.inject(if present {
                    InputEvent::PresenceDetected
                } else {
                    InputEvent::PresenceLost
                });
            }
            None => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hardware::Hardware;

    #[test]
    fn number_keys_are_the_faces_and_letters_either_case() {
        assert_eq!(desk_key("1"), Some(DeskKey::Press(Button::VeryBad)));
        assert_eq!(desk_key("4"), Some(DeskKey::Press(Button::VeryGood)));
        assert_eq!(desk_key("r"), desk_key("R"));
        assert_eq!(desk_key("P"), Some(DeskKey::TogglePresence));
        assert_eq!(desk_key("5"), None);
        assert_eq!(desk_key("\n"), None);
    }

    #[test]
    fn keys_become_simulated_desk_events_and_p_alternates() {
        let mut desk = Simulator::new();
        let keys = KeyboardDesk::new(desk.clone());
        for text in ["3", "p", "x", "P", "r"] {
            keys.key(text);
        }
        let events: Vec<_> = std::iter::from_fn(|| desk.poll_event()).collect();
        assert_eq!(
            events,
            [
                InputEvent::Pressed(Button::Good),
                InputEvent::PresenceDetected,
                InputEvent::PresenceLost,
                InputEvent::Pressed(Button::ReadAloud),
            ]
        );
        assert!(!keys.key("q"));
    }
}
