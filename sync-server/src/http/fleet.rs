//! `GET /api/v1/dashboard/kiosks`: the dashboard's fleet list as JSON for the signed-in
//! [`Viewer`], in the OpenAPI document. The scope is applied in the query, never only in the menu,
//! by the same rules as the fleet page ([`crate::dashboard::fleet`]).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use model::wire::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::admin::KioskHealth;
use super::{AppState, Error};
use crate::dashboard::Viewer;
use crate::dashboard::fleet::{department_filter, office_filter};

/// One kiosk in the dashboard's JSON fleet list: where it stands, and its health.
#[derive(Debug, Serialize, ToSchema)]
pub struct FleetEntry {
    /// The office the kiosk's desk belongs to, e.g. `gabin`.
    office_id: String,
    desk_name: String,
    #[serde(flatten)]
    health: KioskHealth,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FleetApiQuery {
    /// Only this office's kiosks (it must be in the viewer's scope).
    office: Option<String>,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(api))
}

/// List the kiosks in the viewer's scope
///
/// For a signed-in dashboard user (the session cookie): every kiosk an admin or analyst may read,
/// only its own office's for an office viewer. Bearer tokens are refused.
#[utoipa::path(
    get,
    path = "/dashboard/kiosks",
    tag = "dashboard",
    params(FleetApiQuery),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The kiosks in scope, by office and desk", body = Vec<FleetEntry>),
        (status = 401, description = "Not signed in, or the session has ended (`unauthorized`)", body = ApiError),
        (status = 403, description = "A bearer token, or an office outside the viewer's scope (`forbidden`)", body = ApiError),
        (status = 500, description = "The server failed (`internal`); try again later", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn api(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<FleetApiQuery>,
) -> Result<impl IntoResponse, Error> {
    let office = office_filter(&viewer, query.office.as_deref())
        .map_err(|_| Error::Forbidden("this office is outside your scope"))?;
    let kiosks = state
        .storage
        .fleet(office, department_filter(&viewer))
        .await?;
    let entries: Vec<FleetEntry> = kiosks
        .into_iter()
        .map(|k| FleetEntry {
            office_id: k.office_id,
            desk_name: k.desk_name,
            health: k.status.into(),
        })
        .collect();
    // Per-user data: never cached.
    Ok(([(CACHE_CONTROL, "no-store")], Json(entries)))
}
