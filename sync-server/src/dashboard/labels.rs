//! Names the dashboard shows for catalogue items: standards by their ordinance titles, and the
//! reasons clients chose, in Polish from the kiosk's own Polish translation (the same words the
//! client read) or in English from the catalogue. Also the name of the satisfaction figure, which
//! Polish spells out and English abbreviates as "CSAT", explained wherever it is shown.

use std::collections::HashMap;
use std::sync::LazyLock;

use maud::{Markup, html};

use model::catalogue::Catalogue;
use model::{Question, StandardId};

use super::Lang;

/// The kiosk's Polish translation, whose `reason …` entries name the reasons in Polish.
const POLISH_PO: &str = include_str!("../../../ui/translations/pl/LC_MESSAGES/ui.po");

/// Polish text per reason code, read once from [`POLISH_PO`].
static POLISH_REASONS: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| reason_translations(POLISH_PO));

/// The `msgstr` of every `msgctxt "reason CODE"` entry of a .po file.
fn reason_translations(po: &str) -> HashMap<String, String> {
    let mut found = HashMap::new();
    let mut context: Option<String> = None;
    let mut lines = po.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("msgctxt ") {
            context = unquote(rest).strip_prefix("reason ").map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("msgstr ") {
            let mut text = unquote(rest);
            while let Some(next) = lines.peek().filter(|l| l.starts_with('"')) {
                text.push_str(&unquote(next));
                lines.next();
            }
            if let Some(code) = context.take()
                && !text.is_empty()
            {
                found.insert(code, text);
            }
        } else if line.is_empty() {
            context = None;
        }
    }
    found
}

/// The text of a .po string literal: quotes removed, `\"`, `\\` and `\n` unescaped.
fn unquote(literal: &str) -> String {
    let inner = literal
        .trim()
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or("");
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The satisfaction figure's name as a column or chart label: "Odsetek zadowolonych", "CSAT".
pub fn csat(lang: Lang) -> &'static str {
    lang.csat_name()
}

/// What the satisfaction figure is, in a sentence: the explanation shown with [`csat`].
pub fn csat_meaning(lang: Lang) -> &'static str {
    lang.csat_meaning()
}

/// A satisfaction value in words, as charts write it: "80% zadowolonych", "CSAT 80%".
pub fn csat_value(lang: Lang, percent: &str) -> String {
    match lang {
        Lang::Pl => format!("{percent} zadowolonych"),
        Lang::En => format!("CSAT {percent}"),
    }
}

/// [`csat`] as markup: English's abbreviation carries its meaning (`<abbr title>`); Polish names
/// the figure in full, and every page explains it in its footer.
pub fn csat_label(lang: Lang) -> Markup {
    html! {
        @match lang {
            Lang::Pl => (csat(lang)),
            Lang::En => abbr title=(csat_meaning(lang)) { (csat(lang)) },
        }
    }
}

/// A reason's text in `lang`; an unknown code (a retired reason) is shown as it is stored.
pub fn reason(code: &str, lang: Lang) -> String {
    let catalogue = Catalogue::ordinance_4216_2018();
    let english = catalogue
        .standards()
        .iter()
        .find_map(|s| s.reason(code))
        .map(|r| r.text);
    match (lang, english) {
        (Lang::Pl, Some(english)) => POLISH_REASONS
            .get(code)
            .cloned()
            .unwrap_or_else(|| english.to_owned()),
        (Lang::En, Some(english)) => english.to_owned(),
        (_, None) => code.to_owned(),
    }
}

/// A standard's title: the ordinance's own in Polish, the catalogue's short title in English.
pub fn standard_title(id: StandardId, lang: Lang) -> &'static str {
    let standard = Catalogue::ordinance_4216_2018().standard(id);
    match lang {
        Lang::Pl => standard.title_pl,
        Lang::En => standard.short_title,
    }
}

/// A question's name: "Ocena ogólna" for the overall rating, "IV — title" for a standard.
pub fn question(question: Question, lang: Lang) -> String {
    match question {
        Question::Overall => lang.pick("Ocena ogólna", "Overall rating").to_owned(),
        Question::Standard(id) => format!("{} — {}", id.roman(), standard_title(id, lang)),
    }
}

/// A stored question text (`overall`, `IV`) as [`question`] names it, or as stored.
pub fn question_text(stored: &str, lang: Lang) -> String {
    stored
        .parse::<Question>()
        .map_or_else(|_| stored.to_owned(), |q| question(q, lang))
}

/// A language code by the language's own name.
pub fn language(code: &str) -> &str {
    match code {
        "pl" => "polski",
        "en" => "English",
        "uk" => "українська",
        "de" => "Deutsch",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_in_polish_from_the_kiosks_translation() {
        assert_eq!(reason("iv-interrupted", Lang::Pl), "Przerywano mi");
        assert_eq!(reason("iv-interrupted", Lang::En), "I was interrupted");
        assert_eq!(reason("retired-code", Lang::Pl), "retired-code");
        assert!(question_text("IV", Lang::Pl).starts_with("IV — "));
    }
}
