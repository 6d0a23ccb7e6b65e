//! The HTTP API under `/api/v1`: one module per resource, each with its `router()` carrying its
//! OpenAPI description, sharing [`AppState`], the bearer-token extractors and the one [`Error`] type.

pub mod admin;
mod enroll;
pub mod error;
mod heartbeat;
pub mod openapi;
mod records;
pub mod stats;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use model::wire::{ApiError, MAX_BODY_BYTES};
use serde::de::DeserializeOwned;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;

pub use error::Error;

use crate::config::{Limits, RateLimits};
use crate::credentials;
use crate::passwords::PasswordSlots;
use crate::proxies::TrustedProxies;
use crate::rate_limit::{RateLimiter, client_key};
use crate::storage::{Kiosk, Storage, TokenLookup};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub storage: Storage,
    pub limiters: Arc<Limiters>,
    /// SHA-256 of the admin API token; `None` disables the admin routes.
    pub admin_token_sha256: Option<[u8; 32]>,
    /// The dashboard's session timeouts and cookie.
    pub sessions: crate::dashboard::session::SessionPolicy,
    /// Whose forwarding headers name the client; see [`ClientIp`].
    pub proxies: Arc<TrustedProxies>,
    /// Argon2id runs only in one of these.
    pub password_slots: PasswordSlots,
    /// Timeouts and caps.
    pub limits: Limits,
}

/// The server's rate limiters, one per policy of [`RateLimits`], each within
/// [`RateLimits::max_bytes_per_limiter`].
pub struct Limiters {
    /// Enrollment attempts per client IP.
    pub enroll: RateLimiter<IpAddr>,
    /// Authenticated kiosk requests per kiosk id.
    pub kiosk: RateLimiter<String>,
    /// Refused bearer tokens per client IP.
    pub bad_token: RateLimiter<IpAddr>,
    /// Dashboard sign-in attempts per client IP.
    pub login_ip: RateLimiter<IpAddr>,
    /// Dashboard sign-in attempts per (username, client IP).
    pub login_user: RateLimiter<(String, IpAddr)>,
    /// Failed sign-ins per username from every address: past them, attempts are slowed down.
    pub login_slow_down: RateLimiter<String>,
}

impl Limiters {
    pub fn new(limits: RateLimits) -> Limiters {
        let bytes = limits.max_bytes_per_limiter;
        Limiters {
            enroll: RateLimiter::new(limits.enroll, bytes),
            kiosk: RateLimiter::new(limits.kiosk, bytes),
            bad_token: RateLimiter::new(limits.bad_token, bytes),
            login_ip: RateLimiter::new(limits.login_ip, bytes),
            login_user: RateLimiter::new(limits.login_user, bytes),
            login_slow_down: RateLimiter::new(limits.login_slow_down, bytes),
        }
    }
}

impl AppState {
    fn is_admin_token(&self, token_sha256: &[u8; 32]) -> bool {
        self.admin_token_sha256
            .is_some_and(|admin| credentials::hashes_equal(&admin, token_sha256))
    }
}

/// Every route under `/api/v1` with its OpenAPI description: the router and the document come
/// from this one list, so they cannot disagree.
pub fn api_router() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(enroll::router())
        .merge(records::router())
        .merge(heartbeat::router())
        .merge(admin::router())
        .merge(stats::router())
        .merge(crate::dashboard::fleet::api_router())
        .merge(openapi::router());
    OpenApiRouter::with_openapi(openapi::base_document()).nest("/api/v1", api)
}

/// The whole API with its middleware: gzip request bodies are decompressed, and a request that
/// reached a route has its body, at most `MAX_BODY_BYTES` after decompression (the dashboard's
/// forms less, see [`crate::dashboard::MAX_FORM_BYTES`]), read whole within the body timeout. A
/// request for no route is answered 404 without reading its body.
pub fn app(state: AppState) -> Router {
    let (api, _) = api_router().split_for_parts();
    api.merge(crate::dashboard::router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            read_body_in_time,
        ))
        .fallback(|| async { Error::NotFound })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestDecompressionLayer::new())
        .layer(axum::middleware::map_response(error_bodies_as_json))
        .layer(axum::middleware::map_response(never_cached_never_sniffed))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Reads the request's body (decompressed, at most `MAX_BODY_BYTES`) within the body timeout,
/// before its handler runs: a client trickling its body ends with 408 rather than holding a
/// handler, a database connection or a password-hashing slot while it dawdles.
async fn read_body_in_time(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let timeout = state.limits.body_read_timeout;
    let read = tokio::time::timeout(timeout, Limited::new(body, MAX_BODY_BYTES).collect()).await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Error::BodyTooLarge.into_response();
        }
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "request body not read");
            return Error::InvalidJson(format!("the request body could not be read: {e}"))
                .into_response();
        }
        Err(_) => return Error::BodyTimeout(timeout).into_response(),
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Gives the error responses that middleware and routing produce themselves (415 for an
/// unsupported `Content-Encoding`, 405 for a wrong method) an `ApiError` body like all others;
/// the dashboard's HTML error pages keep theirs.
async fn error_bodies_as_json(response: Response) -> Response {
    let status = response.status();
    let has_own_body = response.headers().get(CONTENT_TYPE).is_some_and(|v| {
        let v = v.as_bytes();
        v.starts_with(b"application/json") || v.starts_with(b"text/html")
    });
    if !(status.is_client_error() || status.is_server_error()) || has_own_body {
        return response;
    }
    let reason = status.canonical_reason().unwrap_or("error");
    let body = ApiError {
        error: reason.to_lowercase().replace([' ', '-'], "_"),
        message: format!("{} {reason}", status.as_u16()),
    };
    (status, Json(body)).into_response()
}

/// Every response (API JSON, dashboard pages and data, errors) is per-client and typed: not kept
/// by browsers or proxies (`Cache-Control: no-store`, unless a route chose its own caching, as
/// the stylesheet does) and never content-sniffed (`X-Content-Type-Options: nosniff`).
async fn never_cached_never_sniffed(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The client's address, the key of every per-address rate limit (IPv6 by its /64): the peer's,
/// or the client a trusted proxy forwards (see [`TrustedProxies::client_address`]).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}

/// The one place the client's address is decided. The peer comes from `ConnectInfo` (set by
/// the server for each connection); a router served without it puts every client in one bucket.
fn client_ip(parts: &Parts, state: &AppState) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    client_key(state.proxies.client_address(peer, &parts.headers))
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
