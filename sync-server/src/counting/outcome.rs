//! A record's outcome at ingest, and whether a stored answer counts beside its corrections. The
//! backend answers the questions these rules ask of what it stores (is the id taken, with which
//! fingerprint; is there a newer correction; was the corrected answer purged) and carries out
//! the decision in its transaction.

use model::wire::RecordOutcome;
use model::{DeskId, RatingRecord, RecordId};
use sha2::{Digest, Sha256};

use crate::admission;

/// Why `record` from a kiosk enrolled at `kiosk_desk` is not stored at all, if it is not:
/// another desk's, not admitted (see [`admission::check_record`]; `offered` is what the desk's
/// survey has offered), or superseding itself.
pub fn refusal(
    kiosk_desk: &DeskId,
    record: &RatingRecord,
    offered: &admission::Offered,
) -> Option<String> {
    if record.desk_id != *kiosk_desk {
        return Some(format!(
            "record is for desk {}, but this kiosk is enrolled at desk {kiosk_desk}",
            record.desk_id
        ));
    }
    if let Err(problem) = admission::check_record(record, kiosk_desk, offered) {
        return Some(problem.to_string());
    }
    if record.supersedes == Some(record.id) {
        return Some("a record cannot supersede itself".to_owned());
    }
    None
}

/// Why `record` is refused if it corrects an answer that already corrects it, directly (A
/// supersedes B, B supersedes A) or through the answers that one corrects in turn: in such a
/// cycle each answer is superseded by another and none would count, so the record closing it is
/// refused and the others stay as they were, one of them counted. `corrected` are the ids the
/// record's `supersedes` target corrects, that one's target and so on, as stored.
pub fn cycle_refusal(record: &RatingRecord, corrected: &[RecordId]) -> Option<String> {
    let target = record.supersedes?;
    corrected.contains(&record.id).then(|| {
        format!(
            "record {} supersedes {target}, which already supersedes it: a cycle of \
             corrections, in which none would count",
            record.id
        )
    })
}

/// A record's content as the server compares it: its JSON and that text's SHA-256.
pub fn fingerprint(record: &RatingRecord) -> Result<(String, [u8; 32]), String> {
    let content =
        serde_json::to_string(record).map_err(|e| format!("record {}: {e}", record.id))?;
    let hash = Sha256::digest(content.as_bytes()).into();
    Ok((content, hash))
}

/// The outcome of a record whose id is already taken (stored, or purged for retention) by a
/// record with the fingerprint `first`: the same content is a duplicate, other content a
/// conflict (the first is kept, the second logged).
pub fn settle_taken(first: &[u8], this: &[u8; 32]) -> RecordOutcome {
    if first == this.as_slice() {
        RecordOutcome::Duplicate
    } else {
        RecordOutcome::Conflict
    }
}

/// Whether a newly stored answer counts: not when a correction of it arrived first (it is kept,
/// the correction counts), nor when it corrects, directly or through the corrections in between,
/// an answer already purged for retention (the purged one stays counted in the rollups, so no
/// other answer of its chain may count; the backend also un-counts the chain's corrections
/// stored before this answer).
pub fn counts_when_stored(corrected_already: bool, corrects_a_purged_answer: bool) -> bool {
    !corrected_already && !corrects_a_purged_answer
}

#[cfg(test)]
mod tests {
    use model::{InputKind, LanguageTag, Question, RecordedTime, Score, StandardId, VisitId};

    use super::*;

    fn record(desk: &str) -> RatingRecord {
        RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: 1,
            desk_id: desk.parse().expect("desk"),
            question: Question::Standard(StandardId::IV),
            answer: Score::GOOD.into(),
            reasons: vec![],
            language: LanguageTag::polish(),
            larger_text: false,
            input: InputKind::Touch,
            supersedes: None,
            recorded: RecordedTime {
                wall_clock_ms: 1_795_428_000_000,
                boot_id: "b".into(),
                boottime_ns: 1,
                clock_synchronized: true,
            },
        }
    }

    fn desk(id: &str) -> DeskId {
        id.parse().expect("desk")
    }

    #[test]
    fn another_desks_record_a_standard_never_offered_and_a_self_correction_are_refused() {
        let offered = admission::Offered {
            standards: vec![StandardId::IV],
            languages: vec![LanguageTag::polish()],
        };
        let own = record("plock-wso-01");
        assert_eq!(refusal(&desk("plock-wso-01"), &own, &offered), None);
        let elsewhere = refusal(&desk("plock-wso-02"), &own, &offered).expect("refused");
        assert!(elsewhere.contains("plock-wso-01") && elsewhere.contains("plock-wso-02"));
        let other_standard = admission::Offered {
            standards: vec![StandardId::V],
            ..offered.clone()
        };
        assert!(refusal(&desk("plock-wso-01"), &own, &other_standard).is_some());
        let mut itself = record("plock-wso-01");
        itself.supersedes = Some(itself.id);
        assert_eq!(
            refusal(&desk("plock-wso-01"), &itself, &offered).as_deref(),
            Some("a record cannot supersede itself")
        );
    }

    #[test]
    fn a_record_correcting_an_answer_that_corrects_it_is_refused() {
        let a = record("plock-wso-01");
        let (b, c) = (RecordId::new_random(), RecordId::new_random());
        let a_corrects_b = RatingRecord {
            supersedes: Some(b),
            ..a.clone()
        };
        // B supersedes A: A superseding B would close the cycle.
        let reason = cycle_refusal(&a_corrects_b, &[a.id]).expect("a cycle of two");
        assert!(
            reason.contains(&format!("record {} supersedes {b}", a.id)) && reason.contains("cycle"),
            "{reason}"
        );
        // B supersedes C, which supersedes A.
        assert!(
            cycle_refusal(&a_corrects_b, &[c, a.id]).is_some(),
            "a cycle of three"
        );
        assert_eq!(
            cycle_refusal(&a_corrects_b, &[c]),
            None,
            "a chain, no cycle"
        );
        assert_eq!(cycle_refusal(&a_corrects_b, &[]), None, "B not stored yet");
        assert_eq!(cycle_refusal(&a, &[a.id]), None, "A corrects nothing");
    }

    #[test]
    fn the_same_content_is_a_duplicate_and_other_content_a_conflict() {
        let first = record("plock-wso-01");
        let (_, first_hash) = fingerprint(&first).expect("fingerprint");
        // The same record sent again: serialised anew, the same text.
        let resent: RatingRecord =
            serde_json::from_str(&serde_json::to_string(&first).expect("json")).expect("parse");
        let (_, again) = fingerprint(&resent).expect("fingerprint");
        assert_eq!(settle_taken(&first_hash, &again), RecordOutcome::Duplicate);
        let mut changed = first;
        changed.answer = Score::BAD.into();
        let (_, other) = fingerprint(&changed).expect("fingerprint");
        assert_eq!(settle_taken(&first_hash, &other), RecordOutcome::Conflict);
    }

    #[test]
    fn only_the_latest_answer_counts() {
        assert!(counts_when_stored(false, false));
        assert!(
            !counts_when_stored(true, false),
            "its correction came first"
        );
        assert!(
            !counts_when_stored(false, true),
            "the purged answer stays counted"
        );
    }
}
