//! What a dashboard view, export or API call is about, parsed strictly from its URL query: the
//! period, where (office, department, desk), which question, which language, and whether bursts
//! count. Anything unknown or malformed is refused with the parameter's name; the values reach
//! SQL only as bound parameters.

use std::fmt;

use chrono::{Datelike, Days, Months, NaiveDate};
use model::{DeskId, LanguageTag, Question};

/// The longest custom period, in days: about three years of rollups.
pub const MAX_PERIOD_DAYS: u64 = 3 * 366;

/// Longest office or department id accepted (ids are short slugs).
pub const MAX_ID_CHARS: usize = 64;

/// How a problem's parameter name or value is quoted at most (it comes from the request).
const MAX_QUOTED_CHARS: usize = 40;

/// The period presets of the filter form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Last7Days,
    Last30Days,
    Last90Days,
    ThisMonth,
    LastMonth,
    ThisYear,
    Custom,
}

impl Preset {
    pub const ALL: [Preset; 7] = [
        Preset::Last7Days,
        Preset::Last30Days,
        Preset::Last90Days,
        Preset::ThisMonth,
        Preset::LastMonth,
        Preset::ThisYear,
        Preset::Custom,
    ];

    /// The value in the URL.
    pub fn code(self) -> &'static str {
        match self {
            Preset::Last7Days => "last7",
            Preset::Last30Days => "last30",
            Preset::Last90Days => "last90",
            Preset::ThisMonth => "this-month",
            Preset::LastMonth => "last-month",
            Preset::ThisYear => "this-year",
            Preset::Custom => "custom",
        }
    }

    fn parse(code: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The first and last day of the preset's period, ending `today` (Europe/Warsaw).
    fn days(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        let back = |n: u64| today.checked_sub_days(Days::new(n - 1)).unwrap_or(today);
        let first_of_month = today.with_day(1).unwrap_or(today);
        match self {
            Preset::Last7Days => (back(7), today),
            Preset::Last30Days | Preset::Custom => (back(30), today),
            Preset::Last90Days => (back(90), today),
            Preset::ThisMonth => (first_of_month, today),
            Preset::LastMonth => {
                let last = first_of_month.pred_opt().unwrap_or(first_of_month);
                (last.with_day(1).unwrap_or(last), last)
            }
            Preset::ThisYear => (today.with_ordinal(1).unwrap_or(today), today),
        }
    }
}

/// The step of a trend: a point per week (starting Monday) or per month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Week,
    Month,
}

impl Step {
    pub const ALL: [Step; 2] = [Step::Week, Step::Month];

    pub fn code(self) -> &'static str {
        match self {
            Step::Week => "week",
            Step::Month => "month",
        }
    }
}

/// A parsed filter. Dates are Europe/Warsaw days, both ends included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub preset: Preset,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub office: Option<String>,
    /// A department of `office` (a department id is unique only within its office).
    pub department: Option<String>,
    pub desk: Option<DeskId>,
    /// The overall question unless a standard is chosen.
    pub question: Question,
    pub language: Option<LanguageTag>,
    /// Whether overall ratings flagged as bursts are counted (not by default).
    pub include_bursts: bool,
    /// The trend's step: chosen, or weeks for periods up to 90 days and months beyond.
    pub step: Step,
}

/// A query parameter that was not accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// The parameter at fault, as given (shortened).
    pub parameter: String,
    pub problem: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "query parameter `{}`: {}", self.parameter, self.problem)
    }
}

impl std::error::Error for FilterError {}

/// Shortens request text for an error message (rendering escapes it in any case).
fn quoted(text: &str) -> String {
    let mut short: String = text.chars().take(MAX_QUOTED_CHARS).collect();
    if text.chars().count() > MAX_QUOTED_CHARS {
        short.push('…');
    }
    short
}

fn problem(parameter: &str, problem: impl Into<String>) -> FilterError {
    FilterError {
        parameter: quoted(parameter),
        problem: problem.into(),
    }
}

/// Whether `value` is an office or department id: a lowercase slug of at most [`MAX_ID_CHARS`].
pub fn is_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_ID_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
}

/// An office or department id: a lowercase slug.
fn slug(parameter: &str, value: &str) -> Result<String, FilterError> {
    if is_id(value) {
        Ok(value.to_owned())
    } else {
        Err(problem(
            parameter,
            format!(
                "{:?} is not an id (lowercase letters, digits and hyphens, at most {MAX_ID_CHARS})",
                quoted(value)
            ),
        ))
    }
}

/// The ids [`is_id`] accepts, as a regular expression for the API's description.
pub fn id_pattern() -> String {
    format!("^[a-z0-9][a-z0-9-]{{0,{}}}$", MAX_ID_CHARS - 1)
}

/// The years a filter's dates may fall in.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The dates [`date`] accepts (`YYYY-MM-DD` in [`YEARS`]), as a regular expression for the API's
/// description. It leaves out 29 February, which a pattern cannot tell from a leap year's.
pub const DATE_PATTERN: &str = "^(20[0-9]{2}|2100)-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|\
(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))$";

fn date(parameter: &str, value: &str) -> Result<NaiveDate, FilterError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|d| YEARS.contains(&d.year()) && value.len() == 10)
        .ok_or_else(|| {
            problem(
                parameter,
                format!("{:?} is not a date like 2026-03-31", quoted(value)),
            )
        })
}

/// The parameters every filter understands; `lang` is the page language, read by the viewer.
const FILTER_PARAMETERS: [&str; 11] = [
    "period",
    "from",
    "to",
    "office",
    "department",
    "desk",
    "standard",
    "language",
    "bursts",
    "step",
    "lang",
];

impl Filter {
    /// The default filter: the last 30 days, overall question, everywhere, bursts left out.
    pub fn default_for(today: NaiveDate) -> Filter {
        let (from, to) = Preset::Last30Days.days(today);
        Filter {
            preset: Preset::Last30Days,
            from,
            to,
            office: None,
            department: None,
            desk: None,
            question: Question::Overall,
            language: None,
            include_bursts: false,
            step: Step::Week,
        }
    }

    /// Parses a URL query (`period=last7&office=plock`), `today` being the Europe/Warsaw date.
    /// Besides the filter's own parameters only `extra` ones are allowed; their values are
    /// returned for the caller to check. Empty values count as absent (an empty form field).
    pub fn parse(
        query: &str,
        today: NaiveDate,
        extra: &[&str],
    ) -> Result<(Filter, Vec<(String, String)>), FilterError> {
        let mut seen: Vec<String> = Vec::new();
        let mut given: Vec<(String, String)> = Vec::new();
        let mut extras = Vec::new();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if !FILTER_PARAMETERS.contains(&name.as_ref()) && !extra.contains(&name.as_ref()) {
                return Err(problem(&name, "unknown parameter"));
            }
            if seen.contains(&name.to_string()) {
                return Err(problem(&name, "given more than once"));
            }
            seen.push(name.to_string());
            if value.is_empty() {
                continue;
            }
            if extra.contains(&name.as_ref()) {
                extras.push((name.into_owned(), value.into_owned()));
            } else {
                given.push((name.into_owned(), value.into_owned()));
            }
        }
        let value = |name: &str| {
            given
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };

        let from = value("from").map(|v| date("from", v)).transpose()?;
        let to = value("to").map(|v| date("to", v)).transpose()?;
        let preset = match value("period") {
            Some(code) => Preset::parse(code).ok_or_else(|| {
                problem(
                    "period",
                    format!(
                        "{:?} is not one of last7, last30, last90, this-month, last-month, this-year, custom",
                        quoted(code)
                    ),
                )
            })?,
            None if from.is_some() || to.is_some() => Preset::Custom,
            None => Preset::Last30Days,
        };
        let (from, to) = match (preset, from, to) {
            (Preset::Custom, Some(from), Some(to)) => (from, to),
            (Preset::Custom, _, None) => {
                return Err(problem("to", "a custom period needs both from and to"));
            }
            (Preset::Custom, None, _) => {
                return Err(problem("from", "a custom period needs both from and to"));
            }
            (preset, None, None) => preset.days(today),
            (_, _, _) => {
                return Err(problem(
                    "period",
                    "from and to go only with period=custom (or without period)",
                ));
            }
        };
        if to < from {
            return Err(problem("to", "the period ends before it starts"));
        }
        if to.signed_duration_since(from).num_days() >= i64::try_from(MAX_PERIOD_DAYS).unwrap_or(0)
        {
            return Err(problem(
                "from",
                format!("the period may be at most {MAX_PERIOD_DAYS} days"),
            ));
        }

        let office = value("office").map(|v| slug("office", v)).transpose()?;
        let department = value("department")
            .map(|v| slug("department", v))
            .transpose()?;
        if department.is_some() && office.is_none() {
            return Err(problem(
                "department",
                "a department needs its office (department ids repeat across offices)",
            ));
        }
        let desk = value("desk")
            .map(|v| {
                v.parse::<DeskId>()
                    .map_err(|_| problem("desk", format!("{:?} is not a desk id", quoted(v))))
            })
            .transpose()?;
        let question = match value("standard") {
            None => Question::Overall,
            Some(v) => v.parse::<Question>().map_err(|_| {
                problem(
                    "standard",
                    format!("{:?} is not overall or a standard I–XIII", quoted(v)),
                )
            })?,
        };
        let language = value("language")
            .map(|v| {
                v.parse::<LanguageTag>().map_err(|_| {
                    problem(
                        "language",
                        format!("{:?} is not a two-letter language code", quoted(v)),
                    )
                })
            })
            .transpose()?;
        let include_bursts = match value("bursts") {
            None | Some("exclude") => false,
            Some("include") => true,
            Some(v) => {
                return Err(problem(
                    "bursts",
                    format!("{:?} is not include or exclude", quoted(v)),
                ));
            }
        };
        let step = match value("step") {
            Some("week") => Step::Week,
            Some("month") => Step::Month,
            None if to.signed_duration_since(from).num_days() < 92 => Step::Week,
            None => Step::Month,
            Some(v) => {
                return Err(problem(
                    "step",
                    format!("{:?} is not week or month", quoted(v)),
                ));
            }
        };
        if let Some(lang) = value("lang")
            && crate::lang::Lang::parse(lang).is_none()
        {
            return Err(problem(
                "lang",
                format!("{:?} is not pl or en", quoted(lang)),
            ));
        }
        Ok((
            Filter {
                preset,
                from,
                to,
                office,
                department,
                desk,
                question,
                language,
                include_bursts,
                step,
            },
            extras,
        ))
    }

    /// The filter as URL query pairs, defaults left out, so links keep it.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if self.preset == Preset::Custom {
            pairs.push(("from", self.from.to_string()));
            pairs.push(("to", self.to.to_string()));
        } else if self.preset != Preset::Last30Days {
            pairs.push(("period", self.preset.code().to_owned()));
        }
        if let Some(office) = &self.office {
            pairs.push(("office", office.clone()));
        }
        if let Some(department) = &self.department {
            pairs.push(("department", department.clone()));
        }
        if let Some(desk) = &self.desk {
            pairs.push(("desk", desk.to_string()));
        }
        if self.question != Question::Overall {
            pairs.push(("standard", self.question.to_string()));
        }
        if let Some(language) = &self.language {
            pairs.push(("language", language.to_string()));
        }
        if self.include_bursts {
            pairs.push(("bursts", "include".to_owned()));
        }
        pairs.push(("step", self.step.code().to_owned()));
        pairs
    }

    /// The filter as a URL query string with `more` pairs appended (already without `?`).
    pub fn to_query(&self, more: &[(&str, &str)]) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.query_pairs() {
            out.append_pair(name, &value);
        }
        for (name, value) in more {
            out.append_pair(name, value);
        }
        out.finish()
    }

    /// This filter narrowed to one office (dropping any department or desk of another).
    pub fn at_office(&self, office: &str) -> Filter {
        Filter {
            office: Some(office.to_owned()),
            department: None,
            desk: None,
            ..self.clone()
        }
    }

    /// This filter pinned to a department scope's own office and department unless it names a
    /// desk (which [`super::Places::covers`] has then found within them), so its figures are
    /// about the department and never labelled as its office's; other scopes leave it as it is.
    pub fn within(self, scope: &crate::access::Scope) -> Filter {
        match (scope.office(), scope.department(), &self.desk) {
            (Some(office), Some(department), None) => Filter {
                office: Some(office.to_owned()),
                department: Some(department.to_owned()),
                ..self
            },
            _ => self,
        }
    }

    /// The Europe/Warsaw date now.
    pub fn today() -> NaiveDate {
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Warsaw)
            .date_naive()
    }

    /// The first and last day of the calendar month `month` (`YYYY-MM`).
    pub fn month(month: &str) -> Option<(NaiveDate, NaiveDate)> {
        let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
        if month.len() != 7 {
            return None;
        }
        let next = first.checked_add_months(Months::new(1))?;
        Some((first, next.pred_opt()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).expect("date")
    }

    fn parse(query: &str) -> Result<Filter, FilterError> {
        Filter::parse(query, today(), &[]).map(|(f, _)| f)
    }

    #[test]
    fn presets_resolve_to_warsaw_days() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let f = parse("").expect("default");
        assert_eq!((f.from, f.to, f.step), (d(10, 28), d(11, 26), Step::Week));
        let f = parse("period=last-month").expect("last month");
        assert_eq!((f.from, f.to), (d(10, 1), d(10, 31)));
        let f = parse("period=this-year").expect("this year");
        assert_eq!((f.from, f.step), (d(1, 1), Step::Month));
        let f = parse("from=2026-02-01&to=2026-02-28&step=month").expect("custom");
        assert_eq!(
            (f.preset, f.from, f.to),
            (Preset::Custom, d(2, 1), d(2, 28))
        );
    }

    #[test]
    fn every_field_parses_and_round_trips_through_the_query() {
        let f = parse(
            "period=last7&office=plock&department=wso&desk=plock-wso-03&standard=IV&language=uk&bursts=include&lang=en",
        )
        .expect("valid");
        assert_eq!(f.office.as_deref(), Some("plock"));
        assert_eq!(f.question.to_string(), "IV");
        assert!(f.include_bursts);
        assert_eq!(parse(&f.to_query(&[])).expect("round trip"), f);
        // An empty form submits every field empty: the defaults.
        assert_eq!(
            parse("period=&office=&department=&desk=&standard=&language=&bursts=").expect("empty"),
            parse("").expect("default")
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_parameter() {
        for (query, parameter) in [
            ("office=plock'%20OR%201=1--", "office"),
            ("desk=%3Cscript%3Ealert(1)%3C/script%3E", "desk"),
            ("standard=XIV", "standard"),
            ("standard=1;DROP TABLE answers", "standard"),
            ("language=polish", "language"),
            ("bursts=yes", "bursts"),
            ("period=forever", "period"),
            ("from=2026-13-01&to=2026-12-01", "from"),
            ("from=2026-03-01", "to"),
            ("from=2026-03-02&to=2026-03-01", "to"),
            ("from=2020-01-01&to=2026-01-01", "from"),
            ("period=last7&from=2026-01-01&to=2026-01-02", "period"),
            ("department=wso", "department"),
            ("step=day", "step"),
            ("lang=fr", "lang"),
            ("sort=desc", "sort"),
            ("office=plock&office=gabin", "office"),
        ] {
            let error = parse(query).expect_err(query);
            assert_eq!(error.parameter, parameter, "{query}: {error}");
        }
    }

    #[test]
    fn extra_parameters_are_allowed_only_when_named() {
        let (_, extras) = Filter::parse("format=excel", today(), &["format"]).expect("extra");
        assert_eq!(extras, [("format".to_owned(), "excel".to_owned())]);
        assert!(parse("format=excel").is_err());
    }

    #[test]
    fn months_are_whole_calendar_months() {
        let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).expect("date");
        assert_eq!(Filter::month("2024-02"), Some((d(2, 1), d(2, 29))));
        assert_eq!(Filter::month("2024-2"), None);
        assert_eq!(Filter::month("2024-13"), None);
    }
}
