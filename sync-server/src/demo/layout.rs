//! The demo's offices as data: departments of each partner office and their desks, each with
//! standards that fit its work, the languages it offers and how busy it is.

use model::StandardId::{self, I, II, III, IV, IX, V, VI, VIII, XI, XII, XIII};

use super::calendar::Hours;

/// One department of an office, with its desks.
#[derive(Debug, Clone, Copy)]
pub struct Department {
    pub office: &'static str,
    pub id: &'static str,
    pub name: &'static str,
    pub desks: &'static [DeskPlan],
}

/// A desk of a department.
#[derive(Debug, Clone, Copy)]
pub struct DeskPlan {
    /// Unique across offices, e.g. `plock-wso-03`.
    pub id: &'static str,
    /// Its number within the department, for its name ("stanowisko 3").
    pub number: u32,
    /// Asked in this order after the overall rating.
    pub standards: &'static [StandardId],
    /// The first is the default.
    pub languages: &'static [&'static str],
    /// Serves the office's own staff (only then is XI asked).
    pub internal_service: bool,
    /// Visits on an ordinary Tuesday.
    pub visits_per_day: u32,
}

impl Department {
    /// The desk's name as its kiosk shows it.
    pub fn desk_name(&self, desk: &DeskPlan) -> String {
        format!("{} — stanowisko {}", self.name, desk.number)
    }

    pub fn hours(&self) -> Hours {
        office_hours(self.office)
    }
}

/// The hours of one of the five offices.
pub fn office_hours(office: &str) -> Hours {
    if office == "plock" {
        Hours::CityHall
    } else {
        Hours::SmallOffice
    }
}

/// Every shipped language (a desk in the city hall offers them all).
const ALL: &[&str] = i18n::LANGUAGES;
const PL_EN: &[&str] = &["pl", "en"];
const PL: &[&str] = &["pl"];

const fn desk(
    id: &'static str,
    number: u32,
    standards: &'static [StandardId],
    languages: &'static [&'static str],
    visits_per_day: u32,
) -> DeskPlan {
    DeskPlan {
        id,
        number,
        standards,
        languages,
        internal_service: false,
        visits_per_day,
    }
}

/// Every department of the five offices, Płock first.
pub const DEPARTMENTS: &[Department] = &[
    Department {
        office: "plock",
        id: "bok",
        name: "Biuro Obsługi Klienta",
        desks: &[
            desk("plock-bok-01", 1, &[I, IV, III, IX], ALL, 70),
            desk("plock-bok-02", 2, &[I, IV, III, IX], ALL, 65),
            desk("plock-bok-03", 3, &[I, IV, VIII, IX], ALL, 60),
            desk("plock-bok-04", 4, &[I, IV, VI], PL_EN, 45),
        ],
    },
    Department {
        office: "plock",
        id: "wso",
        name: "Wydział Spraw Obywatelskich",
        desks: &[
            desk("plock-wso-01", 1, &[IV, III, II, IX], ALL, 55),
            desk("plock-wso-02", 2, &[IV, III, II, IX], ALL, 55),
            desk("plock-wso-03", 3, &[IV, III, II, IX], ALL, 50),
            desk("plock-wso-04", 4, &[IV, VIII, III, IX], ALL, 45),
        ],
    },
    Department {
        office: "plock",
        id: "kom",
        name: "Wydział Komunikacji",
        desks: &[
            desk("plock-kom-01", 1, &[IV, VI, III, IX], ALL, 60),
            desk("plock-kom-02", 2, &[IV, VI, III, IX], ALL, 60),
            desk("plock-kom-03", 3, &[IV, XII, VI], ALL, 50),
            desk("plock-kom-04", 4, &[IV, VIII, VI, IX], ALL, 45),
        ],
    },
    Department {
        office: "plock",
        id: "pol",
        name: "Wydział Podatków i Opłat Lokalnych",
        desks: &[
            desk("plock-pol-01", 1, &[XIII, IV, V, VI], ALL, 45),
            desk("plock-pol-02", 2, &[XIII, IV, V], ALL, 40),
            desk("plock-pol-03", 3, &[XIII, XII, IV], PL_EN, 40),
        ],
    },
    Department {
        office: "plock",
        id: "usc",
        name: "Urząd Stanu Cywilnego",
        desks: &[
            desk("plock-usc-01", 1, &[IV, VIII, III, IX], ALL, 40),
            desk("plock-usc-02", 2, &[IV, II, IX], ALL, 40),
        ],
    },
    Department {
        office: "plock",
        id: "or",
        name: "Wydział Organizacyjny",
        desks: &[DeskPlan {
            internal_service: true,
            ..desk("plock-or-01", 1, &[XI, IV], PL, 40)
        }],
    },
    Department {
        office: "gabin",
        id: "ro",
        name: "Referat Organizacyjny",
        desks: &[
            desk("gabin-ro-01", 1, &[I, IV, III], PL_EN, 25),
            desk("gabin-ro-02", 2, &[IV, VIII], PL, 20),
        ],
    },
    Department {
        office: "gabin",
        id: "fin",
        name: "Referat Finansowy",
        desks: &[desk("gabin-fin-01", 1, &[XIII, IV, V], PL, 20)],
    },
    Department {
        office: "stara-biala",
        id: "rso",
        name: "Referat Spraw Obywatelskich",
        desks: &[
            desk("stara-biala-rso-01", 1, &[I, IV, VIII], PL_EN, 25),
            desk("stara-biala-rso-02", 2, &[IV, III], PL, 20),
        ],
    },
    Department {
        office: "stara-biala",
        id: "pol",
        name: "Referat Podatków i Opłat Lokalnych",
        desks: &[desk("stara-biala-pol-01", 1, &[XIII, IV], PL, 20)],
    },
    Department {
        office: "gostynin",
        id: "wso",
        name: "Wydział Spraw Obywatelskich",
        desks: &[
            desk("gostynin-wso-01", 1, &[IV, III, II, IX], ALL, 30),
            desk("gostynin-wso-02", 2, &[IV, III, II], PL_EN, 30),
        ],
    },
    Department {
        office: "gostynin",
        id: "fin",
        name: "Wydział Finansowy",
        desks: &[desk("gostynin-fin-01", 1, &[XIII, IV, VI], PL, 25)],
    },
    Department {
        office: "gostynin",
        id: "usc",
        name: "Urząd Stanu Cywilnego",
        desks: &[desk("gostynin-usc-01", 1, &[IV, VIII], PL_EN, 15)],
    },
    Department {
        office: "powiat-gostyninski",
        id: "kom",
        name: "Wydział Komunikacji i Transportu",
        desks: &[
            desk("powiat-gostyninski-kom-01", 1, &[IV, VI, XII, IX], ALL, 35),
            desk("powiat-gostyninski-kom-02", 2, &[IV, VI, III], PL_EN, 30),
        ],
    },
    Department {
        office: "powiat-gostyninski",
        id: "geo",
        name: "Wydział Geodezji i Kartografii",
        desks: &[
            desk("powiat-gostyninski-geo-01", 1, &[XIII, XII, IV], PL_EN, 20),
            desk("powiat-gostyninski-geo-02", 2, &[XIII, IV], PL, 15),
        ],
    },
];

/// Every desk with its department, in [`DEPARTMENTS`] order.
pub fn desks() -> impl Iterator<Item = (&'static Department, &'static DeskPlan)> {
    DEPARTMENTS
        .iter()
        .flat_map(|department| department.desks.iter().map(move |desk| (department, desk)))
}

#[cfg(test)]
mod tests {
    use model::wire::DeskSurvey;

    use super::*;
    use crate::survey;

    #[test]
    fn every_desk_keeps_the_survey_rules() {
        for (department, desk) in desks() {
            let languages: Vec<model::LanguageTag> = desk
                .languages
                .iter()
                .map(|tag| tag.parse().expect("language"))
                .collect();
            let survey = DeskSurvey {
                revision: 1,
                desk_id: desk.id.parse().expect("desk id"),
                desk_name: department.desk_name(desk),
                office: department.office.to_owned(),
                internal_service: desk.internal_service,
                standards: desk.standards.to_vec(),
                default_language: languages[0].clone(),
                languages,
                idle_prompt_after_s: 45,
                idle_countdown_s: 25,
                change_answer_window_s: 10,
                thank_you_s: 6,
            };
            assert_eq!(survey::check(&survey), Ok(()), "{}", desk.id);
            assert!(desk.id.starts_with(department.office), "{}", desk.id);
        }
    }

    #[test]
    fn plock_is_the_large_office_and_keeps_the_quick_start_desk() {
        let total = desks().count();
        assert!((25..=35).contains(&total), "{total} desks");
        let departments = |office: &str| DEPARTMENTS.iter().filter(|d| d.office == office).count();
        assert_eq!(departments("plock"), 6);
        for office in ["gabin", "stara-biala", "gostynin", "powiat-gostyninski"] {
            assert!((2..=3).contains(&departments(office)), "{office}");
        }
        let (_, quick_start) = desks()
            .find(|(_, desk)| desk.id == "plock-wso-03")
            .expect("the desk kiosk.example.toml names");
        assert_eq!(quick_start.standards, &[IV, III, II, IX]);
    }
}
