//! What the aggregator admits from a kiosk: a token proves which kiosk is talking, not that what
//! it says makes sense. A record must rate a standard its desk's survey has offered, with reasons
//! the catalogue offers for that standard after a low score, or say "does not apply" (any
//! standard clients are asked about), in a language the kiosk ships and its desk offers; every
//! clock reading (records, a batch's send time, heartbeats, enrollment) must carry a bounded boot
//! id and a wall clock inside the years a calendar can show, and a record a sequence and boot
//! time the server stores as they arrived (at most `i64::MAX`). Pure rules, no IO: storage asks them
//! inside the batch's transaction, the HTTP layer for single readings.

use model::wire::Heartbeat;
use model::{
    Answer, Catalogue, DeskId, LanguageTag, Question, RatingRecord, RecordedTime, StandardId,
};

/// Longest boot id accepted. Linux's (`/proc/sys/kernel/random/boot_id`) is a 36-character UUID.
pub const MAX_BOOT_ID_CHARS: usize = 64;
/// The latest wall clock accepted: 9999-12-31T23:59:59.999Z, the last instant with a four-digit
/// year. The earliest is 0 (1970-01-01), where a Raspberry Pi without a real-time clock starts.
pub const LATEST_WALL_CLOCK_MS: i64 = 253_402_300_799_999;

/// What a desk's survey offers a client, now or before: a kiosk may sync answers given under an
/// earlier survey days later, so these are what storage knows the desk to have offered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offered {
    /// Every standard the desk's survey has offered.
    pub standards: Vec<StandardId>,
    /// The languages the desk's survey offers now, and any since dropped that it has answers in.
    pub languages: Vec<LanguageTag>,
}

/// Why a kiosk's record or clock reading is not admitted; the text goes back to the kiosk (as a
/// record's `rejected` reason or a 422 message), so it names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inadmissible {
    #[error(
        "{field}.boot_id must be 1-{MAX_BOOT_ID_CHARS} characters from A-Z, a-z, 0-9, '-' and '_'"
    )]
    BootId { field: &'static str },
    #[error(
        "{field} {value} is outside 0 (1970-01-01) to {LATEST_WALL_CLOCK_MS} (9999-12-31) \
         milliseconds"
    )]
    WallClock { field: &'static str, value: i64 },
    /// A number the server stores as a signed 64-bit integer: a larger one could only be kept
    /// altered, and the record could not be told back as it arrived.
    #[error("{field} {value} is above {max}, the largest the server stores", max = i64::MAX)]
    TooLarge { field: &'static str, value: u64 },
    #[error("standard {standard} has never been in the survey of desk {desk}")]
    NotOffered { standard: StandardId, desk: DeskId },
    #[error("reason {reason:?} is not one the catalogue offers for standard {standard}")]
    UnknownReason {
        reason: String,
        standard: StandardId,
    },
    #[error("reason {0:?} is given twice")]
    ReasonTwice(String),
    #[error("the overall rating offers no reasons")]
    ReasonsOnOverall,
    #[error("reasons are offered only after a score of 1 or 2, not {0}")]
    ReasonsOnHighScore(u8),
    #[error("standard {0} does not offer \"does not apply\": clients are never asked about it")]
    NotApplicableNotOffered(StandardId),
    #[error(
        "no translation is shipped for language {0:?} (available: {shipped})",
        shipped = i18n::LANGUAGES.join(", ")
    )]
    Language(String),
    #[error("language {language} is not offered at desk {desk}")]
    LanguageNotOffered { language: LanguageTag, desk: DeskId },
}

/// Checks one record from a kiosk of `desk`, whose survey has offered what `offered` holds.
pub fn check_record(
    record: &RatingRecord,
    desk: &DeskId,
    offered: &Offered,
) -> Result<(), Inadmissible> {
    check_recorded(&record.recorded)?;
    storable("sequence", record.sequence)?;
    if !i18n::LANGUAGES.contains(&record.language.as_str()) {
        return Err(Inadmissible::Language(record.language.to_string()));
    }
    if !offered.languages.contains(&record.language) {
        return Err(Inadmissible::LanguageNotOffered {
            language: record.language.clone(),
            desk: desk.clone(),
        });
    }
    let standard = match record.question {
        Question::Overall if record.reasons.is_empty() => return Ok(()),
        Question::Overall => return Err(Inadmissible::ReasonsOnOverall),
        Question::Standard(standard) => standard,
    };
    if !offered.standards.contains(&standard) {
        return Err(Inadmissible::NotOffered {
            standard,
            desk: desk.clone(),
        });
    }
    let catalogue = Catalogue::ordinance_4216_2018();
    // The wire form has already refused a score beside the flag, neither, and reasons with
    // "does not apply" (`RatingRecord::check_answer`).
    match record.answer {
        Answer::Score(score) if !record.reasons.is_empty() && !score.is_low() => {
            return Err(Inadmissible::ReasonsOnHighScore(score.value()));
        }
        Answer::NotApplicable if !catalogue.standard(standard).may_not_apply() => {
            return Err(Inadmissible::NotApplicableNotOffered(standard));
        }
        Answer::Score(_) | Answer::NotApplicable => {}
    }
    for (i, reason) in record.reasons.iter().enumerate() {
        if catalogue
            .standard(standard)
            .reason(reason.as_str())
            .is_none()
        {
            return Err(Inadmissible::UnknownReason {
                reason: reason.to_string(),
                standard,
            });
        }
        if record.reasons[..i].contains(reason) {
            return Err(Inadmissible::ReasonTwice(reason.to_string()));
        }
    }
    Ok(())
}

/// Checks one clock reading; `field` names it in the message (e.g. `sent`, `clock`).
pub fn check_clock(field: &'static str, reading: &RecordedTime) -> Result<(), Inadmissible> {
    let boot_id = &reading.boot_id;
    let well_formed = (1..=MAX_BOOT_ID_CHARS).contains(&boot_id.len())
        && boot_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(Inadmissible::BootId { field });
    }
    check_wall_clock(wall_clock_field(field), reading.wall_clock_ms)
}

/// Checks a record's own clock reading: as [`check_clock`], and a boot time the server can
/// store as it arrived.
pub fn check_recorded(reading: &RecordedTime) -> Result<(), Inadmissible> {
    check_clock("recorded", reading)?;
    storable("recorded.boottime_ns", reading.boottime_ns)
}

/// Refuses a number above `i64::MAX`, which the server could store only altered.
fn storable(field: &'static str, value: u64) -> Result<(), Inadmissible> {
    if i64::try_from(value).is_ok() {
        Ok(())
    } else {
        Err(Inadmissible::TooLarge { field, value })
    }
}

/// Checks a heartbeat's clock and its oldest unsynced record's wall clock.
pub fn check_heartbeat(heartbeat: &Heartbeat) -> Result<(), Inadmissible> {
    check_clock("clock", &heartbeat.clock)?;
    match heartbeat.oldest_unsynced_ms {
        Some(ms) => check_wall_clock("oldest_unsynced_ms", ms),
        None => Ok(()),
    }
}

fn check_wall_clock(field: &'static str, value: i64) -> Result<(), Inadmissible> {
    if (0..=LATEST_WALL_CLOCK_MS).contains(&value) {
        Ok(())
    } else {
        Err(Inadmissible::WallClock { field, value })
    }
}

/// `<reading>.wall_clock_ms` for the readings the wire format has.
fn wall_clock_field(reading: &'static str) -> &'static str {
    match reading {
        "recorded" => "recorded.wall_clock_ms",
        "sent" => "sent.wall_clock_ms",
        _ => "clock.wall_clock_ms",
    }
}

#[cfg(test)]
mod tests {
    use model::{InputKind, RecordId, Score, VisitId};

    use super::*;

    fn desk() -> DeskId {
        "plock-wso-03".parse().expect("desk")
    }

    fn record(question: Question, answer: impl Into<Answer>, reasons: &[&str]) -> RatingRecord {
        RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: 1,
            desk_id: desk(),
            question,
            answer: answer.into(),
            reasons: reasons
                .iter()
                .map(|r| r.parse().expect("reason code"))
                .collect(),
            language: LanguageTag::polish(),
            larger_text: false,
            input: InputKind::Touch,
            supersedes: None,
            recorded: RecordedTime {
                wall_clock_ms: 1_795_428_000_000,
                boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
                boottime_ns: 1,
                clock_synchronized: true,
            },
        }
    }

    /// What the desk offers: standards IV, III and V, in Polish and English.
    fn offered() -> Offered {
        Offered {
            standards: vec![StandardId::IV, StandardId::III, StandardId::V],
            languages: vec![LanguageTag::polish(), "en".parse().expect("tag")],
        }
    }

    #[test]
    fn records_the_kiosk_can_produce_are_admitted() {
        let iv = Question::Standard(StandardId::IV);
        for record in [
            record(Question::Overall, Score::VERY_BAD, &[]),
            record(iv, Score::BAD, &["iv-interrupted"]),
            record(iv, Score::VERY_GOOD, &[]),
            record(
                Question::Standard(StandardId::V),
                Answer::NotApplicable,
                &[],
            ),
        ] {
            assert_eq!(check_record(&record, &desk(), &offered()), Ok(()));
        }
    }

    #[test]
    fn records_outside_the_catalogue_or_the_survey_are_not() {
        let iv = Question::Standard(StandardId::IV);
        let cases = [
            (
                record(Question::Standard(StandardId::II), Score::GOOD, &[]),
                "never been in the survey",
            ),
            (
                record(Question::Standard(StandardId::X), Score::GOOD, &[]),
                "standard X",
            ),
            (record(iv, Score::BAD, &["iii-queue"]), "\"iii-queue\""),
            (record(iv, Score::BAD, &["made-up"]), "\"made-up\""),
            (
                record(iv, Score::BAD, &["iv-interrupted", "iv-interrupted"]),
                "twice",
            ),
            (
                record(iv, Score::GOOD, &["iv-interrupted"]),
                "score of 1 or 2",
            ),
            (
                record(Question::Overall, Score::BAD, &["iv-interrupted"]),
                "overall",
            ),
        ];
        for (record, expected) in cases {
            let err = check_record(&record, &desk(), &offered()).expect_err(expected);
            assert!(err.to_string().contains(expected), "{err}");
        }
        // Every standard clients are asked about offers "does not apply"; X is never asked,
        // even by a survey that somehow named it.
        let not_applicable_on_x = record(
            Question::Standard(StandardId::X),
            Answer::NotApplicable,
            &[],
        );
        let err = check_record(
            &not_applicable_on_x,
            &desk(),
            &Offered {
                standards: vec![StandardId::X],
                ..offered()
            },
        )
        .expect_err("X offers no answer");
        assert!(
            err.to_string()
                .contains("standard X does not offer \"does not apply\""),
            "{err}"
        );
        let mut french = record(Question::Overall, Score::GOOD, &[]);
        french.language = "fr".parse().expect("tag");
        assert!(check_record(&french, &desk(), &offered()).is_err());
        // Ukrainian is shipped, but this desk does not offer it.
        let mut ukrainian = record(Question::Overall, Score::GOOD, &[]);
        ukrainian.language = "uk".parse().expect("tag");
        assert_eq!(
            check_record(&ukrainian, &desk(), &offered())
                .expect_err("not offered")
                .to_string(),
            "language uk is not offered at desk plock-wso-03"
        );
    }

    #[test]
    fn a_sequence_or_boot_time_the_server_cannot_store_as_it_arrived_is_not_admitted() {
        let largest = u64::try_from(i64::MAX).expect("fits");
        let mut at_the_limit = record(Question::Overall, Score::GOOD, &[]);
        at_the_limit.sequence = largest;
        at_the_limit.recorded.boottime_ns = largest;
        assert_eq!(check_record(&at_the_limit, &desk(), &offered()), Ok(()));
        let sequence = RatingRecord {
            sequence: largest + 1,
            ..at_the_limit.clone()
        };
        let err = check_record(&sequence, &desk(), &offered()).expect_err("sequence");
        assert_eq!(
            err.to_string(),
            "sequence 9223372036854775808 is above 9223372036854775807, the largest the server \
             stores"
        );
        let mut boottime = at_the_limit;
        boottime.recorded.boottime_ns = u64::MAX;
        let err = check_record(&boottime, &desk(), &offered()).expect_err("boot time");
        assert!(
            err.to_string()
                .starts_with("recorded.boottime_ns 18446744073709551615 is above"),
            "{err}"
        );
    }

    #[test]
    fn clock_readings_need_a_bounded_boot_id_and_a_calendar_wall_clock() {
        let good = record(Question::Overall, Score::GOOD, &[]).recorded;
        assert_eq!(check_clock("sent", &good), Ok(()));
        for boot_id in [String::new(), "b".repeat(65), "a b".into(), "ü".into()] {
            let reading = RecordedTime {
                boot_id,
                ..good.clone()
            };
            assert_eq!(
                check_clock("sent", &reading),
                Err(Inadmissible::BootId { field: "sent" })
            );
        }
        for wall_clock_ms in [i64::MIN, -1, LATEST_WALL_CLOCK_MS + 1, i64::MAX] {
            let reading = RecordedTime {
                wall_clock_ms,
                ..good.clone()
            };
            let err = check_clock("sent", &reading).expect_err("absurd clock");
            assert!(err.to_string().contains("sent.wall_clock_ms"), "{err}");
        }
        let epoch = RecordedTime {
            wall_clock_ms: 0,
            ..good
        };
        assert_eq!(check_clock("clock", &epoch), Ok(()), "a Pi without RTC");
    }
}
