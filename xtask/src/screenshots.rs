//! `cargo xtask screenshots`: renders every kiosk screen headless, in every language, text mode and
//! panel size, into `<out>/<size>/<lang>-<mode>-<screen>.png` for review, and one contact sheet
//! per panel, language and mode with all its screens tiled in the order of [`shots`]
//! (`<out>/contact-sheets/<size>-<lang>-<mode>.png`), to look at a whole mode at once.
//!
//! The real UI is rendered by Slint's software renderer through the testing backend, so what is
//! in the PNGs is what the Raspberry Pi shows, down to text wrapping and the bundled fonts.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use i_slint_backend_testing::{
    AccessibleRole, ElementHandle, ElementQuery, TestingBackend, TestingBackendOptions,
};
use model::{Catalogue, LanguageTag};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{
    ComponentHandle, LogicalPosition, LogicalSize, ModelRc, PhysicalSize, Rgba8Pixel,
    SharedPixelBuffer, SharedString, VecModel,
};
use ui::translations::Translations;
use ui::{KioskAdapter, KioskWindow, LanguageOption, ReasonChip, Screen, Theme};

/// A panel the kiosk ships on.
struct Panel {
    name: &'static str,
    width: u32,
    height: u32,
    /// The active area in millimetres.
    width_mm: f32,
    height_mm: f32,
}

impl Panel {
    /// Pixels per millimetre as the kiosk draws them: the denser axis
    /// (`kiosk::config::Display::pixels_per_mm`).
    fn px_per_mm(&self) -> f32 {
        self.px_per_mm_across()
            .max(self.height as f32 / self.height_mm)
    }

    /// Pixels per millimetre across the panel (`Theme.px-per-mm-across`).
    fn px_per_mm_across(&self) -> f32 {
        self.width as f32 / self.width_mm
    }
}

const PANELS: [Panel; 2] = [
    // Raspberry Pi 7" touch display: 800×480 px over 154.08 × 85.92 mm.
    Panel {
        name: "800x480",
        width: 800,
        height: 480,
        width_mm: 154.08,
        height_mm: 85.92,
    },
    // A 7"-class 1280×800 panel: about 150.7 × 94.2 mm (as `kiosk/tests/ui_measure.rs`).
    Panel {
        name: "1280x800",
        width: 1280,
        height: 800,
        width_mm: 150.7,
        height_mm: 94.2,
    },
];

const LANGUAGES: [&str; 4] = ["pl", "en", "uk", "de"];

/// The texts Rust supplies (question, reasons) in one language, translated as the kiosk does.
struct Samples {
    question: String,
    reasons: Vec<String>,
}

/// The hardest cases from the real catalogue: the longest translated question, and the reasons of
/// the standard with the most (and then the longest) reasons.
fn samples(lang: &str) -> Result<Samples> {
    let tag: LanguageTag = lang.parse().map_err(|e| anyhow!("language {lang}: {e}"))?;
    let catalog = Translations::bundled()
        .get(&tag)
        .with_context(|| format!("no bundled translation for {lang}"))?;
    let standards = Catalogue::ordinance_4216_2018().standards();
    let question = standards
        .iter()
        .filter(|s| !s.question.is_empty())
        .map(|s| catalog.tr(&s.question_context(), s.question).to_owned())
        .max_by_key(|q| q.chars().count())
        .context("the catalogue has no questions")?;
    let reasons = standards
        .iter()
        .map(|s| {
            s.reasons
                .iter()
                .map(|r| catalog.tr(&r.context(), r.text).to_owned())
                .collect::<Vec<_>>()
        })
        .max_by_key(|rs| {
            (
                rs.len(),
                rs.iter().map(|r| r.chars().count()).sum::<usize>(),
            )
        })
        .context("the catalogue has no reasons")?;
    Ok(Samples { question, reasons })
}

/// One screenshot: a name and how to put the UI into that state.
struct Shot {
    name: &'static str,
    screen: Screen,
    can_change_answer: bool,
    idle_prompt: bool,
    recording: bool,
    /// For the reasons screen: which page of chips to show (clamped to the last one).
    reason_page: usize,
    /// Hold a finger on the first face, to show the press feedback.
    press_first_face: bool,
}

impl Shot {
    const fn new(name: &'static str, screen: Screen) -> Self {
        Self {
            name,
            screen,
            can_change_answer: false,
            idle_prompt: false,
            recording: false,
            reason_page: 0,
            press_first_face: false,
        }
    }
}

fn shots() -> Vec<Shot> {
    vec![
        Shot::new("home", Screen::Home),
        Shot {
            press_first_face: true,
            ..Shot::new("home-pressed", Screen::Home)
        },
        Shot {
            recording: true,
            ..Shot::new("home-recording", Screen::Home)
        },
        Shot {
            can_change_answer: true,
            ..Shot::new("ask-more", Screen::AskMore)
        },
        Shot::new("ask-more-final", Screen::AskMore),
        Shot::new("change-answer", Screen::ChangeAnswer),
        Shot::new("question", Screen::Question),
        Shot::new("reasons", Screen::Reasons),
        Shot {
            reason_page: 1,
            ..Shot::new("reasons-page-2", Screen::Reasons)
        },
        Shot {
            reason_page: usize::MAX,
            ..Shot::new("reasons-last", Screen::Reasons)
        },
        Shot::new("thank-you", Screen::ThankYou),
        Shot::new("out-of-service", Screen::OutOfService),
        Shot {
            idle_prompt: true,
            ..Shot::new("idle", Screen::Question)
        },
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
    let languages: Vec<LanguageOption> = Translations::bundled()
        .catalogs()
        .map(|c| LanguageOption {
            code: c.language().as_str().into(),
            native_name: c.native_name().into(),
        })
        .collect();
    window
        .global::<KioskAdapter>()
        .set_languages(ModelRc::new(VecModel::from(languages)));

    let mut count = 0;
    let mut problems = Vec::new();
    let sheets_dir = out_dir.join("contact-sheets");
    std::fs::create_dir_all(&sheets_dir)
        .with_context(|| format!("creating {}", sheets_dir.display()))?;
    for panel in &PANELS {
        let dir = out_dir.join(panel.name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        window
            .window()
            .set_size(PhysicalSize::new(panel.width, panel.height));
        window.global::<Theme>().set_px_per_mm(panel.px_per_mm());
        window
            .global::<Theme>()
            .set_px_per_mm_across(panel.px_per_mm_across());

        for lang in LANGUAGES {
            slint::select_bundled_translation(lang)
                .map_err(|e| anyhow!("selecting the {lang} translation: {e}"))?;
            let adapter = window.global::<KioskAdapter>();
            adapter.set_language(lang.into());
            let samples = samples(lang)?;
            adapter.set_question(samples.question.as_str().into());

            for larger in [false, true] {
                window.global::<Theme>().set_larger_text(larger);
                let mode = if larger { "larger" } else { "normal" };
                if lang == LANGUAGES[0] {
                    println!(
                        "{} {mode}: {} reason chips per page",
                        panel.name,
                        window.get_reasons_per_page()
                    );
                }
                let target_mm = if larger { 18.0 } else { 12.0 };
                let mut frames = Vec::new();
                for shot in shots() {
                    show(&window, &shot, &samples);
                    let name = format!("{lang}-{mode}-{}", shot.name);
                    let path = dir.join(format!("{name}.png"));
                    let pressed = shot
                        .press_first_face
                        .then(|| press_first_face(&window))
                        .flatten();
                    let frame = render(&window, &path)?;
                    write_png(&frame, &path)?;
                    frames.push(frame);
                    if let Some(position) = pressed {
                        release(&window, position);
                    }
                    let min_size = LogicalSize::new(
                        target_mm * panel.px_per_mm_across(),
                        target_mm * panel.height as f32 / panel.height_mm,
                    );
                    for problem in audit(&window, min_size, !shot.idle_prompt) {
                        problems.push(format!("{}/{name}: {problem}", panel.name));
                    }
                    count += 1;
                }
                let sheet = sheets_dir.join(format!("{}-{lang}-{mode}.png", panel.name));
                write_png(&contact_sheet(&frames, panel), &sheet)?;
            }
        }
    }
    println!("{count} screenshots in {}", out_dir.display());
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        bail!("{} problems with touch targets", problems.len());
    }
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
    let per_page = usize::try_from(window.get_reasons_per_page())
        .unwrap_or(1)
        .max(1);
    let pages: Vec<&[String]> = samples.reasons.chunks(per_page).collect();
    let page = shot.reason_page.min(pages.len().saturating_sub(1));
    let chips: Vec<ReasonChip> = pages
        .get(page)
        .copied()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, label)| ReasonChip {
            code: SharedString::from(format!("sample-{}", page * per_page + i)),
            label: label.as_str().into(),
            selected: page * per_page + i == 1,
        })
        .collect();
    adapter.set_reasons(ModelRc::new(VecModel::from(chips)));
    adapter.set_reason_page(i32::try_from(page).unwrap_or(0));
    adapter.set_reason_page_count(i32::try_from(pages.len()).unwrap_or(1));
}

/// Puts a finger down on the first face (without lifting it) and returns where.
fn press_first_face(window: &KioskWindow) -> Option<LogicalPosition> {
    let face = ElementHandle::find_by_element_type_name(window, "FaceButton")
        .chain(ElementHandle::find_by_element_type_name(
            window,
            "LargeFaceButton",
        ))
        .find(|e| e.is_valid() && e.size().width > 0.0)?;
    let (origin, size) = (face.absolute_position(), face.size());
    let position = LogicalPosition::new(origin.x + size.width / 2.0, origin.y + size.height / 2.0);
    window
        .window()
        .dispatch_event(WindowEvent::PointerMoved { position });
    window.window().dispatch_event(WindowEvent::PointerPressed {
        position,
        button: PointerEventButton::Left,
    });
    Some(position)
}

/// Lifts the finger put down by [`press_first_face`] outside the face, so nothing is rated.
fn release(window: &KioskWindow, pressed_at: LogicalPosition) {
    let away = LogicalPosition::new(pressed_at.x, 1.0);
    window
        .window()
        .dispatch_event(WindowEvent::PointerMoved { position: away });
    window
        .window()
        .dispatch_event(WindowEvent::PointerReleased {
            position: away,
            button: PointerEventButton::Left,
        });
    window.window().dispatch_event(WindowEvent::PointerExited);
}

/// Checks every touch target on screen: it has an accessible label, it is at least `min_size`
/// pixels (the target's millimetres across and down the panel), it lies inside the window, and (unless a modal covers the screen) it overlaps
/// no other target.
fn audit(window: &KioskWindow, min_size: LogicalSize, check_overlap: bool) -> Vec<String> {
    let size = window
        .window()
        .size()
        .to_logical(window.window().scale_factor());
    let targets: Vec<(String, LogicalPosition, LogicalSize)> = ElementQuery::from_root(window)
        .match_predicate(|e| {
            matches!(
                e.accessible_role(),
                Some(
                    AccessibleRole::Button
                        | AccessibleRole::Checkbox
                        | AccessibleRole::Switch
                        | AccessibleRole::RadioButton
                )
            )
        })
        .find_all()
        .into_iter()
        .map(|e| {
            let label = e.accessible_label().unwrap_or_default().to_string();
            (label, e.absolute_position(), e.size())
        })
        .collect();

    let mut problems = Vec::new();
    for (label, at, extent) in &targets {
        if label.is_empty() {
            problems.push(format!("a target at {at:?} has no accessible label"));
        }
        if extent.width + 0.5 < min_size.width || extent.height + 0.5 < min_size.height {
            problems.push(format!(
                "{label:?} is {:.0}×{:.0} px, under the {:.0}×{:.0} px target size",
                extent.width, extent.height, min_size.width, min_size.height
            ));
        }
        if at.x < -0.5
            || at.y < -0.5
            || at.x + extent.width > size.width + 0.5
            || at.y + extent.height > size.height + 0.5
        {
            problems.push(format!("{label:?} sticks out of the window"));
        }
    }
    if check_overlap {
        for (i, (a, a_at, a_size)) in targets.iter().enumerate() {
            for (b, b_at, b_size) in &targets[i + 1..] {
                let overlap_x =
                    (a_at.x + a_size.width).min(b_at.x + b_size.width) - a_at.x.max(b_at.x);
                let overlap_y =
                    (a_at.y + a_size.height).min(b_at.y + b_size.height) - a_at.y.max(b_at.y);
                if overlap_x > 0.5 && overlap_y > 0.5 {
                    problems.push(format!("{a:?} overlaps {b:?}"));
                }
            }
        }
    }
    problems
}

/// Renders the window (for the PNG at `path`).
fn render(window: &KioskWindow, path: &Path) -> Result<SharedPixelBuffer<Rgba8Pixel>> {
    window
        .window()
        .take_snapshot()
        .map_err(|e| anyhow!("rendering {}: {e}", path.display()))
}

/// Columns of a contact sheet; a 1280×800 screen is halved on it, so both panels' sheets have
/// about the same size.
const SHEET_COLUMNS: u32 = 4;
/// Space between the screens of a sheet, in the sheet's pixels.
const SHEET_GUTTER: u32 = 16;
const SHEET_BACKGROUND: Rgba8Pixel = Rgba8Pixel {
    r: 0x44,
    g: 0x44,
    b: 0x44,
    a: 0xff,
};

/// All of one mode's screens tiled in rows of [`SHEET_COLUMNS`], in the order they were rendered.
fn contact_sheet(
    frames: &[SharedPixelBuffer<Rgba8Pixel>],
    panel: &Panel,
) -> SharedPixelBuffer<Rgba8Pixel> {
    let scale = if panel.width > 1000 { 2 } else { 1 };
    let (tile_width, tile_height) = (panel.width / scale, panel.height / scale);
    let count = u32::try_from(frames.len()).unwrap_or(u32::MAX);
    let rows = count.div_ceil(SHEET_COLUMNS);
    let width = SHEET_COLUMNS * (tile_width + SHEET_GUTTER) + SHEET_GUTTER;
    let height = rows * (tile_height + SHEET_GUTTER) + SHEET_GUTTER;
    let mut sheet = SharedPixelBuffer::<Rgba8Pixel>::new(width, height);
    sheet.make_mut_slice().fill(SHEET_BACKGROUND);
    let sheet_width = sheet.width();
    let pixels = sheet.make_mut_slice();
    for (index, frame) in (0u32..).zip(frames) {
        let left = SHEET_GUTTER + (index % SHEET_COLUMNS) * (tile_width + SHEET_GUTTER);
        let top = SHEET_GUTTER + (index / SHEET_COLUMNS) * (tile_height + SHEET_GUTTER);
        let source = frame.as_slice();
        for y in 0..tile_height.min(frame.height() / scale) {
            for x in 0..tile_width.min(frame.width() / scale) {
                // The mean of the scale × scale source pixels.
                let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
                for dy in 0..scale {
                    for dx in 0..scale {
                        let p =
                            source[((y * scale + dy) * frame.width() + x * scale + dx) as usize];
                        r += u32::from(p.r);
                        g += u32::from(p.g);
                        b += u32::from(p.b);
                    }
                }
                let n = scale * scale;
                let channel = |sum: u32| u8::try_from(sum / n).unwrap_or(u8::MAX);
                pixels[((top + y) * sheet_width + left + x) as usize] = Rgba8Pixel {
                    r: channel(r),
                    g: channel(g),
                    b: channel(b),
                    a: 0xff,
                };
            }
        }
    }
    sheet
}

/// Writes a rendered buffer as an RGBA PNG.
fn write_png(buffer: &SharedPixelBuffer<Rgba8Pixel>, path: &Path) -> Result<()> {
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
