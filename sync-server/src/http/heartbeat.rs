//! `POST /api/v1/heartbeat`: a kiosk reports its health and gets its desk's current survey.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use model::wire::{ApiError, DeskSurvey, Heartbeat};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    AppState, Authenticated, Error, MAX_LAST_ERROR_CHARS, check_version, now_ms, parse_json,
};
use crate::admission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(heartbeat))
}

/// Report kiosk health
///
/// Records the kiosk's version, backlog, last error and clock, and answers with its desk's
/// current survey.
#[utoipa::path(
    post,
    path = "/heartbeat",
    tag = "kiosk",
    security(("kiosk_token" = [])),
    request_body(content = Heartbeat, content_type = "application/json", description = "JSON; may be gzip-compressed with `Content-Encoding: gzip`. At most 1 MiB after decompression."),
    responses(
        (status = 200, description = "The desk's current survey", body = DeskSurvey),
        (status = 400, description = "Malformed JSON (`invalid_json`)", body = ApiError),
        (status = 401, description = "Missing, unknown or revoked kiosk token (`unauthorized`)", body = ApiError),
        (status = 403, description = "The admin token used on a kiosk route (`forbidden`)", body = ApiError),
        (status = 413, description = "Body over 1 MiB after decompression (`body_too_large`)", body = ApiError),
        (status = 415, description = "A `Content-Encoding` other than gzip (`unsupported_media_type`)", body = ApiError),
        (status = 422, description = "Well-formed JSON that is not a valid heartbeat, or whose clock has a malformed boot id or a wall clock outside 1970–9999 (`invalid_body`)", body = ApiError),
        (status = 429, description = "This kiosk sends too often, or this address sent too many unknown tokens (`rate_limited`)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds until a request can succeed"))),
        (status = 500, description = "The server failed (`internal`); try again later", body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(kiosk = %kiosk.id))]
async fn heartbeat(
    State(state): State<AppState>,
    Authenticated(kiosk): Authenticated,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DeskSurvey>, Error> {
    let mut heartbeat: Heartbeat = parse_json(body)?;
    check_version(&heartbeat.kiosk_version)?;
    admission::check_heartbeat(&heartbeat).map_err(|e| Error::InvalidBody(e.to_string()))?;
    heartbeat.last_error = heartbeat
        .last_error
        .map(|e| e.chars().take(MAX_LAST_ERROR_CHARS).collect());
    Ok(Json(
        state.storage.heartbeat(kiosk, heartbeat, now_ms()).await?,
    ))
}
