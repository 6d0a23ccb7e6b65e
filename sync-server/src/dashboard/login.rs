//! Signing in and out: `GET /dashboard/login` (the form, with its own CSRF cookie since there is
//! no session yet), `POST /dashboard/login` and `POST /dashboard/logout` (deletes the session).
//!
//! A sign-in is limited per address and per (username, address), and slowed down, never refused,
//! after many failures for one name from anywhere: guessing from one place is stopped without
//! locking the account for its owner elsewhere (OWASP Authentication Cheat Sheet). A name or
//! password longer than any account's is refused before it is kept or logged anywhere. A wrong
//! password and an unknown user get the same answer after the same Argon2id work; a new session
//! id at every sign-in.

use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Lang;
use super::csrf::{CsrfForm, FIELD};
use super::layout::{Chrome, page};
use super::refusal::PageError;
use super::session::{local_path, new_secret, secrets_equal};
use crate::config::MAX_SIGN_IN_SLOW_DOWN;
use crate::credentials;
use crate::dashboard::users::MAX_USERNAME_CHARS;
use crate::passwords;
use crate::storage::NewSession;
use crate::web::{AppState, ClientIp};

/// Where a successful sign-in goes without a `next`.
const HOME: &str = "/dashboard";

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    csrf_token: String,
}

/// What the form says above its fields.
enum Notice {
    None,
    WrongCredentials,
    BadForm,
}

fn login_page(lang: Lang, token: &str, next: &str, notice: &Notice, username: &str) -> Markup {
    let mut switch = format!("/dashboard/login?lang={}", lang.other().code());
    if next != HOME {
        switch.push_str("&next=");
        switch.push_str(&super::session::query_encode(next));
    }
    let chrome = Chrome {
        lang,
        viewer: None,
        current: None,
        csrf_token: None,
        other_language_href: switch,
    };
    let body = html! {
        @match notice {
            Notice::None => {}
            Notice::WrongCredentials => p.error role="alert" #login-error {
                (lang.pick("Nieprawidłowa nazwa użytkownika lub hasło.", "Wrong username or password."))
            },
            Notice::BadForm => p.error role="alert" #login-error {
                (lang.pick("Formularz wygasł. Zaloguj się ponownie.", "The form expired. Please sign in again."))
            },
        }
        form.login method="post" action="/dashboard/login" {
            input type="hidden" name=(FIELD) value=(token);
            input type="hidden" name="next" value=(next);
            input type="hidden" name="lang" value=(lang.code());
            p {
                label for="username" { (lang.pick("Nazwa użytkownika", "Username")) }
                input #username type="text" name="username" value=(username) autocomplete="username"
                    required autocapitalize="none" spellcheck="false" maxlength=(MAX_USERNAME_CHARS);
            }
            p {
                label for="password" { (lang.pick("Hasło", "Password")) }
                input #password type="password" name="password" autocomplete="current-password"
                    required maxlength=(passwords::MAX_PASSWORD_CHARS);
            }
            p { button type="submit" { (lang.pick("Zaloguj", "Sign in")) } }
        }
    };
    page(&chrome, lang.pick("Logowanie", "Sign in"), &body)
}

/// A fresh sign-in form with its CSRF cookie.
fn form_response(
    state: &AppState,
    status: StatusCode,
    lang: Lang,
    next: &str,
    notice: &Notice,
    username: &str,
) -> Response {
    let token = new_secret();
    let mut response = (status, login_page(lang, &token, next, notice, username)).into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, state.sessions.login_cookie(&token));
    response
}

fn lang_of(text: Option<&str>) -> Lang {
    text.and_then(Lang::parse).unwrap_or_default()
}

pub async fn show(State(state): State<AppState>, Query(query): Query<LoginQuery>) -> Response {
    let next = query.next.as_deref().and_then(local_path).unwrap_or(HOME);
    let lang = lang_of(query.lang.as_deref());
    form_response(&state, StatusCode::OK, lang, next, &Notice::None, "")
}

#[tracing::instrument(skip_all, fields(client = %ip))]
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Result<Response, PageError> {
    let lang = lang_of(Some(&form.lang));
    let next = local_path(&form.next).unwrap_or(HOME).to_owned();
    let form_ok = state.sessions.same_origin(&headers)
        && state
            .sessions
            .login_token(&headers)
            .is_some_and(|expected| secrets_equal(&form.csrf_token, &expected));
    if !form_ok {
        return Ok(form_response(
            &state,
            StatusCode::FORBIDDEN,
            lang,
            &next,
            &Notice::BadForm,
            "",
        ));
    }
    let refused = |username: &str| {
        form_response(
            &state,
            StatusCode::UNAUTHORIZED,
            lang,
            &next,
            &Notice::WrongCredentials,
            username,
        )
    };
    let limited = |wait| PageError::RateLimited { lang, wait };
    state.limiters.login_ip.take(&ip).map_err(limited)?;
    let typed = form.username.trim();
    if typed.len() > MAX_USERNAME_CHARS
        || form.password.chars().count() > passwords::MAX_PASSWORD_CHARS
    {
        tracing::info!(
            username_bytes = typed.len(),
            "dashboard sign-in refused: the name or password is longer than any account's"
        );
        return Ok(refused(""));
    }
    let username = typed.to_lowercase();
    state
        .limiters
        .login_user
        .take(&(username.clone(), ip))
        .map_err(limited)?;
    if let Err(wait) = state.limiters.login_slow_down.check(&username) {
        let delay = wait.0.min(MAX_SIGN_IN_SLOW_DOWN);
        tracing::info!(
            ?delay,
            "dashboard sign-in slowed down: many failures for this name"
        );
        tokio::time::sleep(delay).await;
    }
    let found = state.storage.user_credentials(username.clone()).await?;
    let stored_hash = found.as_ref().map(|c| c.password_hash.clone());
    // An unknown user is checked against a dummy hash, so both failures take the same time.
    let matches = state
        .password_slots
        .verify(form.password, stored_hash)
        .await?;
    let known = found.as_ref().map(|c| c.user.username.clone());
    let user = found
        .map(|c| c.user)
        .filter(|user| matches && user.disabled_at_ms.is_none());
    let Some(user) = user else {
        // Counts against the name from every address: enough failures slow the next attempts.
        let _ = state.limiters.login_slow_down.take(&username);
        match known {
            Some(user) => tracing::info!(user = %user, "dashboard sign-in refused"),
            // What was typed may be a password in the wrong field: only a short hash is logged.
            None => tracing::info!(
                username_sha256 = %short_hash(&username),
                "dashboard sign-in refused: no such user"
            ),
        }
        return Ok(refused(&username));
    };
    let token = new_secret();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let policy = state.sessions;
    state
        .storage
        .create_session(NewSession {
            id_sha256: credentials::sha256(&token),
            user_id: user.id,
            csrf_token: new_secret(),
            lang,
            now_ms,
            expires_at_ms: now_ms + policy.absolute_ms,
            replaces: policy
                .session_token(&headers)
                .map(|old| credentials::sha256(&old)),
        })
        .await?;
    tracing::info!(
        user = user.username,
        role = user.role.as_str(),
        "dashboard sign-in"
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&next) {
        headers.insert(LOCATION, location);
    }
    headers.append(SET_COOKIE, policy.session_cookie(&token));
    Ok(response)
}

/// The first 48 bits of a name's SHA-256 in hex: enough to tell repeated attempts apart in the
/// log, not to read what was typed.
fn short_hash(text: &str) -> String {
    credentials::sha256(text)[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The sign-out form carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct LogoutForm {}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { viewer, form: _ }: CsrfForm<LogoutForm>,
) -> Result<Response, PageError> {
    // The viewer was found by this very cookie, so it is there.
    if let Some(token) = state.sessions.session_token(&headers) {
        state
            .storage
            .delete_session(credentials::sha256(&token))
            .await?;
    }
    tracing::info!(user = viewer.username, "dashboard sign-out");
    let mut response = StatusCode::SEE_OTHER.into_response();
    let location = format!("/dashboard/login?lang={}", viewer.lang.code());
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
        .headers_mut()
        .insert(SET_COOKIE, state.sessions.clear_session_cookie());
    Ok(response)
}
