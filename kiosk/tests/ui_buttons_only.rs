//! UI tests of the kiosk without touch and without sight: a whole visit completed with the desk's
//! five buttons alone, in each language, with speech confirming each step in that language's
//! voice (the real espeak-ng makes audio of each screen's reading), and the records it stores.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Kiosk, pass_time, run_ui_test};
use hardware::{Button, Simulator};
use model::{Catalogue, InputKind, LanguageTag, Question, Score, StandardId};
use slint::ComponentHandle;
use speech::{Output, Speaker, SpeechConfig};
use ui::spoken::{self, Spoken};
use ui::translations::Translations;
use ui::{Screen, Theme};

/// The espeak-ng voice each kiosk language must be spoken with.
const VOICES: [(&str, &str); 4] = [("pl", "pl"), ("en", "en-gb"), ("uk", "uk"), ("de", "de")];

#[test]
fn a_whole_visit_with_the_buttons_alone_in_every_language() {
    run_ui_test(|| async {
        for (language, voice) in VOICES {
            button_only_visit(language, voice).await;
        }
        the_idle_warning_is_answered_by_any_button().await;
        no_idle_warning_while_the_kiosk_speaks().await;
        a_face_button_held_rates_once().await;
    });
}

/// The words of one language, looked up independently of the kiosk's own code.
struct Words {
    language: LanguageTag,
}

impl Words {
    fn new(code: &str) -> Words {
        Words {
            language: code.parse().expect("a language tag"),
        }
    }

    fn catalog(&self) -> &'static ui::translations::Catalog {
        Translations::bundled()
            .get(&self.language)
            .expect("a shipped language")
    }

    /// An on-screen text.
    fn ui(&self, msgid: &str) -> String {
        self.catalog()
            .translation(None, msgid)
            .unwrap_or_else(|| panic!("{}: {msgid:?} untranslated", self.language))
            .to_owned()
    }

    /// A spoken-only text, with `{0}` replaced by `argument`.
    fn spoken(&self, text: Spoken, argument: &str) -> String {
        self.catalog()
            .translation(Some(spoken::CONTEXT), text.msgid)
            .unwrap_or_else(|| panic!("{}: {:?} untranslated", self.language, text.msgid))
            .replace("{0}", argument)
    }

    fn catalogue(&self, context: &str, msgid: &str) -> String {
        self.catalog().tr(context, msgid).to_owned()
    }

    fn native_name(&self) -> String {
        self.catalog().native_name().to_owned()
    }
}

/// The desk: its buttons and what the kiosk says.
struct Desk {
    buttons: Simulator,
    speaker: Arc<Speaker>,
}

impl Desk {
    fn attach(kiosk: &Kiosk) -> Desk {
        let buttons = Simulator::new();
        kiosk.app.attach_hardware(Box::new(buttons.clone()));
        let speaker = Arc::new(Speaker::new(SpeechConfig {
            output: Output::Nowhere,
            ..SpeechConfig::default()
        }));
        kiosk.app.attach_speech(speaker.clone());
        Desk { buttons, speaker }
    }

    /// A short press, and the kiosk's next hardware poll.
    fn press(&self, button: Button) {
        self.buttons.press(button);
        pass_time(0.05);
    }

    /// The read-aloud button held down: chooses the focused control.
    fn hold(&self) {
        self.buttons.hold(Button::ReadAloud);
        pass_time(0.05);
    }

    /// What was said last, checking it was said in `language` with that language's voice.
    fn said_in(&self, language: &str, voice: &str) -> String {
        let (said_language, text) = self.speaker.last_said().expect("something was said");
        assert_eq!(
            said_language, language,
            "spoken in the wrong language: {text}"
        );
        let arguments = self
            .speaker
            .arguments(&said_language, false)
            .expect("a voice");
        assert_eq!(
            arguments[..2],
            ["-v", voice],
            "{language} needs voice {voice}"
        );
        text
    }

    /// Real espeak-ng audio of what was said last: non-empty, and long enough to be speech.
    fn synthesize_last(&self) -> Duration {
        let (language, text) = self.speaker.last_said().expect("something was said");
        let audio = self
            .speaker
            .synthesize_wav(&language, &text)
            .unwrap_or_else(|e| panic!("espeak-ng cannot say {text:?} in {language}: {e}"));
        let duration = speech::wav::duration(&audio).expect("a WAV file");
        assert!(
            duration > Duration::from_millis(500),
            "{language}: {duration:?} of audio for {text:?}"
        );
        duration
    }

    /// Presses read-aloud until the focus ring is on `id`.
    fn move_to(&self, kiosk: &Kiosk, id: &str) {
        for _ in 0..40 {
            self.press(Button::ReadAloud);
            if kiosk.adapter().get_focused() == id {
                return;
            }
        }
        panic!(
            "the focus never reached {id:?} on {:?}; labels: {:?}",
            kiosk.screen(),
            kiosk.labels()
        );
    }
}

/// Rates low, hears the follow-up, chooses reasons, changes the answer, switches language and
/// larger text, and finishes, touching nothing; then checks the store.
async fn button_only_visit(language: &'static str, voice: &'static str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = kiosk::config::Config::example(dir.path().join("data"));
    // Start in another language, so choosing this one is a real switch.
    let start = if language == "pl" { "de" } else { "pl" };
    config.desk.default_language = start.parse().expect("a language");
    let kiosk = Kiosk::start_with(config, dir);
    let desk = Desk::attach(&kiosk);
    let (first, words) = (Words::new(start), Words::new(language));
    let catalogue = Catalogue::ordinance_4216_2018();

    // Read-aloud and larger text are both on the first screen, for touch (and for the buttons:
    // read-aloud is a button of its own, larger text is reached below by focus and hold).
    assert_eq!(kiosk.screen(), Screen::Home);
    for label in ["Read aloud", "Larger text"] {
        let target = kiosk.find(label);
        assert!(
            target.size().width > 0.0 && target.size().height > 0.0,
            "{label}"
        );
    }

    // The first press reads the home screen and says how to use the buttons.
    desk.press(Button::ReadAloud);
    let text = desk.said_in(
        start,
        VOICES.iter().find(|v| v.0 == start).expect("voice").1,
    );
    assert!(
        text.starts_with(&first.ui("How would you rate the service today?")),
        "{text}"
    );
    for hint in [spoken::ANSWER_WITH_A_FACE, spoken::HOW_TO_MOVE_AND_CHOOSE] {
        assert!(text.contains(&first.spoken(hint, "")), "{text}");
    }
    assert_eq!(kiosk.adapter().get_focused(), "", "reading moves no focus");

    // Language: the language's button introduces itself in its own language and voice.
    desk.move_to(&kiosk, &format!("language:{language}"));
    kiosk.assert_ring_around(&words.native_name());
    let text = desk.said_in(language, voice);
    assert_eq!(
        text,
        format!(
            "{}. {}",
            words.native_name(),
            words.spoken(spoken::HOLD_TO_CHOOSE_LANGUAGE, "")
        )
    );
    desk.hold();
    kiosk
        .until(|k| k.adapter().get_language() == language)
        .await;
    let text = desk.said_in(language, voice);
    assert!(
        text.starts_with(&words.spoken(spoken::SELECTED, &words.native_name())),
        "{text}"
    );
    assert!(
        text.contains(&words.ui("How would you rate the service today?")),
        "{text}"
    );
    desk.synthesize_last();

    // Larger text: its state is said before and after choosing it.
    desk.move_to(&kiosk, "larger-text");
    let larger_text = words.ui("Larger text");
    assert_eq!(
        desk.said_in(language, voice),
        format!("{}.", words.spoken(spoken::SWITCH_OFF, &larger_text))
    );
    desk.hold();
    assert!(kiosk.app.window().global::<Theme>().get_larger_text());
    assert_eq!(
        desk.said_in(language, voice),
        format!("{}.", words.spoken(spoken::SWITCH_ON, &larger_text))
    );
    kiosk.assert_ring_around(&larger_text);

    // A low overall rating with a face button; the next screen is read with the confirmation.
    desk.press(Button::VeryBad);
    kiosk.until_screen(Screen::AskMore).await;
    assert_eq!(
        kiosk.adapter().get_focused(),
        "",
        "the larger-text switch is on this screen too, but a new screen starts without focus"
    );
    let text = desk.said_in(language, voice);
    assert!(
        text.starts_with(&words.spoken(spoken::YOUR_ANSWER, &words.ui("Very bad"))),
        "{text}"
    );
    assert!(text.contains(&words.ui("Change my answer")), "{text}");
    desk.synthesize_last();

    // A face button where nothing is asked records nothing and says so.
    desk.press(Button::Good);
    assert_eq!(
        desk.said_in(language, voice),
        words.spoken(spoken::NO_QUESTION_HERE, "")
    );
    assert_eq!(kiosk.screen(), Screen::AskMore);
    assert_eq!(kiosk.records().len(), 1);

    // Change my answer (offered for as long as the client is on the screen with speech).
    pass_time(kiosk.config.timing.change_answer_window.as_secs_f64() + 1.0);
    desk.move_to(&kiosk, "change-answer");
    kiosk.assert_ring_around(&words.ui("Change my answer"));
    desk.hold();
    kiosk.until_screen(Screen::ChangeAnswer).await;
    assert_eq!(
        kiosk.adapter().get_focused(),
        "",
        "a new screen starts without focus"
    );
    let text = desk.said_in(language, voice);
    assert!(
        text.starts_with(&words.ui("Choose your answer again")),
        "{text}"
    );
    desk.synthesize_last();
    desk.press(Button::Bad);
    kiosk.until_screen(Screen::AskMore).await;
    assert!(
        desk.said_in(language, voice)
            .starts_with(&words.spoken(spoken::YOUR_ANSWER, &words.ui("Bad"))),
    );

    // "Yes, tell more": the follow-up question is read.
    desk.move_to(&kiosk, "yes");
    desk.hold();
    kiosk.until_screen(Screen::Question).await;
    assert_eq!(kiosk.adapter().get_focused(), "");
    let iv = catalogue.standard(StandardId::IV);
    let text = desk.said_in(language, voice);
    assert!(
        text.starts_with(&words.catalogue(&iv.question_context(), iv.question)),
        "{text}"
    );
    assert!(text.contains(&words.spoken(spoken::ANSWER_WITH_A_FACE, "")));
    desk.synthesize_last();

    // A low score on IV: its reasons, chosen by focus and hold, across pages.
    desk.press(Button::VeryBad);
    kiosk.until_screen(Screen::Reasons).await;
    let text = desk.said_in(language, voice);
    assert!(text.contains(&words.ui("What went wrong?")), "{text}");
    desk.synthesize_last();
    let (first_reason, last_reason) = (
        iv.reasons.first().expect("IV has reasons"),
        iv.reasons.last().expect("IV has reasons"),
    );
    for reason in [first_reason, last_reason] {
        let label = words.catalogue(&reason.context(), reason.text);
        desk.move_to(&kiosk, &format!("reason:{}", reason.code));
        kiosk.assert_ring_around(&label);
        assert_eq!(
            desk.said_in(language, voice),
            format!("{}.", words.spoken(spoken::NOT_SELECTED, &label))
        );
        desk.hold();
        assert_eq!(
            desk.said_in(language, voice),
            format!("{}.", words.spoken(spoken::SELECTED, &label))
        );
    }
    assert!(
        kiosk.adapter().get_reason_page_count() > 1,
        "IV's reasons take more than one page in larger text, so the focus turned the page"
    );
    desk.move_to(&kiosk, "done");
    desk.hold();
    kiosk
        .until(|k| {
            k.screen() == Screen::Question && !k.adapter().get_recording() && k.records().len() == 4
        })
        .await;
    let iii = catalogue.standard(StandardId::III);
    let text = desk.said_in(language, voice);
    assert!(
        text.starts_with(&format!(
            "{} {}",
            words.spoken(spoken::REASONS_SAVED, ""),
            words.catalogue(&iii.question_context(), iii.question)
        )),
        "{text}"
    );

    // Finish.
    desk.move_to(&kiosk, "finish");
    desk.hold();
    kiosk.until_screen(Screen::ThankYou).await;
    assert_eq!(kiosk.adapter().get_focused(), "");
    assert!(
        desk.said_in(language, voice)
            .starts_with(&words.ui("Thank you for your opinion!"))
    );
    desk.synthesize_last();

    // The store: every answer came from a button, in the language and text size chosen.
    let records = kiosk.records();
    let seen: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.question,
                r.answer.score().expect("a score"),
                r.reasons.len(),
                r.supersedes.is_some(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Question::Overall, Score::VERY_BAD, 0, false),
            (Question::Overall, Score::BAD, 0, true),
            (
                Question::Standard(StandardId::IV),
                Score::VERY_BAD,
                0,
                false
            ),
            (Question::Standard(StandardId::IV), Score::VERY_BAD, 2, true),
        ],
        "{language}"
    );
    assert_eq!(records[1].supersedes, Some(records[0].id));
    assert_eq!(records[3].supersedes, Some(records[2].id));
    let reasons: Vec<&str> = records[3].reasons.iter().map(|r| r.as_str()).collect();
    assert_eq!(reasons, [first_reason.code, last_reason.code]);
    for record in &records {
        assert_eq!(record.input, InputKind::Button, "{record:?}");
        assert_eq!(record.language.as_str(), language, "{record:?}");
        assert!(record.larger_text, "{record:?}");
    }
}

/// "Need more time?" says any button will do, and one press gives the time back.
async fn the_idle_warning_is_answered_by_any_button() {
    let kiosk = Kiosk::start();
    let desk = Desk::attach(&kiosk);
    let words = Words::new("pl");
    desk.press(Button::Good);
    kiosk.until_screen(Screen::AskMore).await;
    // The reading of the new screen is over (quickly, as it is played nowhere).
    common::until("the reading to end", || !desk.speaker.is_speaking()).await;
    pass_time(kiosk.config.timing.idle_prompt_after.as_secs_f64() + 0.5);
    kiosk.until(|k| k.adapter().get_idle_prompt_visible()).await;
    assert!(
        desk.said_in("pl", "pl")
            .ends_with(&words.spoken(spoken::ANY_BUTTON_FOR_MORE_TIME, "")),
    );
    desk.press(Button::VeryBad);
    assert!(!kiosk.adapter().get_idle_prompt_visible());
    assert_eq!(
        desk.said_in("pl", "pl"),
        words.spoken(spoken::MORE_TIME_GIVEN, "")
    );
    assert_eq!(kiosk.screen(), Screen::AskMore);
    assert_eq!(kiosk.records().len(), 1, "the press only gave more time");
}

/// A face button kept down (a slow or unsteady press) rates once, like a short press.
async fn a_face_button_held_rates_once() {
    let kiosk = Kiosk::start();
    let desk = Desk::attach(&kiosk);
    desk.buttons.hold(Button::VeryGood);
    pass_time(0.05);
    kiosk.until_screen(Screen::AskMore).await;
    let records = kiosk.records();
    assert_eq!(records.len(), 1);
    assert_eq!(
        (
            records[0].answer.score().expect("a score"),
            records[0].input
        ),
        (Score::VERY_GOOD, InputKind::Button)
    );
}

/// The quiet time before "Need more time?" does not run out while the kiosk is still speaking
/// (a reasons screen takes half a minute to read). A stand-in for espeak-ng speaks "forever".
async fn no_idle_warning_while_the_kiosk_speaks() {
    let kiosk = Kiosk::start();
    let script = kiosk.data_dir().with_file_name("speaks-until-stopped.sh");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 600\n").expect("script");
    let mut permissions = std::fs::metadata(&script).expect("metadata").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).expect("chmod");
    let buttons = Simulator::new();
    kiosk.app.attach_hardware(Box::new(buttons.clone()));
    let speaker = Arc::new(Speaker::new(SpeechConfig {
        program: script,
        output: Output::Nowhere,
        ..SpeechConfig::default()
    }));
    kiosk.app.attach_speech(speaker.clone());

    buttons.press(Button::Good);
    pass_time(0.05);
    kiosk.until_screen(Screen::AskMore).await;
    assert!(speaker.is_speaking(), "the new screen is being read");
    let quiet = kiosk.config.timing.idle_prompt_after.as_secs_f64() + 0.5;
    pass_time(quiet);
    assert!(!kiosk.adapter().get_idle_prompt_visible(), "still speaking");
    speaker.stop();
    pass_time(quiet);
    kiosk.until(|k| k.adapter().get_idle_prompt_visible()).await;
}
