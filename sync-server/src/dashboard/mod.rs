//! The Organizational Department's dashboard: server-rendered HTML pages (maud), one stylesheet,
//! no scripts from elsewhere. Every page is built from [`layout::page`] in the viewer's [`Lang`],
//! and reads only what the viewer's [`Scope`] allows.

pub mod alerts;
pub mod csrf;
pub mod fleet;
pub mod help;
pub mod layout;
pub mod login;
pub mod offices;
pub mod pages;
pub mod refusal;
pub mod report_mail;
pub mod users;
pub mod viewer;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub use crate::access::{Role, Scope};
pub use crate::lang::Lang;
pub use crate::presentation::{charts, labels};
pub use crate::web::session;
pub use viewer::Viewer;

use crate::web::AppState;

/// The dashboard's stylesheet, served by the server itself (no CDN: offices may be offline).
const STYLESHEET: &str = include_str!("dashboard.css");

/// Where the stylesheet is served; pages link to it.
pub const STYLESHEET_PATH: &str = "/static/dashboard.css";

/// Scripts and styles only from this server, none inline; no framing; forms post only here.
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The largest form body the dashboard reads, after decompression: its forms carry a few short
/// fields, so a larger body (a gzip bomb in the sign-in form) ends at 413 before it is kept.
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// The dashboard's pages under `/dashboard` and assets under `/static`; every response carries
/// the security headers. Its JSON routes are with the API's in `crate::http` (stats and the
/// fleet list), described in the OpenAPI document; `crate::startup` merges the two routers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route(STYLESHEET_PATH, get(stylesheet))
        .route("/dashboard", get(pages::overview::page))
        .route("/dashboard/standards", get(pages::standards::page))
        .route("/dashboard/patterns", get(pages::patterns::page))
        .route("/dashboard/export.csv", get(pages::export::csv))
        .route("/dashboard/export-days.csv", get(pages::export::days_csv))
        .route("/dashboard/reports", get(pages::reports::index))
        .route(
            "/dashboard/reports/{office}/{month}",
            get(pages::reports::report),
        )
        .route(
            "/dashboard/reports/{office}/{department}/{month}",
            get(pages::department_report::report),
        )
        .route("/dashboard/login", get(login::show).post(login::submit))
        .route("/dashboard/logout", post(login::logout))
        .route("/dashboard/fleet", get(fleet::show))
        .route("/dashboard/fleet/enrollment-code", post(fleet::issue_code))
        .route("/dashboard/fleet/revoke", post(fleet::revoke))
        .route("/dashboard/users", get(users::show).post(users::add))
        .route("/dashboard/help", get(help::show))
        .route("/dashboard/alerts", get(alerts::show))
        .route("/dashboard/alerts/rules", post(alerts::add_rule))
        .route("/dashboard/alerts/rules/toggle", post(alerts::toggle_rule))
        .route(
            "/dashboard/alerts/department-reports/resend",
            post(report_mail::resend),
        )
        .route("/dashboard/users/disable", post(users::disable))
        .route("/dashboard/users/password", post(users::set_password))
        .route("/dashboard/offices", get(offices::show).post(offices::add))
        .route("/dashboard/offices/rename", post(offices::rename))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::map_response(security_headers))
}

/// The headers every dashboard response carries; pages and data are never cached (they are
/// per-user), the stylesheet keeps its own caching.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}
