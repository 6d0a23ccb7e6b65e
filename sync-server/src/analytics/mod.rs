//! The dashboard's data layer: a [`Filter`] parsed from the URL, and the aggregates every page,
//! export and API call reads, always for a viewer's [`Scope`](crate::dashboard::Scope) and always
//! from the rollups (only the per-answer export reads individual answers). What may be shown is
//! decided by [`disclosure`], in one place, before any figure leaves storage.

pub mod disclosure;
pub mod figures;
pub mod filter;

pub use disclosure::{DeskCounts, Disclosure, Node, Withheld};
pub use figures::{Cell, Counts, Figures, MIN_RESPONSES};
pub use filter::{Filter, FilterError, Preset, Step};

use serde::Serialize;
use utoipa::ToSchema;

/// What a breakdown groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Office,
    Department,
    Desk,
    /// The overall question and each standard (the filter's question is then ignored).
    Question,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Office,
        Level::Department,
        Level::Desk,
        Level::Question,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Level::Office => "office",
            Level::Department => "department",
            Level::Desk => "desk",
            Level::Question => "question",
        }
    }

    pub fn parse(code: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// One group of a breakdown: an office, a department, a desk or a question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The office, department or desk id, or the question (`overall`, `I`…`XIII`).
    pub id: String,
    /// The office a department or desk belongs to.
    pub office_id: Option<String>,
    pub counts: Counts,
}

/// One point of a trend: the week (its Monday) or month (its first day) and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub start: String,
    pub counts: Counts,
}

/// How often a reason was chosen after a low score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReasonCount {
    /// The standard the reason belongs to (`I`…`XIII`).
    pub question: String,
    /// The reason's code, e.g. `iv-interrupted`.
    pub reason: String,
    pub chosen: i64,
}

/// One cell of the weekday × hour heatmap (Europe/Warsaw time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeatCell {
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
    pub hour: u8,
    pub counts: Counts,
}

/// Which languages clients chose and how often the larger-text mode was on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Per language code, most chosen first.
    pub languages: Vec<(String, Counts)>,
    /// Answers given with the normal text, and with the larger text.
    pub normal_text: Counts,
    pub larger_text: Counts,
}

/// One office, department or desk the viewer may read, for the filter form and for names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub office_id: String,
    pub department_id: Option<String>,
    pub desk_id: Option<String>,
    pub name: String,
}

/// The offices, departments and desks a viewer may read, by office, department and id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    pub offices: Vec<Place>,
    pub departments: Vec<Place>,
    pub desks: Vec<Place>,
}

impl Places {
    pub fn office_name(&self, id: &str) -> Option<&str> {
        self.offices
            .iter()
            .find(|p| p.office_id == id)
            .map(|p| p.name.as_str())
    }

    pub fn department_name(&self, office: &str, id: &str) -> Option<&str> {
        self.departments
            .iter()
            .find(|p| p.office_id == office && p.department_id.as_deref() == Some(id))
            .map(|p| p.name.as_str())
    }

    pub fn desk(&self, id: &str) -> Option<&Place> {
        self.desks.iter().find(|p| p.desk_id.as_deref() == Some(id))
    }

    /// Whether everything the filter names exists and is within these places: an office viewer
    /// naming another office, or a desk of another office, gets `false`.
    pub fn covers(&self, filter: &Filter) -> bool {
        let office_ok = filter
            .office
            .as_deref()
            .is_none_or(|o| self.office_name(o).is_some());
        let department_ok = match (&filter.office, &filter.department) {
            (Some(office), Some(department)) => self.department_name(office, department).is_some(),
            _ => true,
        };
        let desk_ok = filter.desk.as_ref().is_none_or(|d| {
            self.desk(d.as_str()).is_some_and(|place| {
                filter
                    .office
                    .as_deref()
                    .is_none_or(|o| o == place.office_id)
                    && filter
                        .department
                        .as_deref()
                        .is_none_or(|dep| place.department_id.as_deref() == Some(dep))
            })
        });
        office_ok && department_ok && desk_ok
    }
}

/// One answer as the per-answer export writes it: coarsened so it cannot be tied to a visit or
/// a client: its day but not its time, no record id, and no language, text size or input kind
/// (those appear only in aggregates). Within a day rows are ordered by content, never by time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub local_day: String,
    pub office_id: String,
    pub department_id: String,
    pub desk_id: String,
    pub question: String,
    /// 1-4; `None` for a "does not apply" answer.
    pub score: Option<i64>,
    pub reasons: String,
    pub burst: bool,
    pub not_applicable: bool,
}

/// One desk's counted answers on one day, as the aggregate export writes it (after disclosure
/// control: a withheld day shows no figure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskDay {
    pub office_id: String,
    pub department_id: String,
    pub desk_id: String,
    pub day: String,
    pub counts: Counts,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(office: &str, department: Option<&str>, desk: Option<&str>) -> Place {
        Place {
            office_id: office.to_owned(),
            department_id: department.map(str::to_owned),
            desk_id: desk.map(str::to_owned),
            name: String::new(),
        }
    }

    #[test]
    fn a_filter_is_covered_only_by_places_that_hold_everything_it_names() {
        // What an office viewer of Gąbin may read.
        let gabin = Places {
            offices: vec![place("gabin", None, None)],
            departments: vec![place("gabin", Some("fin"), None)],
            desks: vec![place("gabin", Some("fin"), Some("gabin-fin-01"))],
        };
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
        let covers = |query: &str| {
            let (filter, _) = Filter::parse(query, today, &[]).expect(query);
            gabin.covers(&filter)
        };
        assert!(covers(""));
        assert!(covers("office=gabin&department=fin&desk=gabin-fin-01"));
        assert!(covers("desk=gabin-fin-01"));
        assert!(!covers("office=plock"));
        assert!(!covers("office=gabin&department=wso"));
        assert!(!covers("desk=plock-wso-03"));
        assert!(
            !covers("office=plock&desk=gabin-fin-01"),
            "a desk of another office"
        );
        assert!(!covers("office=gabin&department=other&desk=gabin-fin-01"));
    }
}
