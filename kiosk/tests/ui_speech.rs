//! UI tests of read-aloud: the button on screen and the physical one speak the screen's question
//! and choices in the language on screen, through the real espeak-ng.

mod common;

use std::sync::Arc;

use common::{Kiosk, pass_time, run_ui_test};
use hardware::{Button, Simulator};
use speech::{Output, Speaker, SpeechConfig};
use ui::Screen;

#[test]
fn read_aloud_speaks_the_screen_in_its_language() {
    run_ui_test(|| async {
        the_home_screen_in_polish_then_ukrainian().await;
        a_standard_question_and_the_physical_button().await;
        the_idle_warning_is_heard_as_well_as_seen().await;
    });
}

fn speaker() -> Arc<Speaker> {
    Arc::new(Speaker::new(SpeechConfig {
        output: Output::Nowhere,
        ..SpeechConfig::default()
    }))
}

async fn the_home_screen_in_polish_then_ukrainian() {
    let kiosk = Kiosk::start();
    let speaker = speaker();
    kiosk.app.attach_speech(speaker.clone());

    kiosk.tap("Read aloud");
    let (language, text) = speaker.last_said().expect("spoke");
    assert_eq!(language, "pl");
    let faces = ["Very bad", "Bad", "Good", "Very good"].map(|f| kiosk.localized(f));
    let question = kiosk.localized("How would you rate the service today?");
    assert_eq!(text, format!("{question} {}.", faces.join(", ")));
    assert!(!text.contains("rate"), "no English left: {text}");
    // The same words become real audio in the Polish voice.
    let audio = speaker.synthesize_wav(&language, &text).expect("audio");
    assert!(speech::wav::duration(&audio).expect("WAV") > std::time::Duration::from_secs(2));

    kiosk.tap("Українська");
    kiosk.until(|k| k.adapter().get_language() == "uk").await;
    kiosk.tap("Read aloud");
    let (language, text) = speaker.last_said().expect("spoke");
    assert_eq!(language, "uk");
    assert!(
        text.starts_with(&kiosk.localized("How would you rate the service today?")),
        "{text}"
    );
    assert!(text.contains(&kiosk.localized("Very good")), "{text}");
    assert!(!text.is_ascii(), "Ukrainian, not English: {text}");
}

async fn a_standard_question_and_the_physical_button() {
    let kiosk = Kiosk::start();
    let speaker = speaker();
    kiosk.app.attach_speech(speaker.clone());
    let desk = Simulator::new();
    kiosk.app.attach_hardware(Box::new(desk.clone()));

    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    desk.press(Button::ReadAloud);
    pass_time(0.05);
    let (_, text) = speaker.last_said().expect("spoke");
    assert!(text.contains(&kiosk.localized("Yes")), "{text}");
    assert!(text.contains(&kiosk.localized("Finish")), "{text}");

    // Once the client asked for speech, a new screen is read by itself, in the language on
    // screen, with how to answer; the next press moves to the first choice.
    kiosk.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    let (language, text) = speaker.last_said().expect("spoke");
    assert_eq!(language, "pl");
    let question = kiosk.adapter().get_question().to_string();
    assert!(text.starts_with(&question), "{text} / {question}");
    let answer_with_a_face = ui::translations::Translations::bundled()
        .get(&"pl".parse().expect("pl"))
        .expect("Polish")
        .tr(ui::spoken::CONTEXT, ui::spoken::ANSWER_WITH_A_FACE.msgid)
        .to_owned();
    assert!(
        text.contains(&format!(
            "{}. {answer_with_a_face}",
            kiosk.localized("Skip")
        )),
        "{text}"
    );
    desk.press(Button::ReadAloud);
    pass_time(0.05);
    let (_, text) = speaker.last_said().expect("spoke");
    assert_eq!(text, format!("{}.", kiosk.localized("Very bad")));
    assert_eq!(kiosk.adapter().get_focused(), "face-1");
    assert_eq!(kiosk.records().len(), 1, "reading aloud records nothing");
}

async fn the_idle_warning_is_heard_as_well_as_seen() {
    let kiosk = Kiosk::start();
    let speaker = speaker();
    kiosk.app.attach_speech(speaker.clone());
    kiosk.tap("Deutsch");
    kiosk.until(|k| k.adapter().get_language() == "de").await;
    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    pass_time(kiosk.config.timing.idle_prompt_after.as_secs_f64() + 0.5);
    kiosk.until(|k| k.adapter().get_idle_prompt_visible()).await;
    let (language, text) = speaker.last_said().expect("the warning was spoken");
    assert_eq!(language, "de");
    assert_eq!(
        text,
        format!(
            "{} {}.",
            kiosk.localized("Need more time?"),
            kiosk.localized("More time")
        )
    );
}
