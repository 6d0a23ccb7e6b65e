//! Unit tests of the visit flow, storing answers in memory in place of the recorder.

use std::path::PathBuf;

use model::{RecordedTime, Score};

use super::*;
use crate::config::Config;

fn visit() -> Visit {
    // The example desk asks IV, III, II and IX, in that order.
    Visit::new(Arc::new(Config::example(PathBuf::from("/unused")).desk))
}

/// Plays the recorder: makes the answer a record, as if durable.
fn store(visit: &mut Visit, answer: Option<Answer>, log: &mut Vec<RatingRecord>) -> RecordId {
    let answer = answer.expect("an answer to store");
    let recorded = RecordedTime {
        wall_clock_ms: 0,
        boot_id: "boot".into(),
        boottime_ns: 1,
        clock_synchronized: false,
    };
    let record = answer.into_record(RecordId::new_random(), log.len() as u64 + 1, recorded);
    visit.stored(&record);
    log.push(record.clone());
    record.id
}

#[test]
fn the_screen_moves_on_only_once_the_overall_rating_is_durable() {
    let mut v = visit();
    let answer = v.rate(Score::GOOD, InputKind::Touch);
    assert_eq!(v.step(), &Step::Home, "still home while recording");
    assert!(v.is_recording());
    assert_eq!(
        v.rate(Score::VERY_GOOD, InputKind::Touch),
        None,
        "a second tap is ignored"
    );
    store(&mut v, answer, &mut Vec::new());
    assert_eq!(
        v.step(),
        &Step::AskMore {
            can_change_answer: true
        }
    );
}

#[test]
fn a_full_visit_with_reasons_stores_every_answer_in_order() {
    let mut v = visit();
    let mut log = Vec::new();
    let overall = v.rate(Score::BAD, InputKind::Touch);
    store(&mut v, overall, &mut log);
    v.tell_more();
    assert_eq!(
        v.step(),
        &Step::Question {
            standard: StandardId::IV
        }
    );
    assert_eq!(v.progress(), Some((1, 3)), "IX is not asked in Polish");

    let low = v.rate(Score::VERY_BAD, InputKind::Touch);
    let scored = store(&mut v, low, &mut log);
    assert!(matches!(
        v.step(),
        Step::Reasons {
            standard: StandardId::IV,
            ..
        }
    ));
    v.toggle_reason("iv-interrupted");
    v.toggle_reason("not-a-reason");
    v.toggle_reason("iii-untidy");
    let reasons = v.reasons_done(InputKind::Touch);
    store(&mut v, reasons, &mut log);
    assert_eq!(
        v.step(),
        &Step::Question {
            standard: StandardId::III
        }
    );

    v.skip();
    let good = v.rate(Score::VERY_GOOD, InputKind::Touch);
    store(&mut v, good, &mut log);
    assert_eq!(v.step(), &Step::ThankYou);

    assert_eq!(log.len(), 4);
    assert!(log.iter().all(|r| r.visit_id == log[0].visit_id));
    assert_eq!(log[2].supersedes, Some(scored));
    assert_eq!(
        log[2].reasons,
        vec!["iv-interrupted".parse::<ReasonCode>().expect("code")]
    );
    assert_eq!(log[3].question, Question::Standard(StandardId::II));
}

#[test]
fn changing_the_answer_supersedes_the_first_overall_rating() {
    let mut v = visit();
    let mut log = Vec::new();
    let first = v.rate(Score::VERY_BAD, InputKind::Touch);
    let first = store(&mut v, first, &mut log);
    v.change_answer();
    assert_eq!(v.step(), &Step::ChangeAnswer);
    let second = v.rate(Score::VERY_GOOD, InputKind::Touch);
    store(&mut v, second, &mut log);
    assert_eq!(log[1].supersedes, Some(first));
    assert_eq!(log[1].question, Question::Overall);
    assert_eq!(
        v.step(),
        &Step::AskMore {
            can_change_answer: true
        }
    );
}

#[test]
fn change_my_answer_is_gone_once_its_window_closes() {
    let mut v = visit();
    let first = v.rate(Score::GOOD, InputKind::Touch);
    store(&mut v, first, &mut Vec::new());
    v.close_change_window();
    v.change_answer();
    assert_eq!(
        v.step(),
        &Step::AskMore {
            can_change_answer: false
        }
    );
}

#[test]
fn foreigners_standard_is_asked_only_in_other_languages() {
    let mut v = visit();
    assert_eq!(
        v.questions(),
        vec![StandardId::IV, StandardId::III, StandardId::II]
    );
    v.choose_language(&"uk".parse().expect("tag"));
    assert_eq!(v.questions().last(), Some(&StandardId::IX));
}

#[test]
fn switching_to_polish_on_the_foreigners_question_moves_on() {
    let mut v = visit();
    let mut log = Vec::new();
    v.choose_language(&"en".parse().expect("tag"));
    let overall = v.rate(Score::GOOD, InputKind::Touch);
    store(&mut v, overall, &mut log);
    v.tell_more();
    v.skip();
    v.skip();
    v.skip();
    assert_eq!(
        v.step(),
        &Step::Question {
            standard: StandardId::IX
        }
    );
    assert_eq!(v.progress(), Some((4, 4)));
    v.choose_language(&LanguageTag::polish());
    assert_eq!(v.step(), &Step::ThankYou);
}

#[test]
fn a_language_not_enabled_at_the_desk_is_ignored() {
    let mut v = visit();
    v.choose_language(&"fr".parse().expect("tag"));
    assert_eq!(v.language(), &LanguageTag::polish());
}

#[test]
fn walking_away_keeps_selected_reasons_and_resets_language_and_text_size() {
    let mut v = visit();
    let mut log = Vec::new();
    v.choose_language(&"de".parse().expect("tag"));
    v.toggle_larger_text();
    let overall = v.rate(Score::GOOD, InputKind::Touch);
    store(&mut v, overall, &mut log);
    v.tell_more();
    let low = v.rate(Score::BAD, InputKind::Touch);
    store(&mut v, low, &mut log);
    v.toggle_reason("iv-jargon");
    let kept = v.end_idle().expect("selected reasons are stored");
    assert_eq!(kept.reasons.len(), 1);
    assert_eq!(kept.language.as_str(), "de");
    assert!(kept.larger_text);
    assert_eq!(v.step(), &Step::Home);
    assert_eq!(v.language(), &LanguageTag::polish());
    assert!(!v.larger_text() && !v.is_in_use());
    // The late confirmation of the kept reasons must not disturb the next client.
    store(&mut v, Some(kept), &mut log);
    assert_eq!(v.step(), &Step::Home);
}

#[test]
fn finish_on_reasons_stores_the_selection_then_thanks() {
    let mut v = visit();
    let mut log = Vec::new();
    let overall = v.rate(Score::GOOD, InputKind::Touch);
    store(&mut v, overall, &mut log);
    v.tell_more();
    let low = v.rate(Score::VERY_BAD, InputKind::Button);
    store(&mut v, low, &mut log);
    v.toggle_reason("iv-interrupted");
    let answer = v.finish(InputKind::Button);
    store(&mut v, answer, &mut log);
    assert_eq!(v.step(), &Step::ThankYou);
    assert_eq!(log[2].input, InputKind::Button);
    v.end_thank_you();
    assert_eq!(v.step(), &Step::Home);
}

#[test]
fn a_good_score_on_a_standard_offers_no_reasons() {
    let mut v = visit();
    let mut log = Vec::new();
    let overall = v.rate(Score::GOOD, InputKind::Touch);
    store(&mut v, overall, &mut log);
    v.tell_more();
    let good = v.rate(Score::GOOD, InputKind::Touch);
    store(&mut v, good, &mut log);
    assert_eq!(
        v.step(),
        &Step::Question {
            standard: StandardId::III
        }
    );
}

#[test]
fn does_not_apply_is_recorded_as_its_own_answer_and_moves_on() {
    let mut desk = Config::example(PathBuf::from("/unused")).desk;
    desk.standards = vec![StandardId::V, StandardId::IV, StandardId::XII];
    let mut v = Visit::new(Arc::new(desk));
    let mut log = Vec::new();
    assert_eq!(
        v.not_applicable(InputKind::Touch),
        None,
        "the overall rating does not offer it"
    );
    let overall = v.rate(Score::GOOD, InputKind::Touch);
    store(&mut v, overall, &mut log);
    assert_eq!(
        v.not_applicable(InputKind::Touch),
        None,
        "nor does Tell us more?"
    );
    v.tell_more();

    assert!(v.offers_not_applicable(), "V, the phone, may not apply");
    let not_applicable = v.not_applicable(InputKind::Button);
    assert!(v.is_recording());
    assert_eq!(
        v.not_applicable(InputKind::Button),
        None,
        "a second press while recording is ignored"
    );
    assert_eq!(
        v.step(),
        &Step::Question {
            standard: StandardId::V
        },
        "the screen waits until it is durable"
    );
    store(&mut v, not_applicable, &mut log);
    assert_eq!(
        v.step(),
        &Step::Question {
            standard: StandardId::IV
        },
        "no reasons follow: the next question"
    );
    assert_eq!(log[1].question, Question::Standard(StandardId::V));
    assert_eq!(log[1].answer, model::Answer::NotApplicable);
    assert!(log[1].reasons.is_empty() && log[1].supersedes.is_none());
    assert_eq!(log[1].input, InputKind::Button);

    // IV always applies: not offered, nothing recorded.
    assert!(!v.offers_not_applicable());
    assert_eq!(v.not_applicable(InputKind::Touch), None);
    assert!(!v.is_recording());
    // Skip records nothing; "does not apply" on the last question thanks the client.
    v.skip();
    let last = v.not_applicable(InputKind::Touch);
    store(&mut v, last, &mut log);
    assert_eq!(v.step(), &Step::ThankYou);
    assert_eq!(log.len(), 3);
    assert_eq!(log[2].question, Question::Standard(StandardId::XII));
}
