//! `/dashboard`: the overview and its drill-down, chosen by the filter itself so every view is a
//! bookmarkable URL: the five offices side by side; `?office=` its departments; `&department=`
//! its desks; `?desk=` one desk. Each level shows responses, CSAT, mean and the distribution,
//! the trend by week or month, and the most chosen reasons after low scores.

use axum::extract::{RawQuery, State};
use maud::{Markup, html};

use super::{PageError, View, figures_table, not_applicable_table, reasons_table, trend_section};
use crate::analytics::{Counts, Group, Level};
use crate::dashboard::layout::Section;
use crate::dashboard::{Viewer, charts};
use crate::web::AppState;

/// How many reasons the pages list.
pub const TOP_REASONS: usize = 10;

/// What the overview groups by at the filter's level, and the next level's filter key.
fn level(view: &View) -> Option<Level> {
    let f = &view.filter;
    match (&f.office, &f.department, &f.desk) {
        (_, _, Some(_)) => None,
        (Some(_), Some(_), None) => Some(Level::Desk),
        (Some(_), None, None) => Some(Level::Department),
        (None, _, None) => Some(Level::Office),
    }
}

#[tracing::instrument(skip_all)]
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Markup, PageError> {
    let (view, _) = View::read(&state, viewer, query.as_deref(), "/dashboard", &[]).await?;
    let lang = view.lang();
    let scope = view.viewer.scope.clone();
    let level = level(&view);
    let storage = state.storage.for_one_page();
    let groups = match level {
        Some(level) => {
            storage
                .breakdown(view.filter.clone(), scope.clone(), level)
                .await?
        }
        None => Vec::new(),
    };
    let trend = storage.trend(view.filter.clone(), scope.clone()).await?;
    let reasons = storage
        .top_reasons(view.filter.clone(), scope.clone(), TOP_REASONS)
        .await?;
    let total = storage.total(view.filter.clone(), scope.clone()).await?;

    let rows = rows(&view, level, &groups);
    let (title, first_column) = titles(&view, level);
    let crumbs = breadcrumbs(&view);
    let chart_rows: Vec<(String, Counts)> = rows
        .iter()
        .map(|(_, label, _, counts)| (label.clone(), *counts))
        .collect();
    let whole = (
        "total".to_owned(),
        lang.pick("Razem", "Total").to_owned(),
        None,
        total,
    );
    let body = html! {
        (crumbs)
        (view.filter_form())
        h2 { (first_column) }
        @if rows.is_empty() {
            (figures_table(&title, lang.pick("Zakres", "Scope"), std::slice::from_ref(&whole), lang))
        } @else {
            (charts::distribution_bars("distribution", &format!("{title}: {}", lang.pick("rozkład ocen", "distribution of scores")), &chart_rows, lang))
            (charts::score_legend("distribution", lang))
            (figures_table(&title, &first_column, &rows, lang))
        }
        @if view.filter.question != model::Question::Overall {
            @let caption = format!("{title}: {}", lang.pick("udział odpowiedzi „nie dotyczy”", "share of not-applicable answers"));
            @if rows.is_empty() {
                (not_applicable_table(&caption, lang.pick("Zakres", "Scope"), std::slice::from_ref(&whole), lang))
            } @else {
                (not_applicable_table(&caption, &first_column, &rows, lang))
            }
        }
        (trend_section("trend", &format!("{} — {title}", lang.pick("Odsetek zadowolonych w czasie", "CSAT trend")), &trend, lang))
        h2 { (lang.pick("Najczęstsze powody niskich ocen", "Most chosen reasons after low scores")) }
        (reasons_table(lang.pick("Powody", "Reasons"), reasons.as_deref(), lang))
        p.no-print {
            @if view.viewer.role.may_export_answers() {
                a.button href=(view.link("/dashboard/export.csv", |_| {})) { (lang.pick("Pobierz odpowiedzi (CSV)", "Download answers (CSV)")) }
                " "
                a.button href=(format!("{}&format=excel", view.link("/dashboard/export.csv", |_| {}))) { (lang.pick("Odpowiedzi dla Excela (średniki, przecinek dziesiętny)", "Answers for Polish Excel (semicolons, decimal comma, Polish headings)")) }
                " "
            }
            a.button href=(view.link("/dashboard/export-days.csv", |_| {})) { (lang.pick("Pobierz dzienne liczby stanowisk (CSV)", "Download desk counts per day (CSV)")) }
            " "
            a.button href=(format!("{}&format=excel", view.link("/dashboard/export-days.csv", |_| {}))) { (lang.pick("Dzienne liczby dla Excela (średniki, przecinek dziesiętny)", "Counts per day for Polish Excel (semicolons, decimal comma, Polish headings)")) }
        }
    };
    Ok(view.page(Section::Overview, &title, &body))
}

/// The table rows at this level: every place the viewer may read there, with counts (zero
/// when nothing was answered), linking one level down.
fn rows(
    view: &View,
    level: Option<Level>,
    groups: &[Group],
) -> Vec<(String, String, Option<String>, Counts)> {
    let counts_of = |id: &str, office: Option<&str>| {
        groups
            .iter()
            .find(|g| g.id == id && (office.is_none() || g.office_id.as_deref() == office))
            .map(|g| g.counts)
            .unwrap_or_default()
    };
    let f = &view.filter;
    match level {
        Some(Level::Office) => view
            .places
            .offices
            .iter()
            .map(|o| {
                let link = view.link("/dashboard", |f| *f = f.at_office(&o.office_id));
                (
                    o.office_id.clone(),
                    o.name.clone(),
                    Some(link),
                    counts_of(&o.office_id, None),
                )
            })
            .collect(),
        Some(Level::Department) => view
            .places
            .departments
            .iter()
            .filter(|d| f.office.as_deref() == Some(d.office_id.as_str()))
            .map(|d| {
                let id = d.department_id.clone().unwrap_or_default();
                let link = view.link("/dashboard", |f| f.department = Some(id.clone()));
                (
                    id.clone(),
                    d.name.clone(),
                    Some(link),
                    counts_of(&id, Some(&d.office_id)),
                )
            })
            .collect(),
        Some(Level::Desk) => view
            .places
            .desks
            .iter()
            .filter(|d| f.office.as_deref() == Some(d.office_id.as_str()))
            .filter(|d| d.department_id == f.department)
            .map(|d| {
                let id = d.desk_id.clone().unwrap_or_default();
                let link = view.link("/dashboard", |f| f.desk = id.parse().ok());
                (id.clone(), d.name.clone(), Some(link), counts_of(&id, None))
            })
            .collect(),
        Some(Level::Question) | None => Vec::new(),
    }
}

/// The page's title and the name of its table's first column.
fn titles(view: &View, level: Option<Level>) -> (String, String) {
    let lang = view.lang();
    let f = &view.filter;
    let office = f.office.as_deref().and_then(|o| view.places.office_name(o));
    match level {
        Some(Level::Office) | Some(Level::Question) => (
            lang.pick("Przegląd urzędów", "Offices overview").to_owned(),
            lang.pick("Urzędy", "Offices").to_owned(),
        ),
        Some(Level::Department) => (
            office.unwrap_or_default().to_owned(),
            lang.pick("Wydziały", "Departments").to_owned(),
        ),
        Some(Level::Desk) => (
            f.office
                .as_deref()
                .zip(f.department.as_deref())
                .and_then(|(o, d)| view.places.department_name(o, d))
                .unwrap_or_default()
                .to_owned(),
            lang.pick("Stanowiska", "Desks").to_owned(),
        ),
        None => (
            f.desk
                .as_ref()
                .and_then(|d| view.places.desk(d.as_str()))
                .map(|d| d.name.clone())
                .unwrap_or_default(),
            lang.pick("Stanowisko", "Desk").to_owned(),
        ),
    }
}

/// Where the drill-down is: offices › office › department › desk, each a link up.
fn breadcrumbs(view: &View) -> Markup {
    let lang = view.lang();
    let f = &view.filter;
    let office = f
        .office
        .as_deref()
        .and_then(|o| Some((o, view.places.office_name(o)?)));
    let department = f
        .office
        .as_deref()
        .zip(f.department.as_deref())
        .and_then(|(o, d)| Some((d, view.places.department_name(o, d)?)));
    html! {
        nav.breadcrumbs aria-label=(lang.pick("Ścieżka", "Breadcrumbs")) {
            ol {
                li { a href=(view.link("/dashboard", |f| { f.office = None; f.department = None; f.desk = None; }))
                    { (lang.pick("Wszystkie urzędy", "All offices")) } }
                @if let Some((id, name)) = office {
                    li { a href=(view.link("/dashboard", |f| *f = f.at_office(id))) { (name) } }
                }
                @if let Some((id, name)) = department {
                    li { a href=(view.link("/dashboard", |f| { f.department = Some(id.to_owned()); f.desk = None; })) { (name) } }
                }
                @if let Some(desk) = f.desk.as_ref().and_then(|d| view.places.desk(d.as_str())) {
                    li { a href=(view.link("/dashboard", |_| {})) aria-current="page" { (desk.name) } }
                }
            }
        }
    }
}
