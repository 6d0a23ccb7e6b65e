//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document, generated from the same route list
//! as the router (see [`super::api_router`]) and the wire types' schemas.

use std::sync::LazyLock;

use axum::Json;
use model::RecordedTime;
use model::wire::MAX_BATCH_RECORDS;
use serde_json::{Value, json};
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, LicenseBuilder, OpenApiBuilder, Tag};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::analytics::Level;
use crate::analytics::filter::{self, Preset, Step};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// The document as served, built once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(document);

/// The complete document: every route of [`super::api_router`] with its schemas, and the rules
/// the server enforces beyond the wire types' shapes ([`state_server_rules`]).
pub fn document() -> Value {
    let mut document = serde_json::to_value(super::api_router().into_openapi())
        .unwrap_or_else(|e| panic!("the OpenAPI document does not serialize: {e}"));
    state_server_rules(&mut document);
    document
}

/// Writes into the document what the server refuses beyond the shape of its types, taken from the
/// constants and parsers that refuse it: a request valid by the document is one the server
/// accepts (a record it cannot admit still gets a 200 with a `rejected` outcome), and a
/// schema-driven client or fuzzer knows it.
fn state_server_rules(document: &mut Value) {
    let languages = json!(i18n::LANGUAGES);
    let wall_clock = json!({ "minimum": 0, "maximum": RecordedTime::LATEST_WALL_CLOCK_MS });
    let unsigned = json!({ "minimum": 0, "maximum": u64::MAX });
    let version = json!({
        "minLength": 1,
        "maxLength": super::MAX_VERSION_CHARS,
        "pattern": "\\S",
        "description": "The kiosk software's version: not blank",
    });
    // `RatingRecord::check_answer`'s rule: a score (1-4) without the flag, or "does not apply":
    // the flag true, no score, no reasons, on a standard's question (never "overall").
    let one_answer = json!({
        "oneOf": [
            {
                "required": ["score"],
                "properties": {
                    "score": { "type": "integer" },
                    "not_applicable": { "const": false },
                },
            },
            {
                "required": ["not_applicable"],
                "properties": {
                    "score": { "type": "null" },
                    "not_applicable": { "const": true },
                    "reasons": { "maxItems": 0 },
                    "question": { "not": { "const": "overall" } },
                },
            },
        ],
    });
    let schemas: [(&str, Option<&str>, Value); 13] = [
        ("RatingRecord", None, one_answer),
        ("LanguageTag", None, json!({ "enum": languages })),
        (
            "RecordedTime",
            Some("boot_id"),
            json!({
                "minLength": 1,
                "maxLength": RecordedTime::MAX_BOOT_ID_CHARS,
                "pattern": format!("^[A-Za-z0-9_-]{{1,{}}}$", RecordedTime::MAX_BOOT_ID_CHARS),
            }),
        ),
        ("RecordedTime", Some("wall_clock_ms"), wall_clock.clone()),
        ("RecordedTime", Some("boottime_ns"), unsigned.clone()),
        ("Heartbeat", Some("kiosk_version"), version.clone()),
        ("Heartbeat", Some("oldest_unsynced_ms"), wall_clock),
        ("Heartbeat", Some("backlog"), unsigned.clone()),
        ("EnrollRequest", Some("kiosk_version"), version),
        (
            "RecordBatch",
            Some("records"),
            json!({ "maxItems": MAX_BATCH_RECORDS }),
        ),
        ("RatingRecord", Some("sequence"), unsigned),
        (
            "RatingRecord",
            Some("reasons"),
            json!({ "uniqueItems": true }),
        ),
        (
            "RecordOutcome",
            None,
            json!({ "description": "The fate of one record; `rejected` carries the reason as a \
                sentence naming the field and the rule (another desk, a standard the desk's survey \
                never offered, a reason not offered for that standard, a language without a \
                translation, a malformed boot id, a wall clock outside 1970-9999)" }),
        ),
    ];
    for (schema, property, rules) in schemas {
        let pointer = match property {
            Some(property) => format!("/components/schemas/{schema}/properties/{property}"),
            None => format!("/components/schemas/{schema}"),
        };
        merge(document, &pointer, rules);
    }

    // The query parameters, as the filter's parser and the handlers read them.
    let query_rules = |name: &str| -> Option<Value> {
        Some(match name {
            "period" => json!({ "enum": Preset::ALL.map(Preset::code) }),
            "from" | "to" => json!({ "format": "date", "pattern": filter::DATE_PATTERN }),
            "office" | "department" => json!({ "pattern": filter::id_pattern() }),
            "bursts" => json!({ "enum": ["include", "exclude"] }),
            "step" => json!({ "enum": Step::ALL.map(Step::code) }),
            "by" => json!({ "enum": Level::ALL.map(Level::code) }),
            _ => return None,
        })
    };
    let operations = document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let parameters = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query");
        for parameter in parameters {
            let rules = parameter["name"].as_str().and_then(query_rules);
            if let (Some(rules), Some(schema)) = (rules, parameter.get_mut("schema")) {
                extend(schema, rules);
            }
        }
    }
}

/// Adds `rules` to the object at `pointer`, which the generated document must have.
fn merge(document: &mut Value, pointer: &str, rules: Value) {
    let target = document
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the OpenAPI document has no {pointer}"));
    extend(target, rules);
}

fn extend(target: &mut Value, rules: Value) {
    if let (Some(target), Value::Object(rules)) = (target.as_object_mut(), rules) {
        target.extend(rules);
    }
}

/// Everything the routes do not describe themselves: title, tags, the two bearer schemes and the
/// dashboard's session cookie.
pub(super) fn base_document() -> OpenApi {
    let bearer = |description: &str| {
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description))
                .build(),
        )
    };
    let tag = |name: &str, description: &str| {
        let mut tag = Tag::new(name);
        tag.description = Some(description.to_owned());
        tag
    };
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Ocena aggregator API")
                .version(env!("CARGO_PKG_VERSION"))
                .license(Some(
                    LicenseBuilder::new()
                        .name("GPL-3.0-or-later")
                        .identifier(Some("GPL-3.0-or-later"))
                        .build(),
                ))
                .description(Some(
                    "What Ocena's kiosks and administrators say to the aggregator. Every error \
                     is an `ApiError` JSON body. Request bodies may be gzip-compressed \
                     (`Content-Encoding: gzip`) and may be at most 1 MiB after decompression. \
                     A 429 carries `Retry-After` in seconds.",
                ))
                .build(),
        )
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme(
                    "kiosk_token",
                    bearer("A kiosk's token from enrollment: 256 random bits, base64url"),
                )
                .security_scheme(
                    "admin_token",
                    bearer("The admin API token, set on the server in OCENA_ADMIN_TOKEN"),
                )
                .security_scheme(
                    "session_cookie",
                    SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                        crate::web::session::SECURE_COOKIE,
                        "A signed-in dashboard session (`ocena_session` on plain http to a \
                         loopback address)",
                    ))),
                )
                .build(),
        ))
        .tags(Some([
            tag("kiosk", "Enrollment, records and heartbeats from kiosks"),
            tag("admin", "Fleet administration, behind the admin token"),
            tag(
                "dashboard",
                "The dashboard's data, for signed-in users within their scope",
            ),
            tag(
                "stats",
                "Read-only dashboard aggregates for the signed-in viewer's offices; cells with \
                 fewer than 5 responses carry no score",
            ),
            tag("meta", "About the API itself"),
        ]))
        .build()
}

/// This document
///
/// The OpenAPI 3.1 document of this API, generated from the server's own routes.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", body = Object, content_type = "application/json"))
)]
async fn openapi_json() -> Json<&'static Value> {
    Json(&DOCUMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema of query parameter `name` of `GET path`.
    fn query_schema<'a>(document: &'a Value, path: &str, name: &str) -> &'a Value {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
            .map(|p| &p["schema"])
            .unwrap_or_else(|| panic!("{path} has no query parameter {name}"))
    }

    #[test]
    fn the_document_states_what_the_server_refuses() {
        let document = document();
        let schemas = &document["components"]["schemas"];
        assert_eq!(schemas["LanguageTag"]["enum"], json!(i18n::LANGUAGES));
        assert_eq!(
            schemas["RecordBatch"]["properties"]["records"]["maxItems"],
            json!(MAX_BATCH_RECORDS)
        );
        let clock = &schemas["RecordedTime"]["properties"];
        assert_eq!(
            clock["wall_clock_ms"]["maximum"],
            json!(RecordedTime::LATEST_WALL_CLOCK_MS)
        );
        assert_eq!(clock["boot_id"]["maxLength"], json!(64));
        assert_eq!(
            schemas["Heartbeat"]["properties"]["kiosk_version"]["maxLength"],
            json!(super::super::MAX_VERSION_CHARS)
        );
        let period = query_schema(&document, "/api/v1/stats/trend", "period");
        assert!(
            period["enum"]
                .as_array()
                .is_some_and(|codes| codes.contains(&json!("custom")))
        );
        let from = query_schema(&document, "/api/v1/stats/usage", "from");
        assert_eq!(from["pattern"], json!(filter::DATE_PATTERN));
        let by = query_schema(&document, "/api/v1/stats/breakdown", "by");
        assert_eq!(
            by["enum"],
            json!(["office", "department", "desk", "question"])
        );
    }

    #[test]
    fn the_filter_accepts_what_the_document_allows() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        for query in [
            "period=custom&from=2000-01-31&to=2002-12-28",
            "from=2100-11-30&to=2100-12-31&office=a0-b&department=z",
            "period=last-month&bursts=exclude&step=month&standard=XIII&language=de",
        ] {
            crate::analytics::Filter::parse(query, today, &[]).expect(query);
        }
    }
}
