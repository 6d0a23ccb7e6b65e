//! `GET /api/v1/openapi.json`: the API's OpenAPI 3.1 document, generated from the same route list
//! as the router (see [`super::api_router`]) and the wire types' schemas.

use std::sync::LazyLock;

use axum::Json;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, LicenseBuilder, OpenApiBuilder, Tag};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(openapi_json))
}

/// The document as served, built once.
static DOCUMENT: LazyLock<OpenApi> = LazyLock::new(document);

/// The complete document: every route of [`super::api_router`] with its schemas.
pub fn document() -> OpenApi {
    super::api_router().into_openapi()
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
                        crate::dashboard::session::SECURE_COOKIE,
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
async fn openapi_json() -> Json<&'static OpenApi> {
    Json(&DOCUMENT)
}
