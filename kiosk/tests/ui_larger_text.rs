//! Larger-text mode's rating screens through the real UI: the question and the four faces on one
//! screen, so one touch rates, at home and on every standard; Skip in the bottom bar and Finish
//! beside the question; the focus ring drawn round each face, Skip and Finish; every answer is
//! recorded as larger text.

mod common;

use common::{Kiosk, run_ui_test};
use model::{Question, Score, StandardId};
use slint::ComponentHandle as _;
use ui::{Screen, Theme};

const FACES: [&str; 4] = ["Very bad", "Bad", "Good", "Very good"];

#[test]
fn the_question_and_its_faces_are_one_screen_and_one_touch() {
    run_ui_test(|| async {
        let kiosk = Kiosk::start();
        kiosk.tap("English");
        kiosk.tap("Larger text");
        assert!(kiosk.app.window().global::<Theme>().get_larger_text());

        // Home: the question and the four faces at once, each face ringed where the buttons put
        // the focus.
        kiosk.find("How would you rate the service today?");
        for (score, face) in FACES.iter().enumerate() {
            kiosk.find(face);
            kiosk
                .adapter()
                .set_focused(format!("face-{}", score + 1).into());
            assert!(kiosk.ring_surrounds(face), "the ring round {face:?}");
        }
        kiosk.adapter().set_focused("".into());
        kiosk.tap("Good");
        kiosk.until_screen(Screen::AskMore).await;
        kiosk.tap("Yes");
        kiosk.until_screen(Screen::Question).await;

        // A standard's question: the question, the faces, Skip and Finish together.
        let first_question = kiosk.adapter().get_question().to_string();
        kiosk.find(&first_question);
        for face in FACES {
            kiosk.find(face);
        }
        for (id, label) in [("skip", "Skip"), ("finish", "Finish")] {
            kiosk.adapter().set_focused(id.into());
            assert!(kiosk.ring_surrounds(label), "the ring round {label:?}");
        }
        kiosk.adapter().set_focused("".into());
        kiosk.tap("Very good");

        // The next standard: its faces are there at once too; Skip moves on.
        kiosk
            .until(|k| {
                k.screen() == Screen::Question
                    && !k.adapter().get_recording()
                    && k.adapter().get_question().as_str() != first_question
            })
            .await;
        let second_question = kiosk.adapter().get_question().to_string();
        kiosk.find(&second_question);
        kiosk.find("Very good");
        kiosk.tap("Skip");
        kiosk
            .until(|k| k.adapter().get_question().as_str() != second_question)
            .await;
        kiosk.find("Bad");
        kiosk.tap("Finish");
        kiosk.until_screen(Screen::ThankYou).await;

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
