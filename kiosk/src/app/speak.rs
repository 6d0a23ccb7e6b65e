//! What the kiosk says, in the language on screen (EN 301 549 5.1.3.14): each screen's question
//! and the choices it offers, as it shows them; and, for a client using the desk's buttons, how
//! to use them, the control the read-aloud button has moved to with its state, and what each
//! step did. Every word comes from the .po files (`ui::spoken` for texts that are only spoken).

use model::{Catalogue, LanguageTag, RatingRecord, Score};
use ui::spoken::{self, Spoken};
use ui::translations::{Catalog, Translations};

use crate::app::navigate::{Control, ScreenKey};
use crate::recorder::Health;
use crate::visit::{Step, Visit};

/// The faces, as labelled on screen.
const FACES: [&str; 4] = ["Very bad", "Bad", "Good", "Very good"];

/// The text to speak for the screen the visit is on.
pub fn utterance(visit: &Visit, health: &Health) -> String {
    let translations = Translations::bundled();
    let catalog = translations.get(visit.language());
    let ui = |msgid: &'static str| -> String {
        catalog
            .and_then(|c| c.translation(None, msgid))
            .unwrap_or(msgid)
            .to_owned()
    };
    let catalogue = Catalogue::ordinance_4216_2018();
    let faces = || FACES.iter().map(|f| ui(f)).collect::<Vec<_>>();
    let parts: Vec<String> = match (health, visit.step()) {
        (Health::OutOfService(_), _) => vec![
            ui("Temporarily out of service"),
            ui("Please ask at the desk."),
        ],
        (Health::Ready, Step::Home) => {
            vec![ui("How would you rate the service today?"), list(&faces())]
        }
        (Health::Ready, Step::ChangeAnswer) => {
            vec![ui("Choose your answer again"), list(&faces())]
        }
        (Health::Ready, Step::AskMore { can_change_answer }) => {
            let mut choices = vec![ui("Yes"), ui("Finish")];
            if *can_change_answer {
                choices.push(ui("Change my answer"));
            }
            vec![
                ui("Thank you!"),
                ui("Tell us more? (about 30 seconds)"),
                list(&choices),
            ]
        }
        (Health::Ready, Step::Question { standard }) => {
            let standard = catalogue.standard(*standard);
            let mut choices = faces();
            choices.push(ui("Skip"));
            vec![
                translate(catalog, &standard.question_context(), standard.question),
                list(&choices),
            ]
        }
        (Health::Ready, Step::Reasons { standard, .. }) => {
            let standard = catalogue.standard(*standard);
            let mut choices: Vec<String> = standard
                .reasons
                .iter()
                .map(|r| translate(catalog, &r.context(), r.text))
                .collect();
            choices.push(ui("Done"));
            vec![
                ui("What went wrong?"),
                ui("Choose any that apply"),
                list(&choices),
            ]
        }
        (Health::Ready, Step::ThankYou) => {
            vec![ui("Thank you for your opinion!"), ui("Have a good day.")]
        }
    };
    sentences(parts)
}

/// The spoken idle warning: the question on the prompt and the way to get more time, and at a
/// desk with buttons that any of them will do. (The seconds left are on screen; a spoken count
/// would need the languages' plural rules.)
pub fn idle_warning(visit: &Visit, buttons: bool) -> String {
    let words = Words::new(visit.language());
    let mut parts = vec![words.ui("Need more time?"), words.ui("More time")];
    if buttons {
        parts.push(words.spoken(spoken::ANY_BUTTON_FOR_MORE_TIME));
    }
    sentences(parts)
}

/// The screen read for a client using the desk's buttons: what [`utterance`] says, then that a
/// face button answers (where a question is asked), then, with `how_to_move`, how to move and
/// choose with the read-aloud button (not on the thank-you and out-of-service screens, which
/// offer nothing to choose but the bottom bar).
pub fn screen_with_hint(visit: &Visit, health: &Health, how_to_move: bool) -> String {
    let words = Words::new(visit.language());
    let screen = ScreenKey::of(visit.step(), health);
    let mut parts = vec![utterance(visit, health)];
    if screen.asks_for_a_rating() {
        parts.push(words.spoken(spoken::ANSWER_WITH_A_FACE));
    }
    if how_to_move && !matches!(screen, ScreenKey::ThankYou | ScreenKey::OutOfService) {
        parts.push(words.spoken(spoken::HOW_TO_MOVE_AND_CHOOSE));
    }
    sentences(parts)
}

/// What is said when the read-aloud button moves to `control`, and in which language: its label
/// and state ("Larger text: off", "Lack of information, not selected"). A language other than
/// the one on screen introduces itself in its own language and voice, so its speakers
/// understand how to switch to it.
pub fn control(visit: &Visit, control: &Control) -> (LanguageTag, String) {
    let words = Words::new(visit.language());
    let text = match control {
        Control::Face(score) => words.face(*score),
        Control::Yes => words.ui("Yes"),
        Control::Finish => words.ui("Finish"),
        Control::ChangeAnswer => words.ui("Change my answer"),
        Control::Skip => words.ui("Skip"),
        Control::Done => words.ui("Done"),
        Control::Reason(code) => {
            let selected = match visit.step() {
                Step::Reasons { selected, .. } => selected.iter().any(|c| c.as_str() == *code),
                _ => false,
            };
            words.state(&words.reason(visit, code), selected)
        }
        Control::Language(language) if language == visit.language() => {
            words.state(&words.native_name(), true)
        }
        Control::Language(language) => {
            let own = Words::new(language);
            return (
                language.clone(),
                sentences(vec![
                    own.native_name(),
                    own.spoken(spoken::HOLD_TO_CHOOSE_LANGUAGE),
                ]),
            );
        }
        Control::LargerText => {
            let switch = if visit.larger_text() {
                spoken::SWITCH_ON
            } else {
                spoken::SWITCH_OFF
            };
            words.format(switch, &words.ui("Larger text"))
        }
    };
    (visit.language().clone(), sentence(text))
}

/// After choosing a language with the buttons: its name, then the screen in that language.
pub fn language_chosen(visit: &Visit, health: &Health) -> String {
    let words = Words::new(visit.language());
    sentences(vec![
        words.state(&words.native_name(), true),
        screen_with_hint(visit, health, true),
    ])
}

/// Confirms a stored answer: the face chosen, or that the reasons are saved.
pub fn stored(visit: &Visit, record: &RatingRecord) -> String {
    let words = Words::new(visit.language());
    if record.reasons.is_empty() {
        words.format(spoken::YOUR_ANSWER, &words.face(record.score))
    } else {
        words.spoken(spoken::REASONS_SAVED)
    }
}

/// A face button pressed where nothing is rated.
pub fn no_question_here(visit: &Visit) -> String {
    Words::new(visit.language()).spoken(spoken::NO_QUESTION_HERE)
}

/// A button answered "Need more time?".
pub fn more_time_given(visit: &Visit) -> String {
    Words::new(visit.language()).spoken(spoken::MORE_TIME_GIVEN)
}

/// The words of one language.
struct Words {
    catalog: Option<&'static Catalog>,
}

impl Words {
    fn new(language: &LanguageTag) -> Words {
        Words {
            catalog: Translations::bundled().get(language),
        }
    }

    /// An on-screen text (an `@tr` msgid of the .slint files).
    fn ui(&self, msgid: &'static str) -> String {
        self.catalog
            .and_then(|c| c.translation(None, msgid))
            .unwrap_or(msgid)
            .to_owned()
    }

    /// A text that is only spoken.
    fn spoken(&self, text: Spoken) -> String {
        translate(self.catalog, spoken::CONTEXT, text.msgid)
    }

    /// A spoken text with `{0}` replaced by `argument`.
    fn format(&self, text: Spoken, argument: &str) -> String {
        self.spoken(text).replace("{0}", argument)
    }

    fn state(&self, name: &str, selected: bool) -> String {
        let text = if selected {
            spoken::SELECTED
        } else {
            spoken::NOT_SELECTED
        };
        self.format(text, name)
    }

    fn face(&self, score: Score) -> String {
        let index = usize::from(score.value())
            .saturating_sub(1)
            .min(FACES.len() - 1);
        self.ui(FACES[index])
    }

    fn reason(&self, visit: &Visit, code: &str) -> String {
        let Step::Reasons { standard, .. } = visit.step() else {
            return code.to_owned();
        };
        Catalogue::ordinance_4216_2018()
            .standard(*standard)
            .reason(code)
            .map_or_else(
                || code.to_owned(),
                |reason| translate(self.catalog, &reason.context(), reason.text),
            )
    }

    fn native_name(&self) -> String {
        self.catalog.map_or("?", Catalog::native_name).to_owned()
    }
}

fn translate(catalog: Option<&Catalog>, context: &str, msgid: &str) -> String {
    catalog.map_or(msgid, |c| c.tr(context, msgid)).to_owned()
}

/// `parts` as sentences, one after another.
fn sentences(parts: Vec<String>) -> String {
    parts
        .into_iter()
        .map(sentence)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Choices read one after another, with a pause between them.
fn list(choices: &[String]) -> String {
    choices.join(", ")
}

/// Ends `text` with a full stop unless it already ends a sentence.
fn sentence(text: String) -> String {
    if text.ends_with(['.', '?', '!']) {
        text
    } else {
        format!("{text}.")
    }
}
