//! `POST /api/v1/heartbeat`: a kiosk reports its health and gets its desk's current survey.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::routing::post;
use model::wire::{DeskSurvey, Heartbeat};

use super::{
    AppState, Authenticated, Error, MAX_LAST_ERROR_CHARS, check_version, now_ms, parse_json,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/heartbeat", post(heartbeat))
}

#[tracing::instrument(skip_all, fields(kiosk = %kiosk.id))]
async fn heartbeat(
    State(state): State<AppState>,
    Authenticated(kiosk): Authenticated,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<DeskSurvey>, Error> {
    let mut heartbeat: Heartbeat = parse_json(body)?;
    check_version(&heartbeat.kiosk_version)?;
    heartbeat.last_error = heartbeat
        .last_error
        .map(|e| e.chars().take(MAX_LAST_ERROR_CHARS).collect());
    Ok(Json(
        state.storage.heartbeat(kiosk, heartbeat, now_ms()).await?,
    ))
}
