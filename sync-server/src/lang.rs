//! The two languages of everything staff read (dashboard pages, CSV for Excel, alert e-mails):
//! Polish by default, English by a switch kept in the URL (`?lang=en`) or the session. Texts are
//! written side by side with [`Lang::pick`]; every number, percentage, date and time is written by
//! the methods here, so each language has one format everywhere.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::event_time::REPORT_TIME_ZONE;

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

    /// The satisfaction figure's name: Polish spells it out, English keeps the usual abbreviation.
    pub fn csat_name(self) -> &'static str {
        self.pick("Odsetek zadowolonych", "CSAT")
    }

    /// What the satisfaction figure is, in a sentence, for wherever [`Lang::csat_name`] appears.
    pub fn csat_meaning(self) -> &'static str {
        self.pick(
            "Odsetek zadowolonych: oceny dobre i bardzo dobre (3 i 4) jako procent wszystkich ocen.",
            "CSAT (customer satisfaction): good and very good ratings (3 and 4) as a percentage of all ratings.",
        )
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

    /// A number with the language's decimal mark and no grouping, as a spreadsheet of that
    /// language reads it: `1234,5` in Polish, `1234.5` in English.
    pub fn decimal(self, value: f64, decimals: usize) -> String {
        let text = format!("{value:.decimals$}");
        match self {
            Lang::Pl => text.replace('.', ","),
            Lang::En => text,
        }
    }

    /// A percentage: `67,5%` in Polish, `67.5%` in English.
    pub fn percent(self, value: f64, decimals: usize) -> String {
        format!("{}%", self.number(value, decimals))
    }

    /// A change in percentage points with its sign and one decimal: `+2,5`, `−1,0`, `0,0`. The
    /// unit is named by the column or sentence around it, never abbreviated.
    pub fn signed_points(self, value: f64) -> String {
        let text = self.number(value, 1);
        let rounds_to_zero = !text.chars().any(|c| c.is_ascii_digit() && c != '0');
        if value > 0.0 && !rounds_to_zero {
            format!("+{text}")
        } else {
            text
        }
    }

    /// A calendar day: `01.11.2026` in Polish, `1 Nov 2026` in English.
    pub fn date(self, day: NaiveDate) -> String {
        match self {
            Lang::Pl => day.format("%d.%m.%Y").to_string(),
            Lang::En => day.format("%-d %b %Y").to_string(),
        }
    }

    /// A local date and time to the minute: `01.11.2026, 14:05`, `1 Nov 2026, 14:05`.
    pub fn date_time(self, time: NaiveDateTime) -> String {
        format!("{}, {}", self.date(time.date()), time.format("%H:%M"))
    }

    /// An instant (milliseconds since the epoch) as Warsaw time to the minute, as [`Lang::date_time`]
    /// writes it; `—` for an instant out of range.
    pub fn local_time(self, epoch_ms: i64) -> String {
        REPORT_TIME_ZONE
            .timestamp_millis_opt(epoch_ms)
            .single()
            .map_or_else(|| "—".to_owned(), |t| self.date_time(t.naive_local()))
    }

    /// The Warsaw day of an instant (milliseconds since the epoch), as [`Lang::date`] writes it.
    pub fn local_date(self, epoch_ms: i64) -> String {
        REPORT_TIME_ZONE
            .timestamp_millis_opt(epoch_ms)
            .single()
            .map_or_else(|| "—".to_owned(), |t| self.date(t.date_naive()))
    }

    /// A month of a year: `listopad 2026`, `November 2026`.
    pub fn month(self, day: NaiveDate) -> String {
        const POLISH: [&str; 12] = [
            "styczeń",
            "luty",
            "marzec",
            "kwiecień",
            "maj",
            "czerwiec",
            "lipiec",
            "sierpień",
            "wrzesień",
            "październik",
            "listopad",
            "grudzień",
        ];
        match self {
            Lang::Pl => format!("{} {}", POLISH[day.month0() as usize], day.year()),
            Lang::En => day.format("%B %Y").to_string(),
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
    fn percentages_points_and_dates_follow_the_language() {
        assert_eq!(Lang::Pl.percent(52.0, 1), "52,0%");
        assert_eq!(Lang::En.percent(52.04, 1), "52.0%");
        assert_eq!(Lang::Pl.percent(67.6, 0), "68%");
        assert_eq!(Lang::Pl.signed_points(2.54), "+2,5");
        assert_eq!(Lang::Pl.signed_points(-1.0), "−1,0");
        assert_eq!(
            Lang::En.signed_points(0.01),
            "0.0",
            "no sign on a change that rounds to 0"
        );
        let day = NaiveDate::from_ymd_opt(2026, 11, 3).expect("a day");
        assert_eq!(Lang::Pl.date(day), "03.11.2026");
        assert_eq!(Lang::En.date(day), "3 Nov 2026");
        let time = day.and_hms_opt(14, 5, 0).expect("a time");
        assert_eq!(Lang::Pl.date_time(time), "03.11.2026, 14:05");
        assert_eq!(Lang::En.date_time(time), "3 Nov 2026, 14:05");
        assert_eq!(Lang::Pl.month(day), "listopad 2026");
        // 13:05 UTC is 14:05 in Warsaw in November.
        let ms = day
            .and_hms_opt(13, 5, 0)
            .expect("a time")
            .and_utc()
            .timestamp_millis();
        assert_eq!(Lang::Pl.local_time(ms), "03.11.2026, 14:05");
        assert_eq!(Lang::En.local_date(ms), "3 Nov 2026");
        assert_eq!(Lang::En.month(day), "November 2026");
    }

    #[test]
    fn codes_round_trip() {
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse(Lang::Pl.code()), Some(Lang::Pl));
        assert_eq!(Lang::parse("de"), None);
    }
}
