//! The dashboard's two languages: Polish by default, English by a switch kept in the URL
//! (`?lang=en`) or the session. Texts are written side by side with [`Lang::pick`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Pl,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "pl" => Some(Lang::Pl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The text in this language: `lang.pick("Przegląd", "Overview")`.
    pub fn pick(self, polish: &'static str, english: &'static str) -> &'static str {
        match self {
            Lang::Pl => polish,
            Lang::En => english,
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Pl => Lang::En,
            Lang::En => Lang::Pl,
        }
    }

    /// A number with the language's separators: `12 345` and `67,5` in Polish, `12,345` and
    /// `67.5` in English.
    pub fn number(self, value: f64, decimals: usize) -> String {
        let text = format!("{:.*}", decimals, value.abs());
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        let (group, point) = match self {
            Lang::Pl => ('\u{a0}', ','),
            Lang::En => (',', '.'),
        };
        let mut grouped = String::new();
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 && !(self == Lang::Pl && whole.len() == 4) {
                grouped.push(group);
            }
            grouped.push(digit);
        }
        let sign = if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
            "−"
        } else {
            ""
        };
        if fraction.is_empty() {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}{point}{fraction}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_use_each_languages_separators() {
        assert_eq!(Lang::Pl.number(12345.0, 0), "12\u{a0}345");
        assert_eq!(
            Lang::Pl.number(1234.0, 0),
            "1234",
            "Polish does not group four digits"
        );
        assert_eq!(Lang::En.number(1234.0, 0), "1,234");
        assert_eq!(Lang::Pl.number(67.54, 1), "67,5");
        assert_eq!(Lang::En.number(1_234_567.25, 2), "1,234,567.25");
        assert_eq!(Lang::En.number(-3.0, 0), "−3");
        assert_eq!(Lang::En.number(-0.01, 0), "0");
    }

    #[test]
    fn codes_round_trip() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse(Lang::Pl.code()), Some(Lang::Pl));
        assert_eq!(Lang::parse("de"), None);
    }
}
