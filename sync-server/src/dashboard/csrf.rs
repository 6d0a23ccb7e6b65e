//! Every dashboard form posts through [`CsrfForm`]: the viewer must be signed in, the request
//! must come from this server's own pages (`Origin`/`Referer`), and the form's `csrf_token` must
//! equal the session's (compared in constant time). Otherwise: 403, and nothing is changed.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::refusal::PageError;
use super::session::secrets_equal;
use super::viewer::Viewer;
use crate::web::AppState;

/// The form's field carrying the CSRF token.
pub const FIELD: &str = "csrf_token";

/// A POSTed form whose CSRF token and origin checked out, with the viewer who sent it.
pub struct CsrfForm<T> {
    pub viewer: Viewer,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let refuse = || PageError::bad_form(viewer.lang).into_response();
        if !state.sessions.same_origin(&parts.headers) {
            return Err(refuse());
        }
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let fields: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| refuse())?;
        let sent = fields
            .iter()
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.as_str());
        if !sent.is_some_and(|sent| secrets_equal(sent, &viewer.csrf_token)) {
            return Err(refuse());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            tracing::info!(error = %e, "malformed dashboard form");
            PageError::Invalid { lang: viewer.lang }.into_response()
        })?;
        Ok(CsrfForm { viewer, form })
    }
}
