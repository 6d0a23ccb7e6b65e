//! UI tests of the desk's physical buttons: simulated presses drive the real kiosk flow exactly as
//! taps on the matching faces do, and the records say they came from a button.

mod common;

use common::{Kiosk, pass_time, run_ui_test};
use hardware::{Button, InputEvent, Simulator};
use model::{InputKind, Question, Score, StandardId};
use ui::Screen;

#[test]
fn buttons_drive_the_real_flow() {
    run_ui_test(|| async {
        face_buttons_rate_the_question_on_screen().await;
        buttons_do_nothing_where_no_face_is_shown().await;
    });
}

/// Presses a button and lets the kiosk's hardware poll run.
fn press(desk: &Simulator, button: Button) {
    desk.press(button);
    pass_time(0.05);
}

async fn face_buttons_rate_the_question_on_screen() {
    let kiosk = Kiosk::start();
    let desk = Simulator::new();
    kiosk.app.attach_hardware(Box::new(desk.clone()));

    // Presence alone records nothing.
    desk.inject(InputEvent::PresenceDetected);
    pass_time(0.05);
    assert!(kiosk.records().is_empty());

    press(&desk, Button::VeryGood);
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    press(&desk, Button::Bad);
    kiosk.until_screen(Screen::Reasons).await;

    let records = kiosk.records();
    let seen: Vec<_> = records
        .iter()
        .map(|r| (r.question, r.answer.score().expect("a score"), r.input))
        .collect();
    assert_eq!(
        seen,
        [
            (Question::Overall, Score::VERY_GOOD, InputKind::Button),
            (
                Question::Standard(StandardId::IV),
                Score::BAD,
                InputKind::Button
            ),
        ]
    );
}

async fn buttons_do_nothing_where_no_face_is_shown() {
    let kiosk = Kiosk::start();
    let desk = Simulator::new();
    kiosk.app.attach_hardware(Box::new(desk.clone()));
    press(&desk, Button::Good);
    kiosk.until_screen(Screen::AskMore).await;
    // "Tell us more?" shows no faces: a face button there is ignored, not a second rating.
    press(&desk, Button::VeryBad);
    press(&desk, Button::ReadAloud);
    assert_eq!(kiosk.screen(), Screen::AskMore);
    assert_eq!(kiosk.records().len(), 1);
}
