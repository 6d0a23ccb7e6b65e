//! Larger-text mode's rating screens through the real UI: the question first, the faces once the
//! question is chosen or the focus ring reaches a face or an action, and the next standard's
//! question first again; every answer is recorded as larger text.

mod common;

use common::{Kiosk, run_ui_test};
use model::{Question, Score, StandardId};
use slint::ComponentHandle as _;
use ui::{Screen, Theme};

#[test]
fn rating_screens_show_the_question_then_the_faces() {
    run_ui_test(|| async {
        let kiosk = Kiosk::start();
        kiosk.tap("Larger text");
        assert!(kiosk.app.window().global::<Theme>().get_larger_text());

        // Home: the question alone; the focus ring on a face shows the faces, and leaving them
        // shows the question again (nothing was chosen by touch).
        kiosk.find("How would you rate the service today?");
        assert!(
            kiosk.try_find("Very good").is_none(),
            "faces hidden at first"
        );
        kiosk.adapter().set_focused("face-2".into());
        kiosk.find("Bad");
        assert!(
            kiosk
                .try_find("How would you rate the service today?")
                .is_none()
        );
        kiosk.adapter().set_focused("larger-text".into());
        kiosk.find("How would you rate the service today?");
        assert!(kiosk.try_find("Bad").is_none());
        kiosk.adapter().set_focused("".into());

        // Choosing the question shows the faces; a face rates.
        kiosk.tap("How would you rate the service today?");
        for face in ["Very bad", "Bad", "Good", "Very good"] {
            kiosk.find(face);
        }
        kiosk.tap("Good");
        kiosk.until_screen(Screen::AskMore).await;
        kiosk.tap("Yes");
        kiosk.until_screen(Screen::Question).await;

        // A standard's question: first alone, then the faces with Skip and Finish.
        let first_question = kiosk.adapter().get_question().to_string();
        kiosk.find(&first_question);
        assert!(kiosk.try_find("Skip").is_none());
        kiosk.tap(&first_question);
        kiosk.find("Skip");
        kiosk.find("Finish");
        kiosk.tap("Very good");

        // The next standard's question (the same screen) starts again at its question.
        kiosk
            .until(|k| {
                k.screen() == Screen::Question
                    && !k.adapter().get_recording()
                    && k.adapter().get_question().as_str() != first_question
            })
            .await;
        let second_question = kiosk.adapter().get_question().to_string();
        kiosk.find(&second_question);
        assert!(kiosk.try_find("Very good").is_none(), "faces hidden again");

        // The focus ring on Skip shows the second view too.
        kiosk.adapter().set_focused("skip".into());
        kiosk.tap("Skip");
        kiosk
            .until(|k| k.adapter().get_question().as_str() != second_question)
            .await;

        let records = kiosk.records();
        assert_eq!(records.len(), 2, "{records:?}");
        assert_eq!(
            (
                records[0].question,
                records[0].answer.score().expect("a score")
            ),
            (Question::Overall, Score::GOOD)
        );
        assert_eq!(
            (
                records[1].question,
                records[1].answer.score().expect("a score")
            ),
            (Question::Standard(StandardId::IV), Score::VERY_GOOD)
        );
        assert!(records.iter().all(|r| r.larger_text));
    });
}
