//! The signed-in person a dashboard request comes from: the extractor every page, export and
//! dashboard API handler takes, so none can forget to check who is asking and what they may read.
//! It reads the session cookie only: bearer tokens (a kiosk's or the admin API's) are refused on
//! dashboard routes.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, OriginalUri, Query};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::layout::{Chrome, Section};
use super::refusal::PageError;
use super::{Lang, Role, Scope};
use crate::credentials;
use crate::web::{AppState, Error};

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

/// Dashboard API calls live under this prefix; they get JSON errors rather than redirects.
const DASHBOARD_API_PREFIX: &str = "/api/";

/// The `lang` in a request's query, if it names one of the dashboard's languages.
pub fn query_lang(parts: &Parts) -> Option<Lang> {
    Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
        .ok()
        .and_then(|q| q.get("lang").and_then(|l| Lang::parse(l)))
}

impl Viewer {
    /// Refuses anyone but an admin.
    pub fn require_admin(&self) -> Result<(), PageError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(PageError::forbidden(self.lang))
        }
    }

    /// The page frame for this viewer on `section`; `path_and_query` is the page's own address,
    /// from which the language switch is made.
    pub fn chrome(&self, section: Option<Section>, path_and_query: &str) -> Chrome<'_> {
        Chrome {
            lang: self.lang,
            viewer: Some((&self.username, self.role)),
            current: section,
            csrf_token: Some(&self.csrf_token),
            other_language_href: with_lang(path_and_query, self.lang.other()),
        }
    }
}

/// `path_and_query` with its `lang` parameter set to `lang`.
pub fn with_lang(path_and_query: &str, lang: Lang) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    let lang = format!("lang={}", lang.code());
    params.push(&lang);
    format!("{path}?{}", params.join("&"))
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        // The address as the client sent it: routes nested under `/api/v1` see it shortened.
        let uri = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.clone(), |original| original.0.clone());
        let is_api = uri.path().starts_with(DASHBOARD_API_PREFIX);
        let asked_lang = query_lang(parts);
        let lang = asked_lang.unwrap_or_default();
        let refuse = |page: PageError, api: Error| {
            if is_api {
                api.into_response()
            } else {
                page.into_response()
            }
        };
        if parts.headers.contains_key(AUTHORIZATION) {
            return Err(refuse(
                PageError::Forbidden {
                    lang,
                    message: lang.pick(
                        "Pulpit wymaga zalogowania; tokeny kiosków i API nie dają do niego dostępu.",
                        "The dashboard needs a signed-in session; kiosk and API tokens do not open it.",
                    ),
                },
                Error::Forbidden(
                    "dashboard routes take a signed-in session, not kiosk or admin tokens",
                ),
            ));
        }
        let policy = state.sessions;
        let token = policy.session_token(&parts.headers);
        let sign_in = |clear: bool| {
            let next = uri
                .path_and_query()
                .map_or("/dashboard", |p| p.as_str())
                .to_owned();
            refuse(
                PageError::SignIn {
                    next,
                    clear_cookie: clear.then(|| policy.clear_session_cookie()),
                },
                Error::Unauthorized("sign in to the dashboard first"),
            )
        };
        let Some(token) = token else {
            return Err(sign_in(false));
        };
        let session_id = credentials::sha256(&token);
        let now_ms = chrono::Utc::now().timestamp_millis();
        let found = state
            .storage
            .session(session_id, now_ms, policy.idle_ms)
            .await
            .map_err(|e| {
                if is_api {
                    Error::Storage(e).into_response()
                } else {
                    PageError::Storage { lang, error: e }.into_response()
                }
            })?;
        let Some(session) = found else {
            return Err(sign_in(true));
        };
        let user = session.user;
        let scope = match (user.role, user.office_id, user.department_id) {
            (Role::OfficeViewer, Some(office), _) => Scope::Office(office),
            (Role::DepartmentViewer, Some(office), Some(department)) => {
                Scope::Department { office, department }
            }
            (Role::OfficeViewer | Role::DepartmentViewer, _, _) => {
                // The schema forbids it; refuse rather than widen the scope.
                return Err(refuse(
                    PageError::forbidden(lang),
                    Error::Forbidden("this account has no office or department"),
                ));
            }
            (Role::Admin | Role::Analyst, _, _) => Scope::AllOffices,
        };
        let lang = match asked_lang {
            Some(asked) if asked != session.lang => {
                if let Err(e) = state.storage.set_session_lang(session_id, asked).await {
                    tracing::warn!(error = %e, "cannot remember the session's language");
                }
                asked
            }
            Some(asked) => asked,
            None => session.lang,
        };
        Ok(Viewer {
            user_id: user.id,
            username: user.username,
            role: user.role,
            scope,
            lang,
            csrf_token: session.csrf_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_switch_keeps_the_other_parameters() {
        assert_eq!(
            with_lang("/dashboard/fleet", Lang::En),
            "/dashboard/fleet?lang=en"
        );
        assert_eq!(
            with_lang("/dashboard/fleet?office=plock&lang=en", Lang::Pl),
            "/dashboard/fleet?office=plock&lang=pl"
        );
    }
}
