//! Dashboard sessions on the wire: the cookie (`__Host-ocena_session`, HttpOnly, SameSite=Strict,
//! Secure), its 256-bit token whose SHA-256 is the stored id, the timeouts, the login form's own
//! CSRF cookie, the same-origin check every POST passes, and `next` addresses kept local.

use axum::http::header::{COOKIE, HOST, ORIGIN, REFERER};
use axum::http::{HeaderMap, HeaderValue};

use crate::config::Settings;
use crate::credentials;

/// The session cookie's name when it is `Secure`: browsers then accept it only from https, for
/// the whole host (`Path=/`, no `Domain`).
pub const SECURE_COOKIE: &str = "__Host-ocena_session";
/// The session cookie's name on plain http to a loopback address (local development).
pub const LOOPBACK_COOKIE: &str = "ocena_session";
/// The sign-in form's CSRF cookie (the form has no session yet), in both variants.
const SECURE_LOGIN_COOKIE: &str = "__Host-ocena_login";
const LOOPBACK_LOGIN_COOKIE: &str = "ocena_login";
/// How long a sign-in form stays valid.
const LOGIN_FORM_MAX_AGE_S: u32 = 60 * 60;

/// How long sessions last and how their cookies are sent; from `[dashboard]` and `listen`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
    /// Cookies carry `Secure` and the `__Host-` prefix.
    pub secure: bool,
}

impl SessionPolicy {
    pub fn from_settings(settings: &Settings) -> SessionPolicy {
        SessionPolicy {
            idle_ms: i64::from(settings.dashboard.idle_timeout_s) * 1000,
            absolute_ms: i64::from(settings.dashboard.absolute_timeout_s) * 1000,
            secure: settings.secure_cookies(),
        }
    }

    pub fn cookie_name(self) -> &'static str {
        if self.secure {
            SECURE_COOKIE
        } else {
            LOOPBACK_COOKIE
        }
    }

    fn login_cookie_name(self) -> &'static str {
        if self.secure {
            SECURE_LOGIN_COOKIE
        } else {
            LOOPBACK_LOGIN_COOKIE
        }
    }

    fn cookie(self, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let text = format!(
            "{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}"
        );
        // Tokens are base64url and names are constants: always a valid header value.
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// `Set-Cookie` for a new session's token; the browser drops it at the absolute timeout.
    pub fn session_cookie(self, token: &str) -> HeaderValue {
        self.cookie(self.cookie_name(), token, self.absolute_ms / 1000)
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_session_cookie(self) -> HeaderValue {
        self.cookie(self.cookie_name(), "", 0)
    }

    /// `Set-Cookie` for the sign-in form's CSRF token.
    pub fn login_cookie(self, token: &str) -> HeaderValue {
        self.cookie(
            self.login_cookie_name(),
            token,
            i64::from(LOGIN_FORM_MAX_AGE_S),
        )
    }

    /// The session token the request carries, if any.
    pub fn session_token(self, headers: &HeaderMap) -> Option<String> {
        cookie(headers, self.cookie_name())
    }

    /// The sign-in form's CSRF token from its cookie, if any.
    pub fn login_token(self, headers: &HeaderMap) -> Option<String> {
        cookie(headers, self.login_cookie_name())
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// A new secret for a cookie or a form: 256 random bits, base64url.
pub fn new_secret() -> String {
    credentials::new_token()
}

/// Whether a secret sent back equals the expected one, in time that does not depend on where
/// they differ (both are hashed first, so their lengths do not matter either).
pub fn secrets_equal(sent: &str, expected: &str) -> bool {
    credentials::hashes_equal(&credentials::sha256(sent), &credentials::sha256(expected))
}

impl SessionPolicy {
    /// Whether a POST comes from a page of this server: its `Origin` (or, without one, its
    /// `Referer`) must name the host the request was sent to, over `https://` whenever cookies
    /// are `Secure` (behind the TLS proxy, or listening beyond loopback); `http://` passes only
    /// for local development on loopback. A request with neither header is refused.
    pub fn same_origin(self, headers: &HeaderMap) -> bool {
        let schemes: &[&str] = if self.secure {
            &["https://"]
        } else {
            &["http://", "https://"]
        };
        same_origin(headers, schemes)
    }
}

/// Whether the request's `Origin` (or `Referer`) is `host` over one of `schemes`.
fn same_origin(headers: &HeaderMap, schemes: &[&str]) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let matches = |origin: &str| {
        schemes.iter().any(|scheme| {
            origin.strip_prefix(scheme).is_some_and(|rest| {
                rest == host
                    || rest
                        .strip_prefix(host)
                        .is_some_and(|path| path.starts_with('/'))
            })
        })
    };
    match headers.get(ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => matches(origin),
        None => headers
            .get(REFERER)
            .and_then(|r| r.to_str().ok())
            .is_some_and(matches),
    }
}

/// `next` if it is a path on this server (so a sign-in link cannot send anyone elsewhere).
pub fn local_path(next: &str) -> Option<&str> {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 1024
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then_some(next)
}

/// `text` percent-encoded for a URL query value.
pub fn query_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn cookies_are_host_only_httponly_strict_and_secure_unless_on_loopback_http() {
        let secure = SessionPolicy {
            idle_ms: 1,
            absolute_ms: 8 * 3_600_000,
            secure: true,
        };
        assert_eq!(
            secure.session_cookie("t"),
            "__Host-ocena_session=t; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict; Secure"
        );
        let local = SessionPolicy {
            secure: false,
            ..secure
        };
        assert_eq!(
            local.clear_session_cookie(),
            "ocena_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
        let request = headers(&[("cookie", "a=1; ocena_session=tok; __Host-ocena_session=sec")]);
        assert_eq!(local.session_token(&request).as_deref(), Some("tok"));
        assert_eq!(secure.session_token(&request).as_deref(), Some("sec"));
        assert_eq!(local.login_token(&request), None);
    }

    #[test]
    fn only_posts_from_this_host_pass_the_origin_check() {
        let same_origin = |headers: &HeaderMap| same_origin(headers, &["http://", "https://"]);
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8080")
        ])));
        assert!(same_origin(&headers(&[
            host,
            ("referer", "http://127.0.0.1:8080/dashboard/fleet")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("origin", "http://127.0.0.1:8080.evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            host,
            ("referer", "http://127.0.0.1:80801/x")
        ])));
        assert!(!same_origin(&headers(&[host])), "neither header");
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
    }

    #[test]
    fn behind_tls_only_https_origins_pass() {
        let policy = |secure| SessionPolicy {
            idle_ms: 1,
            absolute_ms: 1,
            secure,
        };
        let host = ("host", "ocena.plock.eu");
        let http = headers(&[host, ("origin", "http://ocena.plock.eu")]);
        let https = headers(&[host, ("origin", "https://ocena.plock.eu")]);
        let http_referer = headers(&[host, ("referer", "http://ocena.plock.eu/dashboard")]);
        assert!(policy(true).same_origin(&https));
        assert!(!policy(true).same_origin(&http), "plain http behind TLS");
        assert!(!policy(true).same_origin(&http_referer));
        assert!(policy(false).same_origin(&http), "loopback development");
    }

    #[test]
    fn next_must_stay_on_this_server() {
        assert_eq!(
            local_path("/dashboard/fleet?office=plock"),
            Some("/dashboard/fleet?office=plock")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "dashboard",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
        assert_eq!(query_encode("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }

    #[test]
    fn secrets_compare_whatever_their_length() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("", "abc"));
    }
}
