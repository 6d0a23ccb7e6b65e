//! A desk survey as the aggregator sends it (JSON), applied by the kiosk to its configuration
//! (`Config::with_survey`): accepted or refused with an error, never a panic; an accepted survey
//! is what the kiosk then shows.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use kiosk_config::{Config, EXAMPLE};
use libfuzzer_sys::fuzz_target;
use model::wire::DeskSurvey;

fuzz_target!(|data: &[u8]| {
    static BASE: OnceLock<Config> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        Config::parse(EXAMPLE, Path::new("kiosk.example.toml")).expect("the example is valid")
    });
    let Ok(survey) = serde_json::from_slice::<DeskSurvey>(data) else {
        return;
    };
    if let Ok(config) = base.with_survey(&survey) {
        assert_eq!(config.desk.desk_id, survey.desk_id);
    }
});
