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

/// The "does not apply" choice, as labelled on screen.
const NOT_APPLICABLE: &str = "Not applicable";

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
            if visit.offers_not_applicable() {
                choices.push(ui(NOT_APPLICABLE));
            }
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
        Control::NotApplicable => words.ui(NOT_APPLICABLE),
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

/// Confirms a stored answer: the face chosen, "Not applicable", or that the reasons are saved.
pub fn stored(visit: &Visit, record: &RatingRecord) -> String {
    let words = Words::new(visit.language());
    if !record.reasons.is_empty() {
        return words.spoken(spoken::REASONS_SAVED);
    }
    let answer = match record.answer {
        model::Answer::Score(score) => words.face(score),
        model::Answer::NotApplicable => words.ui(NOT_APPLICABLE),
    };
    words.format(spoken::YOUR_ANSWER, &answer)
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use model::{InputKind, RecordId, RecordedTime, StandardId};

    use super::*;
    use crate::config::Config;
    use crate::store::Answer;

    /// The example desk (IV, III, II, IX; pl, en, uk, de), in `language`.
    fn visit(language: &str) -> Visit {
        let mut visit = Visit::new(Arc::new(Config::example("/unused").desk));
        visit.choose_language(&language.parse().expect("a language"));
        visit
    }

    /// Plays the recorder: the answer is durable.
    fn store(visit: &mut Visit, answer: Option<Answer>) -> RatingRecord {
        let recorded = RecordedTime {
            wall_clock_ms: 0,
            boot_id: "boot".into(),
            boottime_ns: 1,
            clock_synchronized: false,
        };
        let record =
            answer
                .expect("an answer to store")
                .into_record(RecordId::new_random(), 1, recorded);
        visit.stored(&record);
        record
    }

    /// A visit on each screen: home, ask-more, change-answer, a question, its reasons, thanks.
    fn every_screen(language: &str) -> Vec<Visit> {
        let mut screens = vec![visit(language)];
        let mut v = visit(language);
        let overall = v.rate(Score::BAD, InputKind::Button);
        store(&mut v, overall);
        screens.push(v.clone());
        let mut change = v.clone();
        change.change_answer();
        screens.push(change);
        v.tell_more();
        screens.push(v.clone());
        let low = v.rate(Score::VERY_BAD, InputKind::Button);
        store(&mut v, low);
        screens.push(v.clone());
        let mut thanks = v.clone();
        let _ = thanks.finish(InputKind::Button);
        screens.push(thanks);
        screens
    }

    #[test]
    fn every_screen_is_read_with_its_hints_in_the_language_on_screen() {
        let english_words = [
            "Very bad",
            spoken::ANSWER_WITH_A_FACE.msgid,
            spoken::HOW_TO_MOVE_AND_CHOOSE.msgid,
        ];
        for language in ["pl", "uk", "de"] {
            let screens = every_screen(language);
            let steps: Vec<ScreenKey> = screens
                .iter()
                .map(|v| ScreenKey::of(v.step(), &Health::Ready))
                .collect();
            assert_eq!(
                steps,
                [
                    ScreenKey::Home,
                    ScreenKey::AskMore,
                    ScreenKey::ChangeAnswer,
                    ScreenKey::Question(StandardId::IV),
                    ScreenKey::Reasons(StandardId::IV),
                    ScreenKey::ThankYou,
                ]
            );
            for visit in &screens {
                let text = screen_with_hint(visit, &Health::Ready, true);
                for english in english_words {
                    assert!(!text.contains(english), "{language}: {english:?} in {text}");
                }
                assert!(
                    text.len() < speech::MAX_TEXT_CHARS,
                    "{language}: too long to speak: {text}"
                );
            }
        }
    }

    #[test]
    fn a_control_is_said_with_its_state_and_another_language_in_its_own_words() {
        let mut v = visit("de");
        assert_eq!(
            control(&v, &Control::LargerText),
            (
                "de".parse().expect("de"),
                "Größere Schrift: aus.".to_owned()
            )
        );
        v.toggle_larger_text();
        assert_eq!(control(&v, &Control::LargerText).1, "Größere Schrift: ein.");
        let (language, text) = control(&v, &Control::Language("uk".parse().expect("uk")));
        assert_eq!(language.as_str(), "uk");
        assert!(text.starts_with("Українська. "), "{text}");
        assert_eq!(
            control(&v, &Control::Language("de".parse().expect("de"))).1,
            "Deutsch, ausgewählt."
        );
    }

    #[test]
    fn a_stored_answer_is_confirmed_by_its_face_or_its_reasons() {
        let mut v = visit("en");
        let overall = v.rate(Score::GOOD, InputKind::Button);
        let record = store(&mut v, overall);
        assert_eq!(stored(&v, &record), "Your answer: Good.");
        v.tell_more();
        let low = v.rate(Score::BAD, InputKind::Button);
        store(&mut v, low);
        let Step::Reasons { standard, .. } = v.step().clone() else {
            panic!("reasons after a low score: {:?}", v.step());
        };
        let code = Catalogue::ordinance_4216_2018().standard(standard).reasons[0].code;
        v.toggle_reason(code);
        let reasons = v.reasons_done(InputKind::Button);
        let record = store(&mut v, reasons);
        assert_eq!(stored(&v, &record), "Your reasons are saved.");
    }

    #[test]
    fn not_applicable_is_offered_said_and_confirmed_in_the_language_on_screen() {
        for (language, label) in [
            ("pl", "Nie dotyczy"),
            ("en", "Not applicable"),
            ("uk", "Не стосується"),
            ("de", "Entfällt"),
        ] {
            let mut desk = Config::example("/unused").desk;
            desk.standards = vec![StandardId::IV, StandardId::XIII];
            let mut v = Visit::new(Arc::new(desk));
            v.choose_language(&language.parse().expect("a language"));
            let overall = v.rate(Score::GOOD, InputKind::Button);
            store(&mut v, overall);
            v.tell_more();
            // IV always applies: not offered, not said.
            let screen = utterance(&v, &Health::Ready);
            assert!(!screen.contains(label), "{language}: {screen}");
            v.skip();
            // XIII (a tax or property matter) may not apply.
            let screen = utterance(&v, &Health::Ready);
            assert!(screen.contains(label), "{language}: {screen}");
            assert_eq!(
                control(&v, &Control::NotApplicable).1,
                format!("{label}."),
                "{language}"
            );
            let not_applicable = v.not_applicable(InputKind::Button);
            let record = store(&mut v, not_applicable);
            let confirmed = stored(&v, &record);
            assert!(confirmed.contains(label), "{language}: {confirmed}");
        }
    }

    /// The real espeak-ng (installed by `cargo xtask test`) makes audio of every screen's reading;
    /// the UI test covers the screens of a visit, this one the out-of-service screen.
    #[test]
    fn the_out_of_service_screen_becomes_audio_in_every_language() {
        let speaker = speech::Speaker::new(speech::SpeechConfig {
            output: speech::Output::Nowhere,
            ..speech::SpeechConfig::default()
        });
        let out_of_service = Health::OutOfService(crate::recorder::Fault {
            code: "S1",
            detail: "database: disk full".into(),
        });
        for language in ["pl", "en", "uk", "de"] {
            let text = screen_with_hint(&visit(language), &out_of_service, true);
            let audio = speaker
                .synthesize_wav(language, &text)
                .unwrap_or_else(|e| panic!("{language}: {e}"));
            let duration = speech::wav::duration(&audio).expect("a WAV file");
            assert!(
                duration > Duration::from_secs(1),
                "{language}: {duration:?} for {text}"
            );
        }
    }
}
