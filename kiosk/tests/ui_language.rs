//! UI tests of language and text size: switching language re-renders every visible text, the
//! catalogue's questions and reasons included, in all four languages; larger text makes the
//! screens larger. Expected texts come from the same .po files the UI is built from.

mod common;

use common::{Kiosk, run_ui_test};
use model::{Catalogue, LanguageTag, StandardId};
use slint::{ComponentHandle as _, Model as _};
use ui::translations::Translations;
use ui::{Screen, Theme};

/// The translation of a UI string in `language`, whatever its msgctxt in the .po file.
fn ui_text(language: &str, msgid: &str) -> String {
    let tag: LanguageTag = language.parse().expect("tag");
    let catalog = Translations::bundled().get(&tag).expect("shipped language");
    catalog
        .entries()
        .find(|(_, id, message)| *id == msgid && message.is_translated())
        .map(|(_, _, message)| message.forms()[0].clone())
        .unwrap_or_else(|| panic!("{language}: no translation of {msgid:?}"))
}

fn native_name(language: &str) -> String {
    let tag: LanguageTag = language.parse().expect("tag");
    Translations::bundled()
        .get(&tag)
        .expect("shipped")
        .native_name()
        .to_owned()
}

#[test]
fn language_switch_and_larger_text() {
    run_ui_test(|| async {
        every_language_re_renders_every_visible_text().await;
        larger_text_makes_text_and_targets_larger().await;
    });
}

async fn every_language_re_renders_every_visible_text() {
    let kiosk = Kiosk::start();
    let catalogue = Catalogue::ordinance_4216_2018();
    let home_question = "How would you rate the service today?";
    let faces = ["Very bad", "Bad", "Good", "Very good"];
    let mut seen_questions = Vec::new();

    for language in ["en", "uk", "de", "pl"] {
        // The language buttons are written in each language's own name.
        kiosk.tap(&native_name(language));
        assert_eq!(kiosk.adapter().get_language().as_str(), language);
        kiosk.find(&ui_text(language, home_question));
        for face in faces {
            kiosk.find(&ui_text(language, face));
        }
        if language != "en" {
            let english = kiosk.labels().into_iter().find(|l| l == home_question);
            assert!(english.is_none(), "{language}: English left on screen");
        }
        seen_questions.push(ui_text(language, home_question));
    }
    seen_questions.sort();
    seen_questions.dedup();
    assert_eq!(
        seen_questions.len(),
        4,
        "four different wordings of the home question"
    );

    // Mid-visit, the catalogue's question and reasons follow the language too.
    kiosk.tap(&ui_text("pl", "Good"));
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap(&ui_text("pl", "Yes"));
    kiosk.until_screen(Screen::Question).await;
    kiosk.tap(&ui_text("pl", "Very bad"));
    kiosk.until_screen(Screen::Reasons).await;
    let iv = catalogue.standard(StandardId::IV);
    for language in ["de", "uk", "en", "pl"] {
        kiosk.tap(&native_name(language));
        let tag: LanguageTag = language.parse().expect("tag");
        let catalog = Translations::bundled().get(&tag).expect("shipped");
        let question = catalog.tr(&iv.question_context(), iv.question);
        assert_eq!(
            kiosk.adapter().get_question().as_str(),
            question,
            "{language}"
        );
        let first_chip = kiosk.adapter().get_reasons().row_data(0).expect("a chip");
        let reason = iv.reason(&first_chip.code).expect("a reason of IV");
        assert_eq!(
            first_chip.label.as_str(),
            catalog.tr(&reason.context(), reason.text)
        );
        kiosk.find(&first_chip.label);
        kiosk.find(&ui_text(language, "What went wrong?"));
        kiosk.find(&ui_text(language, "Done"));
    }
}

async fn larger_text_makes_text_and_targets_larger() {
    let kiosk = Kiosk::start();
    let px_per_mm = kiosk.config.display.pixels_per_mm();
    let question = kiosk.find("How would you rate the service today?").size();
    let face = kiosk.find("Very good").size();
    assert!(
        face.width.min(face.height) >= 12.0 * px_per_mm,
        "normal targets ≥ 12 mm: {face:?}"
    );

    kiosk.tap("Larger text");
    assert!(kiosk.app.window().global::<Theme>().get_larger_text());
    assert_eq!(kiosk.find("Larger text").accessible_checked(), Some(true));
    let large_question = kiosk.find("How would you rate the service today?").size();
    // The question and the faces together, the faces at least as large as in normal mode.
    let large_face = kiosk.find("Very good").size();
    assert!(
        large_question.height >= 1.2 * question.height,
        "question text larger: {question:?} → {large_question:?}"
    );
    assert!(
        large_face.width.min(large_face.height) >= 18.0 * px_per_mm,
        "larger-text targets ≥ 18 mm: {large_face:?}"
    );
    assert!(
        large_face.width >= face.width && large_face.height >= face.height,
        "faces no smaller than in normal mode: {face:?} → {large_face:?}"
    );

    kiosk.tap("Larger text");
    assert!(!kiosk.app.window().global::<Theme>().get_larger_text());
    assert_eq!(
        kiosk.find("How would you rate the service today?").size(),
        question
    );
}
