//! The HTTP API under `/api/v1`: one module per resource, each with its `router()`, sharing
//! [`AppState`], the bearer-token extractor and the one [`Error`] type.

mod enroll;
pub mod error;
mod heartbeat;
mod records;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use model::wire::{ApiError, MAX_BODY_BYTES};
use serde::de::DeserializeOwned;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

pub use error::Error;

use crate::credentials;
use crate::storage::{Kiosk, Storage, TokenLookup};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
}

/// The whole API with its middleware: gzip request bodies are decompressed first, and the
/// decompressed body is limited to `MAX_BODY_BYTES`.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(enroll::router())
        .merge(records::router())
        .merge(heartbeat::router());
    Router::new()
        .nest("/api/v1", api)
        .fallback(|| async { Error::NotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestDecompressionLayer::new())
        .layer(axum::middleware::map_response(error_bodies_as_json))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Gives the error responses that middleware and routing produce themselves (415 for an
/// unsupported `Content-Encoding`, 405 for a wrong method) an `ApiError` body like all others.
async fn error_bodies_as_json(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let reason = status.canonical_reason().unwrap_or("error");
    let body = ApiError {
        error: reason.to_lowercase().replace([' ', '-'], "_"),
        message: format!("{} {reason}", status.as_u16()),
    };
    (status, Json(body)).into_response()
}

/// The kiosk a request's `Authorization: Bearer` token belongs to; its only source of identity.
pub struct Authenticated(pub Kiosk);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Error::Unauthorized("missing bearer token"))?;
        match state
            .storage
            .kiosk_by_token(credentials::sha256(token))
            .await?
        {
            TokenLookup::Valid(kiosk) => Ok(Authenticated(kiosk)),
            TokenLookup::Revoked => Err(Error::Unauthorized("this kiosk's token was revoked")),
            TokenLookup::Unknown => Err(Error::Unauthorized("unknown token")),
        }
    }
}

/// Reads a JSON body, telling a too-large body (413), malformed JSON (400) and well-formed JSON
/// that is not a valid value (422) apart, with serde's description of the problem.
fn parse_json<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, Error> {
    let body = body.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::BodyTooLarge
        } else {
            Error::InvalidJson(rejection.body_text())
        }
    })?;
    serde_json::from_slice(&body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => Error::InvalidBody(e.to_string()),
        _ => Error::InvalidJson(e.to_string()),
    })
}

/// The server's clock in milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Longest kiosk version string accepted.
const MAX_VERSION_CHARS: usize = 64;
/// Longest `last_error` kept from a heartbeat; longer texts are cut.
const MAX_LAST_ERROR_CHARS: usize = 1_000;

/// Refuses a kiosk version that is empty or absurdly long (it is shown in fleet lists).
fn check_version(version: &str) -> Result<(), Error> {
    if version.trim().is_empty() || version.chars().count() > MAX_VERSION_CHARS {
        return Err(Error::InvalidBody(format!(
            "kiosk_version must be 1-{MAX_VERSION_CHARS} characters"
        )));
    }
    Ok(())
}
