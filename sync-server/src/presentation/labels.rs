//! Names the dashboard shows for catalogue items: standards by their ordinance titles, and the
//! reasons clients chose, in Polish from the kiosk's own Polish translation (the same words the
//! client read, through the `i18n` crate) or in English from the catalogue; the clients' languages
//! by their own names, from the same .po files. Also the name of the satisfaction figure, which
//! Polish spells out and English abbreviates as "CSAT", explained wherever it is shown.

use i18n::Translations;
use maud::{Markup, html};

use model::catalogue::Catalogue;
use model::{LanguageTag, Question, StandardId};

use crate::lang::Lang;

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
    let Some(reason) = catalogue.standards().iter().find_map(|s| s.reason(code)) else {
        return code.to_owned();
    };
    match lang {
        Lang::Pl => Translations::bundled()
            .get(&LanguageTag::polish())
            .map_or(reason.text, |polish| {
                polish.tr(&reason.context(), reason.text)
            })
            .to_owned(),
        Lang::En => reason.text.to_owned(),
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

/// A client's language by its own name ("Українська"), from its .po file; a code with no shipped
/// translation (a language since removed) as stored.
pub fn language(code: &str) -> &str {
    language_in(Translations::bundled(), code)
}

/// [`language`] among `shipped` translations rather than the bundled ones.
pub fn language_in<'a>(shipped: &'a Translations, code: &'a str) -> &'a str {
    shipped
        .by_code(code)
        .map_or(code, i18n::Catalog::native_name)
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

    #[test]
    fn languages_are_named_in_their_own_words() {
        assert_eq!(language("pl"), "Polski");
        assert_eq!(language("uk"), "Українська");
        assert_eq!(language("fr"), "fr", "no .po file: the stored code");
    }
}
