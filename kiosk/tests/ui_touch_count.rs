//! Counts the touches a client needs for the same answers in normal and in larger-text mode: to
//! rate the visit, to go on to the standards, to skip or rate a standard, to give a low score and
//! pick a reason, and to finish. Larger-text mode shows each question with its faces, so it never
//! needs more touches than normal mode; only a reason beyond the first page costs page turns,
//! and larger-text pages are shorter (that count is printed for the review, not hidden).

mod common;

use std::cell::Cell;

use common::{Kiosk, run_ui_test};
use model::{Question, Score, StandardId};
use slint::{ComponentHandle as _, Model as _};
use ui::{Screen, Theme};

/// The client's finger: every tap is one touch.
struct Finger<'a> {
    kiosk: &'a Kiosk,
    touches: Cell<u32>,
}

impl Finger<'_> {
    fn tap(&self, label: &str) {
        self.kiosk.tap(label);
        self.touches.set(self.touches.get() + 1);
    }

    /// The touches since the last count.
    fn count(&self) -> u32 {
        self.touches.replace(0)
    }
}

/// Touches per step of one visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Touches {
    rate_the_visit: u32,
    go_on_to_the_standards: u32,
    rate_a_standard: u32,
    give_a_low_score: u32,
    pick_a_reason_and_go_on: u32,
    skip_a_standard: u32,
    finish: u32,
    /// Page turns and the tap to pick the standard's last reason (not part of the visit's answers).
    pick_the_last_reason: u32,
}

/// A kiosk at the example desk (it asks IV, III and II), in the mode chosen; choosing the mode is
/// not counted.
fn kiosk_in(larger_text: bool) -> Kiosk {
    let kiosk = Kiosk::start();
    if larger_text {
        kiosk.tap("Larger text");
    }
    assert_eq!(
        kiosk.app.window().global::<Theme>().get_larger_text(),
        larger_text
    );
    kiosk
}

/// Two visits with the same answers in either mode: Good overall, IV skipped, Very good on III,
/// Very bad on II with its first reason; then a visit that finishes at its first standard.
async fn visit(larger_text: bool) -> Touches {
    let kiosk = kiosk_in(larger_text);
    let finger = Finger {
        kiosk: &kiosk,
        touches: Cell::new(0),
    };
    let standard_asked = |k: &Kiosk, question: &str| {
        k.screen() == Screen::Question
            && !k.adapter().get_recording()
            && k.adapter().get_question().as_str() != question
    };

    finger.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    let rate_the_visit = finger.count();

    finger.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    let go_on_to_the_standards = finger.count();

    let iv = kiosk.adapter().get_question().to_string();
    finger.tap("Skip");
    kiosk.until(|k| standard_asked(k, &iv)).await;
    let skip_a_standard = finger.count();

    let iii = kiosk.adapter().get_question().to_string();
    finger.tap("Very good");
    kiosk.until(|k| standard_asked(k, &iii)).await;
    let rate_a_standard = finger.count();

    finger.tap("Very bad");
    kiosk.until_screen(Screen::Reasons).await;
    let give_a_low_score = finger.count();

    // The standard's last reason, reached by turning pages (and put back: not an answer here).
    let codes = || -> Vec<String> {
        kiosk
            .adapter()
            .get_reasons()
            .iter()
            .map(|c| c.code.to_string())
            .collect()
    };
    let first_chip = kiosk.adapter().get_reasons().row_data(0).expect("a chip");
    let pages = kiosk.adapter().get_reason_page_count();
    for page in 1..pages {
        finger.tap("More reasons");
        kiosk.until(|k| k.adapter().get_reason_page() == page).await;
    }
    let last_chip = kiosk
        .adapter()
        .get_reasons()
        .iter()
        .last()
        .expect("a chip on the last page");
    finger.tap(&last_chip.label);
    let pick_the_last_reason = finger.count();
    kiosk.tap(&last_chip.label);
    for page in (0..pages - 1).rev() {
        kiosk.tap("Previous");
        kiosk.until(|k| k.adapter().get_reason_page() == page).await;
    }
    assert!(codes().contains(&first_chip.code.to_string()));

    finger.tap(&first_chip.label);
    finger.tap("Done");
    // II was the last standard: the visit is over.
    kiosk.until_screen(Screen::ThankYou).await;
    let pick_a_reason_and_go_on = finger.count();

    // The same answers were recorded, in the mode used.
    let records = kiosk.records();
    let answers: Vec<_> = records
        .iter()
        .map(|r| (r.question, r.answer.score(), r.reasons.len(), r.larger_text))
        .collect();
    assert_eq!(
        answers,
        [
            (Question::Overall, Some(Score::GOOD), 0, larger_text),
            (
                Question::Standard(StandardId::III),
                Some(Score::VERY_GOOD),
                0,
                larger_text
            ),
            (
                Question::Standard(StandardId::II),
                Some(Score::VERY_BAD),
                0,
                larger_text
            ),
            (
                Question::Standard(StandardId::II),
                Some(Score::VERY_BAD),
                1,
                larger_text
            ),
        ],
        "{records:?}"
    );

    // Finishing at the first standard: one touch on Finish.
    let kiosk = kiosk_in(larger_text);
    let finger = Finger {
        kiosk: &kiosk,
        touches: Cell::new(0),
    };
    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    finger.tap("Finish");
    kiosk.until_screen(Screen::ThankYou).await;
    let finish = finger.count();

    Touches {
        rate_the_visit,
        go_on_to_the_standards,
        rate_a_standard,
        give_a_low_score,
        pick_a_reason_and_go_on,
        skip_a_standard,
        finish,
        pick_the_last_reason,
    }
}

#[test]
fn larger_text_needs_no_more_touches_than_normal_mode() {
    run_ui_test(|| async {
        let normal = visit(false).await;
        let larger = visit(true).await;
        println!("touches, normal mode: {normal:?}");
        println!("touches, larger text: {larger:?}");
        let expected = Touches {
            rate_the_visit: 1,
            go_on_to_the_standards: 1,
            rate_a_standard: 1,
            give_a_low_score: 1,
            // The reason's chip, then Done.
            pick_a_reason_and_go_on: 2,
            skip_a_standard: 1,
            finish: 1,
            ..normal
        };
        assert_eq!(normal, expected, "normal mode");
        assert_eq!(
            larger,
            Touches {
                pick_the_last_reason: larger.pick_the_last_reason,
                ..expected
            },
            "larger text: the same touches for the same answers"
        );
    });
}
