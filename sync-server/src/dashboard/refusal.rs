//! Why a dashboard request is refused, as the person sees it: a redirect to sign in, or a page in
//! the dashboard's frame saying what happened (403, 404, 429, 500, 503). Dashboard API calls get the
//! API's JSON errors instead (see [`super::viewer`]).

use axum::http::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::Lang;
use super::layout::{Chrome, page};
use super::session::query_encode;
use crate::busy::Busy;
use crate::rate_limit::RetryAfter;
use crate::storage::StorageError;

/// A refused dashboard page request.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): sign in, then come back to `next`. `clear_cookie`
    /// removes a cookie that named no live session.
    SignIn {
        next: String,
        clear_cookie: Option<HeaderValue>,
    },
    /// Signed in but not allowed, or a form without a valid CSRF token: nothing was changed.
    Forbidden {
        lang: Lang,
        message: &'static str,
    },
    NotFound {
        lang: Lang,
    },
    /// A form with missing or malformed fields.
    Invalid {
        lang: Lang,
    },
    RateLimited {
        lang: Lang,
        wait: RetryAfter,
    },
    Storage {
        lang: Lang,
        error: StorageError,
    },
    /// A bounded resource had no room in time: 503 with `Retry-After`.
    Busy {
        lang: Lang,
        busy: Busy,
    },
}

impl PageError {
    pub fn forbidden(lang: Lang) -> PageError {
        PageError::Forbidden {
            lang,
            message: lang.pick(
                "Nie masz uprawnień do tej strony.",
                "You are not allowed to open this page.",
            ),
        }
    }

    /// A form whose CSRF token or origin did not check out.
    pub fn bad_form(lang: Lang) -> PageError {
        PageError::Forbidden {
            lang,
            message: lang.pick(
                "Formularz wygasł albo nie pochodzi z tej strony. Niczego nie zmieniono — otwórz stronę ponownie i spróbuj jeszcze raz.",
                "The form has expired or did not come from this site. Nothing was changed — open the page again and retry.",
            ),
        }
    }
}

impl From<StorageError> for PageError {
    fn from(error: StorageError) -> PageError {
        PageError::Storage {
            lang: Lang::default(),
            error,
        }
    }
}

impl From<crate::passwords::HashError> for PageError {
    fn from(error: crate::passwords::HashError) -> PageError {
        match error {
            crate::passwords::HashError::Busy(busy) => PageError::Busy {
                lang: Lang::default(),
                busy,
            },
            crate::passwords::HashError::TaskFailed(e) => PageError::from(StorageError::from(e)),
        }
    }
}

/// A page saying to come back in `wait`, with status `status` and `Retry-After`.
fn come_back_later(
    status: StatusCode,
    lang: Lang,
    title: &str,
    message: &str,
    wait: RetryAfter,
) -> Response {
    let mut response = (status, message_page(lang, title, message)).into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, wait.seconds().into());
    response
}

/// A page with only a message, in the frame without a menu.
fn message_page(lang: Lang, title: &str, message: &str) -> maud::Markup {
    let chrome = Chrome {
        lang,
        viewer: None,
        current: None,
        csrf_token: None,
        other_language_href: format!("/dashboard?lang={}", lang.other().code()),
    };
    page(
        &chrome,
        title,
        &html! {
            p role="alert" { (message) }
            p { a href="/dashboard" { (lang.pick("Wróć do pulpitu", "Back to the dashboard")) } }
        },
    )
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next, clear_cookie } => {
                let location = format!("/dashboard/login?next={}", query_encode(&next));
                let mut response = StatusCode::SEE_OTHER.into_response();
                if let Ok(location) = HeaderValue::from_str(&location) {
                    response.headers_mut().insert(LOCATION, location);
                }
                if let Some(cookie) = clear_cookie {
                    response.headers_mut().insert(SET_COOKIE, cookie);
                }
                response
            }
            PageError::Forbidden { lang, message } => {
                tracing::info!(message, "dashboard request refused");
                (
                    StatusCode::FORBIDDEN,
                    message_page(lang, lang.pick("Odmowa dostępu", "Access denied"), message),
                )
                    .into_response()
            }
            PageError::NotFound { lang } => (
                StatusCode::NOT_FOUND,
                message_page(
                    lang,
                    lang.pick("Nie znaleziono", "Not found"),
                    lang.pick(
                        "Nie ma takiej strony ani pozycji.",
                        "There is no such page or item.",
                    ),
                ),
            )
                .into_response(),
            PageError::Invalid { lang } => (
                StatusCode::BAD_REQUEST,
                message_page(
                    lang,
                    lang.pick("Niepełny formularz", "Incomplete form"),
                    lang.pick(
                        "Formularz jest niepełny albo ma błędne pola. Niczego nie zmieniono.",
                        "The form is incomplete or has invalid fields. Nothing was changed.",
                    ),
                ),
            )
                .into_response(),
            PageError::RateLimited { lang, wait } => {
                let message = match lang {
                    Lang::Pl => format!(
                        "Zbyt wiele prób logowania. Spróbuj ponownie za {} s.",
                        wait.seconds()
                    ),
                    Lang::En => format!(
                        "Too many sign-in attempts. Try again in {} s.",
                        wait.seconds()
                    ),
                };
                come_back_later(
                    StatusCode::TOO_MANY_REQUESTS,
                    lang,
                    lang.pick("Zbyt wiele prób", "Too many attempts"),
                    &message,
                    wait,
                )
            }
            PageError::Busy { lang, busy } => {
                tracing::warn!(what = busy.what, "dashboard request answered 503: busy");
                let wait = busy.retry_after();
                let message = match lang {
                    Lang::Pl => format!(
                        "Serwer jest teraz zajęty. Spróbuj ponownie za {} s.",
                        wait.seconds()
                    ),
                    Lang::En => format!("The server is busy. Try again in {} s.", wait.seconds()),
                };
                come_back_later(
                    StatusCode::SERVICE_UNAVAILABLE,
                    lang,
                    lang.pick("Serwer zajęty", "Server busy"),
                    &message,
                    wait,
                )
            }
            PageError::Storage { lang, error } => {
                if let Some(busy) = error.busy() {
                    return PageError::Busy { lang, busy }.into_response();
                }
                tracing::error!(error = %error, source = ?std::error::Error::source(&error), "dashboard storage failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    message_page(
                        lang,
                        lang.pick("Błąd serwera", "Server error"),
                        lang.pick(
                            "Serwer nie mógł wykonać żądania. Spróbuj ponownie później.",
                            "The server could not complete the request. Try again later.",
                        ),
                    ),
                )
                    .into_response()
            }
        }
    }
}
