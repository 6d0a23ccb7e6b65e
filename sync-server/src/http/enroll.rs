//! `POST /api/v1/enroll`: a single-use code becomes a kiosk id and its bearer token.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::routing::post;
use model::wire::{EnrollRequest, EnrollResponse};

use super::{AppState, Error, check_version, now_ms, parse_json};
use crate::credentials;
use crate::storage::NewKiosk;

pub fn router() -> Router<AppState> {
    Router::new().route("/enroll", post(enroll))
}

#[tracing::instrument(skip_all)]
async fn enroll(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrollResponse>, Error> {
    let request: EnrollRequest = parse_json(body)?;
    check_version(&request.kiosk_version)?;
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
