//! The HTTP API under `/api/v1`: one module per resource, each with its `router()` carrying its
//! OpenAPI description, sharing [`AppState`], the bearer-token extractors and the one [`Error`]
//! type (both from [`crate::web`]). The dashboard's JSON routes are here too ([`stats`],
//! [`fleet`]); they take the dashboard's `Viewer`, and the dashboard never imports this module.

pub mod admin;
mod enroll;
pub mod fleet;
mod heartbeat;
pub mod openapi;
mod records;
pub mod stats;

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::extract::rejection::BytesRejection;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

use crate::credentials;
use crate::storage::{Kiosk, TokenLookup};
use crate::web::{AppState, ClientIp, Error, client_ip};

/// Every route under `/api/v1` with its OpenAPI description: the router and the document come
/// from this one list, so they cannot disagree.
pub fn api_router() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(enroll::router())
        .merge(records::router())
        .merge(heartbeat::router())
        .merge(admin::router())
        .merge(stats::router())
        .merge(fleet::router())
        .merge(openapi::router());
    OpenApiRouter::with_openapi(openapi::base_document()).nest("/api/v1", api)
}

/// The token of an `Authorization: Bearer` header.
pub(crate) fn bearer_token(parts: &Parts) -> Result<&str, Error> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Error::Unauthorized("missing bearer token"))
}

/// Counts a refused token against the client's address: 401 while its bucket lasts, then 429.
/// Only ever after the token was looked up, so a valid token is never refused because others
/// (behind the same proxy or NAT) guessed wrong.
fn refuse_token(state: &AppState, ip: IpAddr, why: &'static str) -> Error {
    match state.limiters.bad_token.take(&ip) {
        Ok(()) => Error::Unauthorized(why),
        Err(wait) => Error::RateLimited(wait),
    }
}

/// The kiosk a request's `Authorization: Bearer` token belongs to; its only source of identity.
/// Takes a token from the kiosk's rate limit; an unknown token counts against the client's IP.
pub struct Authenticated(pub Kiosk);

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let ip = client_ip(parts, state);
        let token = bearer_token(parts)?;
        let token_sha256 = credentials::sha256(token);
        match state.storage.kiosk_by_token(token_sha256).await? {
            TokenLookup::Valid(kiosk) => {
                state
                    .limiters
                    .kiosk
                    .take(&kiosk.id)
                    .map_err(Error::RateLimited)?;
                Ok(Authenticated(kiosk))
            }
            TokenLookup::Revoked => Err(Error::Unauthorized("this kiosk's token was revoked")),
            TokenLookup::Unknown if state.is_admin_token(&token_sha256) => Err(Error::Forbidden(
                "the admin token cannot be used on kiosk routes; a kiosk uses its own token",
            )),
            TokenLookup::Unknown => Err(refuse_token(state, ip, "unknown token")),
        }
    }
}

/// A request carrying the admin API token (`OCENA_ADMIN_TOKEN`). Kiosk tokens are refused with
/// 403; a wrong token counts against the client's IP like an unknown kiosk token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let ip = client_ip(parts, state);
        if state.admin_token_sha256.is_none() {
            return Err(Error::AdminDisabled);
        }
        let token = bearer_token(parts)?;
        let token_sha256 = credentials::sha256(token);
        if state.is_admin_token(&token_sha256) {
            return Ok(Admin);
        }
        match state.storage.kiosk_by_token(token_sha256).await? {
            TokenLookup::Valid(_) | TokenLookup::Revoked => Err(Error::Forbidden(
                "kiosk tokens cannot use admin routes; use the admin token",
            )),
            TokenLookup::Unknown => Err(refuse_token(state, ip, "wrong admin token")),
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
