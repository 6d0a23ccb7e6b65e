//! A [`Hardware`] implementation over any pin reader/writer: a thread samples the inputs every
//! few milliseconds through [`InputSampler`], drives the LED through [`LedDriver`] and writes the
//! backlight, so the UI thread only exchanges messages. The Pi backend supplies the pins; tests
//! supply fake ones, so this loop is the same code in both.

use std::collections::VecDeque;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::backlight::SysfsBacklight;
use crate::config::HardwareConfig;
use crate::sampler::{InputSampler, LedDriver};
use crate::{Hardware, InputEvent, LedState};

/// How often the input lines are read: well inside the shortest debounce (1 ms is refused, the
/// default is 20 ms), so a quick tap on an arcade button is never missed between samples.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(5);

/// Electrical access to the pins a desk uses (BCM numbers), claimed beforehand by the backend.
pub trait PinIo: Send + 'static {
    /// The level of an input pin: true for high.
    fn read_high(&mut self, pin: u8) -> bool;
    /// Drives an output pin high (true) or low.
    fn write(&mut self, pin: u8, high: bool);
}

#[derive(Debug, Clone, Copy)]
enum Command {
    Led(LedState),
    Backlight(u8),
}

/// The desk as one sampling thread; dropping it stops the thread, darkens the LED and leaves
/// the backlight fully on (so a stopped kiosk does not look like a dead screen).
pub struct PolledDesk {
    name: &'static str,
    commands: Option<mpsc::Sender<Command>>,
    events: mpsc::Receiver<InputEvent>,
    thread: Option<JoinHandle<()>>,
}

impl PolledDesk {
    /// Starts sampling `io` with the lines of a validated `config`; `name` is what the log shows.
    pub fn start(
        name: &'static str,
        config: &HardwareConfig,
        io: impl PinIo,
        backlight: Option<SysfsBacklight>,
    ) -> std::io::Result<PolledDesk> {
        let (commands, inbox) = mpsc::channel();
        let (events_out, events) = mpsc::channel();
        let mut desk = DeskLoop::new(config, io, backlight);
        let thread = std::thread::Builder::new()
            .name(format!("{name}-desk"))
            .spawn(move || {
                let start = Instant::now();
                desk.run(&inbox, &events_out, || start.elapsed());
            })?;
        Ok(PolledDesk {
            name,
            commands: Some(commands),
            events,
            thread: Some(thread),
        })
    }

    fn send(&self, command: Command) {
        if let Some(commands) = &self.commands
            && commands.send(command).is_err()
        {
            tracing::error!(hardware = self.name, "the desk thread has stopped");
        }
    }
}

impl Hardware for PolledDesk {
    fn name(&self) -> &'static str {
        self.name
    }

    fn poll_event(&mut self) -> Option<InputEvent> {
        self.events.try_recv().ok()
    }

    fn set_led(&mut self, state: LedState) {
        self.send(Command::Led(state));
    }

    fn set_backlight(&mut self, percent: u8) {
        self.send(Command::Backlight(percent.min(100)));
    }
}

impl Drop for PolledDesk {
    fn drop(&mut self) {
        self.commands.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!(hardware = self.name, "the desk thread panicked");
        }
    }
}

/// What the sampling thread owns: pins, debouncers, LED rhythm and backlight.
struct DeskLoop<P> {
    io: P,
    inputs: InputSampler,
    led: Option<LedDriver>,
    backlight: Option<SysfsBacklight>,
    /// Whether the last backlight write failed, so a failing device is logged once, not per write.
    backlight_failing: bool,
    backlight_changed: bool,
    pending: VecDeque<InputEvent>,
}

impl<P: PinIo> DeskLoop<P> {
    fn new(config: &HardwareConfig, io: P, backlight: Option<SysfsBacklight>) -> DeskLoop<P> {
        DeskLoop {
            io,
            inputs: InputSampler::new(config),
            led: config.led.map(LedDriver::new),
            backlight,
            backlight_failing: false,
            backlight_changed: false,
            pending: VecDeque::new(),
        }
    }

    fn run(
        &mut self,
        inbox: &mpsc::Receiver<Command>,
        events: &mpsc::Sender<InputEvent>,
        now: impl Fn() -> Duration,
    ) {
        loop {
            match inbox.recv_timeout(SAMPLE_INTERVAL) {
                Ok(command) => self.apply(command, now()),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.step(now());
            while let Some(event) = self.pending.pop_front() {
                if events.send(event).is_err() {
                    // The hardware handle is gone without saying so: stop all the same.
                    return self.shut_down();
                }
            }
        }
        self.shut_down();
    }

    fn apply(&mut self, command: Command, now: Duration) {
        match command {
            Command::Led(state) => {
                if let Some(led) = &mut self.led {
                    led.set(state, now);
                }
            }
            Command::Backlight(percent) => self.set_backlight(percent),
        }
    }

    /// Samples every input once and brings the LED up to date.
    fn step(&mut self, now: Duration) {
        let io = &mut self.io;
        self.inputs
            .sample(now, |pin| io.read_high(pin), &mut self.pending);
        if let Some(led) = &mut self.led
            && let Some(level) = led.level_change(now)
        {
            self.io.write(led.pin().pin, level);
        }
    }

    fn set_backlight(&mut self, percent: u8) {
        let Some(backlight) = &self.backlight else {
            return;
        };
        self.backlight_changed = true;
        match backlight.set_percent(percent) {
            Ok(()) if self.backlight_failing => {
                self.backlight_failing = false;
                tracing::info!(path = %backlight.path().display(), "backlight works again");
            }
            Ok(()) => {}
            Err(e) if !self.backlight_failing => {
                self.backlight_failing = true;
                tracing::error!(error = %e, "cannot set the backlight");
            }
            Err(_) => {}
        }
    }

    fn shut_down(&mut self) {
        if let Some(led) = &self.led {
            let pin = led.pin();
            self.io
                .write(pin.pin, crate::sampler::level_for(false, pin.active));
        }
        if self.backlight_changed {
            self.set_backlight(100);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::Button;

    /// Pins shared with the test: inputs it sets, outputs it reads back.
    #[derive(Clone, Default)]
    struct FakePins(Arc<Mutex<FakeLevels>>);

    #[derive(Default)]
    struct FakeLevels {
        inputs: HashMap<u8, bool>,
        writes: Vec<(u8, bool)>,
    }

    impl FakePins {
        /// The default wiring at rest: buttons pulled up, nobody in front of the PIR.
        fn idle() -> FakePins {
            let pins = FakePins::default();
            for pin in [5, 6, 13, 19, 26] {
                pins.set(pin, true);
            }
            pins.set(4, false);
            pins
        }

        fn set(&self, pin: u8, high: bool) {
            self.levels().inputs.insert(pin, high);
        }

        fn writes(&self) -> Vec<(u8, bool)> {
            self.levels().writes.clone()
        }

        fn levels(&self) -> std::sync::MutexGuard<'_, FakeLevels> {
            self.0.lock().expect("fake pins")
        }
    }

    impl PinIo for FakePins {
        fn read_high(&mut self, pin: u8) -> bool {
            self.levels().inputs.get(&pin).copied().unwrap_or(false)
        }

        fn write(&mut self, pin: u8, high: bool) {
            self.levels().writes.push((pin, high));
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_loop_turns_pin_levels_into_presses_presence_and_led_writes() {
        let pins = FakePins::idle();
        let mut desk = DeskLoop::new(&HardwareConfig::default(), pins.clone(), None);
        desk.step(ms(0));
        assert_eq!(pins.writes(), [(16, false)], "the LED starts dark");
        pins.set(19, false); // "very good" pushed briefly
        pins.set(4, true); // someone arrives
        for t in (5..=100).step_by(5) {
            desk.step(ms(t));
        }
        pins.set(19, true);
        pins.set(26, false); // read aloud kept down
        for t in (105..=1_200).step_by(5) {
            desk.step(ms(t));
        }
        assert_eq!(
            Vec::from(std::mem::take(&mut desk.pending)),
            [
                InputEvent::Pressed(Button::VeryGood),
                InputEvent::PresenceDetected,
                InputEvent::Held(Button::ReadAloud),
            ]
        );
        desk.apply(Command::Led(LedState::OutOfService), ms(1_200));
        for t in (1_205..=1_995).step_by(5) {
            desk.step(ms(t));
        }
        let blinks: Vec<bool> = pins.writes()[1..].iter().map(|&(_, high)| high).collect();
        assert_eq!(blinks, [true, false, true, false], "0.2 s on, 0.2 s off");
        assert!(desk.pending.is_empty(), "held, not repeated");
    }

    #[test]
    fn the_backlight_is_written_and_restored_to_full_at_shutdown() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::write(root.path().join("max_brightness"), "200\n").expect("max");
        std::fs::write(root.path().join("brightness"), "200\n").expect("brightness");
        let backlight = SysfsBacklight::open(root.path()).expect("opens");
        let read = || std::fs::read_to_string(root.path().join("brightness")).expect("read");
        let pins = FakePins::idle();
        let mut desk = DeskLoop::new(&HardwareConfig::default(), pins.clone(), Some(backlight));
        desk.apply(Command::Backlight(10), ms(0));
        assert_eq!(read(), "20");
        desk.apply(Command::Led(LedState::AllSynced), ms(0));
        desk.step(ms(0));
        desk.shut_down();
        assert_eq!(read(), "200");
        assert_eq!(pins.writes(), [(16, true), (16, false)], "lit, then dark");
    }

    #[test]
    fn the_thread_delivers_a_real_time_hold_through_the_trait() {
        let pins = FakePins::idle();
        let mut desk: Box<dyn Hardware> = Box::new(
            PolledDesk::start("fake", &HardwareConfig::default(), pins.clone(), None)
                .expect("thread"),
        );
        assert_eq!(desk.name(), "fake");
        desk.set_led(LedState::AllSynced);
        pins.set(26, false); // read-aloud kept down: a hold, after the hold time
        let deadline = Instant::now() + Duration::from_secs(10);
        let event = loop {
            if let Some(event) = desk.poll_event() {
                break event;
            }
            assert!(Instant::now() < deadline, "no hold within 10 s");
            std::thread::sleep(SAMPLE_INTERVAL);
        };
        assert_eq!(event, InputEvent::Held(Button::ReadAloud));
        while !pins.writes().contains(&(16, true)) {
            assert!(Instant::now() < deadline, "LED never lit");
            std::thread::sleep(SAMPLE_INTERVAL);
        }
        drop(desk);
        assert_eq!(
            pins.writes().last(),
            Some(&(16, false)),
            "dark once stopped"
        );
    }
}
