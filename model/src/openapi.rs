//! OpenAPI schemas (feature `openapi`) for the values whose JSON form is not their Rust shape:
//! the newtypes parsed from a string or a number. The structs and enums derive theirs.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::catalogue::StandardId;
use crate::ids::{DeskId, LanguageTag, RecordId, VisitId};
use crate::record::{Question, RatingRecord, ReasonCode, Score, WireRecord};

/// `a-z`, `0-9`, `-` and `_`, 1-64 characters: desk ids and reason codes.
const SLUG_PATTERN: &str = "^[a-z0-9_-]{1,64}$";

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

macro_rules! schema {
    ($name:ty => $schema:expr) => {
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }

        impl ToSchema for $name {}
    };
}

schema!(Score => ObjectBuilder::new()
    .schema_type(Type::Integer)
    .minimum(Some(1))
    .maximum(Some(4))
    .description(Some("1 very bad, 2 bad, 3 good, 4 very good")));

schema!(StandardId => string("One of the ordinance's standard areas, as a Roman numeral")
    .enum_values(Some(StandardId::ALL.map(|id| id.to_string()))));

schema!(Question => string("What an answer rates: \"overall\" or a standard area I-XIII")
.enum_values(Some(
    std::iter::once("overall".to_owned()).chain(StandardId::ALL.map(|id| id.to_string())),
)));

schema!(DeskId => string("A desk's stable identifier, e.g. plock-wso-03")
    .pattern(Some(SLUG_PATTERN))
    .examples(["plock-wso-03"]));

schema!(ReasonCode => string("A reason chosen after a low score, defined by the catalogue")
    .pattern(Some(SLUG_PATTERN))
    .examples(["iv-interrupted"]));

schema!(LanguageTag => string("A lowercase ISO 639-1 language code")
    .pattern(Some("^[a-z]{2}$"))
    .examples(["pl"]));

schema!(RecordId => string("One answer's id, unique forever across the fleet")
    .format(Some(SchemaFormat::Custom("uuid".to_owned()))));

schema!(VisitId => string("Groups the answers one client gave in one visit")
    .format(Some(SchemaFormat::Custom("uuid".to_owned()))));

/// A record's JSON form is [`WireRecord`]'s (a nullable `score` and `not_applicable`), not the
/// Rust struct's `answer` enum.
impl PartialSchema for RatingRecord {
    fn schema() -> RefOr<Schema> {
        WireRecord::schema()
    }
}

impl ToSchema for RatingRecord {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        WireRecord::schemas(schemas);
    }
}
