//! The monthly report of one department for its head (§5.1 of ordinance 4216/2018: heads of
//! organizational units monitor that their unit keeps the Standards): the department's
//! responses, satisfaction and distribution overall, per desk and per standard, each against the
//! previous month and the same month a year before, the most chosen reasons and the standards
//! that moved most. Every figure is read through [`Storage`] with the same filters the dashboard
//! uses, so disclosure control applies to it as to every page, and the report equals the
//! dashboard for the same month. The page and CSV are in `dashboard/pages/department_report.rs`,
//! the e-mail and its delivery round in [`delivery`].

pub mod delivery;

use chrono::{Datelike, Months, NaiveDate};
use model::{Question, StandardId};

use crate::access::Scope;
use crate::analytics::{Counts, Filter, Group, Level, Places, Preset, ReasonCount, Step};
use crate::lang::Lang;
use crate::presentation::labels;
use crate::storage::{Storage, StorageError};

/// Reasons listed at most.
pub const REASONS_LISTED: usize = 10;
/// Standards named as having moved most, at most.
pub const MOVERS_LISTED: usize = 3;

/// A calendar month, Europe/Warsaw days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// `YYYY-MM`, or `None` for anything else.
    pub fn parse(text: &str) -> Option<Month> {
        let (first, _) = Filter::month(text)?;
        Some(Month { first })
    }

    /// The month `day` falls in.
    pub fn of(day: NaiveDate) -> Month {
        Month {
            first: day.with_day(1).unwrap_or(day),
        }
    }

    /// `2026-11`.
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.first.year(), self.first.month())
    }

    pub fn first(self) -> NaiveDate {
        self.first
    }

    pub fn last(self) -> NaiveDate {
        self.next().first.pred_opt().unwrap_or(self.first)
    }

    /// `n` months earlier.
    pub fn back(self, n: u32) -> Month {
        Month {
            first: self
                .first
                .checked_sub_months(Months::new(n))
                .unwrap_or(self.first),
        }
    }

    pub fn previous(self) -> Month {
        self.back(1)
    }

    pub fn year_before(self) -> Month {
        self.back(12)
    }

    pub fn next(self) -> Month {
        Month {
            first: self
                .first
                .checked_add_months(Months::new(1))
                .unwrap_or(self.first),
        }
    }

    /// `listopad 2026`, `November 2026`.
    pub fn name(self, lang: Lang) -> String {
        lang.month(self.first)
    }
}

/// One row of the report: this month's counts, the previous month's and the same month's a
/// year before, each withheld as disclosure control decides for that month. A standard's counts
/// carry its "does not apply" answers (`Counts::not_applicable`), shown as a share beside the
/// scores under the same decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// `overall`, a standard (`I`…`XIII`) or a desk id.
    pub id: String,
    pub name: String,
    pub now: Counts,
    pub previous: Counts,
    pub year_before: Counts,
}

impl Line {
    /// The change of CSAT in percentage points against the previous month, when both are shown.
    pub fn change_from_previous(&self) -> Option<f64> {
        Some(self.now.figures()?.csat_percent - self.previous.figures()?.csat_percent)
    }

    /// The change of CSAT in percentage points against the same month a year before.
    pub fn change_from_year_before(&self) -> Option<f64> {
        Some(self.now.figures()?.csat_percent - self.year_before.figures()?.csat_percent)
    }
}

/// Everything one department's monthly report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentReport {
    pub office_id: String,
    pub office_name: String,
    pub department_id: String,
    pub department_name: String,
    pub month: Month,
    /// Whether overall ratings flagged as bursts are counted (not by default).
    pub include_bursts: bool,
    /// The overall question.
    pub total: Line,
    /// Each standard answered (rated or "does not apply") in any of the three months, in the
    /// ordinance's order.
    pub standards: Vec<Line>,
    /// Each desk of the department, overall question.
    pub desks: Vec<Line>,
    /// The most chosen reasons this month; `None` when the figures they explain are withheld.
    pub reasons: Option<Vec<ReasonCount>>,
}

fn find(groups: &[Group], id: &str) -> Counts {
    groups
        .iter()
        .find(|g| g.id == id)
        .map(|g| g.counts)
        .unwrap_or_default()
}

/// The dashboard's filter for `month` at `department` of `office`, overall question.
pub fn month_filter(office: &str, department: &str, month: Month, include_bursts: bool) -> Filter {
    Filter {
        preset: Preset::Custom,
        from: month.first(),
        to: month.last(),
        office: Some(office.to_owned()),
        department: Some(department.to_owned()),
        desk: None,
        question: Question::Overall,
        language: None,
        include_bursts,
        step: Step::Month,
    }
}

impl DepartmentReport {
    /// Reads the report of `department` of `office` for `month` within `scope`, whose `places`
    /// must hold the department (the caller checks, and answers "not found" otherwise). Names of
    /// standards are in `lang`.
    pub async fn build(
        storage: &Storage,
        scope: &Scope,
        places: &Places,
        (office, department): (&str, &str),
        month: Month,
        include_bursts: bool,
        lang: Lang,
    ) -> Result<DepartmentReport, StorageError> {
        let storage = &storage.for_one_page();
        let filter = |m: Month| month_filter(office, department, m, include_bursts);
        let months = [month, month.previous(), month.year_before()];
        let mut by_question = Vec::with_capacity(3);
        let mut by_desk = Vec::with_capacity(3);
        for m in months {
            by_question.push(
                storage
                    .breakdown(filter(m), scope.clone(), Level::Question)
                    .await?,
            );
            by_desk.push(
                storage
                    .breakdown(filter(m), scope.clone(), Level::Desk)
                    .await?,
            );
        }
        let line = |groups: &[Vec<Group>], id: String, name: String| Line {
            now: find(&groups[0], &id),
            previous: find(&groups[1], &id),
            year_before: find(&groups[2], &id),
            id,
            name,
        };
        let standards = StandardId::ALL
            .into_iter()
            .map(Question::Standard)
            .map(|q| line(&by_question, q.to_string(), labels::question(q, lang)))
            .filter(|l| l.now.answers() + l.previous.answers() + l.year_before.answers() > 0)
            .collect();
        let desks = places
            .desks
            .iter()
            .filter(|d| d.office_id == office && d.department_id.as_deref() == Some(department))
            .filter_map(|d| {
                let id = d.desk_id.clone()?;
                Some(line(&by_desk, id, d.name.clone()))
            })
            .collect();
        let reasons = storage
            .top_reasons(filter(month), scope.clone(), REASONS_LISTED)
            .await?;
        Ok(DepartmentReport {
            office_id: office.to_owned(),
            office_name: places.office_name(office).unwrap_or(office).to_owned(),
            department_id: department.to_owned(),
            department_name: places
                .department_name(office, department)
                .unwrap_or(department)
                .to_owned(),
            month,
            include_bursts,
            total: line(
                &by_question,
                "overall".to_owned(),
                labels::question(Question::Overall, lang),
            ),
            standards,
            desks,
            reasons,
        })
    }

    /// The standards whose CSAT changed most against the previous month (both months shown),
    /// largest change first, at most [`MOVERS_LISTED`]; unchanged ones are not listed.
    pub fn movers(&self) -> Vec<(&Line, f64)> {
        let mut moved: Vec<(&Line, f64)> = self
            .standards
            .iter()
            .filter_map(|l| Some((l, l.change_from_previous()?)))
            .filter(|(_, change)| change.abs() >= 0.05)
            .collect();
        moved.sort_by(|a, b| {
            b.1.abs()
                .total_cmp(&a.1.abs())
                .then_with(|| a.0.id.cmp(&b.0.id))
        });
        moved.truncate(MOVERS_LISTED);
        moved
    }

    /// The report page's address, relative to the dashboard's origin.
    pub fn path(&self) -> String {
        report_path(&self.office_id, &self.department_id, self.month)
    }
}

/// The sentence saying which figures a report leaves out: those from fewer than `k` answers
/// (`[privacy] min_responses`).
pub fn small_counts_note(lang: Lang, k: i64) -> String {
    match lang {
        Lang::Pl => format!("Wyniki z mniej niż {k} odpowiedzi nie są pokazywane."),
        Lang::En => format!("Figures from fewer than {k} responses are not shown."),
    }
}

/// `/dashboard/reports/{office}/{department}/{YYYY-MM}`.
pub fn report_path(office: &str, department: &str, month: Month) -> String {
    format!("/dashboard/reports/{office}/{department}/{}", month.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_back_across_years_and_know_their_last_day() {
        let november = Month::parse("2026-11").expect("month");
        assert_eq!(november.code(), "2026-11");
        assert_eq!(november.last().to_string(), "2026-11-30");
        assert_eq!(november.previous().code(), "2026-10");
        assert_eq!(november.year_before().code(), "2025-11");
        assert_eq!(
            Month::parse("2026-01").expect("month").previous().code(),
            "2025-12"
        );
        assert_eq!(
            Month::parse("2028-02").expect("month").last().to_string(),
            "2028-02-29"
        );
        assert_eq!(
            Month::parse("2026-12").expect("month").next().code(),
            "2027-01"
        );
        for bad in ["2026-13", "2026-1", "november", "2026-11-01"] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
    }
}
