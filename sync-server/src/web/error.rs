//! The API's one error type: each variant maps to a status and a `wire::ApiError` body; internal
//! details are logged here, once, and never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use model::wire::{ApiError, MAX_BATCH_RECORDS, MAX_BODY_BYTES};

use crate::busy::Busy;
use crate::config::ENV_ADMIN_TOKEN;
use crate::rate_limit::RetryAfter;
use crate::storage::{CodeProblem, StorageError};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("admin API disabled")]
    AdminDisabled,
    #[error("rate limited for {0:?}")]
    RateLimited(RetryAfter),
    #[error("enrollment code refused: {0:?}")]
    EnrollmentCode(CodeProblem),
    #[error("malformed JSON: {0}")]
    InvalidJson(String),
    #[error("invalid request: {0}")]
    InvalidBody(String),
    #[error("request body too large")]
    BodyTooLarge,
    /// The body did not arrive within the body read timeout.
    #[error("request body not received within {0:?}")]
    BodyTimeout(std::time::Duration),
    /// A bounded resource had no room in time: 503 with `Retry-After`.
    #[error(transparent)]
    Busy(Busy),
    #[error("batch of {0} records is too large")]
    BatchTooLarge(usize),
    #[error("not found")]
    NotFound,
    /// A query parameter that was refused; the message names it.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// An office, department or desk that does not exist or that the viewer may not read (the
    /// two are not told apart).
    #[error("not visible")]
    NotVisible,
    #[error("storage failed")]
    Storage(#[from] StorageError),
}

impl From<crate::passwords::HashError> for Error {
    fn from(error: crate::passwords::HashError) -> Error {
        match error {
            crate::passwords::HashError::Busy(busy) => Error::Busy(busy),
            crate::passwords::HashError::TaskFailed(e) => Error::Storage(StorageError::from(e)),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        // A database that was busy is a 503 to retry, not a failure.
        let this = match self {
            Error::Storage(e) => match e.busy() {
                Some(busy) => Error::Busy(busy),
                None => Error::Storage(e),
            },
            other => other,
        };
        let (status, code, message) = match &this {
            Error::Unauthorized(why) => {
                (StatusCode::UNAUTHORIZED, "unauthorized", (*why).to_owned())
            }
            Error::Forbidden(why) => (StatusCode::FORBIDDEN, "forbidden", (*why).to_owned()),
            Error::AdminDisabled => (
                StatusCode::SERVICE_UNAVAILABLE,
                "admin_disabled",
                format!(
                    "the admin API is disabled: set {ENV_ADMIN_TOKEN} on the server to enable it"
                ),
            ),
            Error::RateLimited(wait) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; try again in {} s", wait.seconds()),
            ),
            Error::EnrollmentCode(CodeProblem::Unknown) => (
                StatusCode::UNAUTHORIZED,
                "invalid_code",
                "unknown enrollment code".to_owned(),
            ),
            Error::EnrollmentCode(CodeProblem::AlreadyUsed) => (
                StatusCode::GONE,
                "code_used",
                "this enrollment code has already been used; ask for a new one".to_owned(),
            ),
            Error::EnrollmentCode(CodeProblem::Expired) => (
                StatusCode::GONE,
                "code_expired",
                "this enrollment code has expired; ask for a new one".to_owned(),
            ),
            Error::InvalidJson(why) => (StatusCode::BAD_REQUEST, "invalid_json", why.clone()),
            Error::InvalidBody(why) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                why.clone(),
            ),
            Error::BodyTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("request bodies may be at most {MAX_BODY_BYTES} bytes after decompression"),
            ),
            Error::BodyTimeout(timeout) => (
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                format!(
                    "the request body did not arrive within {} s",
                    timeout.as_secs()
                ),
            ),
            Error::Busy(busy) => {
                tracing::warn!(what = busy.what, "request answered 503: busy");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!(
                        "the server is busy; try again in {} s",
                        busy.retry_after().seconds()
                    ),
                )
            }
            Error::BatchTooLarge(n) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                format!("a batch may carry at most {MAX_BATCH_RECORDS} records, this one has {n}"),
            ),
            Error::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such endpoint".to_owned(),
            ),
            Error::InvalidQuery(why) => (StatusCode::BAD_REQUEST, "invalid_query", why.clone()),
            Error::NotVisible => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such office, department or desk, or not one you may read".to_owned(),
            ),
            Error::Storage(e) => {
                tracing::error!(error = %e, source = ?std::error::Error::source(e), "storage failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; try again later".to_owned(),
                )
            }
        };
        if status.is_client_error() {
            tracing::info!(%status, error = code, %message, "request refused");
        }
        let body = ApiError {
            error: code.to_owned(),
            message,
        };
        let mut response = (status, Json(body)).into_response();
        let wait = match this {
            Error::RateLimited(wait) => Some(wait),
            Error::Busy(busy) => Some(busy.retry_after()),
            _ => None,
        };
        if let Some(wait) = wait {
            response
                .headers_mut()
                .insert(RETRY_AFTER, wait.seconds().into());
        }
        response
    }
}
