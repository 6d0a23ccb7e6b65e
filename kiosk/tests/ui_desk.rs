//! End-to-end tests of the kiosk at the desk: simulated presence and button presses (and keys
//! typed in the window) drive the real kiosk flow; the display dims, switches off and wakes; the
//! touch or press that wakes it records nothing; answers reach the SQLite store with input kind
//! "button"; and the status LED follows the real sync thread: out of service while not enrolled,
//! records waiting, then all synced, and out of service again once the token is refused.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Kiosk, pass_time, run_ui_test};
use hardware::{Button, InputEvent, LedState, Simulator};
use kiosk::clock::SystemClock;
use kiosk::config::Config;
use kiosk::store::Store;
use kiosk::sync::{Enrollment, SyncService};
use model::{InputKind, Question, Score};
use slint::ComponentHandle;
use slint::platform::WindowEvent;
use ui::Screen;

#[test]
fn the_desk_drives_the_real_kiosk() {
    run_ui_test(|| async {
        the_display_sleeps_and_wakes_without_recording_the_wake_up().await;
        presence_wakes_the_display_and_keeps_it_awake().await;
        keys_in_the_window_stand_in_for_the_buttons().await;
        the_led_follows_enrollment_and_the_outbox().await;
    });
}

const AWAKE: u8 = 100;
const DIMMED: u8 = 20;

/// A kiosk whose display dims after 30 s and switches off after 60 s of nobody, with a
/// simulated desk attached.
fn kiosk_at_a_quiet_desk() -> (Kiosk, Simulator) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::example(dir.path().join("data"));
    config.display_power.dim_after = Duration::from_secs(30);
    config.display_power.off_after = Duration::from_secs(60);
    assert_eq!(
        (
            config.display_power.awake_percent,
            config.display_power.dim_percent
        ),
        (AWAKE, DIMMED)
    );
    let kiosk = Kiosk::start_with(config, dir);
    let desk = Simulator::new();
    kiosk.app.attach_hardware(Box::new(desk.clone()));
    (kiosk, desk)
}

/// Presses a button (or injects an event) and lets the kiosk's hardware poll run.
fn at_the_desk(desk: &Simulator, event: InputEvent) {
    desk.inject(event);
    pass_time(0.05);
}

/// Lets a quiet desk's display dim and then switch off (each step's timer starts when the one
/// before fires, so mocked time passes in two steps).
fn let_the_display_switch_off(desk: &Simulator) {
    pass_time(30.5);
    assert_eq!(desk.backlight(), Some(DIMMED));
    pass_time(30.5);
    assert_eq!(desk.backlight(), Some(0));
}

fn asleep(kiosk: &Kiosk) -> bool {
    kiosk.adapter().get_display_asleep()
}

fn answers(kiosk: &Kiosk) -> Vec<(Question, Score, InputKind)> {
    kiosk
        .records()
        .iter()
        .map(|r| (r.question, r.answer.score().expect("a score"), r.input))
        .collect()
}

async fn the_display_sleeps_and_wakes_without_recording_the_wake_up() {
    let (kiosk, desk) = kiosk_at_a_quiet_desk();
    assert_eq!((desk.backlight(), asleep(&kiosk)), (Some(AWAKE), false));

    pass_time(29.0);
    assert_eq!(desk.backlight(), Some(AWAKE), "not yet 30 s of nobody");
    pass_time(1.5);
    assert_eq!((desk.backlight(), asleep(&kiosk)), (Some(DIMMED), true));

    // The wake-up touch lands on a face, but only wakes the display.
    kiosk.tap("Very bad");
    assert_eq!((desk.backlight(), asleep(&kiosk)), (Some(AWAKE), false));
    assert_eq!(kiosk.screen(), Screen::Home);

    pass_time(31.0);
    assert_eq!(desk.backlight(), Some(DIMMED));
    pass_time(30.5);
    assert_eq!((desk.backlight(), asleep(&kiosk)), (Some(0), true), "off");

    // The wake-up button press only wakes the display, too.
    at_the_desk(&desk, InputEvent::Pressed(Button::VeryBad));
    assert_eq!((desk.backlight(), asleep(&kiosk)), (Some(AWAKE), false));
    assert_eq!(kiosk.screen(), Screen::Home);
    // Read-aloud wakes without speaking or recording as well.
    pass_time(31.0);
    at_the_desk(&desk, InputEvent::Pressed(Button::ReadAloud));
    assert_eq!(desk.backlight(), Some(AWAKE));

    // On the lit screen, presses are answers: through the whole flow.
    at_the_desk(&desk, InputEvent::Pressed(Button::Good));
    kiosk.until_screen(Screen::AskMore).await;
    kiosk.tap("Yes");
    kiosk.until_screen(Screen::Question).await;
    at_the_desk(&desk, InputEvent::Pressed(Button::VeryGood));
    kiosk.until(|k| k.records().len() == 2).await;
    assert_eq!(
        answers(&kiosk),
        [
            (Question::Overall, Score::GOOD, InputKind::Button),
            (
                Question::Standard(model::StandardId::IV),
                Score::VERY_GOOD,
                InputKind::Button
            ),
        ],
        "nothing from the wake-ups"
    );
    // A touch on the awake screen is a real answer and keeps it awake.
    kiosk.until_screen(Screen::Question).await;
    pass_time(20.0);
    kiosk.tap("Bad");
    kiosk.until_screen(Screen::Reasons).await;
    pass_time(20.0);
    assert_eq!(
        desk.backlight(),
        Some(AWAKE),
        "the client's touch 20 s ago restarted the quiet time"
    );
    assert_eq!(
        kiosk.records().last().map(|r| r.input),
        Some(InputKind::Touch)
    );

    // Nobody touches any more: the visit's own "Need more time?" comes first, on a lit screen.
    pass_time(31.0);
    assert!(kiosk.adapter().get_idle_prompt_visible());
    assert_eq!(
        desk.backlight(),
        Some(AWAKE),
        "no dimming in the middle of a visit"
    );
    for _ in 0..=kiosk.config.timing.idle_countdown.as_secs() {
        pass_time(1.0);
    }
    kiosk.until_screen(Screen::Home).await;
    assert_eq!(desk.backlight(), Some(AWAKE));
    pass_time(30.5);
    assert_eq!(desk.backlight(), Some(DIMMED), "30 s after the visit ended");
}

/// Ends the visit on "Tell us more?" with Finish and waits for the home screen.
async fn finish_the_visit(kiosk: &Kiosk) {
    kiosk.tap("Finish");
    kiosk.until_screen(Screen::ThankYou).await;
    pass_time(kiosk.config.timing.thank_you.as_secs_f64() + 0.5);
    kiosk.until_screen(Screen::Home).await;
}

async fn presence_wakes_the_display_and_keeps_it_awake() {
    let (kiosk, desk) = kiosk_at_a_quiet_desk();
    let_the_display_switch_off(&desk);

    at_the_desk(&desk, InputEvent::PresenceDetected);
    assert_eq!((desk.backlight(), asleep(&kiosk)), (Some(AWAKE), false));
    pass_time(600.0);
    assert_eq!(
        desk.backlight(),
        Some(AWAKE),
        "never dims while someone is there"
    );
    // Woken by presence, the screen was lit before the touch: the touch is an answer.
    kiosk.tap("Very good");
    kiosk.until_screen(Screen::AskMore).await;
    assert_eq!(
        answers(&kiosk),
        [(Question::Overall, Score::VERY_GOOD, InputKind::Touch)]
    );
    finish_the_visit(&kiosk).await;

    at_the_desk(&desk, InputEvent::PresenceLost);
    pass_time(29.0);
    assert_eq!(desk.backlight(), Some(AWAKE));
    pass_time(1.5);
    assert_eq!(desk.backlight(), Some(DIMMED), "30 s after they left");
}

/// Types a key into the window, as a desktop keyboard would.
fn type_key(kiosk: &Kiosk, text: &str) {
    let window = kiosk.app.window().window();
    window.dispatch_event(WindowEvent::KeyPressed { text: text.into() });
    window.dispatch_event(WindowEvent::KeyReleased { text: text.into() });
    pass_time(0.05);
}

async fn keys_in_the_window_stand_in_for_the_buttons() {
    let (kiosk, desk) = kiosk_at_a_quiet_desk();
    kiosk.app.use_keyboard_as_desk(desk.clone());
    let_the_display_switch_off(&desk);
    type_key(&kiosk, "p"); // someone arrives
    assert_eq!(desk.backlight(), Some(AWAKE));
    type_key(&kiosk, "4");
    kiosk.until_screen(Screen::AskMore).await;
    finish_the_visit(&kiosk).await;
    type_key(&kiosk, "p"); // they leave
    pass_time(30.5);
    assert_eq!(desk.backlight(), Some(DIMMED));
    assert_eq!(
        answers(&kiosk),
        [(Question::Overall, Score::VERY_GOOD, InputKind::Button)]
    );
}

/// Waits until the simulated desk's LED shows `state`, letting the kiosk's poll run; the sync
/// thread works in real time, so this allows up to a minute.
async fn until_led(desk: &Simulator, state: LedState) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while desk.led() != Some(state) {
        assert!(
            Instant::now() < deadline,
            "the LED shows {:?}, not {state:?}",
            desk.led()
        );
        pass_time(0.02);
        yield_to_the_event_loop().await;
    }
}

/// Lets the event loop run once (the sync thread's reports arrive through it).
async fn yield_to_the_event_loop() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

fn sync_service(kiosk: &Kiosk) -> SyncService {
    SyncService::start(
        kiosk.config.clone(),
        Arc::new(SystemClock::new()),
        kiosk.app.config_updates(),
        kiosk.app.sync_status_updates(),
    )
}

async fn the_led_follows_enrollment_and_the_outbox() {
    let (kiosk, desk) = kiosk_at_a_quiet_desk();
    // Someone stays at the desk, so the display stays awake however long the sync takes.
    at_the_desk(&desk, InputEvent::PresenceDetected);
    // Before any sync round, nothing is known to be synced.
    assert_eq!(desk.led(), Some(LedState::RecordsWaiting));

    let sync = sync_service(&kiosk);
    until_led(&desk, LedState::OutOfService).await; // not enrolled
    drop(sync);

    // Enrolled at an aggregator that cannot be reached: nothing waits, so all is synced.
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    std::fs::create_dir_all(kiosk.data_dir()).expect("data dir");
    Enrollment {
        server: format!("http://{unreachable}"),
        kiosk_id: "k-test".into(),
        token: "t".repeat(43),
    }
    .save(kiosk.data_dir())
    .expect("enrollment");
    let syncing = sync_service(&kiosk);
    until_led(&desk, LedState::AllSynced).await;

    // An answer by button: it waits for the network.
    at_the_desk(&desk, InputEvent::Pressed(Button::Good));
    kiosk.until_screen(Screen::AskMore).await;
    pass_time(0.05);
    assert_eq!(desk.led(), Some(LedState::RecordsWaiting));
    let records = kiosk.records();
    assert_eq!(
        answers(&kiosk),
        [(Question::Overall, Score::GOOD, InputKind::Button)]
    );
    // It stays waiting while the aggregator is unreachable (the sync thread retries meanwhile).
    pass_time(1.0);
    assert_eq!(desk.led(), Some(LedState::RecordsWaiting));

    // The aggregator's receipt settles it (as `kiosk::sync` marks it); the next round sees it.
    let mut store = Store::open(kiosk.data_dir()).expect("store").store;
    let ids: Vec<_> = records.iter().map(|r| r.id).collect();
    store.acknowledge(&ids, 1).expect("acknowledge");
    until_led(&desk, LedState::AllSynced).await;
    drop(syncing);

    // The aggregator revokes the kiosk: its token is refused, and the kiosk is out of service.
    Enrollment {
        server: format!("http://{}", aggregator_refusing_every_token()),
        kiosk_id: "k-test".into(),
        token: "t".repeat(43),
    }
    .save(kiosk.data_dir())
    .expect("enrollment");
    let _refused = sync_service(&kiosk);
    until_led(&desk, LedState::OutOfService).await;
}

/// An HTTP server that answers every request with 401 Unauthorized, as the aggregator does for a
/// revoked token. It serves on its own thread for the rest of the test process.
fn aggregator_refusing_every_token() -> std::net::SocketAddr {
    use std::io::{BufRead, BufReader, Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            let Ok(mut connection) = connection else {
                continue;
            };
            let Ok(reader) = connection.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(reader);
            // Read the whole request (headers, then the body), so closing never resets it.
            let mut body_length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    body_length = value.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; body_length];
            let _ = reader.read_exact(&mut body);
            let _ = connection.write_all(
                b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    address
}
