//! UI tests of rating at the desk: a tap is durable in SQLite before the screen moves on, the
//! follow-up flow with reasons, and "Change my answer" — all through the real Slint UI.

mod common;

use common::{Kiosk, pass_time, run_ui_test};
use model::{InputKind, Question, Score, StandardId};
use slint::Model as _;
use ui::Screen;

#[test]
fn rating_flows_through_the_real_ui() {
    run_ui_test(|| async {
        a_tap_is_a_durable_record_before_the_thank_you().await;
        the_whole_follow_up_flow_with_reasons().await;
        change_my_answer_supersedes_the_first_tap().await;
        a_new_desk_survey_waits_for_the_visit_to_end().await;
    });
}

async fn a_tap_is_a_durable_record_before_the_thank_you() {
    let kiosk = Kiosk::start();
    assert_eq!(kiosk.screen(), Screen::Home);
    kiosk.find("How would you rate the service today?");
    kiosk.tap("Very good");
    kiosk.until_screen(Screen::AskMore).await;
    // The screen moved on, so the answer must already be in SQLite.
    let records = kiosk.records();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(
        (r.question, r.answer.score().expect("a score"), r.input),
        (Question::Overall, Score::VERY_GOOD, InputKind::Touch)
    );
    assert_eq!(r.desk_id.as_str(), "plock-wso-03");
    assert_eq!(r.language.as_str(), "pl");
    assert!(!r.larger_text && r.supersedes.is_none() && r.reasons.is_empty());
    assert!(r.recorded.boottime_ns > 0);
    // "Thank you. Tell us more?" does not echo the face pressed.
    assert!(
        kiosk.try_find("Very good").is_none(),
        "the pressed face is not echoed"
    );
    kiosk.tap("Finish");
    kiosk.until_screen(Screen::ThankYou).await;
    pass_time(kiosk.config.timing.thank_you.as_secs_f64() + 0.5);
    kiosk.until_screen(Screen::Home).await;
}

async fn the_whole_follow_up_flow_with_reasons() {
    let kiosk = Kiosk::start();
    kiosk.tap("Good");
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    assert_eq!(kiosk.adapter().get_question_number(), 1);
    assert_eq!(
        kiosk.adapter().get_question_count(),
        3,
        "IV, III, II: no IX in Polish"
    );

    // IV rated low: reasons drawn from standard IV's own items.
    kiosk.tap("Bad");
    kiosk.until_screen(Screen::Reasons).await;
    let chips: Vec<String> = kiosk
        .adapter()
        .get_reasons()
        .iter()
        .map(|chip| chip.code.to_string())
        .collect();
    assert!(
        !chips.is_empty() && chips.iter().all(|c| c.starts_with("iv-")),
        "{chips:?}"
    );
    let first = kiosk.adapter().get_reasons().iter().next().expect("a chip");
    kiosk.tap(&first.label);
    assert!(
        kiosk
            .adapter()
            .get_reasons()
            .iter()
            .next()
            .is_some_and(|c| c.selected)
    );
    kiosk.tap("Done");
    kiosk.until_screen(Screen::Question).await;
    assert_eq!(kiosk.adapter().get_question_number(), 2);

    kiosk.tap("Skip");
    kiosk
        .until(|k| k.adapter().get_question_number() == 3)
        .await;
    kiosk.tap("Very good");
    kiosk.until_screen(Screen::ThankYou).await;

    let records = kiosk.records();
    let questions: Vec<_> = records
        .iter()
        .map(|r| (r.question, r.answer.score().expect("a score").value()))
        .collect();
    assert_eq!(
        questions,
        vec![
            (Question::Overall, 3),
            (Question::Standard(StandardId::IV), 2),
            (Question::Standard(StandardId::IV), 2),
            (Question::Standard(StandardId::II), 4),
        ]
    );
    assert_eq!(
        records[2].supersedes,
        Some(records[1].id),
        "reasons supersede the bare score"
    );
    assert_eq!(records[2].reasons.len(), 1);
    assert_eq!(records[2].reasons[0].as_str(), first.code.as_str());
    assert!(records.iter().all(|r| r.visit_id == records[0].visit_id));
}

async fn change_my_answer_supersedes_the_first_tap() {
    let kiosk = Kiosk::start();
    kiosk.tap("Very bad");
    kiosk.until_screen(Screen::AskMore).await;
    assert!(kiosk.adapter().get_can_change_answer());
    kiosk.tap("Change my answer");
    kiosk.until_screen(Screen::ChangeAnswer).await;
    kiosk.tap("Very good");
    kiosk.until_screen(Screen::AskMore).await;
    let records = kiosk.records();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].supersedes, Some(records[0].id));
    assert_eq!(
        records[1].answer.score().expect("a score"),
        Score::VERY_GOOD
    );

    // The offer to change lasts only a few seconds.
    pass_time(kiosk.config.timing.change_answer_window.as_secs_f64() + 0.5);
    assert!(!kiosk.adapter().get_can_change_answer());
    assert!(kiosk.try_find("Change my answer").is_none());
}

async fn a_new_desk_survey_waits_for_the_visit_to_end() {
    {
        let kiosk = Kiosk::start();
        kiosk.tap("Good");
        kiosk.until_screen(Screen::AskMore).await;

        let mut next = kiosk.config.clone();
        next.desk.desk_name = "Urząd Stanu Cywilnego — stanowisko 1".into();
        next.desk.standards = vec![StandardId::V];
        (kiosk.app.config_updates())(next);
        kiosk.tap("Yes");
        kiosk.until_screen(Screen::Question).await;
        assert_eq!(
            kiosk.adapter().get_question_count(),
            3,
            "mid-visit the old survey holds"
        );
        assert_ne!(
            kiosk.adapter().get_desk_name().as_str(),
            "Urząd Stanu Cywilnego — stanowisko 1"
        );

        kiosk.tap("Finish");
        kiosk.until_screen(Screen::ThankYou).await;
        pass_time(kiosk.config.timing.thank_you.as_secs_f64() + 0.5);
        kiosk.until_screen(Screen::Home).await;
        kiosk
            .until(|k| {
                k.adapter().get_desk_name().as_str() == "Urząd Stanu Cywilnego — stanowisko 1"
            })
            .await;
        kiosk.tap("Good");
        kiosk.until_screen(Screen::AskMore).await;
        kiosk.tap("Yes");
        kiosk.until_screen(Screen::Question).await;
        assert_eq!(
            kiosk.adapter().get_question_count(),
            1,
            "the new survey asks only V"
        );
    }
}
