//! `GET /api/v1/stats/…`: the dashboard's aggregates as JSON, read-only, for the signed-in
//! [`Viewer`] and only within its scope. Every endpoint takes the dashboard's filter in its query
//! (the same parameters, refused the same way), and every figure has been through disclosure
//! control (`analytics::disclosure`): a withheld cell carries `too_few_responses` and nothing
//! else, not even its response count.

use axum::Json;
use axum::extract::{RawQuery, State};
use model::wire::ApiError;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, Error};
use crate::analytics::{Cell, Filter, Level, ReasonCount};
use crate::dashboard::Viewer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(breakdown))
        .routes(routes!(trend))
        .routes(routes!(reasons))
        .routes(routes!(heatmap))
        .routes(routes!(usage))
}

/// The filter every stats endpoint takes (all optional; empty values count as absent). The
/// values each parameter accepts are written into the document from the parser's own rules by
/// [`super::openapi`]; rules between parameters are in their descriptions and answer 400.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "describes the query for the OpenAPI document only"
)]
pub struct FilterParams {
    /// `last7`, `last30` (default), `last90`, `this-month`, `last-month`, `this-year` or `custom`
    /// (with `from` and `to`; no other period goes with them).
    period: Option<String>,
    /// First day (Europe/Warsaw) of a custom period, `YYYY-MM-DD` in 2000-2100; needs `to`; the
    /// period may be at most 1098 days (3 × 366).
    from: Option<String>,
    /// Last day (included) of a custom period, `YYYY-MM-DD` in 2000-2100; needs `from`, not
    /// before it.
    to: Option<String>,
    /// An office id, e.g. `plock`.
    office: Option<String>,
    /// A department id of `office` (needs `office`).
    department: Option<String>,
    /// A desk id, e.g. `plock-wso-03`.
    desk: Option<model::DeskId>,
    /// `overall` (default) or a standard `I`…`XIII`.
    standard: Option<model::Question>,
    /// A client language code: `pl`, `uk`, `en`, `de`.
    language: Option<model::LanguageTag>,
    /// `include` counts overall ratings flagged as bursts; `exclude` (default) leaves them out.
    bursts: Option<String>,
    /// The trend's step: `week` or `month` (default: weeks up to 91 days, months beyond).
    step: Option<String>,
}

/// The filter as applied, so a client sees the period the presets resolved to.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppliedFilter {
    pub from: String,
    pub to: String,
    pub office: Option<String>,
    pub department: Option<String>,
    pub desk: Option<String>,
    /// `overall` or `I`…`XIII`.
    pub question: String,
    pub language: Option<String>,
    pub include_bursts: bool,
    /// `week` or `month`.
    pub step: String,
}

impl From<&Filter> for AppliedFilter {
    fn from(f: &Filter) -> AppliedFilter {
        AppliedFilter {
            from: f.from.to_string(),
            to: f.to.to_string(),
            office: f.office.clone(),
            department: f.department.clone(),
            desk: f.desk.as_ref().map(ToString::to_string),
            question: f.question.to_string(),
            language: f.language.as_ref().map(ToString::to_string),
            include_bursts: f.include_bursts,
            step: f.step.code().to_owned(),
        }
    }
}

/// Parses the filter strictly and checks it against the viewer's scope.
async fn read(
    state: &AppState,
    viewer: &Viewer,
    query: Option<&str>,
    extra: &[&str],
) -> Result<(Filter, Vec<(String, String)>), Error> {
    let (filter, extras) = Filter::parse(query.unwrap_or(""), Filter::today(), extra)
        .map_err(|e| Error::InvalidQuery(e.to_string()))?;
    let places = state.storage.places(viewer.scope.clone()).await?;
    if !places.covers(&filter) {
        return Err(Error::NotVisible);
    }
    Ok((filter.within(&viewer.scope), extras))
}

/// Counts per office, department, desk or question.
#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdown {
    pub filter: AppliedFilter,
    /// `office`, `department`, `desk` or `question`.
    pub by: String,
    pub groups: Vec<GroupFigures>,
}

/// One group's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupFigures {
    /// The office, department or desk id, or the question (`overall`, `I`…`XIII`).
    pub id: String,
    /// The office of a department or desk.
    pub office_id: Option<String>,
    #[serde(flatten)]
    pub figures: Cell,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "describes the query for the OpenAPI document only"
)]
pub struct ByParam {
    /// What to group by: `office`, `department`, `desk` or `question`.
    by: String,
}

/// Figures per office, department, desk or question
///
/// Responses, CSAT (share of scores 3–4), mean and distribution per group, within the viewer's
/// offices. Withheld groups (fewer than `min_responses` answers, or complements that would give such a group
/// away by subtraction) show no figure.
#[utoipa::path(
    get,
    path = "/stats/breakdown",
    tag = "stats",
    params(ByParam, FilterParams),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Figures per group", body = Breakdown),
        (status = 400, description = "A query parameter was refused (`invalid_query`); the message names it", body = ApiError),
        (status = 401, description = "Not signed in (`unauthorized`)", body = ApiError),
        (status = 404, description = "An office, department or desk that does not exist or is not the viewer's (`not_found`)", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn breakdown(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Json<Breakdown>, Error> {
    let (filter, extras) = read(&state, &viewer, query.as_deref(), &["by"]).await?;
    let by = extras
        .iter()
        .find(|(n, _)| n == "by")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| Error::InvalidQuery("query parameter `by`: missing".to_owned()))?;
    let level = Level::parse(by).ok_or_else(|| {
        Error::InvalidQuery(
            "query parameter `by`: not one of office, department, desk, question".to_owned(),
        )
    })?;
    let groups = state
        .storage
        .for_one_page()
        .breakdown(filter.clone(), viewer.scope.clone(), level)
        .await?;
    Ok(Json(Breakdown {
        filter: AppliedFilter::from(&filter),
        by: level.code().to_owned(),
        groups: groups
            .into_iter()
            .map(|g| GroupFigures {
                id: g.id,
                office_id: g.office_id,
                figures: g.counts.cell(),
            })
            .collect(),
    }))
}

/// A trend by week or month.
#[derive(Debug, Serialize, ToSchema)]
pub struct Trend {
    pub filter: AppliedFilter,
    pub points: Vec<TrendFigures>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendFigures {
    /// The week's Monday or the month's first day, `YYYY-MM-DD`.
    pub start: String,
    #[serde(flatten)]
    pub figures: Cell,
}

/// Trend by week or month
///
/// The filter's figures per week (from Monday) or month; withheld points show no figure.
#[utoipa::path(
    get,
    path = "/stats/trend",
    tag = "stats",
    params(FilterParams),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "One point per week or month with answers", body = Trend),
        (status = 400, description = "A query parameter was refused (`invalid_query`)", body = ApiError),
        (status = 401, description = "Not signed in (`unauthorized`)", body = ApiError),
        (status = 404, description = "Not the viewer's office, department or desk (`not_found`)", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn trend(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Json<Trend>, Error> {
    let (filter, _) = read(&state, &viewer, query.as_deref(), &[]).await?;
    let points = state
        .storage
        .for_one_page()
        .trend(filter.clone(), viewer.scope.clone())
        .await?;
    Ok(Json(Trend {
        filter: AppliedFilter::from(&filter),
        points: points
            .into_iter()
            .map(|p| TrendFigures {
                start: p.start,
                figures: p.counts.cell(),
            })
            .collect(),
    }))
}

/// The most chosen reasons after low scores.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reasons {
    pub filter: AppliedFilter,
    /// True when the figures the reasons explain are withheld (fewer than `min_responses`
    /// answers, or withheld so that such a cell cannot be worked out): `reasons` is then empty.
    pub too_few_responses: bool,
    pub reasons: Vec<ReasonCount>,
}

/// Most chosen reasons
///
/// The ten reasons chosen most often after low scores: of the filter's standard, or of every
/// standard when the filter is on the overall rating; each only when chosen at least
/// `min_responses` times and when its standard's figures for the place are shown.
#[utoipa::path(
    get,
    path = "/stats/reasons",
    tag = "stats",
    params(FilterParams),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The most chosen reasons", body = Reasons),
        (status = 400, description = "A query parameter was refused (`invalid_query`)", body = ApiError),
        (status = 401, description = "Not signed in (`unauthorized`)", body = ApiError),
        (status = 404, description = "Not the viewer's office, department or desk (`not_found`)", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn reasons(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Json<Reasons>, Error> {
    let (filter, _) = read(&state, &viewer, query.as_deref(), &[]).await?;
    let reasons = state
        .storage
        .for_one_page()
        .top_reasons(filter.clone(), viewer.scope.clone(), 10)
        .await?;
    Ok(Json(Reasons {
        filter: AppliedFilter::from(&filter),
        too_few_responses: reasons.is_none(),
        reasons: reasons.unwrap_or_default(),
    }))
}

/// Figures per weekday and hour.
#[derive(Debug, Serialize, ToSchema)]
pub struct Heatmap {
    pub filter: AppliedFilter,
    pub cells: Vec<HeatFigures>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatFigures {
    /// 0 = Monday … 6 = Sunday (Europe/Warsaw).
    pub weekday: u8,
    /// 0–23 (Europe/Warsaw).
    pub hour: u8,
    #[serde(flatten)]
    pub figures: Cell,
}

/// Weekday × hour heatmap
///
/// The filter's figures per weekday and hour of Warsaw time; withheld cells show no figure.
#[utoipa::path(
    get,
    path = "/stats/heatmap",
    tag = "stats",
    params(FilterParams),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "One cell per weekday and hour with answers", body = Heatmap),
        (status = 400, description = "A query parameter was refused (`invalid_query`)", body = ApiError),
        (status = 401, description = "Not signed in (`unauthorized`)", body = ApiError),
        (status = 404, description = "Not the viewer's office, department or desk (`not_found`)", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn heatmap(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Json<Heatmap>, Error> {
    let (filter, _) = read(&state, &viewer, query.as_deref(), &[]).await?;
    let cells = state
        .storage
        .for_one_page()
        .heatmap(filter.clone(), viewer.scope.clone())
        .await?;
    Ok(Json(Heatmap {
        filter: AppliedFilter::from(&filter),
        cells: cells
            .into_iter()
            .map(|c| HeatFigures {
                weekday: c.weekday,
                hour: c.hour,
                figures: c.counts.cell(),
            })
            .collect(),
    }))
}

/// Languages chosen and larger-text use.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageFigures {
    pub filter: AppliedFilter,
    /// Per language, most chosen first.
    pub languages: Vec<LanguageFigures>,
    pub normal_text: Cell,
    pub larger_text: Cell,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LanguageFigures {
    /// The language code: `pl`, `uk`, `en`, `de`.
    pub language: String,
    #[serde(flatten)]
    pub figures: Cell,
}

/// Languages and larger-text use
///
/// The filter's figures per language the clients chose, and with normal and larger text.
#[utoipa::path(
    get,
    path = "/stats/usage",
    tag = "stats",
    params(FilterParams),
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Figures per language and text size", body = UsageFigures),
        (status = 400, description = "A query parameter was refused (`invalid_query`)", body = ApiError),
        (status = 401, description = "Not signed in (`unauthorized`)", body = ApiError),
        (status = 404, description = "Not the viewer's office, department or desk (`not_found`)", body = ApiError),
    )
)]
#[tracing::instrument(skip_all)]
async fn usage(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Json<UsageFigures>, Error> {
    let (filter, _) = read(&state, &viewer, query.as_deref(), &[]).await?;
    let usage = state
        .storage
        .for_one_page()
        .usage(filter.clone(), viewer.scope.clone())
        .await?;
    Ok(Json(UsageFigures {
        filter: AppliedFilter::from(&filter),
        languages: usage
            .languages
            .into_iter()
            .map(|(language, counts)| LanguageFigures {
                language,
                figures: counts.cell(),
            })
            .collect(),
        normal_text: usage.normal_text.cell(),
        larger_text: usage.larger_text.cell(),
    }))
}
