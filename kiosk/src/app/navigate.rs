//! Using the kiosk with the desk's buttons alone: which controls a screen has, in the order the
//! read-aloud button moves through them, and where it has got to (switch scanning, pure).
//!
//! On each screen the first short press of the read-aloud button reads the whole screen; each
//! further press moves the focus ring to the next control (the screen's own controls in reading
//! order, then the languages and the larger-text switch of the bottom bar), and after the last
//! one the screen is read again. Holding the button chooses the focused control. Reason chips are
//! visited across all pages: the page shown follows the focus, so nobody needs to know of pages.

use model::{Catalogue, LanguageTag, Score, StandardId};

use crate::recorder::Health;
use crate::visit::{Step, Visit};

/// A control the read-aloud button can move to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    Face(Score),
    /// "Yes" on "Tell us more?".
    Yes,
    Finish,
    ChangeAnswer,
    /// "Not applicable" on a standard's question.
    NotApplicable,
    Skip,
    /// A reason chip, by its catalogue code.
    Reason(&'static str),
    /// "Done" after choosing reasons.
    Done,
    Language(LanguageTag),
    LargerText,
}

impl Control {
    /// The id `KioskAdapter.focused` uses to draw the focus ring round this control.
    pub fn id(&self) -> String {
        match self {
            Control::Face(score) => format!("face-{}", score.value()),
            Control::Yes => "yes".to_owned(),
            Control::Finish => "finish".to_owned(),
            Control::ChangeAnswer => "change-answer".to_owned(),
            Control::NotApplicable => "not-applicable".to_owned(),
            Control::Skip => "skip".to_owned(),
            Control::Reason(code) => format!("reason:{code}"),
            Control::Done => "done".to_owned(),
            Control::Language(language) => format!("language:{language}"),
            Control::LargerText => "larger-text".to_owned(),
        }
    }
}

/// Which screen is showing, as far as the focus is concerned: a new question is a new screen,
/// choosing a reason or a language is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenKey {
    OutOfService,
    Home,
    AskMore,
    ChangeAnswer,
    Question(StandardId),
    Reasons(StandardId),
    ThankYou,
}

impl ScreenKey {
    pub fn of(step: &Step, health: &Health) -> ScreenKey {
        match (health, step) {
            (Health::OutOfService(_), _) => ScreenKey::OutOfService,
            (Health::Ready, Step::Home) => ScreenKey::Home,
            (Health::Ready, Step::AskMore { .. }) => ScreenKey::AskMore,
            (Health::Ready, Step::ChangeAnswer) => ScreenKey::ChangeAnswer,
            (Health::Ready, Step::Question { standard }) => ScreenKey::Question(*standard),
            (Health::Ready, Step::Reasons { standard, .. }) => ScreenKey::Reasons(*standard),
            (Health::Ready, Step::ThankYou) => ScreenKey::ThankYou,
        }
    }

    /// Screens where the face buttons rate.
    pub fn asks_for_a_rating(self) -> bool {
        matches!(
            self,
            ScreenKey::Home | ScreenKey::ChangeAnswer | ScreenKey::Question(_)
        )
    }
}

/// The controls of the screen the visit is on, in the order the read-aloud button visits them.
pub fn controls(visit: &Visit, health: &Health) -> Vec<Control> {
    let faces = || Score::ALL.map(Control::Face);
    let mut controls: Vec<Control> = match (health, visit.step()) {
        (Health::OutOfService(_), _) | (Health::Ready, Step::ThankYou) => Vec::new(),
        (Health::Ready, Step::Home | Step::ChangeAnswer) => faces().to_vec(),
        (Health::Ready, Step::AskMore { can_change_answer }) => {
            let mut controls = vec![Control::Yes, Control::Finish];
            if *can_change_answer {
                controls.push(Control::ChangeAnswer);
            }
            controls
        }
        (Health::Ready, Step::Question { .. }) => {
            let mut controls = faces().to_vec();
            if visit.offers_not_applicable() {
                controls.push(Control::NotApplicable);
            }
            controls.extend([Control::Skip, Control::Finish]);
            controls
        }
        (Health::Ready, Step::Reasons { standard, .. }) => {
            let standard = Catalogue::ordinance_4216_2018().standard(*standard);
            let mut controls: Vec<Control> = standard
                .reasons
                .iter()
                .map(|reason| Control::Reason(reason.code))
                .collect();
            controls.push(Control::Done);
            controls
        }
    };
    controls.extend(
        visit
            .survey()
            .languages
            .iter()
            .cloned()
            .map(Control::Language),
    );
    controls.push(Control::LargerText);
    controls
}

/// Where the read-aloud button has got to on the current screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// Nothing read yet on this screen: the next press reads it.
    Unread,
    /// The screen has been read: the next press moves to its first control.
    Read,
    /// The focus ring is on this control.
    At(Control),
}

/// What a short press of the read-aloud button does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    ReadScreen,
    Focus(Control),
}

/// The state of button navigation for one visit.
#[derive(Debug, Clone)]
pub struct Guide {
    /// The client uses the desk's buttons or read-aloud: every step is confirmed aloud.
    pub speaking: bool,
    /// How to move with the read-aloud button has been said in this visit.
    pub how_to_move_told: bool,
    screen: ScreenKey,
    position: Position,
}

impl Guide {
    pub fn new(screen: ScreenKey) -> Guide {
        Guide {
            speaking: false,
            how_to_move_told: false,
            screen,
            position: Position::Unread,
        }
    }

    /// The screen is now `screen`: on a new screen nothing has been read or focused yet.
    /// Returns whether the screen changed.
    pub fn show(&mut self, screen: ScreenKey) -> bool {
        if screen == self.screen {
            return false;
        }
        self.screen = screen;
        self.position = Position::Unread;
        true
    }

    /// The screen was read aloud (on a press, or by itself after a step).
    pub fn screen_read(&mut self) {
        self.position = Position::Read;
    }

    /// The control with the focus ring, if it is still among `controls` (a control can go away,
    /// as "Change my answer" does when its time is up).
    pub fn focused<'a>(&self, controls: &'a [Control]) -> Option<&'a Control> {
        match &self.position {
            Position::At(control) => controls.iter().find(|c| *c == control),
            Position::Unread | Position::Read => None,
        }
    }

    /// A short press of the read-aloud button: read the screen, or move to the next control.
    pub fn advance(&mut self, controls: &[Control]) -> Move {
        let next = match &self.position {
            Position::Unread => None,
            Position::Read => controls.first(),
            Position::At(current) => match controls.iter().position(|c| c == current) {
                Some(index) => controls.get(index + 1),
                None => controls.first(),
            },
        };
        match next {
            Some(control) => {
                self.position = Position::At(control.clone());
                Move::Focus(control.clone())
            }
            None => {
                self.position = Position::Read;
                Move::ReadScreen
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use model::{InputKind, LanguageTag, RecordId, RecordedTime, StandardId};

    use super::*;
    use crate::config::Config;
    use crate::store::Answer;

    fn visit() -> Visit {
        // The example desk asks IV, III, II and IX, in that order.
        Visit::new(Arc::new(Config::example("/unused").desk))
    }

    /// Plays the recorder: the answer is durable.
    fn store(visit: &mut Visit, answer: Option<Answer>) {
        let recorded = RecordedTime {
            wall_clock_ms: 0,
            boot_id: "boot".into(),
            boottime_ns: 1,
            clock_synchronized: false,
        };
        let answer = answer.expect("an answer to store");
        visit.stored(&answer.into_record(RecordId::new_random(), 1, recorded));
    }

    fn language(code: &str) -> Control {
        Control::Language(code.parse::<LanguageTag>().expect("a language"))
    }

    #[test]
    fn home_offers_the_faces_then_the_bar() {
        let visit = visit();
        let controls = controls(&visit, &Health::Ready);
        let mut expected: Vec<Control> = Score::ALL.map(Control::Face).to_vec();
        expected.extend(
            visit
                .survey()
                .languages
                .iter()
                .cloned()
                .map(Control::Language),
        );
        expected.push(Control::LargerText);
        assert_eq!(controls, expected);
        assert!(controls.contains(&language("uk")));
    }

    #[test]
    fn a_question_that_may_not_apply_offers_not_applicable_between_faces_and_skip() {
        let mut desk = Config::example("/unused").desk;
        desk.standards = vec![StandardId::V, StandardId::IV];
        let mut visit = Visit::new(Arc::new(desk));
        let overall = visit.rate(Score::GOOD, InputKind::Button);
        store(&mut visit, overall);
        visit.tell_more();
        // V (the phone) may not apply.
        let controls_v = controls(&visit, &Health::Ready);
        let mut expected: Vec<Control> = Score::ALL.map(Control::Face).to_vec();
        expected.extend([Control::NotApplicable, Control::Skip, Control::Finish]);
        assert_eq!(controls_v[..expected.len()], expected[..]);
        assert_eq!(Control::NotApplicable.id(), "not-applicable");
        // IV (direct service) always applies: no such control.
        visit.skip();
        let controls_iv = controls(&visit, &Health::Ready);
        assert!(!controls_iv.contains(&Control::NotApplicable));
        assert_eq!(controls_iv[4], Control::Skip);
    }

    #[test]
    fn out_of_service_offers_only_the_bar() {
        let visit = visit();
        let fault = crate::recorder::Fault {
            code: "S1",
            detail: "disk full".into(),
        };
        let controls = controls(&visit, &Health::OutOfService(fault));
        assert!(
            controls
                .iter()
                .all(|c| matches!(c, Control::Language(_) | Control::LargerText)),
            "{controls:?}"
        );
    }

    #[test]
    fn presses_read_the_screen_then_visit_each_control_then_read_again() {
        let controls = [Control::Yes, Control::Finish, Control::LargerText];
        let mut guide = Guide::new(ScreenKey::AskMore);
        assert_eq!(guide.advance(&controls), Move::ReadScreen);
        assert_eq!(guide.focused(&controls), None);
        assert_eq!(guide.advance(&controls), Move::Focus(Control::Yes));
        assert_eq!(guide.focused(&controls), Some(&Control::Yes));
        assert_eq!(guide.advance(&controls), Move::Focus(Control::Finish));
        assert_eq!(guide.advance(&controls), Move::Focus(Control::LargerText));
        assert_eq!(guide.advance(&controls), Move::ReadScreen, "wraps round");
        assert_eq!(guide.advance(&controls), Move::Focus(Control::Yes));
    }

    #[test]
    fn a_screen_read_by_itself_starts_at_the_first_control() {
        let controls = [Control::Yes, Control::Finish];
        let mut guide = Guide::new(ScreenKey::Home);
        assert!(guide.show(ScreenKey::AskMore));
        guide.screen_read();
        assert_eq!(guide.advance(&controls), Move::Focus(Control::Yes));
    }

    #[test]
    fn a_new_screen_forgets_the_focus_and_the_same_screen_keeps_it() {
        let controls = [Control::Skip, Control::Finish];
        let mut guide = Guide::new(ScreenKey::Question(StandardId::IV));
        guide.screen_read();
        guide.advance(&controls);
        assert!(!guide.show(ScreenKey::Question(StandardId::IV)));
        assert_eq!(guide.focused(&controls), Some(&Control::Skip));
        assert!(guide.show(ScreenKey::Question(StandardId::III)));
        assert_eq!(guide.focused(&controls), None);
        assert_eq!(guide.advance(&controls), Move::ReadScreen);
    }

    #[test]
    fn a_control_that_went_away_is_not_focused_and_the_next_press_starts_over() {
        let mut guide = Guide::new(ScreenKey::AskMore);
        let offered = [Control::Yes, Control::Finish, Control::ChangeAnswer];
        guide.screen_read();
        for _ in 0..3 {
            guide.advance(&offered);
        }
        assert_eq!(guide.focused(&offered), Some(&Control::ChangeAnswer));
        let closed = [Control::Yes, Control::Finish];
        assert_eq!(guide.focused(&closed), None);
        assert_eq!(guide.advance(&closed), Move::Focus(Control::Yes));
    }

    #[test]
    fn reasons_are_visited_across_pages_then_done() {
        let mut visit = visit();
        // Reach IV's reasons: overall rating stored, then a low score on IV stored.
        let overall = visit.rate(Score::BAD, InputKind::Button);
        store(&mut visit, overall);
        visit.tell_more();
        let low = visit.rate(Score::VERY_BAD, InputKind::Button);
        store(&mut visit, low);
        assert!(
            matches!(visit.step(), Step::Reasons { .. }),
            "{:?}",
            visit.step()
        );
        let controls = controls(&visit, &Health::Ready);
        let reasons = Catalogue::ordinance_4216_2018()
            .standard(StandardId::IV)
            .reasons;
        let chips: Vec<&Control> = controls
            .iter()
            .take_while(|c| matches!(c, Control::Reason(_)))
            .collect();
        assert_eq!(chips.len(), reasons.len());
        assert_eq!(controls[reasons.len()], Control::Done);
        assert_eq!(controls[0].id(), format!("reason:{}", reasons[0].code));
    }
}
