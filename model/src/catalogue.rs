//! The standards catalogue: the 13 standard areas of Płock ordinance 4216/2018 as reviewable data.
//!
//! Client-facing texts here are English gettext msgids; every language (English included) gets its
//! wording from `i18n/translations/<lang>/LC_MESSAGES/ui.po` (Slint's bundled-translation layout, whose
//! gettext domain is the `ui` crate's name), looked up by the context strings
//! [`Standard::title_context`], [`Standard::question_context`] and [`Reason::context`], so a
//! translator works on one file.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::ParseError;
use crate::record::ReasonCode;

/// One of the ordinance's standard areas, I to XIII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum StandardId {
    I,
    II,
    III,
    IV,
    V,
    VI,
    VII,
    VIII,
    IX,
    X,
    XI,
    XII,
    XIII,
}

impl StandardId {
    /// All thirteen, in the ordinance's order.
    pub const ALL: [StandardId; 13] = [
        Self::I,
        Self::II,
        Self::III,
        Self::IV,
        Self::V,
        Self::VI,
        Self::VII,
        Self::VIII,
        Self::IX,
        Self::X,
        Self::XI,
        Self::XII,
        Self::XIII,
    ];

    /// The Roman numeral, as the ordinance writes it.
    pub fn roman(self) -> &'static str {
        match self {
            Self::I => "I",
            Self::II => "II",
            Self::III => "III",
            Self::IV => "IV",
            Self::V => "V",
            Self::VI => "VI",
            Self::VII => "VII",
            Self::VIII => "VIII",
            Self::IX => "IX",
            Self::X => "X",
            Self::XI => "XI",
            Self::XII => "XII",
            Self::XIII => "XIII",
        }
    }
}

impl FromStr for StandardId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|id| id.roman() == s)
            .ok_or_else(|| ParseError::UnknownStandard(s.to_owned()))
    }
}

impl TryFrom<String> for StandardId {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, ParseError> {
        s.parse()
    }
}

impl From<StandardId> for String {
    fn from(id: StandardId) -> String {
        id.roman().to_owned()
    }
}

impl fmt::Display for StandardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.roman())
    }
}

/// Who may be asked to rate a standard at the kiosk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rateability {
    /// Any client at a desk that has the standard configured.
    Clients,
    /// Only clients who chose a language other than Polish (IX, foreigners).
    ForeignLanguageClients,
    /// Only at desks that serve the office's own staff (XI, the internal client).
    InternalServiceDesks,
    /// Never asked of clients (X, the aggressive client: about staff safety, not service quality).
    Never,
}

/// Which list of the ordinance a reason is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKind {
    /// A "Pamiętaj" (Remember) item that was not kept.
    RememberNotKept,
    /// An "Unikaj" (Avoid) item that happened.
    AvoidHappened,
}

/// A reason a client can give after a low score, drawn from the standard's own items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason {
    /// Stable code stored in records, e.g. `iv-interrupted`.
    pub code: &'static str,
    pub kind: ReasonKind,
    /// English msgid of the client-facing text, e.g. "I was interrupted".
    pub text: &'static str,
}

impl Reason {
    /// The gettext msgctxt of this reason's text.
    pub fn context(&self) -> String {
        format!("reason {}", self.code)
    }

    /// The code as a record field.
    pub fn reason_code(&self) -> ReasonCode {
        ReasonCode::try_from(self.code.to_owned())
            .unwrap_or_else(|e| panic!("catalogue holds an invalid reason code: {e}"))
    }
}

/// One standard area of the ordinance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standard {
    pub id: StandardId,
    /// The ordinance's own Polish title, e.g. "obsługa Klienta w kontakcie bezpośrednim".
    pub title_pl: &'static str,
    /// English msgid of a short title for reports and staff screens, e.g. "Direct service".
    pub short_title: &'static str,
    pub rateability: Rateability,
    /// English msgid of the client-facing question, written from the standard's items; empty for
    /// standards clients are never asked about.
    pub question: &'static str,
    /// Reasons offered after a low score; empty for standards clients never rate.
    pub reasons: &'static [Reason],
}

impl Standard {
    /// The gettext msgctxt of this standard's question.
    pub fn question_context(&self) -> String {
        format!("question {}", self.id)
    }

    /// The gettext msgctxt of this standard's short title.
    pub fn title_context(&self) -> String {
        format!("title {}", self.id)
    }

    /// Whether a client may answer this standard's question "does not apply": on every question
    /// clients are asked (a client who did not phone, or whose visit had nothing to do with a
    /// standard, says so rather than skipping or rating what did not happen). The kiosk offers it
    /// beside the faces exactly where this holds, and the aggregator admits it only there.
    pub fn may_not_apply(&self) -> bool {
        self.rateability != Rateability::Never
    }

    /// Finds one of this standard's reasons by code.
    pub fn reason(&self, code: &str) -> Option<&'static Reason> {
        self.reasons.iter().find(|r| r.code == code)
    }
}

/// The whole catalogue. Cheap to copy: it only points at static data.
#[derive(Debug, Clone, Copy)]
pub struct Catalogue {
    standards: &'static [Standard; 13],
}

impl Catalogue {
    /// The catalogue of ordinance 4216/2018.
    pub fn ordinance_4216_2018() -> Self {
        Self {
            standards: &STANDARDS,
        }
    }

    pub fn standards(&self) -> &'static [Standard] {
        self.standards
    }

    pub fn standard(&self, id: StandardId) -> &'static Standard {
        &self.standards[id as usize]
    }
}

mod data;
use data::STANDARDS;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_standard_sits_at_its_own_index() {
        let catalogue = Catalogue::ordinance_4216_2018();
        for id in StandardId::ALL {
            assert_eq!(catalogue.standard(id).id, id);
        }
    }

    #[test]
    fn roman_numerals_round_trip() {
        for id in StandardId::ALL {
            assert_eq!(id.roman().parse::<StandardId>(), Ok(id));
        }
        assert!("iv".parse::<StandardId>().is_err());
    }

    #[test]
    fn reason_codes_are_valid_unique_and_prefixed_by_their_standard() {
        let mut seen = HashSet::new();
        for standard in Catalogue::ordinance_4216_2018().standards() {
            let prefix = format!("{}-", standard.id.roman().to_lowercase());
            for reason in standard.reasons {
                assert!(
                    reason.code.starts_with(&prefix),
                    "{} lacks {prefix}",
                    reason.code
                );
                assert!(seen.insert(reason.code), "{} appears twice", reason.code);
                let _ = reason.reason_code();
            }
        }
    }

    #[test]
    fn rateable_standards_offer_reasons_and_a_question() {
        for standard in Catalogue::ordinance_4216_2018().standards() {
            if standard.rateability != Rateability::Never {
                assert!(
                    standard.reasons.len() >= 3,
                    "{} has too few reasons",
                    standard.id
                );
                assert!(standard.question.ends_with('?'), "{} question", standard.id);
            }
        }
    }

    #[test]
    fn does_not_apply_is_offered_on_every_question_and_contacts_are_worded_conditionally() {
        let offering: Vec<StandardId> = Catalogue::ordinance_4216_2018()
            .standards()
            .iter()
            .filter(|s| s.may_not_apply())
            .map(|s| s.id)
            .collect();
        let asked: Vec<StandardId> = Catalogue::ordinance_4216_2018()
            .standards()
            .iter()
            .filter(|s| !s.question.is_empty())
            .map(|s| s.id)
            .collect();
        assert_eq!(offering, asked);
        assert!(!offering.contains(&StandardId::X), "X is never asked");
        // The questions that assume a contact (the phone, e-mail, a refusal, business, a tax
        // or property matter) are worded "If …", as VII already was.
        use StandardId::{V, VI, VII, XII, XIII};
        for id in [V, VI, VII, XII, XIII] {
            let question = Catalogue::ordinance_4216_2018().standard(id).question;
            assert!(question.starts_with("If "), "standard {id}: {question}");
        }
    }

    #[test]
    fn standards_never_asked_have_no_question_and_no_reasons() {
        for standard in Catalogue::ordinance_4216_2018().standards() {
            if standard.rateability == Rateability::Never {
                assert!(
                    standard.question.is_empty(),
                    "{} has a question",
                    standard.id
                );
                assert!(standard.reasons.is_empty(), "{} has reasons", standard.id);
            }
        }
    }

    #[test]
    fn every_text_is_written_and_reasons_fit_a_chip() {
        for standard in Catalogue::ordinance_4216_2018().standards() {
            assert!(!standard.title_pl.is_empty() && !standard.short_title.is_empty());
            // Chips are paged, but a client should not have to read more than two pages.
            assert!(
                standard.reasons.len() <= 12,
                "{} has too many reasons",
                standard.id
            );
            for reason in standard.reasons {
                let len = reason.text.chars().count();
                assert!((1..=40).contains(&len), "{}: {len} characters", reason.code);
            }
            assert!(
                standard.question.chars().count() <= 90,
                "{} question is long",
                standard.id
            );
        }
    }

    #[test]
    fn aggressive_client_is_never_asked_and_foreigners_only_in_other_languages() {
        let catalogue = Catalogue::ordinance_4216_2018();
        assert_eq!(
            catalogue.standard(StandardId::X).rateability,
            Rateability::Never
        );
        assert_eq!(
            catalogue.standard(StandardId::IX).rateability,
            Rateability::ForeignLanguageClients
        );
        assert_eq!(
            catalogue.standard(StandardId::XI).rateability,
            Rateability::InternalServiceDesks
        );
    }
}
