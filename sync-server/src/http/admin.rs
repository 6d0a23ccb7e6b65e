//! `GET /api/v1/admin/kiosks`: every kiosk's health for the Organizational Department, behind
//! the admin token (`OCENA_ADMIN_TOKEN`); kiosk tokens are refused.

use axum::Json;
use axum::extract::State;
use model::wire::ApiError;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Admin, AppState, Error};
use crate::storage::KioskStatus;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(kiosks))
}

/// The whole fleet's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FleetHealth {
    /// Every kiosk ever enrolled, revoked ones included, by desk.
    pub kiosks: Vec<KioskHealth>,
}

/// One kiosk's health as its last request left it. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KioskHealth {
    pub id: String,
    pub desk_id: String,
    pub enrolled_at_ms: i64,
    /// When its token was revoked; null while it is valid.
    pub revoked_at_ms: Option<i64>,
    /// The server's clock at the kiosk's last request.
    pub last_seen_ms: Option<i64>,
    /// The kiosk software's version from its last heartbeat (or enrollment).
    pub version: String,
    /// Records not yet acknowledged, from the last heartbeat.
    pub backlog: Option<i64>,
    /// Wall clock of the oldest unacknowledged record, from the last heartbeat.
    pub oldest_unsynced_ms: Option<i64>,
    /// The kiosk's last sync error, from the last heartbeat.
    pub last_error: Option<String>,
    /// The kiosk's wall clock at its last request minus the server's receipt time: positive when
    /// the kiosk runs ahead.
    pub clock_drift_ms: Option<i64>,
    /// Whether the kiosk's clock was NTP-synchronised at its last request.
    pub clock_synchronized: Option<bool>,
}

impl From<KioskStatus> for KioskHealth {
    fn from(status: KioskStatus) -> KioskHealth {
        KioskHealth {
            id: status.id,
            desk_id: status.desk_id,
            enrolled_at_ms: status.enrolled_at_ms,
            revoked_at_ms: status.revoked_at_ms,
            last_seen_ms: status.last_seen_ms,
            version: status.version,
            backlog: status.backlog,
            oldest_unsynced_ms: status.oldest_unsynced_ms,
            last_error: status.last_error,
            clock_drift_ms: status.clock_drift_ms,
            clock_synchronized: status.clock_synchronized,
        }
    }
}

/// List the fleet's health
///
/// Every kiosk with its last contact, version, backlog, last error and clock drift.
#[utoipa::path(
    get,
    path = "/admin/kiosks",
    tag = "admin",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Every kiosk's health", body = FleetHealth),
        (status = 401, description = "Missing or wrong admin token (`unauthorized`)", body = ApiError),
        (status = 403, description = "A kiosk token on an admin route (`forbidden`)", body = ApiError),
        (status = 429, description = "This address sent too many wrong tokens (`rate_limited`)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds until a request can succeed"))),
        (status = 500, description = "The server failed (`internal`); try again later", body = ApiError),
        (status = 503, description = "The admin API is disabled: OCENA_ADMIN_TOKEN is not set on the server (`admin_disabled`)", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn kiosks(State(state): State<AppState>, _: Admin) -> Result<Json<FleetHealth>, Error> {
    let kiosks = state.storage.kiosks().await?;
    Ok(Json(FleetHealth {
        kiosks: kiosks.into_iter().map(KioskHealth::from).collect(),
    }))
}
