//! The rating record: one client's answer to one question, as stored on the kiosk and sent to the
//! aggregator. Its serde form is the wire format, so changing it is a compatibility decision.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::catalogue::StandardId;
use crate::ids::{DeskId, LanguageTag, ParseError, RecordId, VisitId, is_slug};

/// A rating on the four-face scale: 1 very bad, 2 bad, 3 good, 4 very good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "u8")]
pub struct Score(u8);

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Score, D::Error> {
        Score::try_from(crate::integer::signed(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl Score {
    pub const VERY_BAD: Score = Score(1);
    pub const BAD: Score = Score(2);
    pub const GOOD: Score = Score(3);
    pub const VERY_GOOD: Score = Score(4);
    /// All four scores, worst first: the order of the faces on screen.
    pub const ALL: [Score; 4] = [Self::VERY_BAD, Self::BAD, Self::GOOD, Self::VERY_GOOD];

    pub fn value(self) -> u8 {
        self.0
    }

    /// Scores 1-2: the client is offered reasons drawn from the standard's own items.
    pub fn is_low(self) -> bool {
        self.0 <= 2
    }
}

impl TryFrom<i64> for Score {
    type Error = ParseError;
    fn try_from(value: i64) -> Result<Self, ParseError> {
        match value {
            1..=4 => Ok(Score(value as u8)),
            _ => Err(ParseError::ScoreOutOfRange(value)),
        }
    }
}

impl From<Score> for u8 {
    fn from(score: Score) -> u8 {
        score.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What an answer rates: the visit as a whole, or one standard area of the ordinance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Question {
    Overall,
    Standard(StandardId),
}

impl FromStr for Question {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        if s == "overall" {
            Ok(Question::Overall)
        } else {
            s.parse().map(Question::Standard)
        }
    }
}

impl TryFrom<String> for Question {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        s.parse()
    }
}

impl From<Question> for String {
    fn from(q: Question) -> String {
        q.to_string()
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Question::Overall => f.write_str("overall"),
            Question::Standard(id) => id.fmt(f),
        }
    }
}

/// A reason a client chose after a low score, e.g. `iv-interrupted`; defined by the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReasonCode(String);

impl ReasonCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReasonCode {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        if is_slug(&s) {
            Ok(Self(s))
        } else {
            Err(ParseError::InvalidReasonCode(s))
        }
    }
}

impl FromStr for ReasonCode {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::try_from(s.to_owned())
    }
}

impl From<ReasonCode> for String {
    fn from(code: ReasonCode) -> String {
        code.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the client gave the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Touch,
    Button,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Touch => "touch",
            InputKind::Button => "button",
        }
    }
}

impl FromStr for InputKind {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s {
            "touch" => Ok(InputKind::Touch),
            "button" => Ok(InputKind::Button),
            _ => Err(ParseError::UnknownInputKind(s.to_owned())),
        }
    }
}

/// When an answer was given, as the kiosk saw it.
///
/// A Raspberry Pi has no real-time clock: after an unplug its wall clock may read 1970 or the last
/// saved time until NTP answers. So besides the wall clock the kiosk records the boot it happened
/// in and the time since that boot (CLOCK_BOOTTIME, which also counts suspend); the aggregator
/// places the event in UTC from these.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordedTime {
    /// The kiosk's wall clock in milliseconds since the Unix epoch, UTC; trustworthy only when
    /// `clock_synchronized` is true.
    #[serde(deserialize_with = "crate::integer::signed")]
    pub wall_clock_ms: i64,
    /// The Linux boot id (`/proc/sys/kernel/random/boot_id`) of the boot the answer was given in.
    pub boot_id: String,
    /// CLOCK_BOOTTIME in nanoseconds: time since that boot, including suspend.
    #[serde(deserialize_with = "crate::integer::unsigned")]
    pub boottime_ns: u64,
    /// Whether the system clock was NTP-synchronised when the answer was given.
    pub clock_synchronized: bool,
}

impl RecordedTime {
    /// Longest boot id the aggregator accepts, of `A-Z`, `a-z`, `0-9`, `-` and `_`. Linux's
    /// (`/proc/sys/kernel/random/boot_id`) is a 36-character UUID.
    pub const MAX_BOOT_ID_CHARS: usize = 64;
    /// The latest wall clock the aggregator accepts: 9999-12-31T23:59:59.999Z, the last instant
    /// with a four-digit year. The earliest is 0 (1970-01-01), where a Raspberry Pi without a
    /// real-time clock starts.
    pub const LATEST_WALL_CLOCK_MS: i64 = 253_402_300_799_999;
}

/// What a client answered to one question: a score, or that the question does not apply to their
/// visit (they did not phone, had no tax matter…). "Does not apply" is its own answer, not a
/// missing one (that is a skip, which records nothing) and not a score: it never counts in CSAT,
/// means or the distribution, and it takes no reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    Score(Score),
    NotApplicable,
}

impl Answer {
    /// The score, if this answer is one.
    pub fn score(self) -> Option<Score> {
        match self {
            Answer::Score(score) => Some(score),
            Answer::NotApplicable => None,
        }
    }

    pub fn is_not_applicable(self) -> bool {
        self == Answer::NotApplicable
    }
}

impl From<Score> for Answer {
    fn from(score: Score) -> Answer {
        Answer::Score(score)
    }
}

/// One answer as stored on the kiosk and sent to the aggregator; never edited once stored.
///
/// A client who corrects an answer ("change my answer", or adding reasons) produces a new record
/// that names the one it `supersedes`: the first may already have been synced.
///
/// On the wire a score is `"score": 1…4`, exactly as before "does not apply" existed, and "does
/// not apply" is `"score": null, "not_applicable": true` (see [`WireRecord`]). A record is
/// parsed whole: "does not apply" only to a standard's question and never with reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WireRecord", into = "WireRecord")]
pub struct RatingRecord {
    pub id: RecordId,
    pub visit_id: VisitId,
    /// Kiosk-local sequence number, strictly increasing in the order answers were stored.
    pub sequence: u64,
    pub desk_id: DeskId,
    pub question: Question,
    pub answer: Answer,
    pub reasons: Vec<ReasonCode>,
    pub language: LanguageTag,
    pub larger_text: bool,
    pub input: InputKind,
    pub supersedes: Option<RecordId>,
    pub recorded: RecordedTime,
}

impl RatingRecord {
    /// Checks the rules that tie the answer to the question and the reasons: the one place they
    /// live (the wire, the kiosk's store and the aggregator's answers table all go through it).
    pub fn check_answer(
        question: Question,
        answer: Answer,
        reasons: &[ReasonCode],
    ) -> Result<(), ParseError> {
        match answer {
            Answer::Score(_) => Ok(()),
            Answer::NotApplicable if question == Question::Overall => {
                Err(ParseError::OverallNotApplicable)
            }
            Answer::NotApplicable if !reasons.is_empty() => {
                Err(ParseError::ReasonsWithNotApplicable)
            }
            Answer::NotApplicable => Ok(()),
        }
    }
}

/// A [`RatingRecord`]'s JSON form. Old kiosks send `score` alone; `not_applicable` is left out
/// when false, so a scored record reads exactly as it always did.
#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = RatingRecord))]
pub(crate) struct WireRecord {
    id: RecordId,
    visit_id: VisitId,
    /// Kiosk-local sequence number, strictly increasing in the order answers were stored.
    #[serde(deserialize_with = "crate::integer::unsigned")]
    sequence: u64,
    desk_id: DeskId,
    question: Question,
    /// 1 very bad … 4 very good; null (or absent) when the answer is "does not apply".
    #[serde(default)]
    score: Option<Score>,
    /// True when the client chose "does not apply" (a standard's question only, no reasons, no
    /// score); absent or false for a score.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    not_applicable: bool,
    reasons: Vec<ReasonCode>,
    language: LanguageTag,
    larger_text: bool,
    input: InputKind,
    supersedes: Option<RecordId>,
    recorded: RecordedTime,
}

impl TryFrom<WireRecord> for RatingRecord {
    type Error = ParseError;
    fn try_from(wire: WireRecord) -> Result<Self, ParseError> {
        let answer = match (wire.score, wire.not_applicable) {
            (Some(score), false) => Answer::Score(score),
            (None, true) => Answer::NotApplicable,
            (Some(_), true) => return Err(ParseError::ScoreAndNotApplicable),
            (None, false) => return Err(ParseError::NoAnswer),
        };
        RatingRecord::check_answer(wire.question, answer, &wire.reasons)?;
        Ok(RatingRecord {
            id: wire.id,
            visit_id: wire.visit_id,
            sequence: wire.sequence,
            desk_id: wire.desk_id,
            question: wire.question,
            answer,
            reasons: wire.reasons,
            language: wire.language,
            larger_text: wire.larger_text,
            input: wire.input,
            supersedes: wire.supersedes,
            recorded: wire.recorded,
        })
    }
}

impl From<RatingRecord> for WireRecord {
    fn from(record: RatingRecord) -> WireRecord {
        WireRecord {
            id: record.id,
            visit_id: record.visit_id,
            sequence: record.sequence,
            desk_id: record.desk_id,
            question: record.question,
            score: record.answer.score(),
            not_applicable: record.answer.is_not_applicable(),
            reasons: record.reasons,
            language: record.language,
            larger_text: record.larger_text,
            input: record.input,
            supersedes: record.supersedes,
            recorded: record.recorded,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_outside_one_to_four_are_refused() {
        assert_eq!(Score::try_from(0), Err(ParseError::ScoreOutOfRange(0)));
        assert_eq!(Score::try_from(5), Err(ParseError::ScoreOutOfRange(5)));
        assert_eq!(Score::try_from(4).map(Score::value), Ok(4));
        assert!(Score::BAD.is_low() && !Score::GOOD.is_low());
    }

    #[test]
    fn questions_read_and_write_as_text() {
        assert_eq!("overall".parse::<Question>(), Ok(Question::Overall));
        assert_eq!(
            "IV".parse::<Question>(),
            Ok(Question::Standard(StandardId::IV))
        );
        assert_eq!(Question::Standard(StandardId::XIII).to_string(), "XIII");
        assert!("XIV".parse::<Question>().is_err());
    }

    #[test]
    fn a_record_survives_its_wire_form() {
        let record = RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: 7,
            desk_id: "plock-wso-03".parse().expect("valid desk"),
            question: Question::Standard(StandardId::IV),
            answer: Answer::Score(Score::BAD),
            reasons: vec!["iv-interrupted".parse().expect("valid code")],
            language: "uk".parse().expect("valid language"),
            larger_text: true,
            input: InputKind::Touch,
            supersedes: None,
            recorded: RecordedTime {
                wall_clock_ms: 1_763_900_000_000,
                boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
                boottime_ns: 12_345_678_900,
                clock_synchronized: false,
            },
        };
        let json = serde_json::to_string(&record).expect("serializes");
        assert!(json.contains(r#""question":"IV""#) && json.contains(r#""score":2"#));
        assert!(
            !json.contains("not_applicable"),
            "a score reads as before: {json}"
        );
        let back: RatingRecord = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, record);
        let bad = json.replace(r#""score":2"#, r#""score":9"#);
        assert!(serde_json::from_str::<RatingRecord>(&bad).is_err());
        // JSON Schema's integers: 2.0 is the score 2, 2.5 is no score.
        let integral = json.replace(r#""score":2"#, r#""score":2.0"#);
        assert_eq!(
            serde_json::from_str::<RatingRecord>(&integral).expect("2.0 is 2"),
            record
        );
        let fraction = json.replace(r#""score":2"#, r#""score":2.5"#);
        assert!(serde_json::from_str::<RatingRecord>(&fraction).is_err());
    }

    fn standard_record(answer: Answer) -> RatingRecord {
        RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: 8,
            desk_id: "plock-wso-03".parse().expect("valid desk"),
            question: Question::Standard(StandardId::V),
            answer,
            reasons: Vec::new(),
            language: "pl".parse().expect("valid language"),
            larger_text: false,
            input: InputKind::Button,
            supersedes: None,
            recorded: RecordedTime {
                wall_clock_ms: 1_763_900_000_000,
                boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
                boottime_ns: 1,
                clock_synchronized: true,
            },
        }
    }

    #[test]
    fn not_applicable_survives_its_wire_form_as_null_score_and_a_flag() {
        let record = standard_record(Answer::NotApplicable);
        let json = serde_json::to_string(&record).expect("serializes");
        assert!(
            json.contains(r#""score":null"#) && json.contains(r#""not_applicable":true"#),
            "{json}"
        );
        let back: RatingRecord = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, record);
        // `score` may also be left out altogether.
        let without_score = json.replace(r#""score":null,"#, "");
        let back: RatingRecord = serde_json::from_str(&without_score).expect("deserializes");
        assert_eq!(back.answer, Answer::NotApplicable);
    }

    #[test]
    fn an_old_kiosks_record_still_means_the_same() {
        // The shape every kiosk sent before "does not apply": a score and no flag.
        let old = r#"{"id":"7d0f6a51-3c3e-4b8e-9a57-2f9a1d1e0b11",
            "visit_id":"0c4c7b8e-25a1-4c4f-8a53-0b7b8c2d9e10","sequence":1,
            "desk_id":"plock-wso-03","question":"IV","score":3,"reasons":[],"language":"pl",
            "larger_text":false,"input":"touch","supersedes":null,
            "recorded":{"wall_clock_ms":1763900000000,"boot_id":"b","boottime_ns":5,
            "clock_synchronized":true}}"#;
        let record: RatingRecord = serde_json::from_str(old).expect("an old record parses");
        assert_eq!(record.answer, Answer::Score(Score::GOOD));
        let with_false = old.replace(r#""score":3,"#, r#""score":3,"not_applicable":false,"#);
        let record: RatingRecord = serde_json::from_str(&with_false).expect("parses");
        assert_eq!(record.answer, Answer::Score(Score::GOOD));
    }

    #[test]
    fn contradictory_or_missing_answers_are_refused_naming_the_problem() {
        let json =
            serde_json::to_string(&standard_record(Answer::Score(Score::BAD))).expect("serializes");
        let both = json.replace(r#""score":2"#, r#""score":2,"not_applicable":true"#);
        let neither = json.replace(r#""score":2"#, r#""score":null"#);
        let overall = serde_json::to_string(&standard_record(Answer::NotApplicable))
            .expect("serializes")
            .replace(r#""question":"V""#, r#""question":"overall""#);
        let with_reasons = serde_json::to_string(&standard_record(Answer::NotApplicable))
            .expect("serializes")
            .replace(r#""reasons":[]"#, r#""reasons":["v-no-answer"]"#);
        for (json, problem) in [
            (both, "both a score and"),
            (neither, "neither a score nor"),
            (overall, "overall question cannot"),
            (with_reasons, "takes no reasons"),
        ] {
            let error = serde_json::from_str::<RatingRecord>(&json)
                .expect_err("refused")
                .to_string();
            assert!(error.contains(problem), "{problem:?} not in {error:?}");
        }
    }
}
