//! Server-rendered SVG charts: stacked distribution bars, a CSAT trend line and a weekday × hour
//! heatmap. Each is readable without colour (patterns, shapes, numbers written on the chart), is
//! an image with a title for screen readers (`role="img"`, `aria-labelledby`), and the pages put
//! the same numbers in an HTML table beside it. Cells with too few responses are drawn as such.

use maud::{Markup, html};

use super::labels;
use crate::analytics::Counts;
use crate::lang::Lang;

/// The four faces' names, worst first.
pub fn score_names(lang: Lang) -> [&'static str; 4] {
    [
        lang.pick("bardzo źle", "very bad"),
        lang.pick("źle", "bad"),
        lang.pick("dobrze", "good"),
        lang.pick("bardzo dobrze", "very good"),
    ]
}

/// The text every suppressed cell shows. True of both kinds (`analytics::disclosure`): a cell
/// with fewer than k answers, and a cell withheld beside one so that it cannot be worked out by
/// subtraction; the help page's "Why some cells are empty" says which is which may not be shown.
pub fn too_few(lang: Lang) -> &'static str {
    lang.pick("ukryte (ochrona danych)", "withheld (data protection)")
}

/// What a withheld cell shows instead of its response count.
pub fn withheld(lang: Lang) -> &'static str {
    lang.pick("ukryte", "withheld")
}

/// What a cell without a score says: "no responses" when empty, else that it is withheld.
pub fn no_score(counts: &Counts, lang: Lang) -> &'static str {
    if counts.responses() == 0 && !counts.is_withheld() {
        lang.pick("brak odpowiedzi", "no responses")
    } else {
        too_few(lang)
    }
}

/// Fill of each score's bar segment: a colour and a pattern, so print and colour-blind readers
/// tell them apart.
const SCORE_FILLS: [&str; 4] = ["score-1", "score-2", "score-3", "score-4"];

const INK: &str = "#1a1a1a";

/// The patterns of the four scores, with ids prefixed by the chart's id.
fn score_patterns(id: &str) -> Markup {
    html! {
        defs {
            pattern id=(format!("{id}-score-1")) width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                rect width="6" height="6" fill="#a4161a" {}
                line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2" {}
            }
            pattern id=(format!("{id}-score-2")) width="6" height="6" patternUnits="userSpaceOnUse" {
                rect width="6" height="6" fill="#f4c2c2" {}
                circle cx="3" cy="3" r="1.3" fill=(INK) {}
            }
            pattern id=(format!("{id}-score-3")) width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)" {
                rect width="6" height="6" fill="#b9dfa8" {}
                line x1="0" y1="0" x2="0" y2="6" stroke=(INK) stroke-width="1" {}
            }
            pattern id=(format!("{id}-score-4")) width="6" height="6" patternUnits="userSpaceOnUse" {
                rect width="6" height="6" fill="#1b6e20" {}
            }
            pattern id=(format!("{id}-too-few")) width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)" {
                rect width="8" height="8" fill="#ffffff" {}
                line x1="0" y1="0" x2="0" y2="8" stroke="#767676" stroke-width="1" {}
            }
        }
    }
}

/// The legend of the four scores, as HTML under a distribution chart.
pub fn score_legend(id: &str, lang: Lang) -> Markup {
    html! {
        ul.legend aria-label=(lang.pick("Legenda", "Legend")) {
            @for (i, name) in score_names(lang).into_iter().enumerate() {
                li {
                    svg width="18" height="18" aria-hidden="true" focusable="false" {
                        (score_patterns(&format!("{id}-legend-{i}")))
                        rect x="1" y="1" width="16" height="16" stroke=(INK)
                            fill=(format!("url(#{id}-legend-{i}-{})", SCORE_FILLS[i])) {}
                    }
                    " " (i + 1) " — " (name)
                }
            }
        }
    }
}

/// "12 odpowiedzi", "12 responses": a count of five or more (fewer show no figures).
fn responses(lang: Lang, count: i64) -> String {
    format!(
        "{} {}",
        lang.number(count as f64, 0),
        lang.pick("odpowiedzi", "responses")
    )
}

/// Charts label shares in whole percent.
fn percent(lang: Lang, value: f64) -> String {
    lang.percent(value, 0)
}

/// Horizontal stacked bars of the four faces, one per row (an office, a department, a desk…),
/// each segment labelled with its share; rows with too few responses say so instead.
pub fn distribution_bars(id: &str, title: &str, rows: &[(String, Counts)], lang: Lang) -> Markup {
    const LABEL_W: f64 = 260.0;
    const BAR_W: f64 = 560.0;
    const ROW_H: f64 = 46.0;
    let height = ROW_H * rows.len().max(1) as f64 + 10.0;
    // Room right of the bar for "100% zadowolonych".
    let width = LABEL_W + BAR_W + 150.0;
    let title_id = format!("{id}-title");
    html! {
        svg.chart id=(id) role="img" aria-labelledby=(title_id) viewBox=(format!("0 0 {width} {height}"))
            width=(width) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            (score_patterns(id))
            @for (row, (label, counts)) in rows.iter().enumerate() {
                @let y = ROW_H * row as f64 + 8.0;
                text x="0" y=(y + 27.0) font-size="14" fill=(INK) { (truncate(label, 34)) }
                @match counts.figures() {
                    Some(figures) => {
                        @let segments = segments(&figures.shares_percent, LABEL_W, BAR_W);
                        @for (i, (x, w)) in segments.iter().enumerate() {
                            @if *w > 0.0 {
                                rect x=(fmt(*x)) y=(y + 16.0) width=(fmt(*w)) height="18" stroke=(INK) stroke-width="1"
                                    fill=(format!("url(#{id}-{})", SCORE_FILLS[i])) {
                                    title { (score_names(lang)[i]) ": " (figures.distribution[i]) " (" (percent(lang, figures.shares_percent[i])) ")" }
                                }
                                @if figures.shares_percent[i] >= 6.0 {
                                    text x=(fmt(x + w / 2.0)) y=(y + 12.0) font-size="11" text-anchor="middle" fill=(INK) {
                                        (percent(lang, figures.shares_percent[i]))
                                    }
                                }
                            }
                        }
                        text x=(LABEL_W + BAR_W + 8.0) y=(y + 30.0) font-size="13" fill=(INK) {
                            (labels::csat_value(lang, &percent(lang, figures.csat_percent)))
                        }
                    }
                    None => {
                        rect x=(LABEL_W) y=(y + 16.0) width=(BAR_W) height="18" stroke="#767676"
                            fill=(format!("url(#{id}-too-few)")) {}
                        text x=(LABEL_W + 8.0) y=(y + 12.0) font-size="12" fill=(INK) {
                            (no_score(counts, lang))
                        }
                    }
                }
            }
        }
    }
}

/// Segment (x, width) of each share along a bar starting at `x0` of width `w`.
fn segments(shares: &[f64; 4], x0: f64, w: f64) -> [(f64, f64); 4] {
    let mut x = x0;
    shares.map(|share| {
        let width = w * share / 100.0;
        let segment = (x, width);
        x += width;
        segment
    })
}

fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max - 1).collect();
        short.push('…');
        short
    }
}

/// One point of a trend: its label (a week's Monday or a month) and its counts.
pub struct TrendPoint<'a> {
    pub label: &'a str,
    pub counts: Counts,
}

/// CSAT over time as a line with a marker and the value at each point; points with too few
/// responses break the line and are marked with a hollow square and "–".
pub fn trend_line(id: &str, title: &str, points: &[TrendPoint<'_>], lang: Lang) -> Markup {
    const LEFT: f64 = 48.0;
    const TOP: f64 = 20.0;
    const PLOT_W: f64 = 760.0;
    const PLOT_H: f64 = 220.0;
    let width = LEFT + PLOT_W + 48.0;
    let height = TOP + PLOT_H + 56.0;
    let title_id = format!("{id}-title");
    let n = points.len().max(1);
    let step = if n > 1 { PLOT_W / (n - 1) as f64 } else { 0.0 };
    let x_of = |i: usize| LEFT + if n > 1 { step * i as f64 } else { PLOT_W / 2.0 };
    let y_of = |csat: f64| TOP + PLOT_H * (1.0 - csat / 100.0);
    // Line segments between consecutive points that both have a score.
    let mut path = String::new();
    let mut pen_down = false;
    for (i, point) in points.iter().enumerate() {
        match point.counts.figures() {
            Some(f) => {
                let command = if pen_down { 'L' } else { 'M' };
                path.push_str(&format!(
                    "{command}{:.1},{:.1} ",
                    x_of(i),
                    y_of(f.csat_percent)
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let label_every = n.div_ceil(12).max(1);
    let value_every = n.div_ceil(16).max(1);
    html! {
        svg.chart id=(id) role="img" aria-labelledby=(title_id) viewBox=(format!("0 0 {width} {height}"))
            width=(width) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            @for tick in [0, 25, 50, 75, 100] {
                @let y = y_of(f64::from(tick));
                line x1=(LEFT) x2=(LEFT + PLOT_W) y1=(fmt(y)) y2=(fmt(y)) stroke="#767676" stroke-width="1"
                    stroke-dasharray=(if tick == 0 { "" } else { "2 3" }) {}
                text x=(LEFT - 6.0) y=(fmt(y + 4.0)) font-size="12" text-anchor="end" fill=(INK) { (tick) "%" }
            }
            text x="0" y="12" font-size="12" fill=(INK) { (labels::csat(lang)) }
            path d=(path.trim_end()) fill="none" stroke="#0b5394" stroke-width="2.5" {}
            @for (i, point) in points.iter().enumerate() {
                @let x = x_of(i);
                @match point.counts.figures() {
                    Some(f) => {
                        circle cx=(fmt(x)) cy=(fmt(y_of(f.csat_percent))) r="4.5" fill="#0b5394" stroke="#ffffff" stroke-width="1.5" {
                            title { (point.label) ": " (labels::csat_value(lang, &percent(lang, f.csat_percent))) ", " (responses(lang, f.responses)) }
                        }
                        @if i % value_every == 0 || i + 1 == points.len() {
                            text x=(fmt(x)) y=(fmt(y_of(f.csat_percent) - 9.0)) font-size="11" text-anchor="middle" fill=(INK) {
                                (lang.number(f.csat_percent, 0))
                            }
                        }
                    }
                    None => {
                        rect x=(fmt(x - 4.0)) y=(fmt(TOP + PLOT_H - 4.0)) width="8" height="8" fill="#ffffff" stroke=(INK) {
                            title { (point.label) ": " (too_few(lang)) }
                        }
                        text x=(fmt(x)) y=(fmt(TOP + PLOT_H - 10.0)) font-size="11" text-anchor="middle" fill=(INK) { "–" }
                    }
                }
                @if i % label_every == 0 || i + 1 == points.len() {
                    text x=(fmt(x)) y=(TOP + PLOT_H + 18.0) font-size="11" text-anchor="middle" fill=(INK) { (point.label) }
                }
            }
        }
    }
}

/// One heatmap cell: weekday (0 = Monday), hour, counts.
pub struct HeatCell {
    pub weekday: u8,
    pub hour: u8,
    pub counts: Counts,
}

/// Weekday names, Monday first.
pub fn weekday_names(lang: Lang) -> [&'static str; 7] {
    match lang {
        Lang::Pl => ["pon.", "wt.", "śr.", "czw.", "pt.", "sob.", "niedz."],
        Lang::En => ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    }
}

/// Weekdays × hours, each cell shaded by CSAT with the CSAT written in it (black or white,
/// whichever contrasts more); cells with too few responses are hatched and marked "–".
pub fn heatmap(id: &str, title: &str, cells: &[HeatCell], lang: Lang) -> Markup {
    const LEFT: f64 = 60.0;
    const TOP: f64 = 24.0;
    const CELL_W: f64 = 48.0;
    const CELL_H: f64 = 30.0;
    let first_hour = cells.iter().map(|c| c.hour).min().unwrap_or(7).min(7);
    let last_hour = cells.iter().map(|c| c.hour).max().unwrap_or(17).max(17);
    let hours: Vec<u8> = (first_hour..=last_hour).collect();
    let width = LEFT + CELL_W * hours.len() as f64 + 10.0;
    let height = TOP + CELL_H * 7.0 + 10.0;
    let title_id = format!("{id}-title");
    html! {
        svg.chart id=(id) role="img" aria-labelledby=(title_id) viewBox=(format!("0 0 {width} {height}"))
            width=(width) height=(height) xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            (score_patterns(id))
            @for (column, hour) in hours.iter().enumerate() {
                text x=(fmt(LEFT + CELL_W * column as f64 + CELL_W / 2.0)) y="16" font-size="12" text-anchor="middle" fill=(INK) {
                    (format!("{hour}:00"))
                }
            }
            @for (weekday, name) in weekday_names(lang).into_iter().enumerate() {
                @let y = TOP + CELL_H * weekday as f64;
                text x="0" y=(fmt(y + 20.0)) font-size="12" fill=(INK) { (name) }
                @for (column, hour) in hours.iter().enumerate() {
                    @let x = LEFT + CELL_W * column as f64;
                    @let cell = cells.iter().find(|c| usize::from(c.weekday) == weekday && c.hour == *hour);
                    @let counts = cell.map(|c| c.counts).unwrap_or_default();
                    @match counts.figures() {
                        Some(f) => {
                            @let (fill, text_colour) = shade(f.csat_percent);
                            rect x=(fmt(x)) y=(fmt(y)) width=(CELL_W - 2.0) height=(CELL_H - 2.0) fill=(fill) {
                                title { (name) " " (hour) ":00: " (labels::csat_value(lang, &percent(lang, f.csat_percent))) ", " (responses(lang, f.responses)) }
                            }
                            text x=(fmt(x + CELL_W / 2.0 - 1.0)) y=(fmt(y + 19.0)) font-size="12" text-anchor="middle" fill=(text_colour) {
                                (lang.number(f.csat_percent, 0))
                            }
                        }
                        None if counts.responses() == 0 => {
                            rect x=(fmt(x)) y=(fmt(y)) width=(CELL_W - 2.0) height=(CELL_H - 2.0) fill="#ffffff" stroke="#767676" stroke-width="0.5" {}
                        }
                        None => {
                            rect x=(fmt(x)) y=(fmt(y)) width=(CELL_W - 2.0) height=(CELL_H - 2.0) fill=(format!("url(#{id}-too-few)")) stroke="#767676" stroke-width="0.5" {
                                title { (name) " " (hour) ":00: " (too_few(lang)) }
                            }
                            text x=(fmt(x + CELL_W / 2.0 - 1.0)) y=(fmt(y + 19.0)) font-size="12" text-anchor="middle" fill=(INK) { "–" }
                        }
                    }
                }
            }
        }
    }
}

/// A blue of lightness falling with CSAT (60% and below lightest), and the text colour (black or
/// white) that contrasts more with it: at least 4.58:1 for any background.
fn shade(csat: f64) -> (String, &'static str) {
    let t = ((csat - 60.0) / 40.0).clamp(0.0, 1.0);
    let light = (0xe8, 0xf0, 0xf8);
    let dark = (0x0b, 0x3d, 0x6e);
    let mix = |a: u8, b: u8| -> u8 {
        let v = f64::from(a) + (f64::from(b) - f64::from(a)) * t;
        v.round().clamp(0.0, 255.0) as u8
    };
    let (r, g, b) = (
        mix(light.0, dark.0),
        mix(light.1, dark.1),
        mix(light.2, dark.2),
    );
    let luminance = relative_luminance(r, g, b);
    let with_white = 1.05 / (luminance + 0.05);
    let with_black = (luminance + 0.05) / 0.05;
    let text = if with_white >= with_black {
        "#ffffff"
    } else {
        "#000000"
    };
    (format!("#{r:02x}{g:02x}{b:02x}"), text)
}

/// WCAG relative luminance of an sRGB colour.
fn relative_luminance(r: u8, g: u8, b: u8) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heatmap_text_contrasts_at_least_4_5_to_1_on_every_shade() {
        for csat in 0..=100 {
            let (fill, text) = shade(f64::from(csat));
            let hex = |s: &str, i: usize| u8::from_str_radix(&s[i..i + 2], 16).expect("hex");
            let bg = relative_luminance(hex(&fill, 1), hex(&fill, 3), hex(&fill, 5));
            let fg = if text == "#ffffff" { 1.0 } else { 0.0 };
            let (hi, lo) = if bg > fg { (bg, fg) } else { (fg, bg) };
            let ratio = (hi + 0.05) / (lo + 0.05);
            assert!(
                ratio >= 4.5,
                "CSAT {csat}: {fill} with {text} is {ratio:.2}:1"
            );
        }
    }

    #[test]
    fn a_suppressed_row_shows_no_shares() {
        let rows = vec![
            (
                "Gąbin".to_owned(),
                Counts {
                    withheld: true,
                    ..Counts::new([0, 1, 1, 2])
                },
            ),
            ("Płock".to_owned(), Counts::new([1, 1, 4, 4])),
        ];
        let svg = distribution_bars("c", "t", &rows, Lang::En).into_string();
        assert!(svg.contains("withheld (data protection)"));
        assert!(!svg.contains("(4)"), "a withheld row shows no count: {svg}");
        assert!(svg.contains("CSAT 80%"), "{svg}");
        assert_eq!(svg.matches("CSAT ").count(), 1, "only Płock has a score");
        assert!(svg.contains(r#"role="img""#) && svg.contains("aria-labelledby=\"c-title\""));
    }

    #[test]
    fn the_trend_breaks_where_a_point_is_suppressed() {
        let points = [
            TrendPoint {
                label: "a",
                counts: Counts::new([0, 0, 5, 5]),
            },
            TrendPoint {
                label: "b",
                counts: Counts {
                    withheld: true,
                    ..Counts::new([0, 0, 1, 1])
                },
            },
            TrendPoint {
                label: "c",
                counts: Counts::new([5, 0, 0, 5]),
            },
        ];
        let svg = trend_line("t", "trend", &points, Lang::En).into_string();
        let path = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a path");
        assert_eq!(path.matches('M').count(), 2, "two separate pieces: {path}");
        assert!(!path.contains('L'), "no line across the gap: {path}");
        assert!(svg.contains("b: withheld (data protection)"));
    }
}
