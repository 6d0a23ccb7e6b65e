//! Ocena's shared domain: the standards catalogue, the rating record and the wire types. No IO.
//!
//! Everything here is plain data with parsing at the edges ("parse, don't validate"): a [`Score`],
//! [`StandardId`] or [`LanguageTag`] that exists is valid, so inner code never re-checks it.

#![forbid(unsafe_code)]

pub mod catalogue;
mod ids;
mod integer;
#[cfg(feature = "openapi")]
mod openapi;
mod record;
pub mod wire;

pub use catalogue::{Catalogue, Rateability, Reason, ReasonKind, Standard, StandardId};
pub use ids::{DeskId, LanguageTag, ParseError, RecordId, VisitId};
pub use record::{Answer, InputKind, Question, RatingRecord, ReasonCode, RecordedTime, Score};
