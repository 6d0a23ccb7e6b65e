//! Shared harness for the kiosk's UI tests: the real app on Slint's testing backend, with mocked
//! time for timers, a real recorder thread and a real SQLite file in a temporary directory.

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use i_slint_backend_testing::ElementHandle;
use kiosk::app::KioskApp;
use kiosk::clock::SystemClock;
use kiosk::config::{Config, Display};
use slint::ComponentHandle;
use ui::{KioskAdapter, Screen};

/// The panels the UI is measured on: the official 7" display, and a 7"-class 1280×800 panel (Touch
/// Display 2 is 720×1280 portrait, ≈ 155×88 mm; a landscape 7" 1280×800 is ≈ 150.7×94.2 mm).
pub const PANELS: [Display; 2] = [
    Display::RASPBERRY_PI_7_INCH,
    Display {
        width_px: 1280,
        height_px: 800,
        width_mm: 150.7,
        height_mm: 94.2,
    },
];

/// A panel larger than the 7" ones, to show that larger-text mode uses the room: 15.6" 1920×1080,
/// 344.2 × 193.6 mm.
pub const PANEL_15_6_INCH: Display = Display {
    width_px: 1920,
    height_px: 1080,
    width_mm: 344.2,
    height_mm: 193.6,
};

/// Runs `scenario` inside the Slint event loop of the testing backend (mocked time).
pub fn run_ui_test<F: Future<Output = ()> + 'static>(scenario: impl FnOnce() -> F + 'static) {
    // Mocked time for timers, an event loop for the recorder's replies, and the real software
    // renderer (not the mock one) so geometry and pixels come from the bundled fonts.
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: true,
            threading: true,
            renderer_name: Some("software".into()),
        },
    )))
    .expect("the testing backend");
    slint::spawn_local(async move {
        scenario().await;
        slint::quit_event_loop().expect("quit");
    })
    .expect("spawn scenario");
    slint::run_event_loop_until_quit().expect("event loop");
}

pub struct Kiosk {
    pub app: KioskApp,
    pub config: Config,
    _dir: tempfile::TempDir,
}

impl Kiosk {
    /// A kiosk at the example desk (IV, III, II, IX), 800×480, data in a fresh directory.
    pub fn start() -> Kiosk {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::example(dir.path().join("data"));
        Self::start_with(config, dir)
    }

    /// The kiosk of `config`, its window the size of the configured panel.
    pub fn start_with(config: Config, dir: tempfile::TempDir) -> Kiosk {
        let app = KioskApp::new(&config, Arc::new(SystemClock::new())).expect("kiosk app");
        app.window().window().set_size(slint::PhysicalSize::new(
            config.display.width_px,
            config.display.height_px,
        ));
        app.window().show().expect("show");
        Kiosk {
            app,
            config,
            _dir: dir,
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.config.data_dir
    }

    pub fn adapter(&self) -> KioskAdapter<'_> {
        self.app.window().global::<KioskAdapter>()
    }

    pub fn screen(&self) -> Screen {
        self.adapter().get_screen()
    }

    /// The visible element with this accessible label (an English UI msgid is looked up in the
    /// language on screen); panics naming what is on screen if none.
    pub fn find(&self, label: &str) -> ElementHandle {
        self.try_find(label).unwrap_or_else(|| {
            panic!(
                "no visible element labelled {label:?} ({:?}) on {:?}; labels: {:?}",
                self.localized(label),
                self.screen(),
                self.labels()
            )
        })
    }

    pub fn try_find(&self, label: &str) -> Option<ElementHandle> {
        ElementHandle::find_by_accessible_label(self.app.window(), &self.localized(label))
            .find(|e| e.is_valid() && e.computed_opacity() > 0.0 && e.size().width > 0.0)
    }

    /// `text` in the language on screen if it is a UI msgid of the .po files, else `text` itself.
    pub fn localized(&self, text: &str) -> String {
        let language: model::LanguageTag = self
            .adapter()
            .get_language()
            .parse()
            .expect("a language tag");
        ui::translations::Translations::bundled()
            .get(&language)
            .and_then(|catalog| {
                catalog
                    .entries()
                    .find(|(_, msgid, message)| *msgid == text && message.is_translated())
                    .map(|(_, _, message)| message.forms()[0].clone())
            })
            .unwrap_or_else(|| text.to_owned())
    }

    /// Every accessible label on screen, for failure messages.
    pub fn labels(&self) -> Vec<String> {
        use i_slint_backend_testing::ElementRoot;
        let mut labels = Vec::new();
        self.app.window().root_element().visit_descendants(|e| {
            if let Some(label) = e.accessible_label().filter(|l| !l.is_empty()) {
                labels.push(label.to_string());
            }
            std::ops::ControlFlow::<()>::Continue(())
        });
        labels
    }

    /// Taps an element by its accessible label.
    pub fn tap(&self, label: &str) {
        self.find(label)
            .mock_single_click(slint::platform::PointerEventButton::Left);
    }

    /// Whether the one visible focus ring surrounds the visible element labelled `label`.
    pub fn ring_surrounds(&self, label: &str) -> bool {
        let rings: Vec<ElementHandle> =
            ElementHandle::find_by_element_type_name(self.app.window(), "FocusRing")
                .filter(|e| e.is_valid() && e.size().width > 0.0)
                .collect();
        let [ring] = rings.as_slice() else {
            return false;
        };
        let target = self.find(label);
        let (ring_at, ring_size) = (ring.absolute_position(), ring.size());
        let (at, size) = (target.absolute_position(), target.size());
        ring_at.x < at.x
            && ring_at.y < at.y
            && ring_at.x + ring_size.width > at.x + size.width
            && ring_at.y + ring_size.height > at.y + size.height
    }

    /// Asserts that the one visible focus ring surrounds the visible element labelled `label`
    /// (as shown, not translated), naming what it found when it does not.
    pub fn assert_ring_around(&self, label: &str) {
        let rings: Vec<ElementHandle> =
            ElementHandle::find_by_element_type_name(self.app.window(), "FocusRing")
                .filter(|e| e.is_valid() && e.size().width > 0.0)
                .collect();
        assert_eq!(rings.len(), 1, "one focus ring, round {label:?}");
        let target = ElementHandle::find_by_accessible_label(self.app.window(), label)
            .find(|e| e.is_valid() && e.size().width > 0.0)
            .unwrap_or_else(|| panic!("no visible {label:?}; labels: {:?}", self.labels()));
        let (ring_at, ring_size) = (rings[0].absolute_position(), rings[0].size());
        let (at, size) = (target.absolute_position(), target.size());
        assert!(
            ring_at.x < at.x
                && ring_at.y < at.y
                && ring_at.x + ring_size.width > at.x + size.width
                && ring_at.y + ring_size.height > at.y + size.height,
            "the ring ({ring_at:?} {ring_size:?}) surrounds {label:?} ({at:?} {size:?})"
        );
    }

    /// Waits (yielding to the event loop, never sleeping) until the screen is `screen`.
    pub async fn until_screen(&self, screen: Screen) {
        // Out of service, an answer may stay queued ("recording") until the disk takes it.
        until(&format!("screen {screen:?}"), || {
            self.screen() == screen
                && (screen == Screen::OutOfService || !self.adapter().get_recording())
        })
        .await;
    }

    /// Waits until `condition` holds for this kiosk.
    pub async fn until(&self, condition: impl Fn(&Kiosk) -> bool) {
        until("a condition on the kiosk", || condition(self)).await;
    }

    /// Records in the kiosk's database, oldest first, as (question, score, reasons, supersedes).
    pub fn records(&self) -> Vec<model::RatingRecord> {
        let opened = kiosk::store::Store::open(self.data_dir()).expect("open store");
        let mut all = Vec::new();
        opened
            .store
            .for_each_record(|r| {
                all.push(r);
                Ok(())
            })
            .expect("read records");
        all
    }
}

/// Advances Slint's mocked clock (timers fire) by `seconds`.
pub fn pass_time(seconds: f64) {
    i_slint_backend_testing::mock_elapsed_time(Duration::from_secs_f64(seconds));
}

/// Yields to the event loop until `condition` holds; fails after 20 s of real time.
pub async fn until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        YieldNow(false).await;
    }
}

struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A temporary directory path that cannot be created: its parent is a regular file. (Tests run
/// as root, for whom permission bits mean nothing; a file in the way stops even root.)
pub fn uncreatable_dir(dir: &Path) -> PathBuf {
    let blocker = dir.join("blocker");
    std::fs::write(
        &blocker,
        b"a file where the data directory's parent should be",
    )
    .expect("blocker");
    blocker.join("data")
}
