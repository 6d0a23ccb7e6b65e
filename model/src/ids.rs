//! Identifier newtypes parsed at the edge: desks, records, visits and language tags.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a value from outside (config, network, database) is not a valid domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("score {0} is outside 1-4")]
    ScoreOutOfRange(i64),
    #[error("unknown standard {0:?}: expected \"overall\" or a Roman numeral I-XIII")]
    UnknownStandard(String),
    #[error("invalid desk id {0:?}: use 1-64 characters from a-z, 0-9, '-' and '_'")]
    InvalidDeskId(String),
    #[error("invalid language tag {0:?}: use a lowercase ISO 639-1 code such as \"pl\"")]
    InvalidLanguage(String),
    #[error("invalid reason code {0:?}: use 1-64 characters from a-z, 0-9, '-' and '_'")]
    InvalidReasonCode(String),
    #[error("unknown input kind {0:?}: expected \"touch\" or \"button\"")]
    UnknownInputKind(String),
    #[error("invalid id {0:?}: expected a UUID")]
    InvalidId(String),
    #[error("a record has both a score and \"not_applicable\": true; it is one or the other")]
    ScoreAndNotApplicable,
    #[error("a record has neither a score nor \"not_applicable\": true")]
    NoAnswer,
    #[error("the overall question cannot be answered \"not applicable\"; only a standard's can")]
    OverallNotApplicable,
    #[error("a \"not applicable\" answer takes no reasons")]
    ReasonsWithNotApplicable,
}

/// True for 1..=64 characters of `a-z`, `0-9`, `-`, `_`: the shape of desk ids and reason codes.
pub(crate) fn is_slug(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A desk's stable identifier, e.g. `plock-wso-03`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeskId(String);

impl DeskId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DeskId {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        if is_slug(&s) {
            Ok(Self(s))
        } else {
            Err(ParseError::InvalidDeskId(s))
        }
    }
}

impl FromStr for DeskId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::try_from(s.to_owned())
    }
}

impl From<DeskId> for String {
    fn from(id: DeskId) -> String {
        id.0
    }
}

impl fmt::Display for DeskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A language a client can choose, as a lowercase ISO 639-1 code (`pl`, `en`, `uk`, `de`).
///
/// Open on purpose: adding a language is one .po file plus one config entry, not a code change.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LanguageTag(String);

impl LanguageTag {
    /// Polish, the office's own language and the kiosk's usual default.
    pub fn polish() -> Self {
        Self("pl".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_polish(&self) -> bool {
        self.0 == "pl"
    }
}

impl TryFrom<String> for LanguageTag {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()) {
            Ok(Self(s))
        } else {
            Err(ParseError::InvalidLanguage(s))
        }
    }
}

impl FromStr for LanguageTag {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::try_from(s.to_owned())
    }
}

impl From<LanguageTag> for String {
    fn from(tag: LanguageTag) -> String {
        tag.0
    }
}

impl fmt::Display for LanguageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new random (version 4) id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                Uuid::parse_str(s).map(Self).map_err(|_| ParseError::InvalidId(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// One answer's id: made when the answer is stored, unique forever across the fleet.
    RecordId
);
uuid_id!(
    /// Groups the answers one client gave in one visit to the kiosk.
    VisitId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desk_ids_are_slugs() {
        assert!("plock-wso-03".parse::<DeskId>().is_ok());
        assert!("".parse::<DeskId>().is_err());
        assert!("Desk 3".parse::<DeskId>().is_err());
        assert!("x".repeat(65).parse::<DeskId>().is_err());
    }

    #[test]
    fn language_tags_are_two_lowercase_letters() {
        assert!("uk".parse::<LanguageTag>().is_ok());
        assert_eq!(
            "PL".parse::<LanguageTag>(),
            Err(ParseError::InvalidLanguage("PL".into()))
        );
        assert!("pol".parse::<LanguageTag>().is_err());
    }

    #[test]
    fn record_ids_round_trip_through_text() {
        let id = RecordId::new_random();
        assert_eq!(id.to_string().parse::<RecordId>(), Ok(id));
        assert!("not-a-uuid".parse::<RecordId>().is_err());
    }
}
