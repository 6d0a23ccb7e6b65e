//! The desk's survey as the aggregator last sent it, cached in the data directory so a kiosk that
//! restarts offline still shows the desk's current questions.

use std::path::Path;

use model::wire::DeskSurvey;

use super::enrollment::write_private_file;
use crate::config::Config;

/// The cache file's name inside the data directory.
pub const SURVEY_FILE: &str = "survey.json";

/// Saves the survey (atomically).
pub fn save(data_dir: &Path, survey: &DeskSurvey) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(survey).map_err(std::io::Error::other)?;
    write_private_file(data_dir, SURVEY_FILE, &bytes)
}

/// The cached survey, if any and readable.
pub fn load(data_dir: &Path) -> Option<DeskSurvey> {
    let text = std::fs::read_to_string(data_dir.join(SURVEY_FILE)).ok()?;
    match serde_json::from_str(&text) {
        Ok(survey) => Some(survey),
        Err(e) => {
            tracing::error!(file = SURVEY_FILE, %e, "the cached survey is damaged; using the local config");
            None
        }
    }
}

/// The local config with the cached survey applied, or the local config alone (never enrolled,
/// or the cache does not validate: the error is logged, the kiosk keeps working).
pub fn effective_config(local: Config) -> Config {
    match load(&local.data_dir).map(|survey| local.with_survey(&survey)) {
        None => local,
        Some(Ok(config)) => config,
        Some(Err(e)) => {
            let error = crate::report::error_chain(&e);
            tracing::error!(%error, "the cached survey is not usable; using the local config");
            local
        }
    }
}
