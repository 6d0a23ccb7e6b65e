//! The signed-in person a dashboard request comes from: the extractor every page, export and
//! dashboard API handler takes, so none can forget to check who is asking and what they may read.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{Lang, Role, Scope};
use crate::http::{AppState, Error};

/// Who is asking, what they may read, in which language, and the token their forms must carry.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
    pub lang: Lang,
    /// The session's CSRF token; every form posts it back as `csrf_token`.
    pub csrf_token: String,
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Error;

    /// Until dashboard sessions exist, the admin API token (`Authorization: Bearer`) stands for
    /// an admin reading every office.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        crate::http::Admin::from_request_parts(parts, state).await?;
        let lang = parts
            .uri
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")))
            .and_then(Lang::parse)
            .unwrap_or_default();
        Ok(Viewer {
            user_id: 0,
            username: "admin".into(),
            role: Role::Admin,
            scope: Scope::AllOffices,
            lang,
            csrf_token: String::new(),
        })
    }
}
