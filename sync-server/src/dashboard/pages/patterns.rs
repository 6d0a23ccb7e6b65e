//! `/dashboard/patterns`: when clients come and how satisfied they are (weekday × hour heatmap,
//! Europe/Warsaw time), which languages they chose, and how often the larger-text mode was on.

use axum::extract::{RawQuery, State};
use maud::{Markup, html};

use super::{PageError, View, figures_table, percent};
use crate::analytics::Counts;
use crate::dashboard::layout::Section;
use crate::dashboard::{Viewer, charts, labels};
use crate::web::AppState;

#[tracing::instrument(skip_all)]
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Markup, PageError> {
    let (view, _) =
        View::read(&state, viewer, query.as_deref(), "/dashboard/patterns", &[]).await?;
    let lang = view.lang();
    let scope = view.viewer.scope.clone();
    let storage = state.storage.for_one_page();
    let cells = storage.heatmap(view.filter.clone(), scope.clone()).await?;
    let usage = storage.usage(view.filter.clone(), scope).await?;
    let chart_cells: Vec<charts::HeatCell> = cells
        .iter()
        .map(|c| charts::HeatCell {
            weekday: c.weekday,
            hour: c.hour,
            counts: c.counts,
        })
        .collect();
    let weekdays = charts::weekday_names(lang);
    let heat_rows: Vec<(String, String, Option<String>, Counts)> = cells
        .iter()
        .map(|c| {
            let label = format!(
                "{} {:02}:00–{:02}:59",
                weekdays[usize::from(c.weekday).min(6)],
                c.hour,
                c.hour
            );
            (format!("{}-{}", c.weekday, c.hour), label, None, c.counts)
        })
        .collect();
    let language_rows: Vec<(String, String, Option<String>, Counts)> = usage
        .languages
        .iter()
        .map(|(code, counts)| {
            (
                code.clone(),
                labels::language(code).to_owned(),
                None,
                *counts,
            )
        })
        .collect();
    let text_rows = vec![
        (
            "normal".to_owned(),
            lang.pick("zwykły tekst", "normal text").to_owned(),
            None,
            usage.normal_text,
        ),
        (
            "larger".to_owned(),
            lang.pick("większy tekst", "larger text").to_owned(),
            None,
            usage.larger_text,
        ),
    ];
    // The share is shown only when both counts are: it would otherwise give a withheld one back.
    let larger_share = match (
        usage.normal_text.shown_responses(),
        usage.larger_text.shown_responses(),
    ) {
        (Some(normal), Some(larger)) if normal + larger > 0 => {
            Some(100.0 * larger as f64 / (normal + larger) as f64)
        }
        _ => None,
    };
    let title = lang.pick("Dni, godziny i języki", "Days, hours and languages");
    let heat_title = lang.pick(
        "Odsetek zadowolonych według dnia tygodnia i godziny (czas warszawski)",
        "CSAT by weekday and hour (Warsaw time)",
    );
    let body = html! {
        (view.filter_form())
        h2 { (heat_title) }
        @if cells.is_empty() {
            p { (lang.pick("Brak odpowiedzi w tym okresie.", "No responses in this period.")) }
        } @else {
            p { (lang.pick(
                "Każda komórka podaje odsetek zadowolonych w procentach: im ciemniejsza, tym wyższy. Kreska i kreskowanie: mniej niż 5 odpowiedzi.",
                "Each cell shows CSAT in percent: the darker, the higher. A dash and hatching: fewer than 5 responses.")) }
            (charts::heatmap("heatmap", heat_title, &chart_cells, lang))
            details {
                summary { (lang.pick("Dane mapy (tabela)", "Heatmap figures (table)")) }
                (figures_table(heat_title, lang.pick("Dzień i godzina", "Day and hour"), &heat_rows, lang))
            }
        }
        h2 { (lang.pick("Języki wybrane przez klientów", "Languages clients chose")) }
        @if !language_rows.is_empty() {
            (charts::distribution_bars("languages", lang.pick("Oceny według języka", "Scores by language"),
                &language_rows.iter().map(|(_, l, _, c)| (l.clone(), *c)).collect::<Vec<_>>(), lang))
            (charts::score_legend("languages", lang))
        }
        (figures_table(lang.pick("Języki", "Languages"), lang.pick("Język", "Language"), &language_rows, lang))
        h2 { (lang.pick("Tryb większego tekstu", "Larger-text mode")) }
        @if let Some(share) = larger_share {
            p { (lang.pick("Większy tekst był włączony przy ", "The larger text was on for "))
                (percent(lang, share))
                (lang.pick(" odpowiedzi.", " of answers.")) }
        }
        (figures_table(lang.pick("Wielkość tekstu", "Text size"), lang.pick("Tryb", "Mode"), &text_rows, lang))
    };
    Ok(view.page(Section::Patterns, title, &body))
}
