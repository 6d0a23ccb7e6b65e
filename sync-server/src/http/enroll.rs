//! `POST /api/v1/enroll`: a single-use code becomes a kiosk id and its bearer token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use model::wire::{ApiError, EnrollRequest, EnrollResponse};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, ClientIp, Error, check_version, now_ms, parse_json};
use crate::admission;
use crate::credentials;
use crate::storage::NewKiosk;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(enroll))
}

/// Enroll a kiosk
///
/// Exchanges a single-use enrollment code for the kiosk's id and bearer token, shown once. Every
/// attempt, failed codes included, counts against the client IP's enrollment rate limit.
#[utoipa::path(
    post,
    path = "/enroll",
    tag = "kiosk",
    request_body(
        content = EnrollRequest,
        content_type = "application/json",
        description = "JSON; may be gzip-compressed with `Content-Encoding: gzip`. At most 1 MiB after decompression."
    ),
    responses(
        (status = 200, description = "Enrolled: the kiosk's id, its token and its desk's survey", body = EnrollResponse),
        (status = 400, description = "Malformed JSON (`invalid_json`)", body = ApiError),
        (status = 401, description = "Unknown enrollment code (`invalid_code`)", body = ApiError),
        (status = 410, description = "The code was used already (`code_used`) or has expired (`code_expired`)", body = ApiError),
        (status = 413, description = "Body over 1 MiB after decompression (`body_too_large`)", body = ApiError),
        (status = 415, description = "A `Content-Encoding` other than gzip (`unsupported_media_type`)", body = ApiError),
        (status = 422, description = "Well-formed JSON that is not a valid request, or whose clock has a malformed boot id or a wall clock outside 1970–9999 (`invalid_body`)", body = ApiError),
        (status = 429, description = "Too many enrollment attempts from this address (`rate_limited`)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds until an attempt can succeed"))),
        (status = 500, description = "The server failed (`internal`); try again later", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn enroll(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrollResponse>, Error> {
    state
        .limiters
        .enroll
        .take(&ip)
        .map_err(Error::RateLimited)?;
    let request: EnrollRequest = parse_json(body)?;
    check_version(&request.kiosk_version)?;
    admission::check_clock("clock", &request.clock)
        .map_err(|e| Error::InvalidBody(e.to_string()))?;
    let token = credentials::new_token();
    let kiosk = NewKiosk {
        id: credentials::new_kiosk_id(),
        token_sha256: credentials::sha256(&token),
        version: request.kiosk_version,
        clock: request.clock,
    };
    let kiosk_id = kiosk.id.clone();
    let survey = state
        .storage
        .enroll(credentials::code_hash(&request.code), kiosk, now_ms())
        .await?
        .map_err(Error::EnrollmentCode)?;
    tracing::info!(kiosk = %kiosk_id, desk = %survey.desk_id, "kiosk enrolled");
    Ok(Json(EnrollResponse {
        kiosk_id,
        token,
        survey,
    }))
}
