//! Kiosk benchmarks for BENCHMARKS.md: tap-to-durable latency beside a bare rusqlite insert and
//! commit of the same row, full-frame software render time at 800×480 and 1280×800, resident
//! memory after 1,000 visits through the real UI, and start to first frame.
//!
//! `cargo bench -p kiosk --bench kiosk` runs it in full; under `cargo test` it runs a quick smoke
//! pass so the code stays working.

#![forbid(unsafe_code)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kiosk::app::KioskApp;
use kiosk::clock::{Clock, SystemClock};
use kiosk::config::Config;
use kiosk::recorder::Recorder;
use kiosk::store::{Answer, Store};
use model::{InputKind, LanguageTag, Question, Score, VisitId};
use slint::ComponentHandle;
use ui::{KioskAdapter, Screen, Theme};

fn main() {
    let started = Instant::now();
    let full = std::env::args().any(|a| a == "--bench");
    let scale = if full { 1 } else { 20 };
    common::run_ui_test(move || async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Config::example(dir.path().join("ui"));
        let app = KioskApp::new(&config, Arc::new(SystemClock::new())).expect("app");
        app.window()
            .window()
            .set_size(slint::PhysicalSize::new(800, 480));
        app.window().show().expect("show");
        app.window().window().take_snapshot().expect("first frame");
        let first_frame = started.elapsed();

        println!(
            "## Kiosk benchmarks ({})",
            if full { "full run" } else { "smoke run" }
        );
        println!();
        println!(
            "start to first frame (process main → config, window, recorder, first full render): {:.1} ms",
            ms(first_frame)
        );
        println!();
        tap_to_durable(dir.path(), 2000 / scale);
        render_times(&app, 200 / scale);
        memory_after_visits(&app, 1000 / scale).await;
    });
}

fn answer(visit_id: VisitId) -> Answer {
    Answer {
        visit_id,
        desk_id: "plock-wso-03".parse().expect("desk"),
        question: Question::Overall,
        answer: Score::GOOD.into(),
        reasons: vec![],
        language: LanguageTag::polish(),
        larger_text: false,
        input: InputKind::Touch,
        supersedes: None,
    }
}

/// Recorder path (hand-off to the recorder thread, IMMEDIATE transaction, commit with
/// synchronous=FULL, reply) beside the same row inserted and committed with bare rusqlite on the
/// same disk, alternating so both see the same conditions.
fn tap_to_durable(dir: &std::path::Path, samples: usize) {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
    let recorder = Recorder::start(dir.join("recorder"), clock.clone(), Box::new(|_| {}));
    // Same schema and pragmas: let the store create the file, then write it with bare rusqlite.
    drop(Store::open(&dir.join("bare")).expect("bare store"));
    let bare = rusqlite::Connection::open(dir.join("bare").join("kiosk.db")).expect("bare");
    bare.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    bare.pragma_update(None, "synchronous", "FULL")
        .expect("full");

    let (mut via_recorder, mut via_bare) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        let (done, stored) = mpsc::sync_channel(1);
        let t = Instant::now();
        recorder.record(
            answer(VisitId::new_random()),
            Box::new(move |_| {
                let _ = done.send(());
            }),
        );
        stored.recv().expect("stored");
        via_recorder.push(t.elapsed());

        let now = clock.now();
        let t = Instant::now();
        bare.execute_batch("BEGIN IMMEDIATE").expect("begin");
        bare.prepare_cached(
            "INSERT INTO answers (id, visit_id, desk_id, question, score, reasons, language, \
             larger_text, input, supersedes, wall_clock_ms, boot_id, boottime_ns, \
             clock_synchronized) VALUES (?1, ?2, 'plock-wso-03', 'overall', 3, '', 'pl', 0, \
             'touch', NULL, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(rusqlite::params![
                uuid::Uuid::new_v4().to_string(),
                uuid::Uuid::new_v4().to_string(),
                now.wall_clock_ms,
                now.boot_id,
                now.boottime_ns as i64,
                now.clock_synchronized,
            ])
        })
        .expect("insert");
        bare.execute_batch("COMMIT").expect("commit");
        via_bare.push(t.elapsed());
    }
    let (r50, r99) = percentiles(&mut via_recorder);
    let (b50, b99) = percentiles(&mut via_bare);
    println!("### Tap to durable ({samples} answers each, WAL + synchronous=FULL)");
    println!();
    println!("| path | p50 | p99 |");
    println!("|---|---|---|");
    println!(
        "| kiosk recorder (thread hand-off + IMMEDIATE tx + commit + reply) | {:.3} ms | {:.3} ms |",
        ms(r50),
        ms(r99)
    );
    println!(
        "| bare rusqlite insert + commit, same row | {:.3} ms | {:.3} ms |",
        ms(b50),
        ms(b99)
    );
    println!(
        "| ratio (goal ≤ 1.5×) | {:.2}× | {:.2}× |",
        ms(r50) / ms(b50),
        ms(r99) / ms(b99)
    );
    println!();
}

/// Full-frame software renders of the busiest screens, both text modes.
fn render_times(app: &KioskApp, frames: usize) {
    println!("### Full-frame software render ({frames} frames per row)");
    println!();
    println!("| size | mode | screen | mean | p99 |");
    println!("|---|---|---|---|---|");
    let adapter = app.window().global::<KioskAdapter>();
    let theme = app.window().global::<Theme>();
    for (width, height, px_per_mm) in [(800, 480, 5.19), (1280, 800, 5.9)] {
        app.window()
            .window()
            .set_size(slint::PhysicalSize::new(width, height));
        theme.set_px_per_mm(px_per_mm);
        theme.set_px_per_mm_across(px_per_mm);
        for larger in [false, true] {
            theme.set_larger_text(larger);
            for screen in [Screen::Home, Screen::Reasons] {
                adapter.set_screen(screen);
                let mut times = Vec::with_capacity(frames);
                for _ in 0..frames {
                    let t = Instant::now();
                    let frame = app.window().window().take_snapshot().expect("snapshot");
                    times.push(t.elapsed());
                    std::hint::black_box(frame);
                }
                let mean = times.iter().sum::<Duration>() / frames as u32;
                let (_, p99) = percentiles(&mut times);
                let mode = if larger { "larger text" } else { "normal" };
                println!(
                    "| {width}×{height} | {mode} | {screen:?} | {:.2} ms | {:.2} ms |",
                    ms(mean),
                    ms(p99)
                );
            }
        }
    }
    theme.set_larger_text(false);
    adapter.set_screen(Screen::Home);
    app.window()
        .window()
        .set_size(slint::PhysicalSize::new(800, 480));
    println!();
}

/// Visits through the real UI callbacks, each rendered, then resident memory.
async fn memory_after_visits(app: &KioskApp, visits: usize) {
    let adapter = app.window().global::<KioskAdapter>();
    let before = memory();
    for i in 0..visits {
        adapter.invoke_rate(1 + (i % 4) as i32);
        common::until("the answer to be durable", || {
            adapter.get_screen() == Screen::AskMore && !adapter.get_recording()
        })
        .await;
        adapter.invoke_finish();
        std::hint::black_box(app.window().window().take_snapshot().expect("frame"));
        i_slint_backend_testing::mock_elapsed_time(Duration::from_secs(10));
        common::until("home again", || adapter.get_screen() == Screen::Home).await;
    }
    let after = memory();
    println!("### Resident memory, {visits} visits through the UI (each rendered)");
    println!();
    println!("| when | VmRSS | VmHWM (peak) |");
    println!("|---|---|---|");
    println!("| before | {:.1} MB | {:.1} MB |", before.0, before.1);
    println!("| after | {:.1} MB | {:.1} MB |", after.0, after.1);
    println!();
}

/// (VmRSS, VmHWM) in MB from /proc/self/status.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
