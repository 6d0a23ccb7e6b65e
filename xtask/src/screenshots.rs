//! `cargo xtask screenshots`: renders every kiosk screen headless, in every language, text mode and
//! panel size, into `<out>/<size>/<lang>-<mode>-<screen>.png` for review.
//!
//! The real UI is rendered by Slint's software renderer through the testing backend, so what is
//! in the PNGs is what the Raspberry Pi shows, down to text wrapping and the bundled fonts.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use i_slint_backend_testing::{TestingBackend, TestingBackendOptions};
use slint::{ComponentHandle, ModelRc, PhysicalSize, SharedString, VecModel};
use ui::{KioskAdapter, KioskWindow, ReasonChip, Screen, Theme};

/// A panel the kiosk ships on.
struct Panel {
    name: &'static str,
    width: u32,
    height: u32,
    /// Width of the active area in millimetres.
    width_mm: f32,
}

const PANELS: [Panel; 2] = [
    // Raspberry Pi 7" touch display: 800×480 px over 154.08 × 85.92 mm.
    Panel { name: "800x480", width: 800, height: 480, width_mm: 154.08 },
    // A 10.1" 16:10 panel: about 217 × 136 mm.
    Panel { name: "1280x800", width: 1280, height: 800, width_mm: 217.0 },
];

const LANGUAGES: [&str; 4] = ["pl", "en", "uk", "de"];

/// The texts Rust supplies (question, reasons) in one language.
struct Samples {
    question: &'static str,
    reasons: &'static [&'static str],
}

/// Realistic, deliberately long texts standing in until the catalogue and its translations land.
fn samples(lang: &str) -> Samples {
    match lang {
        "pl" => Samples {
            question: "Czy pracownik był uprzejmy i uważny oraz czy zrozumiale wszystko wyjaśnił?",
            reasons: &[
                "Przerywano mi w trakcie wypowiedzi",
                "Używano zbyt wielu fachowych określeń",
                "Długo czekałem bez żadnej informacji o powodzie",
                "Pracownik nie przedstawił się ani nie przywitał",
                "Nie wyjaśniono mi, co będzie się działo dalej",
                "Odesłano mnie do innego stanowiska bez powodu",
                "Moje dokumenty nie zostały sprawdzone dokładnie",
                "Rozmowa była prowadzona w pośpiechu",
            ],
        },
        "uk" => Samples {
            question: "Чи був працівник ввічливим і уважним, і чи зрозуміло він усе пояснив?",
            reasons: &[
                "Мене перебивали під час розмови",
                "Забагато фахових термінів",
                "Я довго чекав без жодної інформації про причину",
                "Працівник не привітався і не представився",
                "Мені не пояснили, що відбуватиметься далі",
                "Мене без причини направили до іншого вікна",
                "Мої документи не перевірили уважно",
                "Розмова велася поспіхом",
            ],
        },
        "de" => Samples {
            question: "War die Mitarbeiterin oder der Mitarbeiter freundlich und aufmerksam, und wurde Ihnen alles verständlich erklärt?",
            reasons: &[
                "Ich wurde beim Sprechen unterbrochen",
                "Zu viele Fachausdrücke und Amtssprache",
                "Ich musste lange ohne jede Information warten",
                "Der Mitarbeiter hat sich nicht vorgestellt",
                "Niemand hat erklärt, wie es jetzt weitergeht",
                "Ich wurde ohne Grund an einen anderen Schalter geschickt",
                "Meine Unterlagen wurden nicht sorgfältig geprüft",
                "Das Gespräch war sehr gehetzt",
            ],
        },
        _ => Samples {
            question: "Was the staff member kind and attentive, and did they explain things clearly?",
            reasons: &[
                "I was interrupted while speaking",
                "Too much jargon and official language",
                "I waited a long time without any information",
                "The staff member did not introduce themselves",
                "Nobody explained what happens next",
                "I was sent to another desk without a reason",
                "My documents were not checked carefully",
                "The conversation felt rushed",
            ],
        },
    }
}

/// One screenshot: a name and how to put the UI into that state.
struct Shot {
    name: &'static str,
    screen: Screen,
    can_change_answer: bool,
    idle_prompt: bool,
    recording: bool,
    /// For the reasons screen: show the last page instead of the first.
    last_reason_page: bool,
}

impl Shot {
    const fn new(name: &'static str, screen: Screen) -> Self {
        Self {
            name,
            screen,
            can_change_answer: false,
            idle_prompt: false,
            recording: false,
            last_reason_page: false,
        }
    }
}

fn shots() -> Vec<Shot> {
    vec![
        Shot::new("home", Screen::Home),
        Shot { recording: true, ..Shot::new("home-recording", Screen::Home) },
        Shot { can_change_answer: true, ..Shot::new("ask-more", Screen::AskMore) },
        Shot::new("ask-more-final", Screen::AskMore),
        Shot::new("change-answer", Screen::ChangeAnswer),
        Shot::new("question", Screen::Question),
        Shot::new("reasons", Screen::Reasons),
        Shot { last_reason_page: true, ..Shot::new("reasons-last", Screen::Reasons) },
        Shot::new("thank-you", Screen::ThankYou),
        Shot::new("out-of-service", Screen::OutOfService),
        Shot { idle_prompt: true, ..Shot::new("idle", Screen::Question) },
    ]
}

/// Renders every screen × language × text mode × panel into `out_dir`.
pub fn run(out_dir: &Path) -> Result<()> {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .map_err(|e| anyhow!("setting up the headless backend: {e}"))?;

    let window = KioskWindow::new().context("creating the kiosk window")?;
    window.show().context("showing the kiosk window")?;

    let mut count = 0;
    for panel in &PANELS {
        let dir = out_dir.join(panel.name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        window.window().set_size(PhysicalSize::new(panel.width, panel.height));
        window.global::<Theme>().set_px_per_mm(panel.width as f32 / panel.width_mm);

        for lang in LANGUAGES {
            slint::select_bundled_translation(lang)
                .map_err(|e| anyhow!("selecting the {lang} translation: {e}"))?;
            let adapter = window.global::<KioskAdapter>();
            adapter.set_language(lang.into());
            let samples = samples(lang);
            adapter.set_question(samples.question.into());

            for larger in [false, true] {
                window.global::<Theme>().set_larger_text(larger);
                let mode = if larger { "larger" } else { "normal" };
                for shot in shots() {
                    show(&window, &shot, &samples);
                    let path = dir.join(format!("{lang}-{mode}-{}.png", shot.name));
                    snapshot(&window, &path)?;
                    count += 1;
                }
            }
        }
    }
    println!("{count} screenshots in {}", out_dir.display());
    Ok(())
}

/// Puts the window into the state of `shot`.
fn show(window: &KioskWindow, shot: &Shot, samples: &Samples) {
    let adapter = window.global::<KioskAdapter>();
    adapter.set_screen(shot.screen);
    adapter.set_can_change_answer(shot.can_change_answer);
    adapter.set_idle_prompt_visible(shot.idle_prompt);
    adapter.set_idle_seconds_left(if shot.idle_prompt { 21 } else { 25 });
    adapter.set_recording(shot.recording);
    adapter.set_question_number(2);
    adapter.set_question_count(4);

    // Page the reasons as the kiosk does: `reasons-per-page` at a time, the second one selected.
    let per_page = usize::try_from(window.get_reasons_per_page()).unwrap_or(1).max(1);
    let pages: Vec<&[&str]> = samples.reasons.chunks(per_page).collect();
    let page = if shot.last_reason_page { pages.len().saturating_sub(1) } else { 0 };
    let chips: Vec<ReasonChip> = pages
        .get(page)
        .copied()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, label)| ReasonChip {
            code: SharedString::from(format!("sample-{}", page * per_page + i)),
            label: (*label).into(),
            selected: page * per_page + i == 1,
        })
        .collect();
    adapter.set_reasons(ModelRc::new(VecModel::from(chips)));
    adapter.set_reason_page(i32::try_from(page).unwrap_or(0));
    adapter.set_reason_page_count(i32::try_from(pages.len()).unwrap_or(1));
}

/// Renders the window and writes it as an RGBA PNG.
fn snapshot(window: &KioskWindow, path: &Path) -> Result<()> {
    let buffer = window
        .window()
        .take_snapshot()
        .map_err(|e| anyhow!("rendering {}: {e}", path.display()))?;
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), buffer.width(), buffer.height());
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(buffer.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
