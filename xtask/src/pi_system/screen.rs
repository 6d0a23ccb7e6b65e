//! What the emulated display should show: the home screen rendered by the testing backend (the
//! same software renderer, fonts and layout as the kiosk), the positions of its "Aa" switch and
//! faces, and the comparison of a QMP screendump with that render.

use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use i_slint_backend_testing::{
    AccessibleRole, ElementHandle, ElementQuery, TestingBackend, TestingBackendOptions,
};
use slint::{ComponentHandle, ModelRc, PhysicalSize, VecModel};
use ui::translations::Translations;
use ui::{KioskAdapter, KioskWindow, LanguageOption, Screen, Theme};

use super::machine::{SCREEN_HEIGHT, SCREEN_WIDTH};

/// A pixel differs when one of its channels is off by more than this (of 255): antialiasing
/// and rounding between two runs of the same renderer stay well under it.
const CHANNEL_TOLERANCE: u8 = 64;

/// An RGB picture.
#[derive(Clone)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Picture {
    /// Reads a binary PPM (P6, 8 bits), as QMP's screendump writes.
    pub fn read_ppm(path: &Path) -> anyhow::Result<Picture> {
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", path.display()))?;
        // Header: "P6", width, height, maxval, each separated by whitespace, then one byte.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            if start == at {
                bail!("{} is not a PPM file", path.display());
            }
            fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
        }
        let [magic, width, height, maxval] = &fields[..] else {
            bail!("{} has a short PPM header", path.display());
        };
        if magic != "P6" || maxval != "255" {
            bail!(
                "{} is not an 8-bit P6 PPM ({magic}, {maxval})",
                path.display()
            );
        }
        let width: u32 = width.parse()?;
        let height: u32 = height.parse()?;
        let rgb = bytes.get(at + 1..).map(<[u8]>::to_vec).unwrap_or_default();
        if rgb.len() != (width * height * 3) as usize {
            bail!(
                "{} holds {} bytes of pixels for {width}x{height}",
                path.display(),
                rgb.len()
            );
        }
        Ok(Picture { width, height, rgb })
    }

    fn from_rgba(width: u32, height: u32, rgba: &[u8]) -> Picture {
        let rgb = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Picture { width, height, rgb }
    }

    pub fn write_png(&self, path: &Path) -> anyhow::Result<()> {
        let file =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut encoder = png::Encoder::new(BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder
            .write_header()
            .and_then(|mut writer| writer.write_image_data(&self.rgb))
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// The share of pixels (0 to 1) that differ from `other`'s by more than the tolerance; 1
    /// when the sizes differ.
    pub fn differing_share(&self, other: &Picture) -> f64 {
        if (self.width, self.height) != (other.width, other.height) {
            return 1.0;
        }
        let differing = self
            .rgb
            .chunks_exact(3)
            .zip(other.rgb.chunks_exact(3))
            .filter(|(a, b)| {
                a.iter()
                    .zip(b.iter())
                    .any(|(x, y)| x.abs_diff(*y) > CHANNEL_TOLERANCE)
            })
            .count();
        differing as f64 / f64::from(self.width * self.height)
    }
}

/// The renders the screendumps are compared with, and where to touch.
pub struct Expected {
    pub home: Picture,
    pub larger_text_home: Picture,
    /// The centre of the "Aa" switch, in display pixels.
    pub larger_text_switch: (u32, u32),
    /// The centres of the four faces, very bad to very good.
    pub faces: Vec<(u32, u32)>,
}

/// Renders the home screen as the kiosk shows it at this desk (Polish, the desk's name, the
/// four configured languages, the 7" display's size), in both text modes.
pub fn expected(
    desk_name: &str,
    languages: &[&str],
    px_per_mm: f32,
    px_per_mm_across: f32,
) -> anyhow::Result<Expected> {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .map_err(|e| anyhow!("setting up the headless backend: {e}"))?;
    let window = KioskWindow::new().context("creating the kiosk window")?;
    window.show().context("showing the kiosk window")?;
    window
        .window()
        .set_size(PhysicalSize::new(SCREEN_WIDTH, SCREEN_HEIGHT));
    window.global::<Theme>().set_px_per_mm(px_per_mm);
    window
        .global::<Theme>()
        .set_px_per_mm_across(px_per_mm_across);
    let bundled = Translations::bundled();
    let options: Vec<LanguageOption> = languages
        .iter()
        .map(|code| {
            bundled
                .catalogs()
                .find(|c| c.language().as_str() == *code)
                .map(|c| LanguageOption {
                    code: c.language().as_str().into(),
                    native_name: c.native_name().into(),
                })
                .with_context(|| format!("no bundled translation for {code}"))
        })
        .collect::<anyhow::Result<_>>()?;
    let first = *languages.first().context("no language")?;
    slint::select_bundled_translation(first)
        .map_err(|e| anyhow!("selecting the {first} translation: {e}"))?;
    let adapter = window.global::<KioskAdapter>();
    adapter.set_languages(ModelRc::new(VecModel::from(options)));
    adapter.set_language(first.into());
    adapter.set_desk_name(desk_name.into());
    adapter.set_screen(Screen::Home);
    adapter.set_recording(false);

    let center = |element: &ElementHandle| {
        let (at, size) = (element.absolute_position(), element.size());
        (
            (at.x + size.width / 2.0).round().max(0.0) as u32,
            (at.y + size.height / 2.0).round().max(0.0) as u32,
        )
    };
    let home = snapshot(&window)?;
    let faces: Vec<(u32, u32)> = ElementHandle::find_by_element_type_name(&window, "FaceButton")
        .map(|face| center(&face))
        .collect();
    if faces.len() != 4 {
        bail!("the rendered home screen has {} faces, not 4", faces.len());
    }
    let switches = ElementQuery::from_root(&window)
        .match_predicate(|e| e.accessible_role() == Some(AccessibleRole::Switch))
        .find_all();
    let [switch] = &switches[..] else {
        bail!(
            "the rendered home screen has {} switches, not just \"Aa\"",
            switches.len()
        );
    };
    let larger_text_switch = center(switch);
    window.global::<Theme>().set_larger_text(true);
    let larger_text_home = snapshot(&window)?;
    Ok(Expected {
        home,
        larger_text_home,
        larger_text_switch,
        faces,
    })
}

fn snapshot(window: &KioskWindow) -> anyhow::Result<Picture> {
    let buffer = window
        .window()
        .take_snapshot()
        .map_err(|e| anyhow!("rendering the home screen: {e}"))?;
    Ok(Picture::from_rgba(
        buffer.width(),
        buffer.height(),
        buffer.as_bytes(),
    ))
}
