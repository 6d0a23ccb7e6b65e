//! The Organizational Department's dashboard: server-rendered HTML pages (maud), one stylesheet,
//! no scripts from elsewhere. Every page is built from [`layout::page`] in the viewer's [`Lang`],
//! and reads only what the viewer's [`Scope`] allows.

pub mod access;
pub mod charts;
pub mod labels;
pub mod lang;
pub mod layout;
pub mod pages;
pub mod viewer;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;

pub use access::{Role, Scope};
pub use lang::Lang;
pub use viewer::Viewer;

use crate::http::AppState;

/// The dashboard's stylesheet, served by the server itself (no CDN: offices may be offline).
const STYLESHEET: &str = include_str!("dashboard.css");

/// Where the stylesheet is served; pages link to it.
pub const STYLESHEET_PATH: &str = "/static/dashboard.css";

/// The dashboard's routes: pages under `/dashboard`, assets under `/static`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route(STYLESHEET_PATH, get(stylesheet))
        .route("/dashboard", get(pages::overview::page))
        .route("/dashboard/standards", get(pages::standards::page))
        .route("/dashboard/patterns", get(pages::patterns::page))
        .route("/dashboard/export.csv", get(pages::export::csv))
        .route("/dashboard/reports", get(pages::reports::index))
        .route(
            "/dashboard/reports/{office}/{month}",
            get(pages::reports::report),
        )
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
