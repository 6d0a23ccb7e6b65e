//! The rules a desk's survey keeps, checked in one place for `desk add` and `desk set`: the same
//! rules the kiosk applies to a survey it receives (`kiosk::config`), so a kiosk never refuses a
//! survey the aggregator accepted. Messages name the command-line flag, where staff edit surveys.

use std::ops::RangeInclusive;

use i18n::Translations;
use model::wire::DeskSurvey;
use model::{Catalogue, LanguageTag, Rateability, StandardId};

/// Longest desk name the kiosk accepts, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// The kiosk's limits for each timing, in seconds.
pub const IDLE_PROMPT_AFTER_S: RangeInclusive<u32> = 5..=600;
/// At least 20 s: WCAG 2.2.1 (Timing Adjustable) lets people ask for more time.
pub const IDLE_COUNTDOWN_S: RangeInclusive<u32> = 20..=300;
pub const CHANGE_ANSWER_WINDOW_S: RangeInclusive<u32> = 3..=60;
pub const THANK_YOU_S: RangeInclusive<u32> = 2..=60;

/// The timings a new desk starts with, in seconds (the kiosk's own defaults): idle prompt after,
/// idle countdown, change-answer window, thank-you screen.
pub const NEW_DESK_TIMINGS_S: [u32; 4] = [45, 25, 10, 6];

/// Why a survey cannot be shown at a desk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    #[error("--name must be 1-{MAX_NAME_CHARS} characters, not {0}")]
    NameLength(usize),
    #[error("--standards needs at least one standard, e.g. IV,III")]
    NoStandards,
    #[error("standard {0} is listed twice in --standards")]
    StandardTwice(StandardId),
    #[error(
        "standard {0} in --standards is never rated by clients: it concerns staff safety, not \
         service quality"
    )]
    NeverRated(StandardId),
    #[error(
        "standard {0} in --standards (the internal client) is only asked at desks that serve the \
         office's own staff (--internal-service true)"
    )]
    InternalServiceOnly(StandardId),
    #[error("--languages needs at least one language, e.g. pl,en")]
    NoLanguages,
    #[error("--languages: no translation is shipped for {language:?} (available: {available})")]
    NoTranslation { language: String, available: String },
    #[error("language {0:?} is listed twice in --languages")]
    LanguageTwice(String),
    #[error("--default-language {default:?} is not one of --languages {enabled}")]
    DefaultNotEnabled { default: String, enabled: String },
    #[error("--{flag} must be between {min} and {max} seconds, not {value}{why}")]
    Timing {
        flag: &'static str,
        value: u32,
        min: u32,
        max: u32,
        why: &'static str,
    },
}

/// Checks everything staff can set in `survey` (its id, office and revision come from the server);
/// its languages must be among the shipped translations ([`i18n::LANGUAGES`]).
pub fn check(survey: &DeskSurvey) -> Result<(), SurveyError> {
    check_with_translations(survey, Translations::bundled())
}

/// [`check`] with `shipped` standing for the translations this build embeds: what a build with
/// another set of .po files accepts (tests add a language this way without rebuilding).
pub fn check_with_translations(
    survey: &DeskSurvey,
    shipped: &Translations,
) -> Result<(), SurveyError> {
    let name_chars = survey.desk_name.trim().chars().count();
    if !(1..=MAX_NAME_CHARS).contains(&name_chars) {
        return Err(SurveyError::NameLength(name_chars));
    }
    check_standards(&survey.standards, survey.internal_service)?;
    check_languages(&survey.languages, &survey.default_language, shipped)?;
    check_seconds(
        "idle-prompt-after-s",
        survey.idle_prompt_after_s,
        IDLE_PROMPT_AFTER_S,
        "",
    )?;
    check_seconds(
        "idle-countdown-s",
        survey.idle_countdown_s,
        IDLE_COUNTDOWN_S,
        " (WCAG 2.2.1: people need at least 20 s to ask for more time)",
    )?;
    check_seconds(
        "change-answer-window-s",
        survey.change_answer_window_s,
        CHANGE_ANSWER_WINDOW_S,
        "",
    )?;
    check_seconds("thank-you-s", survey.thank_you_s, THANK_YOU_S, "")
}

fn check_standards(standards: &[StandardId], internal_service: bool) -> Result<(), SurveyError> {
    if standards.is_empty() {
        return Err(SurveyError::NoStandards);
    }
    let catalogue = Catalogue::ordinance_4216_2018();
    for (i, &id) in standards.iter().enumerate() {
        if standards[..i].contains(&id) {
            return Err(SurveyError::StandardTwice(id));
        }
        match catalogue.standard(id).rateability {
            Rateability::Never => return Err(SurveyError::NeverRated(id)),
            Rateability::InternalServiceDesks if !internal_service => {
                return Err(SurveyError::InternalServiceOnly(id));
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_languages(
    languages: &[LanguageTag],
    default: &LanguageTag,
    shipped: &Translations,
) -> Result<(), SurveyError> {
    if languages.is_empty() {
        return Err(SurveyError::NoLanguages);
    }
    for (i, language) in languages.iter().enumerate() {
        if shipped.get(language).is_none() {
            return Err(SurveyError::NoTranslation {
                language: language.to_string(),
                available: shipped
                    .languages()
                    .map(LanguageTag::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if languages[..i].contains(language) {
            return Err(SurveyError::LanguageTwice(language.to_string()));
        }
    }
    if !languages.contains(default) {
        return Err(SurveyError::DefaultNotEnabled {
            default: default.to_string(),
            enabled: join(languages),
        });
    }
    Ok(())
}

fn check_seconds(
    flag: &'static str,
    value: u32,
    limits: RangeInclusive<u32>,
    why: &'static str,
) -> Result<(), SurveyError> {
    if limits.contains(&value) {
        return Ok(());
    }
    Err(SurveyError::Timing {
        flag,
        value,
        min: *limits.start(),
        max: *limits.end(),
        why,
    })
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A change to a desk's survey: the fields given replace the stored ones, the rest stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeskSurveyEdit {
    pub name: Option<String>,
    pub standards: Option<Vec<StandardId>>,
    pub languages: Option<Vec<LanguageTag>>,
    pub default_language: Option<LanguageTag>,
    pub internal_service: Option<bool>,
    pub idle_prompt_after_s: Option<u32>,
    pub idle_countdown_s: Option<u32>,
    pub change_answer_window_s: Option<u32>,
    pub thank_you_s: Option<u32>,
}

impl DeskSurveyEdit {
    /// True when no field is given.
    pub fn is_empty(&self) -> bool {
        *self == DeskSurveyEdit::default()
    }

    /// `survey` with the given fields replaced; the revision is left as it was.
    pub fn apply(&self, survey: &DeskSurvey) -> DeskSurvey {
        let edit = self.clone();
        let old = survey.clone();
        DeskSurvey {
            desk_name: edit.name.unwrap_or(old.desk_name),
            standards: edit.standards.unwrap_or(old.standards),
            languages: edit.languages.unwrap_or(old.languages),
            default_language: edit.default_language.unwrap_or(old.default_language),
            internal_service: edit.internal_service.unwrap_or(old.internal_service),
            idle_prompt_after_s: edit.idle_prompt_after_s.unwrap_or(old.idle_prompt_after_s),
            idle_countdown_s: edit.idle_countdown_s.unwrap_or(old.idle_countdown_s),
            change_answer_window_s: edit
                .change_answer_window_s
                .unwrap_or(old.change_answer_window_s),
            thank_you_s: edit.thank_you_s.unwrap_or(old.thank_you_s),
            ..old
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn survey() -> DeskSurvey {
        DeskSurvey {
            revision: 3,
            desk_id: "plock-wso-03".parse().expect("desk"),
            desk_name: "Stanowisko 3".into(),
            office: "Urząd Miasta Płocka".into(),
            internal_service: false,
            standards: vec![StandardId::IV, StandardId::III],
            languages: ["pl", "en"].map(|l| l.parse().expect("language")).to_vec(),
            default_language: LanguageTag::polish(),
            idle_prompt_after_s: 45,
            idle_countdown_s: 25,
            change_answer_window_s: 10,
            thank_you_s: 6,
        }
    }

    fn problem(edit: &DeskSurveyEdit) -> String {
        check(&edit.apply(&survey()))
            .expect_err("invalid")
            .to_string()
    }

    #[test]
    fn a_valid_survey_passes() {
        assert_eq!(check(&survey()), Ok(()));
    }

    #[test]
    fn an_edit_changes_only_the_given_fields() {
        let edit = DeskSurveyEdit {
            standards: Some(vec![StandardId::II]),
            thank_you_s: Some(8),
            ..DeskSurveyEdit::default()
        };
        let edited = edit.apply(&survey());
        assert_eq!(edited.standards, vec![StandardId::II]);
        assert_eq!(edited.thank_you_s, 8);
        let expected = DeskSurvey {
            standards: vec![StandardId::II],
            thank_you_s: 8,
            ..survey()
        };
        assert_eq!(edited, expected);
        assert!(DeskSurveyEdit::default().is_empty() && !edit.is_empty());
    }

    #[test]
    fn standards_x_and_xi_are_refused_by_name() {
        let standards = |ids: Vec<StandardId>| DeskSurveyEdit {
            standards: Some(ids),
            ..DeskSurveyEdit::default()
        };
        let err = problem(&standards(vec![StandardId::IV, StandardId::X]));
        assert!(
            err.contains("standard X ") && err.contains("never rated"),
            "{err}"
        );
        let err = problem(&standards(vec![StandardId::XI]));
        assert!(
            err.contains("standard XI ") && err.contains("--internal-service true"),
            "{err}"
        );
        let internal = DeskSurveyEdit {
            internal_service: Some(true),
            ..standards(vec![StandardId::XI])
        };
        assert_eq!(check(&internal.apply(&survey())), Ok(()));
        let err = problem(&standards(vec![StandardId::IV, StandardId::IV]));
        assert!(err.contains("IV is listed twice"), "{err}");
        assert!(problem(&standards(vec![])).contains("at least one standard"));
    }

    #[test]
    fn languages_need_a_translation_and_the_default_among_them() {
        let languages = |tags: &[&str]| DeskSurveyEdit {
            languages: Some(tags.iter().map(|l| l.parse().expect("tag")).collect()),
            ..DeskSurveyEdit::default()
        };
        assert!(problem(&languages(&[])).contains("at least one language"));
        let err = problem(&languages(&["pl", "fr"]));
        assert!(
            err.contains("\"fr\"") && err.contains("available: pl, de, en, uk"),
            "{err}"
        );
        assert!(problem(&languages(&["pl", "pl"])).contains("listed twice"));
        let err = problem(&languages(&["en", "uk"]));
        assert!(
            err.contains("--default-language \"pl\" is not one of --languages en,uk"),
            "{err}"
        );
    }

    #[test]
    fn timings_keep_the_kiosks_limits() {
        let err = problem(&DeskSurveyEdit {
            idle_countdown_s: Some(19),
            ..DeskSurveyEdit::default()
        });
        assert!(
            err.contains("--idle-countdown-s must be between 20 and 300 seconds, not 19")
                && err.contains("WCAG 2.2.1"),
            "{err}"
        );
        let err = problem(&DeskSurveyEdit {
            thank_you_s: Some(0),
            ..DeskSurveyEdit::default()
        });
        assert!(
            err.contains("--thank-you-s") && err.contains("not 0"),
            "{err}"
        );
        let err = problem(&DeskSurveyEdit {
            idle_prompt_after_s: Some(86_400),
            ..DeskSurveyEdit::default()
        });
        assert!(err.contains("--idle-prompt-after-s"), "{err}");
        let err = problem(&DeskSurveyEdit {
            change_answer_window_s: Some(61),
            ..DeskSurveyEdit::default()
        });
        assert!(err.contains("--change-answer-window-s"), "{err}");
    }

    #[test]
    fn names_fit_the_kiosk() {
        let name = |n: &str| DeskSurveyEdit {
            name: Some(n.to_owned()),
            ..DeskSurveyEdit::default()
        };
        assert!(problem(&name("  ")).contains("not 0"));
        assert!(problem(&name(&"ą".repeat(81))).contains("not 81"));
    }
}
