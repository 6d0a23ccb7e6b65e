//! A department's monthly report (§5.1 of the ordinance) as a printable page,
//! `/dashboard/reports/{office}/{department}/{YYYY-MM}`, and with `.csv` appended as CSV
//! (`?format=excel` for Polish Excel). Its figures come from [`DepartmentReport`]; the heads of
//! departments receive the same report by e-mail (`department_reports::delivery`).

use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::export::Dialect;
use super::reports::{not_applicable_fields, only_bursts_and_language};
use super::{PageError, View, figures_table, not_applicable_table, percent, reasons_table};
use crate::analytics::FilterError;
use crate::dashboard::layout::Section;
use crate::dashboard::{Lang, charts, labels};
use crate::department_reports::{DepartmentReport, Line, Month, report_path, small_counts_note};
use crate::web::AppState;

/// The change in percentage points, or a dash when either month is withheld or empty.
fn change_text(change: Option<f64>, lang: Lang) -> String {
    change.map_or_else(|| "–".to_owned(), |points| lang.signed_points(points))
}

/// A CSAT cell of an earlier month: its percentage, or why there is none.
fn earlier_csat(counts: &crate::analytics::Counts, lang: Lang) -> Markup {
    html! {
        @match counts.figures() {
            Some(f) => td.number { (percent(lang, f.csat_percent)) }
            None => td.too-few { (charts::no_score(counts, lang)) }
        }
    }
}

/// This month's figures of `lines`, then their CSAT against the previous month and the same
/// month a year before.
pub fn comparison(caption: &str, first: &str, lines: &[Line], month: Month, lang: Lang) -> Markup {
    let rows: Vec<_> = lines
        .iter()
        .map(|l| (l.id.clone(), l.name.clone(), None, l.now))
        .collect();
    let previous = month.previous().name(lang);
    let year_before = month.year_before().name(lang);
    html! {
        (figures_table(&format!("{caption}: {}", month.name(lang)), first, &rows, lang))
        table.changes {
            caption { (caption) ": " (lang.pick("porównanie z poprzednim miesiącem i z tym samym miesiącem przed rokiem", "against the previous month and the same month a year before")) }
            thead { tr {
                th scope="col" { (first) }
                th.number scope="col" { (labels::csat_label(lang)) ", " (previous) }
                th.number scope="col" { (lang.pick("Zmiana w punktach procentowych", "Change in percentage points")) }
                th.number scope="col" { (labels::csat_label(lang)) ", " (year_before) }
                th.number scope="col" { (lang.pick("Zmiana w punktach procentowych", "Change in percentage points")) }
            } }
            tbody {
                @for l in lines {
                    tr data-id=(l.id) {
                        th scope="row" { (l.name) }
                        (earlier_csat(&l.previous, lang))
                        td.number data-change-previous=[l.change_from_previous().map(|c| format!("{c:.1}"))] { (change_text(l.change_from_previous(), lang)) }
                        (earlier_csat(&l.year_before, lang))
                        td.number data-change-year=[l.change_from_year_before().map(|c| format!("{c:.1}"))] { (change_text(l.change_from_year_before(), lang)) }
                    }
                }
            }
        }
    }
}

/// The sentences naming the standards that moved most, or that none did.
pub fn movers_list(report: &DepartmentReport, lang: Lang) -> Markup {
    let movers = report.movers();
    html! {
        @if movers.is_empty() {
            p #movers { (lang.pick(
                "Żaden standard nie zmienił się w porównaniu z poprzednim miesiącem (albo wyniki któregoś z miesięcy nie mogą być pokazane).",
                "No standard changed against the previous month (or one of the months cannot be shown)."
            )) }
        } @else {
            ul #movers {
                @for (line, change) in &movers {
                    li data-standard=(line.id) { (line.name) ": " (lang.signed_points(*change)) " " (lang.pick("punktu procentowego", "percentage points")) }
                }
            }
        }
    }
}

/// `GET /dashboard/reports/{office}/{department}/{month}` and `…/{month}.csv`.
#[tracing::instrument(skip_all)]
pub async fn report(
    State(state): State<AppState>,
    viewer: crate::dashboard::Viewer,
    Path((office, department, month)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let (month, as_csv) = match month.strip_suffix(".csv") {
        Some(month) => (month.to_owned(), true),
        None => (month, false),
    };
    let Some(month) = Month::parse(&month) else {
        return Err(PageError::BadFilter(FilterError {
            parameter: "month".to_owned(),
            problem: format!(
                "{:?} is not a month like 2026-10",
                month.chars().take(40).collect::<String>()
            ),
        }));
    };
    let path = report_path(&office, &department, month);
    let (view, extras) = View::read(&state, viewer, query.as_deref(), &path, &["format"]).await?;
    only_bursts_and_language(&view.filter, &view.viewer.scope)?;
    // Not the viewer's, or no such department: told apart from nothing.
    if view.places.department_name(&office, &department).is_none() {
        return Err(PageError::NotFound);
    }
    let lang = view.lang();
    let report = DepartmentReport::build(
        &state.storage,
        &view.viewer.scope,
        &view.places,
        (&office, &department),
        month,
        view.filter.include_bursts,
        lang,
    )
    .await?;
    if as_csv {
        let dialect = Dialect::parse(&extras)?;
        return Ok((
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"ocena-raport-{office}-{department}-{}.csv\"",
                        month.code()
                    ),
                ),
            ],
            report_csv(&report, dialect),
        )
            .into_response());
    }
    let title = format!(
        "{} — {} {}",
        report.department_name,
        lang.pick("raport miesięczny za", "monthly report,"),
        month.name(lang)
    );
    let suffix = if lang == Lang::En { "?lang=en" } else { "" };
    let csv_link = format!("{path}.csv");
    let body = html! {
        p { (report.office_name) ". " (lang.pick(
            "Monitorowanie przestrzegania Standardów Obsługi Klienta przez kierownika komórki organizacyjnej (zarządzenie nr 4216/2018, §\u{a0}5 ust.\u{a0}1). Serie ocen są pominięte, chyba że wybrano inaczej.",
            "Monitoring by the head of the organizational unit that the Customer Service Standards are kept (ordinance 4216/2018, §5.1). Bursts are left out unless chosen."))
            " " (small_counts_note(lang, state.storage.disclosure().min_responses())) }
        p { (lang.csat_meaning()) }
        nav.no-print aria-label=(lang.pick("Inne miesiące", "Other months")) {
            a href=(format!("{}{suffix}", report_path(&office, &department, month.previous()))) { "← " (month.previous().name(lang)) }
            " · "
            a href=(format!("{}{suffix}", report_path(&office, &department, month.next()))) { (month.next().name(lang)) " →" }
        }
        p.no-print {
            a.button href=(csv_link) { (lang.pick("Pobierz CSV", "Download CSV")) } " "
            a.button href=(format!("{csv_link}?format=excel")) { (lang.pick("CSV dla Excela", "CSV for Excel")) }
        }
        h2 { (lang.pick("Ocena ogólna", "Overall rating")) }
        (comparison(lang.pick("Ocena ogólna", "Overall rating"), lang.pick("Pytanie", "Question"), std::slice::from_ref(&report.total), month, lang))
        h2 { (lang.pick("Standardy, które zmieniły się najbardziej", "Standards that moved most")) }
        (movers_list(&report, lang))
        h2 { (lang.pick("Według standardu", "By standard")) }
        @if report.standards.is_empty() {
            p { (lang.pick("Żaden standard nie był oceniany.", "No standard was rated.")) }
        } @else {
            (comparison(lang.pick("Standardy", "Standards"), lang.pick("Standard", "Standard"), &report.standards, month, lang))
            @let rows: Vec<_> = report.standards.iter().map(|l| (l.id.clone(), l.name.clone(), None, l.now)).collect();
            (not_applicable_table(lang.pick("Odpowiedzi „nie dotyczy” (nie są ocenami)", "Not-applicable answers (not scores)"), lang.pick("Standard", "Standard"), &rows, lang))
        }
        h2 { (lang.pick("Według stanowiska", "By desk")) }
        (comparison(lang.pick("Stanowiska", "Desks"), lang.pick("Stanowisko", "Desk"), &report.desks, month, lang))
        h2 { (lang.pick("Najczęstsze powody niskich ocen", "Most chosen reasons after low scores")) }
        (reasons_table(lang.pick("Powody", "Reasons"), report.reasons.as_deref(), lang))
    };
    Ok(view.page(Section::Reports, &title, &body).into_response())
}

/// The department report CSV's columns (Polish headings for Excel: `Dialect::heading`).
pub const CSV_COLUMNS: [&str; 20] = [
    "section",
    "id",
    "name",
    "month",
    "responses",
    "csat_percent",
    "mean",
    "score_1",
    "score_2",
    "score_3",
    "score_4",
    "previous_month",
    "previous_responses",
    "previous_csat_percent",
    "csat_change_points",
    "year_before_month",
    "year_before_csat_percent",
    "year_change_points",
    "not_applicable_answers",
    "not_applicable_percent",
];

/// The report as CSV: one line per overall, standard and desk row, then the reasons.
pub fn report_csv(report: &DepartmentReport, dialect: Dialect) -> String {
    let mut out = String::from(dialect.preamble());
    dialect.line(&CSV_COLUMNS.map(|c| dialect.heading(c)), &mut out);
    let sections = std::iter::once(("overall", &report.total))
        .chain(report.standards.iter().map(|l| ("standard", l)))
        .chain(report.desks.iter().map(|l| ("desk", l)));
    let or_empty = |v: Option<String>| v.unwrap_or_default();
    for (section, line) in sections {
        let now = line.now.figures();
        let mut fields = vec![
            section.to_owned(),
            line.id.clone(),
            line.name.clone(),
            report.month.code(),
            or_empty(line.now.shown_responses().map(|n| n.to_string())),
            or_empty(now.as_ref().map(|f| dialect.decimal(f.csat_percent, 1))),
            or_empty(now.as_ref().map(|f| dialect.decimal(f.mean, 2))),
        ];
        for i in 0..4 {
            fields.push(or_empty(
                now.as_ref().map(|f| f.distribution[i].to_string()),
            ));
        }
        fields.extend([
            report.month.previous().code(),
            or_empty(line.previous.shown_responses().map(|n| n.to_string())),
            or_empty(
                line.previous
                    .figures()
                    .map(|f| dialect.decimal(f.csat_percent, 1)),
            ),
            or_empty(line.change_from_previous().map(|c| dialect.decimal(c, 1))),
            report.month.year_before().code(),
            or_empty(
                line.year_before
                    .figures()
                    .map(|f| dialect.decimal(f.csat_percent, 1)),
            ),
            or_empty(
                line.change_from_year_before()
                    .map(|c| dialect.decimal(c, 1)),
            ),
        ]);
        fields.extend(not_applicable_fields(section, &line.now, dialect));
        dialect.line(&fields, &mut out);
    }
    for reason in report.reasons.iter().flatten() {
        dialect.line(
            &[
                "reason".to_owned(),
                reason.reason.clone(),
                labels::reason(&reason.reason, Lang::Pl),
                report.month.code(),
                reason.chosen.to_string(),
            ],
            &mut out,
        );
    }
    out
}
