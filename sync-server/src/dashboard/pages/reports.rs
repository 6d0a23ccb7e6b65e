//! The monthly monitoring report per office (§3 of the ordinance): responses, CSAT and the
//! distribution overall, per standard and per department, each against the previous month, the
//! share of "does not apply" answers per standard, and the most chosen reasons; `/dashboard/reports/{office}/{YYYY-MM}` as a printable page, and
//! with `.csv` appended as CSV (`?format=excel` for Polish Excel). `/dashboard/reports` lists them.

use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate};
use maud::{Markup, html};
use model::{Question, StandardId};

use super::export::Dialect;
use super::{PageError, View, figures_table, not_applicable_table, percent, reasons_table};
use crate::analytics::{Counts, Filter, FilterError, Group, Level, Preset, ReasonCount};
use crate::dashboard::layout::Section;
use crate::dashboard::{Lang, Scope, Viewer, charts, labels};
use crate::storage::Storage;
use crate::web::AppState;

/// Months offered on the reports index.
const MONTHS_LISTED: u32 = 12;

/// One line of a report: this month's counts and the previous month's.
struct Line {
    id: String,
    name: String,
    now: Counts,
    before: Counts,
}

/// Everything a report shows.
struct Report {
    office_name: String,
    month: String,
    previous_month: String,
    total: Line,
    standards: Vec<Line>,
    departments: Vec<Line>,
    /// `None` when the figures they explain are withheld.
    reasons: Option<Vec<ReasonCount>>,
}

fn find(groups: &[Group], id: &str) -> Counts {
    groups
        .iter()
        .find(|g| g.id == id)
        .map(|g| g.counts)
        .unwrap_or_default()
}

async fn build(
    storage: &Storage,
    view: &View,
    office: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Report, PageError> {
    let lang = view.lang();
    let scope = view.viewer.scope.clone();
    let this = Filter {
        preset: Preset::Custom,
        from: first,
        to: last,
        step: crate::analytics::Step::Month,
        ..view.filter.at_office(office)
    };
    let previous_first = first.checked_sub_months(Months::new(1)).unwrap_or(first);
    let previous = Filter {
        from: previous_first,
        to: first.pred_opt().unwrap_or(first),
        ..this.clone()
    };
    let by_question_now = storage
        .breakdown(this.clone(), scope.clone(), Level::Question)
        .await?;
    let by_question_before = storage
        .breakdown(previous.clone(), scope.clone(), Level::Question)
        .await?;
    let by_department_now = storage
        .breakdown(this.clone(), scope.clone(), Level::Department)
        .await?;
    let by_department_before = storage
        .breakdown(previous, scope.clone(), Level::Department)
        .await?;
    let reasons = storage.top_reasons(this, scope, 10).await?;
    let standards = StandardId::ALL
        .into_iter()
        .map(Question::Standard)
        .map(|q| Line {
            id: q.to_string(),
            name: labels::question(q, lang),
            now: find(&by_question_now, &q.to_string()),
            before: find(&by_question_before, &q.to_string()),
        })
        .filter(|l| l.now.answers() + l.before.answers() > 0)
        .collect();
    let departments = view
        .places
        .departments
        .iter()
        .filter(|d| d.office_id == office)
        .map(|d| {
            let id = d.department_id.clone().unwrap_or_default();
            Line {
                now: find(&by_department_now, &id),
                before: find(&by_department_before, &id),
                name: d.name.clone(),
                id,
            }
        })
        .collect();
    Ok(Report {
        office_name: view.places.office_name(office).unwrap_or(office).to_owned(),
        month: format!("{:04}-{:02}", first.year(), first.month()),
        previous_month: format!("{:04}-{:02}", previous_first.year(), previous_first.month()),
        total: Line {
            id: "overall".to_owned(),
            name: labels::question(Question::Overall, lang),
            now: find(&by_question_now, "overall"),
            before: find(&by_question_before, "overall"),
        },
        standards,
        departments,
        reasons,
    })
}

/// The change of CSAT in percentage points, when both months may be shown.
fn change(line: &Line) -> Option<f64> {
    Some(line.now.figures()?.csat_percent - line.before.figures()?.csat_percent)
}

/// The change for its column, whose heading names the unit (percentage points).
fn change_text(line: &Line, lang: Lang) -> String {
    change(line).map_or_else(|| "–".to_owned(), |points| lang.signed_points(points))
}

fn lines_table(caption: &str, first: &str, lines: &[Line], previous: &str, lang: Lang) -> Markup {
    let rows: Vec<_> = lines
        .iter()
        .map(|l| (l.id.clone(), l.name.clone(), None, l.now))
        .collect();
    html! {
        (figures_table(caption, first, &rows, lang))
        table.changes {
            caption { (caption) ": " (lang.pick("zmiana w porównaniu z miesiącem", "change against")) " " (previous) }
            thead { tr {
                th scope="col" { (first) }
                th.number scope="col" { (labels::csat_label(lang)) ", " (previous) }
                th.number scope="col" {
                    @match lang {
                        Lang::Pl => "Zmiana odsetka zadowolonych (w punktach procentowych)",
                        Lang::En => { "Change in " (labels::csat_label(lang)) " (percentage points)" }
                    }
                }
            } }
            tbody {
                @for l in lines {
                    tr data-id=(l.id) {
                        th scope="row" { (l.name) }
                        @match l.before.figures() {
                            Some(f) => td.number { (percent(lang, f.csat_percent)) }
                            None => td.too-few { (charts::too_few(lang)) }
                        }
                        td.number { (change_text(l, lang)) }
                    }
                }
            }
        }
    }
}

fn month_range(month: &str) -> Result<(NaiveDate, NaiveDate), PageError> {
    Filter::month(month).ok_or_else(|| {
        PageError::BadFilter(FilterError {
            parameter: "month".to_owned(),
            problem: format!(
                "{:?} is not a month like 2026-10",
                month.chars().take(40).collect::<String>()
            ),
        })
    })
}

/// Refuses filter choices a report does not take: its office and month are in its path (a
/// department viewer's filter carries its own department, put there by [`View::read`]).
pub(super) fn only_bursts_and_language(filter: &Filter, scope: &Scope) -> Result<(), PageError> {
    let pinned = Filter::default_for(filter.to).within(scope);
    let refused = |parameter: &str| {
        Err(PageError::BadFilter(FilterError {
            parameter: parameter.to_owned(),
            problem: "a report takes its office and month from its path; only bursts, lang and format may be given".to_owned(),
        }))
    };
    if filter.preset != Preset::Last30Days {
        return refused("period");
    }
    if (&filter.office, &filter.department, &filter.desk)
        != (&pinned.office, &pinned.department, &pinned.desk)
    {
        return refused("office");
    }
    if filter.question != Question::Overall {
        return refused("standard");
    }
    if filter.language.is_some() {
        return refused("language");
    }
    Ok(())
}

/// `GET /dashboard/reports/{office}/{month}` and `…/{month}.csv`.
#[tracing::instrument(skip_all)]
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((office, month)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let path = format!("/dashboard/reports/{office}/{month}");
    let (view, extras) = View::read(&state, viewer, query.as_deref(), &path, &["format"]).await?;
    only_bursts_and_language(&view.filter, &view.viewer.scope)?;
    let (month, as_csv) = match month.strip_suffix(".csv") {
        Some(month) => (month.to_owned(), true),
        None => (month, false),
    };
    let (first, last) = month_range(&month)?;
    if view.places.office_name(&office).is_none() || !view.viewer.scope.covers_office(&office) {
        return Err(PageError::NotFound);
    }
    let report = build(&state.storage.for_one_page(), &view, &office, first, last).await?;
    if as_csv {
        let dialect = Dialect::parse(&extras)?;
        let body = report_csv(&report, dialect);
        return Ok((
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"ocena-raport-{office}-{month}.csv\""),
                ),
            ],
            body,
        )
            .into_response());
    }
    let lang = view.lang();
    // The months in words for the page; the CSV keeps `2026-11`.
    let month_name = lang.month(first);
    let previous_name = lang.month(first.checked_sub_months(Months::new(1)).unwrap_or(first));
    let title = format!(
        "{} — {} {}",
        report.office_name,
        lang.pick("raport miesięczny", "monthly report"),
        month_name
    );
    let csv_link = format!("{path}.csv");
    let body = html! {
        p { (lang.pick(
            "Monitorowanie Standardów Obsługi Klienta (zarządzenie 4216/2018, §3). Serie ocen pominięte, chyba że wybrano inaczej; komórki poniżej 5 odpowiedzi bez wyniku.",
            "Monitoring of the Customer Service Standards (ordinance 4216/2018, §3). Bursts left out unless chosen; cells below 5 responses show no score.")) }
        p.no-print {
            a.button href=(csv_link) { (lang.pick("Pobierz CSV", "Download CSV")) } " "
            a.button href=(format!("{csv_link}?format=excel")) { (lang.pick("CSV dla Excela", "CSV for Excel")) }
        }
        h2 { (lang.pick("Ocena ogólna", "Overall rating")) }
        (lines_table(&month_name, lang.pick("Pytanie", "Question"), std::slice::from_ref(&report.total), &previous_name, lang))
        h2 { (lang.pick("Według standardu", "By standard")) }
        @if report.standards.is_empty() {
            p { (lang.pick("Żaden standard nie był oceniany.", "No standard was rated.")) }
        } @else {
            (lines_table(lang.pick("Standardy", "Standards"), lang.pick("Standard", "Standard"), &report.standards, &previous_name, lang))
            @let rows: Vec<_> = report.standards.iter().map(|l| (l.id.clone(), l.name.clone(), None, l.now)).collect();
            (not_applicable_table(lang.pick("Odpowiedzi „nie dotyczy” (nie są ocenami)", "Not-applicable answers (not scores)"), lang.pick("Standard", "Standard"), &rows, lang))
        }
        h2 { (lang.pick("Według wydziału", "By department")) }
        (lines_table(lang.pick("Wydziały", "Departments"), lang.pick("Wydział", "Department"), &report.departments, &previous_name, lang))
        h2 { (lang.pick("Najczęstsze powody niskich ocen", "Most chosen reasons after low scores")) }
        (reasons_table(lang.pick("Powody", "Reasons"), report.reasons.as_deref(), lang))
    };
    Ok(view.page(Section::Reports, &title, &body).into_response())
}

/// The report CSV's columns (Polish headings for Excel: `Dialect::heading`).
pub const CSV_COLUMNS: [&str; 17] = [
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
    "not_applicable_answers",
    "not_applicable_percent",
];

/// A report CSV line's "does not apply" count and share: for a standard's line (the overall
/// question has no such answers), empty when disclosure control withholds them.
pub fn not_applicable_fields(section: &str, counts: &Counts, dialect: Dialect) -> [String; 2] {
    if section != "standard" {
        return [String::new(), String::new()];
    }
    [
        counts
            .shown_not_applicable()
            .map(|n| n.to_string())
            .unwrap_or_default(),
        counts
            .not_applicable_percent()
            .map(|p| dialect.decimal(p, 1))
            .unwrap_or_default(),
    ]
}

/// The report as CSV: one line per overall, standard and department row.
fn report_csv(report: &Report, dialect: Dialect) -> String {
    let mut out = String::from(dialect.preamble());
    dialect.line(&CSV_COLUMNS.map(|c| dialect.heading(c)), &mut out);
    let sections = std::iter::once(("overall", &report.total))
        .chain(report.standards.iter().map(|l| ("standard", l)))
        .chain(report.departments.iter().map(|l| ("department", l)));
    for (section, line) in sections {
        let now = line.now.figures();
        let before = line.before.figures();
        let or_empty = |v: Option<String>| v.unwrap_or_default();
        let mut fields = vec![
            section.to_owned(),
            line.id.clone(),
            line.name.clone(),
            report.month.clone(),
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
            report.previous_month.clone(),
            or_empty(line.before.shown_responses().map(|n| n.to_string())),
            or_empty(before.as_ref().map(|f| dialect.decimal(f.csat_percent, 1))),
            or_empty(change(line).map(|c| dialect.decimal(c, 1))),
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
                report.month.clone(),
                reason.chosen.to_string(),
            ],
            &mut out,
        );
    }
    out
}

/// `GET /dashboard/reports`: the offices the viewer may read, each with its last months.
#[tracing::instrument(skip_all)]
pub async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Markup, PageError> {
    let (view, _) = View::read(&state, viewer, query.as_deref(), "/dashboard/reports", &[]).await?;
    only_bursts_and_language(&view.filter, &view.viewer.scope)?;
    let lang = view.lang();
    let today = Filter::today();
    let this_month = today.with_day(1).unwrap_or(today);
    let months: Vec<(String, String)> = (0..MONTHS_LISTED)
        .filter_map(|n| this_month.checked_sub_months(Months::new(n)))
        .map(|d| (format!("{:04}-{:02}", d.year(), d.month()), lang.month(d)))
        .collect();
    let suffix = if lang == Lang::En { "?lang=en" } else { "" };
    let title = lang.pick("Raporty miesięczne", "Monthly reports");
    let last_month = crate::department_reports::Month::of(this_month).previous();
    let department_link = |office: &str, department: &str| {
        format!(
            "{}{suffix}",
            crate::department_reports::report_path(office, department, last_month)
        )
    };
    let scope = &view.viewer.scope;
    let body = html! {
        p { (lang.pick(
            "Raport miesięczny urzędu: liczba odpowiedzi, odsetek zadowolonych i rozkład ocen według standardu i wydziału, zmiana w porównaniu z poprzednim miesiącem, najczęstsze powody niskich ocen. Raport wydziału (dla jego kierownika, §\u{a0}5 ust.\u{a0}1 zarządzenia): to samo według standardu i stanowiska, także w porównaniu z tym samym miesiącem przed rokiem.",
            "An office's monthly report: responses, CSAT and distribution by standard and department, change against the previous month, most chosen reasons. A department's report (for its head, §5.1 of the ordinance): the same by standard and desk, also against the same month a year before.")) }
        @for office in &view.places.offices {
            h2 { (office.name) }
            @if scope.covers_office(&office.office_id) {
                ul.months {
                    @for (month, name) in &months {
                        li { a href=(format!("/dashboard/reports/{}/{month}{suffix}", office.office_id)) { (name) } }
                    }
                }
            }
            @let departments: Vec<_> = view.places.departments.iter().filter(|d| d.office_id == office.office_id).collect();
            @if !departments.is_empty() {
                h3 { (lang.pick("Raporty wydziałów za", "Departments' reports for")) " " (last_month.name(lang)) }
                ul.departments {
                    @for d in departments {
                        @if let Some(id) = &d.department_id {
                            li { a href=(department_link(&office.office_id, id)) { (d.name) } }
                        }
                    }
                }
            }
        }
    };
    Ok(view.page(Section::Reports, title, &body))
}
