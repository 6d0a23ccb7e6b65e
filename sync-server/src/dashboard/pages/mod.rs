//! The dashboard's analytics pages (overview with drill-down, standards, patterns, monthly
//! reports) and what they share: the filter read from the URL and checked against the viewer's
//! scope, the filter form, the figures table, and HTML error pages naming what was wrong.

pub mod department_report;
pub mod export;
pub mod overview;
pub mod patterns;
pub mod reports;
pub mod standards;

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use i18n::Translations;
use maud::{Markup, html};
use model::{LanguageTag, Question, StandardId};

use super::layout::{Chrome, Section, page};
use super::{Lang, Viewer, charts, labels};
use crate::analytics::{Counts, Filter, FilterError, Places, Preset, Step};
use crate::busy::BUSY_RETRY_AFTER;
use crate::storage::StorageError;
use crate::web::AppState;

/// The filter's client-language field: every language in `shipped` (the kiosks' translations,
/// [`Translations::bundled`] on a page) by its own name, `selected` chosen.
pub fn language_select(
    lang: Lang,
    selected: Option<&LanguageTag>,
    shipped: &Translations,
) -> Markup {
    html! {
        label for="f-language" { (lang.pick("Język klienta", "Client's language"))
            select #f-language name="language" {
                option value="" { (lang.pick("wszystkie", "all")) }
                @for code in shipped.languages() {
                    option value=(code) lang=(code) selected[selected == Some(code)] { (labels::language_in(shipped, code.as_str())) }
                }
            }
        }
    }
}

/// Why a page could not be shown; each is an HTML page with the right status.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("{0}")]
    BadFilter(#[from] FilterError),
    /// An office, department or desk that does not exist or is outside the viewer's scope: the
    /// two are not told apart, so nothing leaks about other offices.
    #[error("not found")]
    NotFound,
    #[error("storage failed")]
    Storage(#[from] StorageError),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            PageError::BadFilter(e) => (StatusCode::BAD_REQUEST, e.to_string()),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "no such office, department, desk or report, or not one you may read".to_owned(),
            ),
            PageError::Storage(e) if e.busy().is_some() => {
                tracing::warn!(error = %e, "dashboard page answered 503");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the server is busy; try again in {} s",
                        BUSY_RETRY_AFTER.seconds()
                    ),
                )
            }
            PageError::Storage(e) => {
                tracing::error!(error = %e, source = ?std::error::Error::source(e), "dashboard storage failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the server could not read the data; try again later".to_owned(),
                )
            }
        };
        if status.is_client_error() {
            tracing::info!(%status, %message, "dashboard request refused");
        }
        let body = html! {
            (maud::DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { (status.as_u16()) " · Ocena" }
                       link rel="stylesheet" href=(super::STYLESHEET_PATH); }
                body { main #main {
                    h1 { (status.canonical_reason().unwrap_or("Error")) }
                    p.error role="alert" { (message) }
                    p { a href="/dashboard" { "Ocena — /dashboard" } }
                } }
            }
        };
        let mut response = (
            status,
            [(CONTENT_TYPE, "text/html; charset=utf-8")],
            body.into_string(),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(RETRY_AFTER, BUSY_RETRY_AFTER.seconds().into());
        }
        response
    }
}

/// A page's request: who asks, the filter they asked for, and the places they may read.
pub struct View {
    pub viewer: Viewer,
    pub filter: Filter,
    pub places: Places,
    /// The page's path, for the filter form and the language switch.
    pub path: String,
}

impl View {
    /// Parses the filter (refusing anything unknown or malformed), loads the viewer's places and
    /// refuses a filter naming anything outside them. A desk given alone gets its office and
    /// department filled in, so the page can show where it is.
    pub async fn read(
        state: &AppState,
        viewer: Viewer,
        query: Option<&str>,
        path: &str,
        extra: &[&str],
    ) -> Result<(View, Vec<(String, String)>), PageError> {
        let (filter, extras) = Filter::parse(query.unwrap_or(""), Filter::today(), extra)?;
        let places = state.storage.places(viewer.scope.clone()).await?;
        if !places.covers(&filter) {
            return Err(PageError::NotFound);
        }
        let mut filter = filter.within(&viewer.scope);
        if let Some(desk) = filter.desk.as_ref().and_then(|d| places.desk(d.as_str())) {
            filter.office = Some(desk.office_id.clone());
            filter.department.clone_from(&desk.department_id);
        }
        Ok((
            View {
                viewer,
                filter,
                places,
                path: path.to_owned(),
            },
            extras,
        ))
    }

    pub fn lang(&self) -> Lang {
        self.viewer.lang
    }

    /// A link to `path` with this filter, changed by `change`, in the viewer's language.
    pub fn link(&self, path: &str, change: impl FnOnce(&mut Filter)) -> String {
        let mut filter = self.filter.clone();
        change(&mut filter);
        let lang = self.lang();
        let more: &[(&str, &str)] = if lang == Lang::En {
            &[("lang", "en")]
        } else {
            &[]
        };
        format!("{path}?{}", filter.to_query(more))
    }

    /// The whole page in the dashboard's frame.
    pub fn page(&self, section: Section, title: &str, body: &Markup) -> Markup {
        let other = self.lang().other();
        let chrome = Chrome {
            lang: self.lang(),
            viewer: Some((&self.viewer.username, self.viewer.role)),
            current: Some(section),
            csrf_token: Some(self.viewer.csrf_token.as_str()).filter(|t| !t.is_empty()),
            other_language_href: format!(
                "{}?{}",
                self.path,
                self.filter.to_query(&[("lang", other.code())])
            ),
        };
        page(&chrome, title, body)
    }

    /// The filter form: GET to this page, so the URL holds the filter; every field labelled.
    pub fn filter_form(&self) -> Markup {
        let lang = self.lang();
        let f = &self.filter;
        let preset_name = |p: Preset| match p {
            Preset::Last7Days => lang.pick("ostatnie 7 dni", "last 7 days"),
            Preset::Last30Days => lang.pick("ostatnie 30 dni", "last 30 days"),
            Preset::Last90Days => lang.pick("ostatnie 90 dni", "last 90 days"),
            Preset::ThisMonth => lang.pick("bieżący miesiąc", "this month"),
            Preset::LastMonth => lang.pick("poprzedni miesiąc", "last month"),
            Preset::ThisYear => lang.pick("bieżący rok", "this year"),
            Preset::Custom => lang.pick("własny (od–do)", "custom (from–to)"),
        };
        let departments: Vec<_> = self
            .places
            .departments
            .iter()
            .filter(|d| f.office.as_deref() == Some(d.office_id.as_str()))
            .collect();
        let desks: Vec<_> = self
            .places
            .desks
            .iter()
            .filter(|d| f.office.as_deref() == Some(d.office_id.as_str()))
            .filter(|d| {
                f.department.is_none() || d.department_id.as_deref() == f.department.as_deref()
            })
            .collect();
        html! {
            form.filters method="get" action=(self.path) aria-label=(lang.pick("Filtr", "Filter")) {
                @if lang == Lang::En { input type="hidden" name="lang" value="en"; }
                label for="f-period" { (lang.pick("Okres", "Period"))
                    select #f-period name="period" {
                        @for p in Preset::ALL {
                            option value=(p.code()) selected[p == f.preset] { (preset_name(p)) }
                        }
                    }
                }
                label for="f-from" { (lang.pick("Od (dla okresu własnego)", "From (custom)"))
                    input #f-from type="date" name="from" value=[(f.preset == Preset::Custom).then(|| f.from.to_string())];
                }
                label for="f-to" { (lang.pick("Do (dla okresu własnego)", "To (custom)"))
                    input #f-to type="date" name="to" value=[(f.preset == Preset::Custom).then(|| f.to.to_string())];
                }
                label for="f-office" { (lang.pick("Urząd", "Office"))
                    select #f-office name="office" {
                        option value="" { (lang.pick("wszystkie", "all")) }
                        @for o in &self.places.offices {
                            option value=(o.office_id) selected[f.office.as_deref() == Some(o.office_id.as_str())] { (o.name) }
                        }
                    }
                }
                @if !departments.is_empty() {
                    label for="f-department" { (lang.pick("Wydział", "Department"))
                        select #f-department name="department" {
                            option value="" { (lang.pick("wszystkie", "all")) }
                            @for d in departments {
                                option value=[d.department_id.as_deref()] selected[d.department_id == f.department] { (d.name) }
                            }
                        }
                    }
                }
                @if !desks.is_empty() {
                    label for="f-desk" { (lang.pick("Stanowisko", "Desk"))
                        select #f-desk name="desk" {
                            option value="" { (lang.pick("wszystkie", "all")) }
                            @for d in desks {
                                option value=[d.desk_id.as_deref()] selected[d.desk_id.as_deref() == f.desk.as_ref().map(|x| x.as_str())] { (d.name) }
                            }
                        }
                    }
                }
                label for="f-standard" { (lang.pick("Pytanie", "Question"))
                    select #f-standard name="standard" {
                        option value="overall" selected[f.question == Question::Overall] { (labels::question(Question::Overall, lang)) }
                        @for id in StandardId::ALL {
                            option value=(id.roman()) selected[f.question == Question::Standard(id)] { (labels::question(Question::Standard(id), lang)) }
                        }
                    }
                }
                (language_select(lang, f.language.as_ref(), Translations::bundled()))
                label for="f-step" { (lang.pick("Przebieg w czasie", "Trend"))
                    select #f-step name="step" {
                        option value="week" selected[f.step == Step::Week] { (lang.pick("tygodniami", "by week")) }
                        option value="month" selected[f.step == Step::Month] { (lang.pick("miesiącami", "by month")) }
                    }
                }
                label for="f-bursts" {
                    span { (lang.pick("Serie ocen", "Bursts")) }
                    span { input #f-bursts type="checkbox" name="bursts" value="include" checked[f.include_bursts];
                        " " (lang.pick("uwzględnij", "include")) }
                }
                button type="submit" { (lang.pick("Pokaż", "Show")) }
            }
            p.notice {
                (period_text(f, lang))
                @if !f.include_bursts {
                    " " (lang.pick(
                        "Serie (co najmniej 3 oceny ogólne z jednego kiosku w ciągu 10 sekund) są pominięte.",
                        "Bursts (3 or more overall ratings from one kiosk within 10 seconds) are left out."))
                }
            }
        }
    }
}

/// "1–30 Nov 2026, overall rating" as the notice above the figures says it.
pub fn period_text(filter: &Filter, lang: Lang) -> String {
    format!(
        "{}: {} – {}; {}: {}.",
        lang.pick("Okres", "Period"),
        lang.date(filter.from),
        lang.date(filter.to),
        lang.pick("pytanie", "question"),
        labels::question(filter.question, lang)
    )
}

/// A percentage with one decimal in the language's format.
pub fn percent(lang: Lang, value: f64) -> String {
    lang.percent(value, 1)
}

/// The figures table: a row per group with responses, CSAT, mean and the four counts; a
/// withheld row (disclosure control) shows "withheld" instead of its count and of any score.
/// `rows`: (id for `data-id`, label, optional link, counts).
pub fn figures_table(
    caption: &str,
    first_column: &str,
    rows: &[(String, String, Option<String>, Counts)],
    lang: Lang,
) -> Markup {
    let names = charts::score_names(lang);
    html! {
        table.figures {
            caption { (caption) }
            thead { tr {
                th scope="col" { (first_column) }
                th.number scope="col" { (lang.pick("Odpowiedzi", "Responses")) }
                th.number scope="col" { (labels::csat_label(lang)) }
                th.number scope="col" { (lang.pick("Średnia ocena (1–4)", "Mean (1–4)")) }
                @for (i, name) in names.iter().enumerate() {
                    th.number scope="col" { (i + 1) " — " (name) }
                }
            } }
            tbody {
                @for (id, label, link, counts) in rows {
                    tr data-id=(id) {
                        th scope="row" {
                            @if let Some(link) = link { a href=(link) { (label) } } @else { (label) }
                        }
                        @match counts.shown_responses() {
                            Some(n) => td.number data-responses=(n) { (lang.number(n as f64, 0)) }
                            None => td.number.too-few data-responses="withheld" { (charts::withheld(lang)) }
                        }
                        @match counts.figures() {
                            Some(f) => {
                                td.number data-csat=(format!("{:.1}", f.csat_percent)) { (percent(lang, f.csat_percent)) }
                                td.number { (lang.number(f.mean, 2)) }
                                @for n in f.distribution {
                                    td.number { (lang.number(n as f64, 0)) }
                                }
                            }
                            None => {
                                td.too-few colspan="6" { (charts::no_score(counts, lang)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The "does not apply" share per row (a standard's question): every answer, those that said the
/// question did not apply to the visit, and their share. These answers are not scores: the
/// figures table's responses, CSAT and mean leave them out. A row that disclosure control
/// withholds (it weighs these answers too) shows none of the three. `rows` as for
/// [`figures_table`].
pub fn not_applicable_table(
    caption: &str,
    first_column: &str,
    rows: &[(String, String, Option<String>, Counts)],
    lang: Lang,
) -> Markup {
    html! {
        table.figures.not-applicable {
            caption { (caption) }
            thead { tr {
                th scope="col" { (first_column) }
                th.number scope="col" { (lang.pick("Wszystkie odpowiedzi", "All answers")) }
                th.number scope="col" { (lang.pick("„Nie dotyczy”", "\u{201c}Not applicable\u{201d}")) }
                th.number scope="col" { (lang.pick("Udział „nie dotyczy”", "Not-applicable share")) }
            } }
            tbody {
                @for (id, label, link, counts) in rows {
                    tr data-id=(id) {
                        th scope="row" {
                            @if let Some(link) = link { a href=(link) { (label) } } @else { (label) }
                        }
                        @match (counts.shown_not_applicable(), counts.not_applicable_percent()) {
                            (Some(not_applicable), Some(share)) => {
                                td.number { (lang.number(counts.answers() as f64, 0)) }
                                td.number data-not-applicable=(not_applicable) { (lang.number(not_applicable as f64, 0)) }
                                td.number data-not-applicable-share=(format!("{share:.1}")) { (percent(lang, share)) }
                            }
                            _ if counts.answers() == 0 => td.too-few colspan="3" { (lang.pick("brak odpowiedzi", "no answers")) }
                            _ => td.too-few colspan="3" { (charts::too_few(lang)) }
                        }
                    }
                }
            }
        }
    }
}

/// The most chosen reasons as a table; `None` (the figures they explain are withheld) says so.
pub fn reasons_table(
    caption: &str,
    reasons: Option<&[crate::analytics::ReasonCount]>,
    lang: Lang,
) -> Markup {
    html! {
        @match reasons {
            None => p.too-few { (caption) ": " (charts::too_few(lang)) }
            Some([]) => p { (caption) ": " (lang.pick("nikt nie wskazał powodu.", "no reasons were given.")) }
            Some(reasons) => {
                table.reasons {
                    caption { (caption) }
                    thead { tr {
                        th scope="col" { (lang.pick("Powód", "Reason")) }
                        th scope="col" { (lang.pick("Standard", "Standard")) }
                        th.number scope="col" { (lang.pick("Liczba wskazań", "Chosen")) }
                    } }
                    tbody {
                        @for r in reasons {
                            tr {
                                td { (labels::reason(&r.reason, lang)) }
                                td { (r.question) }
                                td.number { (lang.number(r.chosen as f64, 0)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The trend chart and its table.
pub fn trend_section(
    id: &str,
    heading: &str,
    points: &[crate::analytics::TrendPoint],
    lang: Lang,
) -> Markup {
    // Each point's first day in the language's date format (the stored ISO date stays the row id).
    let labels: Vec<String> = points
        .iter()
        .map(|p| {
            chrono::NaiveDate::parse_from_str(&p.start, "%Y-%m-%d")
                .map_or_else(|_| p.start.clone(), |day| lang.date(day))
        })
        .collect();
    let chart_points: Vec<charts::TrendPoint<'_>> = points
        .iter()
        .zip(&labels)
        .map(|(p, label)| charts::TrendPoint {
            label,
            counts: p.counts,
        })
        .collect();
    let rows: Vec<_> = points
        .iter()
        .zip(&labels)
        .map(|(p, label)| (p.start.clone(), label.clone(), None, p.counts))
        .collect();
    html! {
        h2 { (heading) }
        @if points.is_empty() {
            p { (lang.pick("Brak odpowiedzi w tym okresie.", "No responses in this period.")) }
        } @else {
            (charts::trend_line(id, heading, &chart_points, lang))
            details {
                summary { (lang.pick("Dane wykresu (tabela)", "Trend figures (table)")) }
                (figures_table(heading, lang.pick("Od dnia", "Starting"), &rows, lang))
            }
        }
    }
}
