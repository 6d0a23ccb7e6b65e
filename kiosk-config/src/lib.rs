//! The kiosk's TOML configuration: parsed into raw form, then validated into typed settings whose
//! errors name the file, the key and what is wrong. A crate of its own (the kiosk re-exports it as
//! `kiosk::config`) so that it builds, and is fuzzed, without the Slint screens.

#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use hardware::{HardwareConfig, HardwareConfigError};
use model::{Catalogue, DeskId, LanguageTag, Rateability, StandardId};
use serde::Deserialize;

/// Everything the kiosk needs to run, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where the SQLite buffer and other state live.
    pub data_dir: PathBuf,
    pub desk: DeskSurvey,
    pub timing: Timing,
    pub display: Display,
    /// When the display dims and switches off with nobody at the desk.
    pub display_power: DisplayPower,
    /// The desk's buttons, presence sensor, LED and backlight (the `[hardware]` table).
    pub hardware: HardwareConfig,
    /// How the kiosk reaches the aggregator (the `[sync]` table).
    pub sync: SyncSettings,
}

/// How the kiosk trusts the aggregator (the `[sync]` table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSettings {
    /// Trust only this CA (PEM) for the aggregator's certificate instead of the system's roots.
    /// Checked at start to exist and hold a certificate.
    pub ca_file: Option<PathBuf>,
    /// Allow plain `http://` to an aggregator that is not on this machine: only for a lab
    /// network, logged loudly at every use. Loopback (127.0.0.0/8, ::1, localhost) needs no leave.
    pub allow_insecure_http: bool,
}

/// The survey shown at one desk.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskSurvey {
    pub desk_id: DeskId,
    /// Shown small on the kiosk, e.g. "Wydział Spraw Obywatelskich — stanowisko 3".
    pub desk_name: String,
    /// The office the desk belongs to, e.g. "plock".
    pub office: String,
    /// Whether the desk serves the office's own staff (only then is standard XI asked).
    pub internal_service: bool,
    /// Follow-up standards in the order asked.
    pub standards: Vec<StandardId>,
    /// Languages offered, in the order shown; never empty.
    pub languages: Vec<LanguageTag>,
    /// The language every visit starts in; one of `languages`.
    pub default_language: LanguageTag,
}

/// How long the kiosk waits, all validated as positive and within reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Quiet time in a visit before "Need more time?" appears.
    pub idle_prompt_after: Duration,
    /// How long "Need more time?" counts down before the visit ends; at least 20 s (WCAG 2.2.1).
    pub idle_countdown: Duration,
    /// How long "Change my answer" stays offered after the overall rating.
    pub change_answer_window: Duration,
    /// How long the final thank-you stays before the kiosk returns home.
    pub thank_you: Duration,
}

/// The physical display, so sizes in millimetres can be drawn true on any panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Display {
    pub width_px: u32,
    pub height_px: u32,
    pub width_mm: f32,
    pub height_mm: f32,
}

impl Display {
    /// The Raspberry Pi 7" touch display: 800×480 px over 154.08 × 85.92 mm.
    pub const RASPBERRY_PI_7_INCH: Display = Display {
        width_px: 800,
        height_px: 480,
        width_mm: 154.08,
        height_mm: 85.92,
    };

    /// Physical pixels per millimetre across the panel.
    pub fn horizontal_pixels_per_mm(&self) -> f32 {
        self.width_px as f32 / self.width_mm
    }

    /// Physical pixels per millimetre down the panel.
    pub fn vertical_pixels_per_mm(&self) -> f32 {
        self.height_px as f32 / self.height_mm
    }

    /// Pixels per millimetre for drawing lengths given in millimetres: the denser axis, so that a
    /// length is at least that long both ways on panels whose pixels are not square (the 7"
    /// display's are 0.193 mm wide and 0.179 mm tall).
    pub fn pixels_per_mm(&self) -> f32 {
        self.horizontal_pixels_per_mm()
            .max(self.vertical_pixels_per_mm())
    }
}

/// The display's backlight when nobody is at the desk: awake, then dimmed, then off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayPower {
    /// Quiet time (no presence, touch or button) before the backlight dims.
    pub dim_after: Duration,
    /// Quiet time before the backlight switches off; longer than `dim_after`.
    pub off_after: Duration,
    /// Backlight brightness while someone may be using the kiosk, 1–100 %.
    pub awake_percent: u8,
    /// Backlight brightness while dimmed, 1 % up to `awake_percent`.
    pub dim_percent: u8,
}

impl Default for DisplayPower {
    fn default() -> DisplayPower {
        DisplayPower {
            dim_after: Duration::from_secs(120),
            off_after: Duration::from_secs(600),
            awake_percent: 100,
            dim_percent: 20,
        }
    }
}

/// A configuration that cannot be used, with the file and the key at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML for the kiosk: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("config file {path}, key `{key}`: {problem}")]
    Invalid {
        path: PathBuf,
        key: String,
        problem: String,
    },
    #[error("config file {path}: {source}")]
    Hardware {
        path: PathBuf,
        source: HardwareConfigError,
    },
}

/// The shape of the file as written by staff; every field is checked by [`Config::validate`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    data_dir: PathBuf,
    desk: RawDesk,
    languages: RawLanguages,
    #[serde(default)]
    timing: RawTiming,
    #[serde(default)]
    display: RawDisplay,
    #[serde(default)]
    hardware: HardwareConfig,
    #[serde(default)]
    sync: RawSync,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSync {
    ca_file: Option<PathBuf>,
    #[serde(default)]
    allow_insecure_http: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDesk {
    id: String,
    name: String,
    office: String,
    #[serde(default)]
    internal_service: bool,
    standards: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguages {
    enabled: Vec<String>,
    default: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawTiming {
    idle_prompt_after_s: f64,
    idle_countdown_s: f64,
    change_answer_window_s: f64,
    thank_you_s: f64,
}

impl Default for RawTiming {
    fn default() -> Self {
        Self {
            idle_prompt_after_s: 45.0,
            idle_countdown_s: 25.0,
            change_answer_window_s: 10.0,
            thank_you_s: 6.0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawDisplay {
    width_px: i64,
    height_px: i64,
    width_mm: f64,
    height_mm: f64,
    dim_after_s: f64,
    off_after_s: f64,
    awake_percent: i64,
    dim_percent: i64,
}

impl Default for RawDisplay {
    fn default() -> Self {
        let d = Display::RASPBERRY_PI_7_INCH;
        let power = DisplayPower::default();
        Self {
            width_px: d.width_px.into(),
            height_px: d.height_px.into(),
            width_mm: d.width_mm.into(),
            height_mm: d.height_mm.into(),
            dim_after_s: power.dim_after.as_secs_f64(),
            off_after_s: power.off_after.as_secs_f64(),
            awake_percent: power.awake_percent.into(),
            dim_percent: power.dim_percent.into(),
        }
    }
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        Self::validate(raw, &shipped_languages(), path)
    }

    fn validate(
        raw: RawConfig,
        shipped: &HashSet<LanguageTag>,
        path: &Path,
    ) -> Result<Config, ConfigError> {
        let invalid = |key: &str, problem: String| ConfigError::Invalid {
            path: path.to_owned(),
            key: key.to_owned(),
            problem,
        };

        if raw.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must name a directory".into()));
        }
        let desk_id: DeskId = raw
            .desk
            .id
            .parse()
            .map_err(|e: model::ParseError| invalid("desk.id", e.to_string()))?;
        let desk_name = raw.desk.name.trim().to_owned();
        if desk_name.is_empty() || desk_name.chars().count() > 80 {
            return Err(invalid("desk.name", "must be 1-80 characters".into()));
        }
        let office = raw.desk.office.trim().to_owned();
        if office.is_empty() {
            return Err(invalid(
                "desk.office",
                "must name the office, e.g. \"plock\"".into(),
            ));
        }

        let catalogue = Catalogue::ordinance_4216_2018();
        let mut standards = Vec::new();
        for (i, text) in raw.desk.standards.iter().enumerate() {
            let key = format!("desk.standards[{i}]");
            let id: StandardId = text
                .parse()
                .map_err(|e: model::ParseError| invalid(&key, e.to_string()))?;
            match catalogue.standard(id).rateability {
                Rateability::Never => {
                    return Err(invalid(
                        &key,
                        format!(
                            "standard {id} is never rated by clients (it concerns staff safety)"
                        ),
                    ));
                }
                Rateability::InternalServiceDesks if !raw.desk.internal_service => {
                    return Err(invalid(
                        &key,
                        format!(
                            "standard {id} (internal client) is only asked at desks with desk.internal_service = true"
                        ),
                    ));
                }
                _ => {}
            }
            if standards.contains(&id) {
                return Err(invalid(&key, format!("standard {id} is listed twice")));
            }
            standards.push(id);
        }

        if raw.languages.enabled.is_empty() {
            return Err(invalid(
                "languages.enabled",
                "must list at least one language".into(),
            ));
        }
        let mut languages = Vec::new();
        for (i, text) in raw.languages.enabled.iter().enumerate() {
            let key = format!("languages.enabled[{i}]");
            let tag: LanguageTag = text
                .parse()
                .map_err(|e: model::ParseError| invalid(&key, e.to_string()))?;
            if !shipped.contains(&tag) {
                let mut known: Vec<_> = shipped.iter().map(LanguageTag::as_str).collect();
                known.sort_unstable();
                return Err(invalid(
                    &key,
                    format!(
                        "no translation is shipped for {tag:?} (available: {})",
                        known.join(", ")
                    ),
                ));
            }
            if languages.contains(&tag) {
                return Err(invalid(&key, format!("language {tag:?} is listed twice")));
            }
            languages.push(tag);
        }
        let default_language: LanguageTag = raw
            .languages
            .default
            .parse()
            .map_err(|e: model::ParseError| invalid("languages.default", e.to_string()))?;
        if !languages.contains(&default_language) {
            return Err(invalid(
                "languages.default",
                format!("{default_language:?} is not one of languages.enabled"),
            ));
        }

        let seconds = |key: &str, value: f64, min: f64, max: f64| {
            if !value.is_finite() || value < min || value > max {
                Err(invalid(
                    key,
                    format!("must be between {min} and {max} seconds, got {value}"),
                ))
            } else {
                Ok(Duration::from_secs_f64(value))
            }
        };
        let t = &raw.timing;
        let timing = Timing {
            idle_prompt_after: seconds(
                "timing.idle_prompt_after_s",
                t.idle_prompt_after_s,
                5.0,
                600.0,
            )?,
            idle_countdown: seconds("timing.idle_countdown_s", t.idle_countdown_s, 20.0, 300.0)?,
            change_answer_window: seconds(
                "timing.change_answer_window_s",
                t.change_answer_window_s,
                3.0,
                60.0,
            )?,
            thank_you: seconds("timing.thank_you_s", t.thank_you_s, 2.0, 60.0)?,
        };

        let d = &raw.display;
        let pixels = |key: &str, value: i64| {
            u32::try_from(value)
                .ok()
                .filter(|v| (240..=8192).contains(v))
                .ok_or_else(|| {
                    invalid(
                        key,
                        format!("must be between 240 and 8192 pixels, got {value}"),
                    )
                })
        };
        let millimetres = |key: &str, value: f64| {
            if value.is_finite() && (20.0..=2000.0).contains(&value) {
                Ok(value as f32)
            } else {
                Err(invalid(
                    key,
                    format!("must be between 20 and 2000 mm, got {value}"),
                ))
            }
        };
        let display = Display {
            width_px: pixels("display.width_px", d.width_px)?,
            height_px: pixels("display.height_px", d.height_px)?,
            width_mm: millimetres("display.width_mm", d.width_mm)?,
            height_mm: millimetres("display.height_mm", d.height_mm)?,
        };

        let display_power = validate_display_power(d, &invalid)?;
        let sync = validate_sync(raw.sync, &invalid)?;
        raw.hardware
            .validate()
            .map_err(|source| ConfigError::Hardware {
                path: path.to_owned(),
                source,
            })?;

        Ok(Config {
            data_dir: raw.data_dir,
            desk: DeskSurvey {
                desk_id,
                desk_name,
                office,
                internal_service: raw.desk.internal_service,
                standards,
                languages,
                default_language,
            },
            timing,
            display,
            display_power,
            hardware: raw.hardware,
            sync,
        })
    }

    /// This configuration with the desk's survey as the aggregator manages it, checked exactly like
    /// a config file (errors name "survey revision N from the aggregator" and the key).
    pub fn with_survey(&self, survey: &model::wire::DeskSurvey) -> Result<Config, ConfigError> {
        let raw = RawConfig {
            data_dir: self.data_dir.clone(),
            desk: RawDesk {
                id: survey.desk_id.to_string(),
                name: survey.desk_name.clone(),
                office: survey.office.clone(),
                internal_service: survey.internal_service,
                standards: survey.standards.iter().map(ToString::to_string).collect(),
            },
            languages: RawLanguages {
                enabled: survey.languages.iter().map(ToString::to_string).collect(),
                default: survey.default_language.to_string(),
            },
            timing: RawTiming {
                idle_prompt_after_s: survey.idle_prompt_after_s.into(),
                idle_countdown_s: survey.idle_countdown_s.into(),
                change_answer_window_s: survey.change_answer_window_s.into(),
                thank_you_s: survey.thank_you_s.into(),
            },
            // The desk's own parts stay as the local file says; only the survey comes from afar.
            display: RawDisplay::default(),
            hardware: HardwareConfig::default(),
            sync: RawSync::default(),
        };
        let origin = PathBuf::from(format!(
            "survey revision {} from the aggregator",
            survey.revision
        ));
        let mut config = Self::validate(raw, &shipped_languages(), &origin)?;
        config.display = self.display;
        config.display_power = self.display_power;
        config.hardware = self.hardware.clone();
        config.sync = self.sync.clone();
        Ok(config)
    }

    /// A ready-to-run configuration for demos and tests: a Płock desk asking four standards.
    pub fn example(data_dir: impl AsRef<Path>) -> Config {
        let text = EXAMPLE.replace("/var/lib/ocena", &data_dir.as_ref().to_string_lossy());
        Self::parse(&text, Path::new("<built-in example>"))
            .unwrap_or_else(|e| panic!("the built-in example config is invalid: {e}"))
    }
}

/// The `[sync]` table: a CA file must exist and hold at least one PEM certificate (the sync client
/// parses it; a file that cannot even be read is reported here, at start, with its name).
fn validate_sync(
    raw: RawSync,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<SyncSettings, ConfigError> {
    if let Some(ca_file) = &raw.ca_file {
        let text = std::fs::read_to_string(ca_file).map_err(|e| {
            invalid(
                "sync.ca_file",
                format!("cannot read {}: {e}", ca_file.display()),
            )
        })?;
        if !text.contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid(
                "sync.ca_file",
                format!(
                    "{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                    ca_file.display()
                ),
            ));
        }
    }
    Ok(SyncSettings {
        ca_file: raw.ca_file,
        allow_insecure_http: raw.allow_insecure_http,
    })
}

/// The `[display]` keys that say when the backlight dims and switches off.
fn validate_display_power(
    d: &RawDisplay,
    invalid: &impl Fn(&str, String) -> ConfigError,
) -> Result<DisplayPower, ConfigError> {
    let seconds = |key: &str, value: f64, min: f64, max: f64| {
        if value.is_finite() && (min..=max).contains(&value) {
            Ok(Duration::from_secs_f64(value))
        } else {
            Err(invalid(
                key,
                format!("must be between {min} and {max} seconds, got {value}"),
            ))
        }
    };
    let percent = |key: &str, value: i64, min: i64| {
        u8::try_from(value)
            .ok()
            .filter(|p| (min..=100).contains(&i64::from(*p)))
            .ok_or_else(|| invalid(key, format!("must be between {min} and 100 %, got {value}")))
    };
    // Dimming before a client could finish a visit would hide the question mid-answer.
    let dim_after = seconds("display.dim_after_s", d.dim_after_s, 30.0, 86_400.0)?;
    let off_after = seconds("display.off_after_s", d.off_after_s, 30.0, 86_400.0)?;
    if off_after <= dim_after {
        return Err(invalid(
            "display.off_after_s",
            format!(
                "must be longer than display.dim_after_s ({} s), got {} s",
                d.dim_after_s, d.off_after_s
            ),
        ));
    }
    let awake_percent = percent("display.awake_percent", d.awake_percent, 1)?;
    let dim_percent = percent("display.dim_percent", d.dim_percent, 1)?;
    if dim_percent > awake_percent {
        return Err(invalid(
            "display.dim_percent",
            format!(
                "must not be brighter than display.awake_percent ({awake_percent} %), got {dim_percent} %"
            ),
        ));
    }
    Ok(DisplayPower {
        dim_after,
        off_after,
        awake_percent,
        dim_percent,
    })
}

/// The example configuration shipped with the kiosk (also the packaged default).
pub const EXAMPLE: &str = include_str!("../kiosk.example.toml");

fn shipped_languages() -> HashSet<LanguageTag> {
    i18n::Translations::bundled().languages().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("/etc/ocena/kiosk.toml")).map_err(|e| e.to_string())
    }

    fn example_with(from: &str, to: &str) -> String {
        assert!(EXAMPLE.contains(from), "example lacks {from:?}");
        EXAMPLE.replacen(from, to, 1)
    }

    #[test]
    fn the_example_is_valid() {
        let config = parse(EXAMPLE).expect("example config");
        assert_eq!(config.desk.default_language, LanguageTag::polish());
        assert_eq!(config.desk.languages.len(), 4);
        assert!(config.timing.idle_countdown >= Duration::from_secs(20));
    }

    #[test]
    fn malformed_toml_names_the_file_and_line() {
        let err = parse("data_dir = \"/x\"\n[desk\n").unwrap_err();
        assert!(
            err.contains("/etc/ocena/kiosk.toml") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let err = parse(&example_with("[timing]", "[timing]\nidle_prompt_s = 3")).unwrap_err();
        assert!(err.contains("idle_prompt_s"), "{err}");
    }

    #[test]
    fn an_unknown_standard_names_its_position() {
        let err = parse(&example_with("\"III\"", "\"XIV\"")).unwrap_err();
        assert!(
            err.contains("desk.standards[1]") && err.contains("XIV"),
            "{err}"
        );
    }

    #[test]
    fn the_aggressive_client_standard_cannot_be_asked() {
        let err = parse(&example_with("\"III\"", "\"X\"")).unwrap_err();
        assert!(
            err.contains("desk.standards[1]") && err.contains("never rated"),
            "{err}"
        );
    }

    #[test]
    fn internal_client_only_at_internal_desks() {
        let err = parse(&example_with("\"III\"", "\"XI\"")).unwrap_err();
        assert!(err.contains("internal_service"), "{err}");
    }

    #[test]
    fn an_empty_language_list_is_refused() {
        let err = parse(&example_with(
            "enabled = [\"pl\", \"en\", \"uk\", \"de\"]",
            "enabled = []",
        ))
        .unwrap_err();
        assert!(
            err.contains("languages.enabled") && err.contains("at least one"),
            "{err}"
        );
    }

    #[test]
    fn a_language_without_translation_is_refused() {
        let err = parse(&example_with("\"de\"]", "\"fr\"]")).unwrap_err();
        assert!(
            err.contains("languages.enabled[3]") && err.contains("\"fr\""),
            "{err}"
        );
    }

    #[test]
    fn the_default_language_must_be_enabled() {
        let err = parse(
            &example_with("default = \"pl\"", "default = \"de\"").replace(
                "enabled = [\"pl\", \"en\", \"uk\", \"de\"]",
                "enabled = [\"pl\", \"en\"]",
            ),
        )
        .unwrap_err();
        assert!(err.contains("languages.default"), "{err}");
    }

    #[test]
    fn a_negative_timeout_is_refused_with_its_key() {
        let err = parse(&example_with(
            "idle_prompt_after_s = 45",
            "idle_prompt_after_s = -5",
        ))
        .unwrap_err();
        assert!(
            err.contains("timing.idle_prompt_after_s") && err.contains("-5"),
            "{err}"
        );
    }

    #[test]
    fn an_idle_countdown_under_twenty_seconds_is_refused() {
        let err = parse(&example_with(
            "idle_countdown_s = 25",
            "idle_countdown_s = 10",
        ))
        .unwrap_err();
        assert!(err.contains("timing.idle_countdown_s"), "{err}");
    }

    #[test]
    fn a_bad_desk_id_is_refused() {
        let err = parse(&example_with("id = \"plock-wso-03\"", "id = \"Desk 3\"")).unwrap_err();
        assert!(err.contains("desk.id"), "{err}");
    }

    fn survey() -> model::wire::DeskSurvey {
        model::wire::DeskSurvey {
            revision: 7,
            desk_id: "gabin-uso-01".parse().expect("desk"),
            desk_name: "Urząd Stanu Cywilnego".into(),
            office: "gabin".into(),
            internal_service: false,
            standards: vec![StandardId::IV, StandardId::V],
            languages: vec![LanguageTag::polish(), "uk".parse().expect("uk")],
            default_language: LanguageTag::polish(),
            idle_prompt_after_s: 40,
            idle_countdown_s: 30,
            change_answer_window_s: 8,
            thank_you_s: 5,
        }
    }

    #[test]
    fn a_survey_from_the_aggregator_replaces_desk_and_timing_only() {
        let local = parse(EXAMPLE).expect("example");
        let merged = local.with_survey(&survey()).expect("valid survey");
        assert_eq!(merged.desk.desk_id.as_str(), "gabin-uso-01");
        assert_eq!(merged.desk.standards, vec![StandardId::IV, StandardId::V]);
        assert_eq!(merged.timing.idle_countdown, Duration::from_secs(30));
        assert_eq!(
            (merged.data_dir, merged.display),
            (local.data_dir, local.display)
        );
    }

    #[test]
    fn a_bad_survey_is_refused_with_its_revision_and_key() {
        let local = parse(EXAMPLE).expect("example");
        let mut bad = survey();
        bad.idle_countdown_s = 5;
        let err = local.with_survey(&bad).expect_err("too short").to_string();
        assert!(
            err.contains("survey revision 7") && err.contains("timing.idle_countdown_s"),
            "{err}"
        );
    }

    #[test]
    fn display_power_defaults_and_limits() {
        let config = parse(EXAMPLE).expect("example");
        assert_eq!(config.display_power.dim_after, Duration::from_secs(120));
        assert_eq!(config.display_power.off_after, Duration::from_secs(600));
        let err = parse(&example_with("off_after_s = 600", "off_after_s = 60")).unwrap_err();
        assert!(
            err.contains("display.off_after_s") && err.contains("longer than"),
            "{err}"
        );
        let err = parse(&example_with("dim_percent = 20", "dim_percent = 0")).unwrap_err();
        assert!(
            err.contains("display.dim_percent") && err.contains("0"),
            "{err}"
        );
        let err = parse(&example_with("dim_after_s = 120", "dim_after_s = 5")).unwrap_err();
        assert!(err.contains("display.dim_after_s"), "{err}");
        let err = parse(&example_with("awake_percent = 100", "awake_percent = 10")).unwrap_err();
        assert!(
            err.contains("display.dim_percent") && err.contains("awake_percent"),
            "{err}"
        );
    }

    #[test]
    fn the_hardware_table_is_read_and_its_mistakes_are_named() {
        let config = parse(EXAMPLE).expect("example");
        assert_eq!(config.hardware, HardwareConfig::default());
        let err = parse(&example_with("led = { pin = 16 }", "led = { pin = 13 }")).unwrap_err();
        assert!(
            err.contains("/etc/ocena/kiosk.toml")
                && err.contains(
                    "`hardware.led.pin` and `hardware.buttons.good.pin` both use GPIO 13"
                ),
            "{err}"
        );
        let err = parse(&example_with(
            "backend = \"simulator\"",
            "backend = \"pigpio\"",
        ))
        .unwrap_err();
        assert!(err.contains("pigpio") && err.contains("backend"), "{err}");
    }

    #[test]
    fn a_survey_keeps_the_local_display_and_hardware() {
        let local = parse(&example_with("dim_after_s = 120", "dim_after_s = 90")).expect("valid");
        let merged = local.with_survey(&survey()).expect("valid survey");
        assert_eq!(merged.display_power.dim_after, Duration::from_secs(90));
        assert_eq!(merged.hardware, local.hardware);
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = Config::load(Path::new("/nonexistent/kiosk.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/kiosk.toml"), "{err}");
    }
}
