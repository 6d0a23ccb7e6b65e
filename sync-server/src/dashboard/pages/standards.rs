//! `/dashboard/standards`: the overall rating and each standard area I–XIII with the ordinance's
//! titles, for the filter's period and places: responses, CSAT, mean, distribution, the share of
//! "does not apply" answers per standard, and per standard its most chosen reasons after low
//! scores.

use axum::extract::{RawQuery, State};
use maud::{Markup, html};
use model::{Question, StandardId};

use super::{PageError, View, figures_table, not_applicable_table, reasons_table};
use crate::analytics::{Counts, Level};
use crate::dashboard::layout::Section;
use crate::dashboard::{Viewer, charts, labels};
use crate::web::AppState;

/// Reasons listed under each standard.
const REASONS_PER_STANDARD: usize = 5;

#[tracing::instrument(skip_all)]
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Markup, PageError> {
    let (view, _) = View::read(
        &state,
        viewer,
        query.as_deref(),
        "/dashboard/standards",
        &[],
    )
    .await?;
    let lang = view.lang();
    let scope = view.viewer.scope.clone();
    let storage = state.storage.for_one_page();
    let groups = storage
        .breakdown(view.filter.clone(), scope.clone(), Level::Question)
        .await?;
    let counts = |q: Question| {
        groups
            .iter()
            .find(|g| g.id == q.to_string())
            .map(|g| g.counts)
            .unwrap_or_default()
    };
    let questions: Vec<Question> = std::iter::once(Question::Overall)
        .chain(StandardId::ALL.into_iter().map(Question::Standard))
        .collect();
    let rows: Vec<(String, String, Option<String>, Counts)> = questions
        .iter()
        .map(|q| {
            let link = view.link("/dashboard", |f| f.question = *q);
            (
                q.to_string(),
                labels::question(*q, lang),
                Some(link),
                counts(*q),
            )
        })
        .collect();
    let chart_rows: Vec<(String, Counts)> = rows
        .iter()
        .filter(|(_, _, _, c)| c.responses() > 0)
        .map(|(_, label, _, c)| (label.clone(), *c))
        .collect();
    let mut per_standard = Vec::new();
    for id in StandardId::ALL {
        let answered = counts(Question::Standard(id));
        if answered.responses() == 0 {
            continue;
        }
        let mut filter = view.filter.clone();
        filter.question = Question::Standard(id);
        let reasons = storage
            .top_reasons(filter, scope.clone(), REASONS_PER_STANDARD)
            .await?;
        per_standard.push((id, reasons));
    }
    let title = lang.pick("Standardy obsługi I–XIII", "Service standards I–XIII");
    let body = html! {
        (view.filter_form())
        p { (lang.pick(
            "Standardy zarządzenia 4216/2018. Standard X (klient agresywny) nie jest oceniany przez klientów; XI tylko na stanowiskach obsługi wewnętrznej.",
            "The standards of ordinance 4216/2018. Standard X (the aggressive client) is never rated by clients; XI only at internal-service desks.")) }
        @if !chart_rows.is_empty() {
            (charts::distribution_bars("standards", &format!("{title}: {}", lang.pick("rozkład ocen", "distribution of scores")), &chart_rows, lang))
            (charts::score_legend("standards", lang))
        }
        (figures_table(title, lang.pick("Pytanie", "Question"), &rows, lang))
        h2 { (lang.pick("Pytania, które nie dotyczyły wizyty", "Questions that did not apply to the visit")) }
        p { (lang.pick(
            "Klient może odpowiedzieć „Nie dotyczy” (np. nie dzwonił do urzędu). Takie odpowiedzi nie są ocenami: nie wchodzą do CSAT, średniej ani rozkładu.",
            "A client may answer \u{201c}Not applicable\u{201d} (e.g. they never phoned the office). Such answers are not scores: they are never part of CSAT, the mean or the distribution.")) }
        (not_applicable_table(lang.pick("Udział odpowiedzi „nie dotyczy” według standardu", "Share of not-applicable answers by standard"), lang.pick("Standard", "Standard"), &rows[1..], lang))
        h2 { (lang.pick("Powody niskich ocen według standardu", "Reasons after low scores by standard")) }
        @if per_standard.is_empty() {
            p { (lang.pick("Brak ocen standardów w tym okresie.", "No standard was rated in this period.")) }
        }
        @for (id, reasons) in &per_standard {
            h3 { (labels::question(Question::Standard(*id), lang)) }
            (reasons_table(lang.pick("Najczęstsze powody", "Most chosen reasons"), reasons.as_deref(), lang))
        }
    };
    Ok(view.page(Section::Standards, title, &body))
}
