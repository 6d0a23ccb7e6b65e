//! `kiosk simulate`: headless clients who rate visits through exactly the path a tap takes
//! (visit flow → recorder thread → store), for burn-in, demos and crash tests.

use std::sync::Arc;

use anyhow::Context;
use model::{Catalogue, InputKind, LanguageTag, RatingRecord, Score};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::clock::Clock;
use crate::config::Config;
use crate::recorder::{Health, Recorder};
use crate::store::Answer;
use crate::visit::{Step, Visit};

/// Records `visits` simulated visits; `on_stored` sees every record once it is durable.
pub fn simulate(
    config: &Config,
    clock: Arc<dyn Clock>,
    visits: u64,
    seed: u64,
    mut on_stored: impl FnMut(&RatingRecord) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let recorder = Recorder::start(
        config.data_dir.clone(),
        clock,
        Box::new(|health| {
            if let Health::OutOfService(fault) = health {
                tracing::error!(code = fault.code, why = %fault.detail, "simulated visits wait: storage is out of service");
            }
        }),
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let mut visit = Visit::new(Arc::new(config.desk.clone()));
    let mut store = |visit: &mut Visit, answer: Option<Answer>| -> anyhow::Result<()> {
        if let Some(answer) = answer {
            let record = recorder
                .record_and_wait(answer)
                .context("the recorder stopped unexpectedly")?;
            visit.stored(&record);
            on_stored(&record).context("cannot report a stored record")?;
        }
        Ok(())
    };
    for _ in 0..visits {
        let client = Client::arrive(&mut rng, config);
        if let Some(language) = &client.language {
            visit.choose_language(language);
        }
        if client.larger_text {
            visit.toggle_larger_text();
        }
        let answer = visit.rate(client.score(&mut rng), client.input);
        store(&mut visit, answer)?;
        if rng.random_bool(0.04) {
            visit.change_answer();
            let answer = visit.rate(client.score(&mut rng), client.input);
            store(&mut visit, answer)?;
        }
        if rng.random_bool(0.35) {
            visit.tell_more();
        }
        loop {
            match visit.step().clone() {
                Step::Question { .. } if rng.random_bool(0.12) => visit.skip(),
                // Some questions assume a contact the client did not have (a phone call…).
                Step::Question { .. } if visit.offers_not_applicable() && rng.random_bool(0.3) => {
                    let answer = visit.not_applicable(client.input);
                    store(&mut visit, answer)?;
                }
                Step::Question { .. } => {
                    let answer = visit.rate(client.score(&mut rng), client.input);
                    store(&mut visit, answer)?;
                }
                Step::Reasons { standard, .. } => {
                    let reasons = Catalogue::ordinance_4216_2018().standard(standard).reasons;
                    for _ in 0..rng.random_range(0..=2) {
                        visit.toggle_reason(reasons[rng.random_range(0..reasons.len())].code);
                    }
                    let answer = visit.reasons_done(client.input);
                    store(&mut visit, answer)?;
                }
                Step::AskMore { .. } | Step::ChangeAnswer => {
                    let answer = visit.finish(client.input);
                    store(&mut visit, answer)?;
                }
                Step::ThankYou | Step::Home => break,
            }
        }
        visit.reset();
    }
    Ok(())
}

/// One simulated client: mostly satisfied, mostly Polish-speaking, some using larger text.
struct Client {
    language: Option<LanguageTag>,
    larger_text: bool,
    mood: f64,
    input: InputKind,
}

impl Client {
    fn arrive(rng: &mut StdRng, config: &Config) -> Client {
        let languages = &config.desk.languages;
        let language = if rng.random_bool(0.15) && languages.len() > 1 {
            Some(languages[rng.random_range(0..languages.len())].clone())
        } else {
            None
        };
        Client {
            language,
            larger_text: rng.random_bool(0.08),
            mood: rng.random_range(0.0..1.0),
            input: if rng.random_bool(0.1) {
                InputKind::Button
            } else {
                InputKind::Touch
            },
        }
    }

    /// Scores lean towards the client's mood: most visits go well, some badly.
    fn score(&self, rng: &mut StdRng) -> Score {
        let x: f64 = (self.mood * 0.7 + rng.random_range(0.0..1.0) * 0.3).clamp(0.0, 0.999);
        match x {
            x if x < 0.08 => Score::VERY_BAD,
            x if x < 0.2 => Score::BAD,
            x if x < 0.55 => Score::GOOD,
            _ => Score::VERY_GOOD,
        }
    }
}
