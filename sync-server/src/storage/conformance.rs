//! The backend conformance suite: what every [`Backend`] must do, checked through the seam alone
//! (no SQL, no engine type), so a second engine is proven by the same checks as SQLite.
//!
//! A backend's tests call [`backend_conformance_tests!`] with a
//! function that opens a fresh, empty backend; each check below becomes one `#[test]`. The
//! checks cover enrollment, exactly-once ingest with replays and concurrent identical batches,
//! corrections in every order of arrival, event-time re-placement, every dashboard read equal to
//! the counted answers, scopes, sessions and alerts.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use model::wire::{RecordBatch, RecordOutcome};
use model::{
    Answer, DeskId, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};

use super::{Backend, CodeProblem, Kiosk, NewDesk, NewKiosk, NewSession, NewUser, TokenLookup};
use crate::access::{Role, Scope};
use crate::alerts::delivery::{CLAIM_LEASE_MS, Channel};
use crate::alerts::{Change, RuleKind};
use crate::analytics::{Counts, Disclosure, Filter, Level, Preset, Step};
use crate::lang::Lang;

/// A fresh, empty backend, and whatever must live as long as it (a temporary directory, a
/// throwaway database server).
pub struct Fresh {
    pub keep_alive: Box<dyn Any>,
    pub db: Arc<dyn Backend>,
    /// Opens the same database again, as a second aggregator process (or `alerts check` beside
    /// `serve`) would.
    pub open_again: Box<dyn Fn() -> Arc<dyn Backend>>,
}

/// Opens a fresh backend.
pub type Open = fn() -> Fresh;

/// Writes one `#[test]` per conformance check for the backend `$open` opens.
macro_rules! backend_conformance_tests {
    ($open:expr) => {
        $crate::storage::conformance::backend_conformance_tests!(@checks $open;
            offices_are_added_once_renamed_and_named_when_unknown,
            enrollment_spends_a_code_once_and_names_each_problem,
            a_batch_is_stored_once_however_often_it_is_sent,
            identical_batches_sent_at_once_are_stored_once,
            each_record_gets_its_own_outcome,
            a_chain_of_corrections_counts_only_the_last_in_every_order_of_arrival,
            a_chain_of_corrections_is_never_counted_beside_its_purged_original,
            an_approximate_answer_moves_when_its_boot_gets_an_anchor,
            every_dashboard_read_equals_the_counted_answers,
            a_scope_sees_only_its_own_places_and_answers,
            sessions_live_until_idle_expiry_sign_out_or_their_user_changes,
            an_alert_is_raised_delivered_once_and_cleared,
            a_due_notification_is_handed_to_one_process_only,
            text_sorts_by_its_bytes_whatever_the_database_collation,
        );
    };
    (@checks $open:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::storage::conformance::$check($open);
            }
        )*
    };
}

pub(crate) use backend_conformance_tests;

/// 2026-11-23 08:00 UTC, a Monday (09:00 in Warsaw).
pub(crate) const MONDAY_8_UTC: i64 = 1_795_420_800_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;

/// The desks every check has: two departments of Płock and one of Gąbin.
const DESKS: [(&str, &str, &str); 3] = [
    ("plock", "wso", "plock-wso-01"),
    ("plock", "fin", "plock-fin-01"),
    ("gabin", "wso", "gabin-wso-01"),
];

/// Offices, departments and the three desks of [`DESKS`], in a fresh backend.
pub(crate) fn set_up(open: Open) -> Fresh {
    let fresh = open();
    let db = &fresh.db;
    for office in crate::offices::partner_offices() {
        db.add_office(&office).expect("office");
    }
    for (office, department, desk) in DESKS {
        if db.add_department(office, department, department).is_err() {
            // Added already with the desk before it.
        }
        db.add_desk(&NewDesk {
            id: desk.parse().expect("desk id"),
            office_id: office.into(),
            department_id: department.into(),
            name: format!("Stanowisko {desk}"),
            internal_service: false,
            standards: vec![StandardId::IV, StandardId::V],
            languages: vec![LanguageTag::polish(), "en".parse().expect("en")],
            default_language: LanguageTag::polish(),
        })
        .expect("desk");
    }
    fresh
}

fn synchronized(wall_clock_ms: i64) -> RecordedTime {
    RecordedTime {
        wall_clock_ms,
        boot_id: "boot".into(),
        boottime_ns: u64::try_from(wall_clock_ms - MONDAY_8_UTC + DAY).expect("after boot")
            * 1_000_000,
        clock_synchronized: true,
    }
}

/// Enrolls a kiosk at `desk` with a token made from `n`.
pub(crate) fn enroll(db: &dyn Backend, desk: &str, n: u8) -> Kiosk {
    let code = [n; 32];
    let token = [n.wrapping_add(100); 32];
    db.add_enrollment_code(code, &desk.parse().expect("desk"), 0, i64::MAX)
        .expect("code");
    let kiosk = NewKiosk {
        id: format!("kiosk-{n}"),
        token_sha256: token,
        version: "0.1.0".into(),
        clock: synchronized(MONDAY_8_UTC),
    };
    db.enroll(code, &kiosk, MONDAY_8_UTC)
        .expect("enroll")
        .expect("the code is valid");
    match db.kiosk_by_token(token).expect("lookup") {
        TokenLookup::Valid(kiosk) => kiosk,
        other => panic!("a fresh token is not valid: {other:?}"),
    }
}

pub(crate) fn record(desk: &str, question: Question, answer: Answer, at_ms: i64) -> RatingRecord {
    RatingRecord {
        id: RecordId::new_random(),
        visit_id: VisitId::new_random(),
        sequence: u64::try_from(at_ms - MONDAY_8_UTC).expect("after Monday") / 1000 + 1,
        desk_id: desk.parse().expect("desk"),
        question,
        answer,
        reasons: vec![],
        language: LanguageTag::polish(),
        larger_text: false,
        input: InputKind::Touch,
        supersedes: None,
        recorded: synchronized(at_ms),
    }
}

pub(crate) fn send(
    db: &dyn Backend,
    kiosk: &Kiosk,
    records: &[RatingRecord],
) -> Vec<RecordOutcome> {
    let batch = RecordBatch {
        sent: synchronized(MONDAY_8_UTC + 20 * DAY),
        records: records.to_vec(),
    };
    db.ingest(kiosk, &batch, MONDAY_8_UTC + 20 * DAY)
        .expect("ingest")
        .results
        .into_iter()
        .map(|r| r.outcome)
        .collect()
}

/// The filter of the whole of November 2026 for `question`, bursts counted.
fn november(question: Question) -> Filter {
    Filter {
        preset: Preset::Custom,
        from: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
        to: NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"),
        office: None,
        department: None,
        desk: None,
        question,
        language: None,
        include_bursts: true,
        step: Step::Week,
    }
}

/// Counted answers per desk and Warsaw day as the per-answer export gives them.
fn exported(db: &dyn Backend, filter: &Filter, scope: &Scope) -> BTreeMap<String, Counts> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    let question = filter.question.to_string();
    db.export_answers(filter, scope, &mut |row| {
        if row.question == question {
            let cell = out.entry(row.desk_id.clone()).or_default();
            match row.score {
                Some(score) => cell.scores[usize::try_from(score - 1).expect("1-4")] += 1,
                None => cell.not_applicable += 1,
            }
        }
        true
    })
    .expect("export");
    out
}

/// Every order three records can arrive in, by their indexes.
const EVERY_ORDER_OF_THREE: [[usize; 3]; 6] = [
    [0, 1, 2],
    [0, 2, 1],
    [1, 0, 2],
    [1, 2, 0],
    [2, 0, 1],
    [2, 1, 0],
];

/// The rollups' totals for `desk` and `question`: scores 1-4 and "does not apply".
fn rolled_up(db: &dyn Backend, desk: &str, question: &str) -> ([i64; 4], i64) {
    db.rollups(&desk.parse().expect("desk"))
        .expect("rollups")
        .iter()
        .filter(|r| r.question == question)
        .fold(([0; 4], 0), |(mut scores, na), r| {
            scores.iter_mut().zip(r.scores).for_each(|(s, n)| *s += n);
            (scores, na + r.not_applicable)
        })
}

fn overall(db: &dyn Backend) -> [i64; 4] {
    exported(db, &november(Question::Overall), &Scope::AllOffices)
        .values()
        .fold([0; 4], |mut acc, c| {
            acc.iter_mut().zip(c.scores).for_each(|(a, n)| *a += n);
            acc
        })
}

pub fn offices_are_added_once_renamed_and_named_when_unknown(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let kutno = crate::offices::Office {
        id: "kutno".into(),
        name: "Urząd Miasta Kutno".into(),
    };
    assert!(db.add_office(&kutno).expect("add"), "a new office");
    assert!(
        !db.add_office(&kutno).expect("add"),
        "a taken id changes nothing"
    );
    assert!(
        db.rename_office("kutno", "Urząd Miasta Kutna")
            .expect("rename")
    );
    assert!(
        !db.rename_office("lodz", "X").expect("rename"),
        "no such office"
    );
    let listed = db.offices().expect("offices");
    assert!(
        listed
            .iter()
            .any(|o| o.id == "kutno" && o.name == "Urząd Miasta Kutna")
    );
    assert_eq!(listed.len(), crate::offices::partner_offices().len() + 1);
    for refused in [
        db.add_department("lodz", "wso", "X"),
        db.add_desk(&NewDesk {
            id: "lodz-wso-01".parse().expect("desk"),
            office_id: "lodz".into(),
            department_id: "wso".into(),
            name: "X".into(),
            internal_service: false,
            standards: vec![StandardId::IV],
            languages: vec![LanguageTag::polish()],
            default_language: LanguageTag::polish(),
        }),
    ] {
        let err = refused.expect_err("an unknown office");
        assert!(err.to_string().contains("lodz"), "{err}");
    }
}

pub fn enrollment_spends_a_code_once_and_names_each_problem(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let desk: DeskId = "plock-wso-01".parse().expect("desk");
    db.add_enrollment_code([7; 32], &desk, 0, 100)
        .expect("code");
    let kiosk = |id: &str, token: u8| NewKiosk {
        id: id.into(),
        token_sha256: [token; 32],
        version: "0.1.0".into(),
        clock: synchronized(MONDAY_8_UTC),
    };
    assert_eq!(
        db.enroll([7; 32], &kiosk("late", 1), 100).expect("db"),
        Err(CodeProblem::Expired)
    );
    assert_eq!(
        db.enroll([8; 32], &kiosk("stranger", 2), 1).expect("db"),
        Err(CodeProblem::Unknown)
    );
    db.add_enrollment_code([9; 32], &desk, 0, i64::MAX)
        .expect("code");
    let survey = db
        .enroll([9; 32], &kiosk("first", 3), 1)
        .expect("db")
        .expect("valid");
    assert_eq!(survey.desk_id, desk, "the survey is the code's desk's");
    assert_eq!(
        db.enroll([9; 32], &kiosk("second", 4), 2).expect("db"),
        Err(CodeProblem::AlreadyUsed)
    );
    assert!(matches!(
        db.kiosk_by_token([3; 32]).expect("lookup"),
        TokenLookup::Valid(ref k) if k.id == "first" && k.desk_id == desk
    ));
    assert!(matches!(
        db.kiosk_by_token([4; 32]).expect("lookup"),
        TokenLookup::Unknown
    ));
    assert!(db.revoke("first", 5).expect("revoke"));
    assert!(matches!(
        db.kiosk_by_token([3; 32]).expect("lookup"),
        TokenLookup::Revoked
    ));
    assert!(!db.revoke("nobody", 6).expect("revoke"), "no such kiosk");
    let err = db
        .add_enrollment_code([1; 32], &"nowhere".parse().expect("desk"), 0, 1)
        .expect_err("an unknown desk");
    assert!(err.to_string().contains("nowhere"), "{err}");
}

pub fn a_batch_is_stored_once_however_often_it_is_sent(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let kiosk = enroll(db, "plock-wso-01", 1);
    let records: Vec<RatingRecord> = (0..50)
        .map(|i| {
            let score = Score::ALL[i % 4];
            record(
                "plock-wso-01",
                Question::Overall,
                score.into(),
                MONDAY_8_UTC + i64::try_from(i).expect("small") * 7 * MINUTE,
            )
        })
        .collect();
    assert!(
        send(db, &kiosk, &records)
            .iter()
            .all(|o| *o == RecordOutcome::Stored)
    );
    for _ in 0..3 {
        assert!(
            send(db, &kiosk, &records)
                .iter()
                .all(|o| *o == RecordOutcome::Duplicate),
            "a replay stores nothing"
        );
    }
    // A batch half old, half new: only the new half is stored.
    let mut mixed = records[25..].to_vec();
    mixed.push(record(
        "plock-wso-01",
        Question::Overall,
        Score::GOOD.into(),
        MONDAY_8_UTC + DAY,
    ));
    let outcomes = send(db, &kiosk, &mixed);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == RecordOutcome::Stored)
            .count(),
        1
    );
    assert_eq!(db.answer_count().expect("count"), 51);
    assert_eq!(overall(db), [13, 13, 13, 12]);
}

pub fn identical_batches_sent_at_once_are_stored_once(open: Open) {
    let fresh = set_up(open);
    let kiosk = enroll(&*fresh.db, "plock-fin-01", 1);
    let records: Vec<RatingRecord> = (0..40)
        .map(|i| {
            record(
                "plock-fin-01",
                Question::Overall,
                Score::ALL[i % 4].into(),
                MONDAY_8_UTC + i64::try_from(i).expect("small") * 5 * MINUTE,
            )
        })
        .collect();
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let db = Arc::clone(&fresh.db);
            let kiosk = kiosk.clone();
            let records = records.clone();
            std::thread::spawn(move || {
                loop {
                    // A backend may answer "busy" to a writer that waited too long; the kiosk
                    // retries the same batch, and so does this sender.
                    let batch = RecordBatch {
                        sent: synchronized(MONDAY_8_UTC + DAY),
                        records: records.clone(),
                    };
                    match db.ingest(&kiosk, &batch, MONDAY_8_UTC + DAY) {
                        Ok(receipt) => break receipt,
                        Err(e) if e.busy().is_some() => continue,
                        Err(e) => panic!("ingest failed: {e}"),
                    }
                }
            })
        })
        .collect();
    let receipts: Vec<_> = senders
        .into_iter()
        .map(|s| s.join().expect("sender"))
        .collect();
    for i in 0..records.len() {
        let stored = receipts
            .iter()
            .filter(|r| r.results[i].outcome == RecordOutcome::Stored)
            .count();
        assert_eq!(stored, 1, "record {i} stored by exactly one of the batches");
        assert!(receipts.iter().all(|r| matches!(
            r.results[i].outcome,
            RecordOutcome::Stored | RecordOutcome::Duplicate
        )));
    }
    assert_eq!(fresh.db.answer_count().expect("count"), 40);
    assert_eq!(overall(&*fresh.db), [10, 10, 10, 10]);
}

pub fn each_record_gets_its_own_outcome(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let kiosk = enroll(db, "plock-wso-01", 1);
    let first = record(
        "plock-wso-01",
        Question::Overall,
        Score::GOOD.into(),
        MONDAY_8_UTC,
    );
    let mut changed = first.clone();
    changed.answer = Score::BAD.into();
    let mut self_superseding = record(
        "plock-wso-01",
        Question::Overall,
        Score::GOOD.into(),
        MONDAY_8_UTC + MINUTE,
    );
    self_superseding.supersedes = Some(self_superseding.id);
    let other_desk = record(
        "gabin-wso-01",
        Question::Overall,
        Score::GOOD.into(),
        MONDAY_8_UTC + 2 * MINUTE,
    );
    let outcomes = send(
        db,
        &kiosk,
        &[first.clone(), first, changed, self_superseding, other_desk],
    );
    assert_eq!(outcomes[0], RecordOutcome::Stored);
    assert_eq!(outcomes[1], RecordOutcome::Duplicate);
    assert_eq!(
        outcomes[2],
        RecordOutcome::Conflict,
        "same id, other content"
    );
    assert!(matches!(outcomes[3], RecordOutcome::Rejected { .. }));
    assert!(
        matches!(outcomes[4], RecordOutcome::Rejected { .. }),
        "a kiosk answers only for its own desk"
    );
    assert_eq!(db.answer_count().expect("count"), 1);
    assert_eq!(db.conflict_count().expect("count"), 1);
    assert_eq!(overall(db), [0, 0, 1, 0]);
}

pub fn a_chain_of_corrections_counts_only_the_last_in_every_order_of_arrival(open: Open) {
    let desk = "plock-wso-01";
    let question = Question::Standard(StandardId::V);
    let a = record(desk, question, Score::VERY_BAD.into(), MONDAY_8_UTC);
    let mut b = record(desk, question, Answer::NotApplicable, MONDAY_8_UTC + 1000);
    b.supersedes = Some(a.id);
    let mut c = record(desk, question, Score::VERY_GOOD.into(), MONDAY_8_UTC + 2000);
    c.supersedes = Some(b.id);
    let chain = [a, b, c];
    for order in EVERY_ORDER_OF_THREE {
        let fresh = set_up(open);
        let db = &*fresh.db;
        let kiosk = enroll(db, desk, 1);
        for i in order {
            send(db, &kiosk, std::slice::from_ref(&chain[i]));
        }
        let counted = exported(db, &november(question), &Scope::AllOffices);
        let expected = Counts::new([0, 0, 0, 1]);
        assert_eq!(
            counted.get(desk),
            Some(&expected),
            "arrival order {order:?}"
        );
        assert_eq!(
            rolled_up(db, desk, "V"),
            ([0, 0, 0, 1], 0),
            "rollups, arrival order {order:?}"
        );
    }
}

/// An answer purged for retention stays counted in the rollups, so no correction of it counts,
/// directly or through corrections in between, whatever order they arrive in.
pub fn a_chain_of_corrections_is_never_counted_beside_its_purged_original(open: Open) {
    let desk = "plock-wso-01";
    let question = Question::Standard(StandardId::V);
    let a = record(desk, question, Score::VERY_BAD.into(), MONDAY_8_UTC);
    let mut b = record(desk, question, Score::BAD.into(), MONDAY_8_UTC + 1000);
    b.supersedes = Some(a.id);
    let mut c = record(desk, question, Score::GOOD.into(), MONDAY_8_UTC + 2000);
    c.supersedes = Some(b.id);
    let mut d = record(desk, question, Score::VERY_GOOD.into(), MONDAY_8_UTC + 3000);
    d.supersedes = Some(c.id);
    let corrections = [b, c, d];
    for order in EVERY_ORDER_OF_THREE {
        let fresh = set_up(open);
        let db = &*fresh.db;
        let kiosk = enroll(db, desk, 1);
        send(db, &kiosk, std::slice::from_ref(&a));
        // `a` is placed on Monday 23 November.
        let purged = db.purge_answers("2026-11-24", 0).expect("purge");
        assert_eq!(purged.answers, 1);
        for i in order {
            send(db, &kiosk, std::slice::from_ref(&corrections[i]));
        }
        assert_eq!(
            rolled_up(db, desk, "V"),
            ([1, 0, 0, 0], 0),
            "only the purged answer counts, arrival order {order:?}"
        );
        let exported = exported(db, &november(question), &Scope::AllOffices);
        assert_eq!(
            exported.get(desk),
            None,
            "no stored answer counts, {order:?}"
        );
    }
}

pub fn an_approximate_answer_moves_when_its_boot_gets_an_anchor(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let desk = "plock-wso-01";
    let kiosk = enroll(db, desk, 1);
    let truth = MONDAY_8_UTC;
    let boot_a = truth - 60 * MINUTE;
    let reading = |boot: &str, started: i64, at: i64, wall: i64, synced: bool| RecordedTime {
        wall_clock_ms: wall,
        boot_id: boot.into(),
        boottime_ns: u64::try_from(at - started).expect("after boot") * 1_000_000,
        clock_synchronized: synced,
    };
    // Boot a is never synchronised at first and its clock reads three days ahead; its answers
    // leave only in boot b, two days later.
    let mut early = record(desk, Question::Overall, Score::BAD.into(), truth);
    early.recorded = reading("a", boot_a, truth, truth + 3 * DAY, false);
    let mut late = record(desk, Question::Overall, Score::GOOD.into(), truth);
    late.sequence = early.sequence + 1;
    late.recorded = reading("a", boot_a, truth + 10 * MINUTE, truth + 10 * MINUTE, true);
    let boot_b = truth + 2 * DAY;
    let deliver = |records: Vec<RatingRecord>, at: i64| {
        let batch = RecordBatch {
            sent: reading("b", boot_b, at, at, false),
            records,
        };
        db.ingest(&kiosk, &batch, at).expect("ingest");
    };
    let days = || {
        let mut days: BTreeMap<String, i64> = BTreeMap::new();
        db.export_answers(
            &november(Question::Overall),
            &Scope::AllOffices,
            &mut |row| {
                *days.entry(row.local_day.clone()).or_default() += 1;
                true
            },
        )
        .expect("export");
        days
    };
    deliver(vec![early], boot_b + 2 * MINUTE);
    let before = days();
    assert_eq!(before.values().sum::<i64>(), 1);
    assert!(
        before.keys().all(|d| d.as_str() <= "2026-11-25"),
        "placed no later than the delivering boot began: {before:?}"
    );
    // The next batch carries boot a's synchronised reading: the early answer moves to the truth.
    deliver(vec![late], boot_b + 3 * MINUTE);
    assert_eq!(
        days(),
        BTreeMap::from([("2026-11-23".to_owned(), 2)]),
        "both answers on the day they were given"
    );
    let rolled: BTreeMap<String, i64> = db
        .rollups(&desk.parse().expect("desk"))
        .expect("rollups")
        .into_iter()
        .filter(|r| r.question == "overall")
        .fold(BTreeMap::new(), |mut days, r| {
            *days.entry(r.day).or_default() += r.scores.iter().sum::<i64>();
            days
        });
    assert_eq!(
        rolled
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect::<Vec<_>>(),
        vec![("2026-11-23".to_owned(), 2)],
        "the rollups moved with the answer"
    );
}

/// A small deterministic random stream (a linear congruential generator).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % sides
    }
}

pub fn every_dashboard_read_equals_the_counted_answers(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let mut dice = Dice(2026);
    let english: LanguageTag = "en".parse().expect("en");
    // What should be counted: per desk, overall scores and standard IV's scores and N/A.
    let mut expected: BTreeMap<(&str, &str), Counts> = BTreeMap::new();
    for (n, (_, _, desk)) in DESKS.into_iter().enumerate() {
        let kiosk = enroll(db, desk, u8::try_from(n + 1).expect("few"));
        let mut batch = Vec::new();
        for visit in 0..60_i64 {
            // Visits every 53 minutes over about two working weeks, some in English, some
            // in larger text; a fifth of the overall scores corrected a moment later.
            let at = MONDAY_8_UTC + visit * 53 * MINUTE + (visit / 9) * 14 * 60 * MINUTE;
            let mut overall = record(
                desk,
                Question::Overall,
                Score::ALL[dice.roll(4) as usize].into(),
                at,
            );
            if dice.roll(3) == 0 {
                overall.language = english.clone();
            }
            overall.larger_text = dice.roll(5) == 0;
            let mut final_overall = overall.clone();
            batch.push(overall.clone());
            if dice.roll(5) == 0 {
                let mut correction = overall.clone();
                correction.id = RecordId::new_random();
                correction.sequence += 1;
                correction.answer = Score::ALL[dice.roll(4) as usize].into();
                correction.supersedes = Some(overall.id);
                final_overall = correction.clone();
                batch.push(correction);
            }
            let standard = match dice.roll(6) {
                0 => Answer::NotApplicable,
                s => Score::ALL[(s as usize - 1) % 4].into(),
            };
            let mut iv = record(
                desk,
                Question::Standard(StandardId::IV),
                standard,
                at + 4000,
            );
            iv.sequence = final_overall.sequence + 1;
            iv.language = final_overall.language.clone();
            if matches!(standard, Answer::Score(s) if s == Score::VERY_BAD) {
                iv.reasons = vec!["iv-interrupted".parse().expect("reason")];
            }
            batch.push(iv);
            for (question, answer) in [("overall", final_overall.answer), ("IV", standard)] {
                let cell = expected.entry((desk, question)).or_default();
                match answer {
                    Answer::Score(s) => cell.scores[usize::from(s.value()) - 1] += 1,
                    Answer::NotApplicable => cell.not_applicable += 1,
                }
            }
        }
        // Sent in batches of 25, the second one twice.
        for (i, chunk) in batch.chunks(25).enumerate() {
            send(db, &kiosk, chunk);
            if i == 1 {
                send(db, &kiosk, chunk);
            }
        }
    }
    for (question, code) in [
        (Question::Overall, "overall"),
        (Question::Standard(StandardId::IV), "IV"),
    ] {
        let filter = november(question);
        let want: BTreeMap<String, Counts> = DESKS
            .iter()
            .map(|(_, _, desk)| (desk.to_string(), expected[&(*desk, code)]))
            .collect();
        let mut total = Counts::default();
        want.values().for_each(|c| total.add(*c));
        assert_eq!(
            exported(db, &filter, &Scope::AllOffices),
            want,
            "{code}: export"
        );
        let by_desk: BTreeMap<String, Counts> = db
            .breakdown(&filter, &Scope::AllOffices, Level::Desk)
            .expect("breakdown")
            .into_iter()
            .map(|g| (g.id, g.counts))
            .collect();
        assert_eq!(by_desk, want, "{code}: breakdown by desk");
        let by_office: BTreeMap<String, Counts> = db
            .breakdown(&filter, &Scope::AllOffices, Level::Office)
            .expect("breakdown")
            .into_iter()
            .map(|g| (g.id, g.counts))
            .collect();
        let mut plock = want["plock-wso-01"];
        plock.add(want["plock-fin-01"]);
        assert_eq!(by_office.get("plock"), Some(&plock), "{code}: by office");
        assert_eq!(
            by_office.get("gabin"),
            Some(&want["gabin-wso-01"]),
            "{code}: by office"
        );
        let sum = |cells: &mut dyn Iterator<Item = Counts>| {
            let mut s = Counts::default();
            cells.for_each(|c| s.add(c));
            s
        };
        let trend = db.trend(&filter, &Scope::AllOffices).expect("trend");
        assert_eq!(
            sum(&mut trend.iter().map(|p| p.counts)),
            total,
            "{code}: trend"
        );
        let heat = db.heatmap(&filter, &Scope::AllOffices).expect("heatmap");
        assert_eq!(
            sum(&mut heat.iter().map(|c| c.counts)),
            total,
            "{code}: heatmap"
        );
        let usage = db.usage(&filter, &Scope::AllOffices).expect("usage");
        assert_eq!(
            sum(&mut usage.languages.iter().map(|(_, c)| *c)),
            total,
            "{code}: languages"
        );
        assert_eq!(
            sum(&mut [usage.normal_text, usage.larger_text].into_iter()),
            total,
            "{code}: text sizes"
        );
        let days = db
            .desk_days(&filter, &Scope::AllOffices)
            .expect("desk days");
        assert_eq!(
            sum(&mut days.iter().map(|d| d.counts)),
            total,
            "{code}: desk days"
        );
        let rolled = DESKS
            .iter()
            .fold(Counts::default(), |mut acc, (_, _, desk)| {
                for r in db.rollups(&desk.parse().expect("desk")).expect("rollups") {
                    if r.question == code {
                        acc.add(Counts::new(r.scores).with_not_applicable(r.not_applicable));
                    }
                }
                acc
            });
        assert_eq!(rolled, total, "{code}: rollups");
    }
    let reasons = db
        .top_reasons(
            &november(Question::Standard(StandardId::IV)),
            &Scope::AllOffices,
            10,
        )
        .expect("reasons");
    let very_bad_iv: i64 = DESKS
        .iter()
        .map(|(_, _, desk)| expected[&(*desk, "IV")].scores[0])
        .sum();
    assert_eq!(
        reasons
            .iter()
            .find(|r| r.reason == "iv-interrupted")
            .map(|r| r.chosen),
        Some(very_bad_iv).filter(|n| *n > 0),
        "every very bad IV named the reason"
    );
}

pub fn a_scope_sees_only_its_own_places_and_answers(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    for (n, (_, _, desk)) in DESKS.into_iter().enumerate() {
        let kiosk = enroll(db, desk, u8::try_from(n + 1).expect("few"));
        let records: Vec<RatingRecord> = (0..6)
            .map(|i| {
                record(
                    desk,
                    Question::Overall,
                    Score::GOOD.into(),
                    MONDAY_8_UTC + i * 11 * MINUTE,
                )
            })
            .collect();
        send(db, &kiosk, &records);
    }
    let gabin = Scope::Office("gabin".into());
    let wso = Scope::Department {
        office: "plock".into(),
        department: "wso".into(),
    };
    let places = db.places(&gabin).expect("places");
    assert!(places.offices.iter().all(|p| p.office_id == "gabin"));
    assert_eq!(
        places
            .desks
            .iter()
            .filter_map(|p| p.desk_id.clone())
            .collect::<Vec<_>>(),
        ["gabin-wso-01"]
    );
    let places = db.places(&wso).expect("places");
    assert_eq!(
        places
            .desks
            .iter()
            .filter_map(|p| p.desk_id.clone())
            .collect::<Vec<_>>(),
        ["plock-wso-01"],
        "a department scope: not plock-fin-01"
    );
    let filter = november(Question::Overall);
    for (scope, desks) in [
        (&gabin, vec!["gabin-wso-01"]),
        (&wso, vec!["plock-wso-01"]),
        (
            &Scope::Office("plock".into()),
            vec!["plock-fin-01", "plock-wso-01"],
        ),
    ] {
        let exported: Vec<String> = exported(db, &filter, scope).into_keys().collect();
        assert_eq!(exported, desks, "export within {scope:?}");
        let mut grouped: Vec<String> = db
            .breakdown(&filter, scope, Level::Desk)
            .expect("breakdown")
            .into_iter()
            .filter(|g| g.counts.answers() > 0)
            .map(|g| g.id)
            .collect();
        grouped.sort();
        assert_eq!(grouped, desks, "breakdown within {scope:?}");
        let trend: i64 = db
            .trend(&filter, scope)
            .expect("trend")
            .iter()
            .map(|p| p.counts.answers())
            .sum();
        assert_eq!(trend, 6 * i64::try_from(desks.len()).expect("few"));
    }
    let fleet = db.fleet(Some("gabin"), None).expect("fleet");
    assert!(fleet.iter().all(|k| k.office_id == "gabin") && fleet.len() == 1);
    let fleet = db.fleet(Some("plock"), Some("wso")).expect("fleet");
    assert_eq!(fleet.len(), 1);
}

pub fn sessions_live_until_idle_expiry_sign_out_or_their_user_changes(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let user = |name: &str, role: Role, office: Option<&str>| NewUser {
        username: name.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        role,
        office_id: office.map(str::to_owned),
        department_id: None,
        email: None,
        lang: Lang::Pl,
    };
    let err = db
        .add_user(&user("nowhere", Role::OfficeViewer, Some("atlantis")), 0)
        .expect_err("unknown office");
    assert!(err.to_string().contains("atlantis"), "{err}");
    let anna = db
        .add_user(&user("anna", Role::OfficeViewer, Some("gabin")), 0)
        .expect("user");
    assert!(
        db.add_user(&user("anna", Role::Analyst, None), 0).is_err(),
        "a taken username"
    );
    let hour = 60 * MINUTE;
    let session = |id: u8, now_ms: i64| NewSession {
        id_sha256: [id; 32],
        user_id: anna,
        csrf_token: format!("csrf-{id}"),
        lang: Lang::Pl,
        now_ms,
        expires_at_ms: now_ms + 8 * hour,
        replaces: None,
    };
    db.create_session(&session(1, 0)).expect("session");
    let live = db.session([1; 32], hour / 2, hour).expect("lookup");
    assert_eq!(
        live.map(|s| (s.user.username, s.csrf_token)),
        Some(("anna".into(), "csrf-1".into()))
    );
    db.set_session_lang([1; 32], Lang::En).expect("lang");
    assert_eq!(
        db.session([1; 32], hour, hour)
            .expect("lookup")
            .map(|s| s.lang),
        Some(Lang::En)
    );
    assert!(
        db.session([1; 32], 2 * hour + 1, hour)
            .expect("lookup")
            .is_none(),
        "idle for more than an hour"
    );
    db.create_session(&session(2, 0)).expect("session");
    assert!(
        db.session([2; 32], 9 * hour, 24 * hour)
            .expect("lookup")
            .is_none(),
        "expired"
    );
    db.create_session(&session(3, 0)).expect("session");
    db.delete_session([3; 32]).expect("sign out");
    assert!(
        db.session([3; 32], 1, hour).expect("lookup").is_none(),
        "signed out"
    );
    db.create_session(&session(4, 0)).expect("session");
    assert!(
        db.set_password(
            "anna",
            "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA"
        )
        .expect("password")
    );
    assert!(
        db.session([4; 32], 1, hour).expect("lookup").is_none(),
        "a new password ends sessions"
    );
    db.create_session(&session(5, 0)).expect("session");
    assert!(db.disable_user("anna", 1).expect("disable"));
    assert!(
        db.session([5; 32], 2, hour).expect("lookup").is_none(),
        "a disabled user's sessions end"
    );
    let listed = db.users().expect("users");
    assert!(
        listed
            .iter()
            .any(|u| u.username == "anna" && u.disabled_at_ms == Some(1))
    );
}

pub fn an_alert_is_raised_delivered_once_and_cleared(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    let rule = db
        .add_alert_rule(
            crate::analytics::Disclosure::default(),
            RuleKind::KioskSilent { hours: 4 },
            Some("plock"),
            0,
        )
        .expect("rule");
    assert!(
        db.alert_rules()
            .expect("rules")
            .iter()
            .any(|r| r.id == rule.id && r.enabled)
    );
    let raise = Change::Raise {
        rule_id: rule.id,
        subject: "kiosk-1".into(),
        office_id: "plock".into(),
        value: 5.0,
        responses: None,
    };
    let channels = [Channel::Email, Channel::Webhook];
    db.apply_alert_changes(std::slice::from_ref(&raise), &channels, 10)
        .expect("raise");
    let open_alerts = db.open_alerts().expect("open");
    assert_eq!(open_alerts.len(), 1);
    let pending = db.pending_deliveries(20, 10).expect("pending");
    assert_eq!(pending.len(), 2, "one notification per channel");
    for delivery in &pending {
        db.record_delivery(
            delivery.alert.id,
            delivery.event,
            delivery.channel,
            &Ok(()),
            30,
        )
        .expect("record");
    }
    assert!(
        db.pending_deliveries(40, 10).expect("pending").is_empty(),
        "each delivered once"
    );
    assert_eq!(
        db.alert_listing(&Scope::Office("gabin".into()), 10)
            .expect("listing")
            .len(),
        0,
        "another office does not see it"
    );
    assert_eq!(
        db.alert_listing(&Scope::Office("plock".into()), 10)
            .expect("listing")
            .len(),
        1
    );
    db.apply_alert_changes(
        &[Change::Clear {
            alert_id: open_alerts[0].id,
        }],
        &channels,
        50,
    )
    .expect("clear");
    assert!(db.open_alerts().expect("open").is_empty());
    assert_eq!(
        db.pending_deliveries(60, 10).expect("pending").len(),
        2,
        "the clearing is told on each channel"
    );
}

/// A notification being sent is claimed: another process on the database is not handed it
/// until the attempt is recorded or the claim's lease lapses.
pub fn a_due_notification_is_handed_to_one_process_only(open: Open) {
    let fresh = set_up(open);
    let first = &*fresh.db;
    let second = (fresh.open_again)();
    let rule = first
        .add_alert_rule(
            Disclosure::default(),
            RuleKind::KioskSilent { hours: 4 },
            None,
            0,
        )
        .expect("rule");
    let raise = Change::Raise {
        rule_id: rule.id,
        subject: "k1".into(),
        office_id: "plock".into(),
        value: 5.0,
        responses: None,
    };
    first
        .apply_alert_changes(&[raise], &[Channel::Webhook], 1)
        .expect("raise");
    let taken = first.pending_deliveries(2, 10).expect("due");
    assert_eq!(taken.len(), 1, "the raise is due");
    // While the first process sends it, the second runs its own round.
    assert!(
        second.pending_deliveries(3, 10).expect("due").is_empty(),
        "the notification the first process is sending is handed out again"
    );
    // A failed attempt ends the claim; the retry is anyone's once due.
    first
        .record_delivery(
            taken[0].alert.id,
            taken[0].event,
            taken[0].channel,
            &Err("refused".into()),
            4,
        )
        .expect("record");
    let retry = second.pending_deliveries(i64::MAX / 2, 10).expect("due");
    assert_eq!(retry.len(), 1, "the retry is handed out after its back-off");
    // A round that died holds its claim until the lease ends, then the notification is due again.
    let died_at = i64::MAX / 2;
    assert!(
        first
            .pending_deliveries(died_at + CLAIM_LEASE_MS - 1, 10)
            .expect("due")
            .is_empty()
    );
    assert_eq!(
        first
            .pending_deliveries(died_at + CLAIM_LEASE_MS, 10)
            .expect("due")
            .len(),
        1,
        "a dead round's claim lapses with its lease"
    );
}

/// Text sorts by its bytes, as in SQLite, whatever the database's default collation (a Polish
/// cluster's puts "wso_b" before "wso-a" and "ł" before "m"): listings, the dashboard and the
/// pages `migrate` compares come out in one order on every engine.
pub fn text_sorts_by_its_bytes_whatever_the_database_collation(open: Open) {
    let fresh = set_up(open);
    let db = &*fresh.db;
    for id in ["wso_b", "wsoa", "wso9", "wso-a"] {
        db.add_department("plock", id, &format!("Wydział {id}"))
            .expect("department");
    }
    let places = db.places(&Scope::AllOffices).expect("places");
    let listed: Vec<&str> = places
        .departments
        .iter()
        .filter(|p| p.office_id == "plock")
        .filter_map(|p| p.department_id.as_deref())
        .collect();
    assert_eq!(listed, ["fin", "wso", "wso-a", "wso9", "wso_b", "wsoa"]);
    for name in [
        "anna_b@plock",
        "anna.b@plock",
        "annab@plock",
        "anna-b@plock",
    ] {
        db.add_user(
            &NewUser {
                username: name.into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
                    .into(),
                role: Role::Analyst,
                office_id: None,
                department_id: None,
                email: None,
                lang: Lang::Pl,
            },
            0,
        )
        .expect("user");
    }
    let users: Vec<String> = db
        .users()
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(
        users,
        [
            "anna-b@plock",
            "anna.b@plock",
            "anna_b@plock",
            "annab@plock"
        ]
    );
}
