//! UI tests of "Not applicable": on every standard question (the catalogue's `may_not_apply`), in
//! every language, by touch (normal and larger text) and by the desk's buttons alone (focus ring,
//! hold, spoken confirmation), it is stored as its own kind of answer — no score, no reasons — and
//! the next question follows; the overall question neither shows nor speaks it.

mod common;

use std::sync::Arc;

use common::{Kiosk, pass_time, run_ui_test};
use hardware::{Button, Simulator};
use model::{Answer, Catalogue, InputKind, Question, Rateability, Score, StandardId};
use speech::{Output, Speaker, SpeechConfig};
use ui::Screen;
use ui::spoken;
use ui::translations::Translations;

const LANGUAGES: [&str; 4] = ["pl", "en", "uk", "de"];

/// The label of the control, in each language, as the brief names it (German "Entfällt", not the
/// agreement scales' "Trifft nicht zu": docs/glossary.md).
const LABELS: [(&str, &str); 4] = [
    ("pl", "Nie dotyczy"),
    ("en", "Not applicable"),
    ("uk", "Не стосується"),
    ("de", "Entfällt"),
];

#[test]
fn not_applicable_on_every_standard_question_by_touch_and_by_buttons() {
    run_ui_test(|| async {
        for language in LANGUAGES {
            by_touch(language, false).await;
            by_buttons(language, false).await;
        }
        for language in LANGUAGES {
            by_touch(language, true).await;
        }
        by_buttons("uk", true).await;
        skip_stores_nothing_and_not_applicable_stores_one_answer().await;
    });
}

/// A kiosk at a desk asking every standard a client may rate (an internal-service desk, so XI
/// too), starting in `language`.
fn kiosk_asking_everything(language: &str) -> Kiosk {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = kiosk::config::Config::example(dir.path().join("data"));
    config.desk.internal_service = true;
    config.desk.standards = StandardId::ALL.to_vec();
    config.desk.default_language = language.parse().expect("a language");
    Kiosk::start_with(config, dir)
}

/// The standards asked in `language`, in order (IX only in languages other than Polish; X never).
fn asked(language: &str) -> Vec<StandardId> {
    let catalogue = Catalogue::ordinance_4216_2018();
    StandardId::ALL
        .into_iter()
        .filter(|&id| match catalogue.standard(id).rateability {
            Rateability::Clients | Rateability::InternalServiceDesks => true,
            Rateability::ForeignLanguageClients => language != "pl",
            Rateability::Never => false,
        })
        .collect()
}

fn label(language: &str) -> &'static str {
    LABELS
        .iter()
        .find(|(l, _)| *l == language)
        .map(|(_, label)| *label)
        .expect("a label")
}

/// The question on screen is `standard`'s, in the language on screen.
fn assert_question(kiosk: &Kiosk, language: &str, standard: StandardId) {
    let catalogue = Catalogue::ordinance_4216_2018();
    let standard = catalogue.standard(standard);
    let expected = Translations::bundled()
        .get(&language.parse().expect("a language"))
        .expect("a shipped language")
        .tr(&standard.question_context(), standard.question)
        .to_owned();
    assert_eq!(kiosk.adapter().get_question(), expected, "{language}");
}

/// Every standard that offers it answered "not applicable" after a good overall rating (the
/// others skipped), all stored as such.
fn assert_stored_as_not_applicable(
    kiosk: &Kiosk,
    language: &str,
    larger_text: bool,
    input: InputKind,
) {
    let records = kiosk.records();
    let expected: Vec<Question> = std::iter::once(Question::Overall)
        .chain(asked(language).into_iter().map(Question::Standard))
        .collect();
    let questions: Vec<Question> = records.iter().map(|r| r.question).collect();
    assert_eq!(questions, expected, "{language}");
    assert_eq!(records[0].answer, Answer::Score(Score::GOOD));
    for record in &records[1..] {
        assert_eq!(
            record.answer,
            Answer::NotApplicable,
            "{language}: {record:?}"
        );
        assert!(record.reasons.is_empty() && record.supersedes.is_none());
        assert_eq!(record.language.as_str(), language);
        assert_eq!(record.larger_text, larger_text);
        assert_eq!(record.input, input);
        assert!(record.visit_id == records[0].visit_id);
    }
    // The outbox sends them as such: "score": null and "not_applicable": true.
    let json = serde_json::to_string(&records[1]).expect("json");
    assert!(
        json.contains(r#""score":null"#) && json.contains(r#""not_applicable":true"#),
        "{json}"
    );
}

async fn by_touch(language: &'static str, larger_text: bool) {
    let kiosk = kiosk_asking_everything(language);
    if larger_text {
        kiosk.tap("Larger text");
    }
    assert!(
        kiosk.try_find("Not applicable").is_none(),
        "{language}: the overall question offers it"
    );
    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Yes");
    for standard in asked(language) {
        kiosk.until_screen(Screen::Question).await;
        assert_question(&kiosk, language, standard);
        let button = kiosk.find("Not applicable");
        assert_eq!(
            button.accessible_label().as_deref(),
            Some(label(language)),
            "{language}"
        );
        button.mock_single_click(slint::platform::PointerEventButton::Left);
        wait_for_next(&kiosk, language, standard).await;
    }
    kiosk.until_screen(Screen::ThankYou).await;
    assert_stored_as_not_applicable(&kiosk, language, larger_text, InputKind::Touch);
}

/// Waits until `standard`'s answer is durable: the next question, or the thank-you.
async fn wait_for_next(kiosk: &Kiosk, language: &str, standard: StandardId) {
    let catalogue = Catalogue::ordinance_4216_2018();
    let this = catalogue.standard(standard);
    let shown = Translations::bundled()
        .get(&language.parse().expect("a language"))
        .expect("a shipped language")
        .tr(&this.question_context(), this.question)
        .to_owned();
    kiosk
        .until(|k| {
            !k.adapter().get_recording()
                && (k.screen() == Screen::ThankYou || k.adapter().get_question() != shown)
        })
        .await;
}

async fn by_buttons(language: &'static str, larger_text: bool) {
    let kiosk = kiosk_asking_everything(language);
    let buttons = Simulator::new();
    kiosk.app.attach_hardware(Box::new(buttons.clone()));
    let speaker = Arc::new(Speaker::new(SpeechConfig {
        output: Output::Nowhere,
        ..SpeechConfig::default()
    }));
    kiosk.app.attach_speech(speaker.clone());
    let press = |button: Button| {
        buttons.press(button);
        pass_time(0.05);
    };
    let hold = || {
        buttons.hold(Button::ReadAloud);
        pass_time(0.05);
    };
    // Moves the focus to `id`; returns the ids it passed on the way.
    let move_to = |id: &str| -> Vec<String> {
        let mut passed = Vec::new();
        for _ in 0..40 {
            press(Button::ReadAloud);
            let focused = kiosk.adapter().get_focused().to_string();
            if focused == id {
                return passed;
            }
            passed.push(focused);
        }
        panic!(
            "the focus never reached {id:?}; labels: {:?}",
            kiosk.labels()
        );
    };
    let said = || {
        let (said_language, text) = speaker.last_said().expect("something was said");
        assert_eq!(said_language, language, "{text}");
        text
    };
    let catalog = Translations::bundled()
        .get(&language.parse().expect("a language"))
        .expect("a shipped language");
    let your_answer = catalog
        .translation(Some(spoken::CONTEXT), spoken::YOUR_ANSWER.msgid)
        .expect("translated")
        .replace("{0}", label(language));

    if larger_text {
        move_to("larger-text");
        hold();
    }
    press(Button::Good);
    kiosk.until_screen(Screen::AskMore).await;
    move_to("yes");
    hold();
    for standard in asked(language) {
        kiosk.until_screen(Screen::Question).await;
        assert_question(&kiosk, language, standard);
        // The question is read by itself, offering "not applicable" among the choices.
        let choice = format!(", {}", label(language));
        assert!(said().contains(&choice), "{language}: {}", said());
        move_to("not-applicable");
        assert_eq!(said(), format!("{}.", label(language)));
        kiosk.assert_ring_around(label(language));
        hold();
        wait_for_next(&kiosk, language, standard).await;
        assert!(
            said().starts_with(&your_answer),
            "{language}: confirmed aloud: {}",
            said()
        );
    }
    kiosk.until_screen(Screen::ThankYou).await;
    assert_stored_as_not_applicable(&kiosk, language, larger_text, InputKind::Button);
}

/// Skip moves on and stores nothing; "Not applicable" stores one answer: they are told apart.
async fn skip_stores_nothing_and_not_applicable_stores_one_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = kiosk::config::Config::example(dir.path().join("data"));
    config.desk.standards = vec![StandardId::V, StandardId::XII, StandardId::IV];
    let kiosk = Kiosk::start_with(config, dir);
    kiosk.tap("Very good");
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    assert_question(&kiosk, "pl", StandardId::V);
    kiosk.tap("Skip");
    wait_for_next(&kiosk, "pl", StandardId::V).await;
    assert_question(&kiosk, "pl", StandardId::XII);
    assert_eq!(kiosk.records().len(), 1, "a skip records nothing");
    kiosk.tap("Not applicable");
    wait_for_next(&kiosk, "pl", StandardId::XII).await;
    assert_question(&kiosk, "pl", StandardId::IV);
    let records = kiosk.records();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[1].question, records[1].answer),
        (Question::Standard(StandardId::XII), Answer::NotApplicable)
    );
}
