//! `kiosk hw-test`: the interactive self-test facilities staff run on the device. It walks
//! through each button, the LED, the presence sensor, the backlight, touch in each screen corner
//! and the speaker with text prompts, and ends with a pass/fail/skipped summary.
//!
//! Everything it touches comes in through a seam ([`Hardware`], [`Voice`], [`CornerTouch`],
//! [`Answers`]), so the whole walk is tested with the hardware simulator and scripted answers.

mod corners;

pub use corners::{ScreenCorners, run_corner_test};

use std::io::{BufRead, Write};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use hardware::{Button, Hardware, HardwareConfig, InputEvent, LedState};

/// How often the hardware is polled (and the LED refreshed) while waiting.
const POLL: Duration = Duration::from_millis(10);

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Every check with its outcome, in the order run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<(String, Outcome)>,
}

impl Report {
    /// True when no check failed (skipped ones do not fail the test).
    pub fn passed(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|(_, outcome)| matches!(outcome, Outcome::Failed(_)))
    }

    /// The outcome of the check named `name`.
    pub fn outcome(&self, name: &str) -> Option<&Outcome> {
        self.checks
            .iter()
            .find(|(check, _)| check == name)
            .map(|(_, outcome)| outcome)
    }

    /// The summary table printed at the end.
    pub fn summary(&self) -> String {
        let mut text = String::from("\nSummary\n");
        let (mut passed, mut failed, mut skipped) = (0, 0, 0);
        for (name, outcome) in &self.checks {
            let line = match outcome {
                Outcome::Passed => {
                    passed += 1;
                    format!("  pass  {name}\n")
                }
                Outcome::Failed(why) => {
                    failed += 1;
                    format!("  FAIL  {name}: {why}\n")
                }
                Outcome::Skipped(why) => {
                    skipped += 1;
                    format!("  skip  {name}: {why}\n")
                }
            };
            text.push_str(&line);
        }
        text.push_str(&format!(
            "{passed} passed, {failed} failed, {skipped} skipped: {}\n",
            if failed == 0 {
                "the kiosk's hardware works"
            } else {
                "see INSTALL.md, troubleshooting"
            }
        ));
        text
    }
}

/// The speaker, as the self-test uses it.
pub trait Voice {
    /// Problems that make speech impossible (missing program, voice or sound card).
    fn problems(&self, languages: &[&str]) -> Vec<String>;
    /// Starts saying `text` in `language`.
    fn say(&self, language: &str, text: &str) -> Result<(), String>;
    /// Whether the last text is still being spoken.
    fn is_speaking(&self) -> bool;
}

impl Voice for speech::Speaker {
    fn problems(&self, languages: &[&str]) -> Vec<String> {
        self.check(languages)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn say(&self, language: &str, text: &str) -> Result<(), String> {
        speech::Speaker::say(self, language, text).map_err(|e| crate::report::error_chain(&e))
    }

    fn is_speaking(&self) -> bool {
        speech::Speaker::is_speaking(self)
    }
}

/// A screen corner, clockwise from the top left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomRight,
    BottomLeft,
}

impl Corner {
    pub const ALL: [Corner; 4] = [
        Corner::TopLeft,
        Corner::TopRight,
        Corner::BottomRight,
        Corner::BottomLeft,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Corner::TopLeft => "top left",
            Corner::TopRight => "top right",
            Corner::BottomRight => "bottom right",
            Corner::BottomLeft => "bottom left",
        }
    }
}

/// The touch test: a target in each corner of the screen.
pub trait CornerTouch {
    /// Shows the targets until all are touched or `wait` has passed; returns the corners
    /// touched, or why the test cannot run here (no display).
    fn touch_corners(&mut self, wait: Duration) -> Result<Vec<Corner>, String>;
}

/// The staff's answers, one line each, read on a thread of their own so that the end of the
/// input is noticed and the reading never holds up the hardware.
pub struct Answers {
    lines: mpsc::Receiver<String>,
}

impl Answers {
    /// Reads answers from `input` (standard input, or a script in tests).
    pub fn from_reader(input: impl BufRead + Send + 'static) -> Answers {
        let (sender, lines) = mpsc::channel();
        std::thread::Builder::new()
            .name("hw-test input".into())
            .spawn(move || {
                for line in input.lines() {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            })
            .unwrap_or_else(|e| panic!("cannot start the input thread: {e}"));
        Answers { lines }
    }
}

/// Languages the speaker is tried in, with a sentence in each.
pub const SPEAKER_SENTENCES: [(&str, &str, &str); 4] = [
    ("pl", "Polish", "To jest test głośnika kiosku Ocena."),
    ("en", "English", "This is the Ocena kiosk speaker test."),
    ("uk", "Ukrainian", "Це перевірка динаміка кіоску Ocena."),
    (
        "de",
        "German",
        "Dies ist der Lautsprechertest des Ocena-Kiosks.",
    ),
];

/// One run of the self-test.
pub struct SelfTest<'a> {
    hardware: Box<dyn Hardware>,
    config: &'a HardwareConfig,
    voice: &'a dyn Voice,
    corners: &'a mut dyn CornerTouch,
    answers: Answers,
    out: &'a mut dyn Write,
    /// How long staff have to press a button, approach the sensor or touch the corners.
    wait: Duration,
    report: Report,
}

/// Why the self-test could not go on.
#[derive(Debug, thiserror::Error)]
pub enum HwTestError {
    #[error("cannot write to the terminal")]
    Output(#[from] std::io::Error),
}

/// How a yes/no question was answered.
enum YesNo {
    Yes,
    No,
    /// The input ended before an answer.
    NoAnswer,
}

impl<'a> SelfTest<'a> {
    pub fn new(
        hardware: Box<dyn Hardware>,
        config: &'a HardwareConfig,
        voice: &'a dyn Voice,
        corners: &'a mut dyn CornerTouch,
        answers: Answers,
        out: &'a mut dyn Write,
        wait: Duration,
    ) -> SelfTest<'a> {
        SelfTest {
            hardware,
            config,
            voice,
            corners,
            answers,
            out,
            wait,
            report: Report::default(),
        }
    }

    /// Runs every check in turn and prints the summary.
    pub fn run(mut self) -> Result<Report, HwTestError> {
        writeln!(
            self.out,
            "Ocena hardware self-test ({} backend). Answer questions with y or n and Enter.",
            self.hardware.name()
        )?;
        self.buttons()?;
        self.led()?;
        self.presence()?;
        self.backlight()?;
        self.touch()?;
        self.speaker()?;
        let summary = self.report.summary();
        write!(self.out, "{summary}")?;
        self.out.flush()?;
        Ok(self.report)
    }

    fn record(&mut self, name: &str, outcome: Outcome) -> Result<(), HwTestError> {
        let shown = match &outcome {
            Outcome::Passed => "ok".to_owned(),
            Outcome::Failed(why) => format!("FAILED: {why}"),
            Outcome::Skipped(why) => format!("skipped: {why}"),
        };
        writeln!(self.out, "  {shown}")?;
        self.report.checks.push((name.to_owned(), outcome));
        Ok(())
    }

    /// The next input event before `deadline`, polling the hardware.
    fn next_event(&mut self, deadline: Instant) -> Option<InputEvent> {
        loop {
            if let Some(event) = self.hardware.poll_event() {
                return Some(event);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    fn buttons(&mut self) -> Result<(), HwTestError> {
        let config = self.config;
        let pins = &config.buttons;
        let buttons = [
            (Button::VeryBad, "very bad", pins.very_bad.pin),
            (Button::Bad, "bad", pins.bad.pin),
            (Button::Good, "good", pins.good.pin),
            (Button::VeryGood, "very good", pins.very_good.pin),
            (Button::ReadAloud, "read aloud", pins.read_aloud.pin),
        ];
        let pin_of = |button: Button| {
            buttons
                .iter()
                .find(|(b, _, _)| *b == button)
                .map_or(0, |(_, _, pin)| *pin)
        };
        let name_of = |button: Button| {
            buttons
                .iter()
                .find(|(b, _, _)| *b == button)
                .map_or("?", |(_, name, _)| *name)
        };
        let mut previous = None;
        for (button, name, pin) in buttons {
            writeln!(
                self.out,
                "Press the \"{name}\" button (GPIO {pin}) within {} s.",
                self.wait.as_secs()
            )?;
            self.out.flush()?;
            let deadline = Instant::now() + self.wait;
            let outcome = loop {
                match self.next_event(deadline) {
                    None => {
                        break Outcome::Failed(format!(
                            "no press within {} s: check the button's wiring to GPIO {pin} and GND",
                            self.wait.as_secs()
                        ));
                    }
                    // A button held down long is reported as held, not pressed: still a press.
                    Some(InputEvent::Pressed(pressed) | InputEvent::Held(pressed))
                        if pressed == button =>
                    {
                        break Outcome::Passed;
                    }
                    // A second press of the button just tested is a repeat, not a mistake.
                    Some(InputEvent::Pressed(pressed) | InputEvent::Held(pressed))
                        if Some(pressed) == previous => {}
                    Some(InputEvent::Pressed(pressed) | InputEvent::Held(pressed)) => {
                        break Outcome::Failed(format!(
                            "the \"{}\" button (GPIO {}) answered instead: are the two swapped?",
                            name_of(pressed),
                            pin_of(pressed)
                        ));
                    }
                    Some(_) => {} // presence comes later
                }
            };
            self.record(&format!("button {name}"), outcome)?;
            previous = Some(button);
        }
        Ok(())
    }

    fn led(&mut self) -> Result<(), HwTestError> {
        writeln!(self.out, "Status LED:")?;
        let Some(led) = self.config.led else {
            return self.record(
                "LED",
                Outcome::Skipped("no LED configured (hardware.led)".into()),
            );
        };
        let looks = [
            (LedState::AllSynced, "steadily on"),
            (
                LedState::RecordsWaiting,
                "blinking slowly (1 s on, 1 s off)",
            ),
            (
                LedState::OutOfService,
                "blinking fast (0.2 s on, 0.2 s off)",
            ),
        ];
        let mut wrong = Vec::new();
        for (state, look) in looks {
            // The backend blinks the pattern on its own clock (`LedState::is_lit`).
            self.hardware.set_led(state);
            match self.ask(&format!("Is the status LED (GPIO {}) {look}?", led.pin))? {
                YesNo::Yes => {}
                YesNo::No => wrong.push(format!("not {look}")),
                YesNo::NoAnswer => wrong.push(format!("no answer for {look}")),
            }
        }
        self.hardware.set_led(LedState::AllSynced);
        let outcome = if wrong.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(format!(
                "{}: check the LED, its resistor and GPIO {}",
                wrong.join("; "),
                led.pin
            ))
        };
        self.record("LED", outcome)
    }

    fn presence(&mut self) -> Result<(), HwTestError> {
        writeln!(self.out, "Presence sensor:")?;
        let Some(sensor) = self.config.presence else {
            return self.record(
                "presence sensor",
                Outcome::Skipped("no presence sensor configured (hardware.presence)".into()),
            );
        };
        writeln!(
            self.out,
            "Step away from the kiosk, then walk up to it within {} s.",
            self.wait.as_secs()
        )?;
        self.out.flush()?;
        let deadline = Instant::now() + self.wait;
        let outcome = loop {
            match self.next_event(deadline) {
                Some(InputEvent::PresenceDetected) => break Outcome::Passed,
                Some(_) => {}
                None => {
                    break Outcome::Failed(format!(
                        "nobody detected within {} s: check the sensor's power and its output to GPIO {}",
                        self.wait.as_secs(),
                        sensor.pin
                    ));
                }
            }
        };
        self.record("presence sensor", outcome)
    }

    fn backlight(&mut self) -> Result<(), HwTestError> {
        writeln!(self.out, "Backlight:")?;
        if self.config.backlight.is_none() {
            return self.record(
                "backlight",
                Outcome::Skipped("no backlight control configured (hardware.backlight)".into()),
            );
        }
        let steps = [
            (20, "dimmed"),
            (0, "dark (backlight off)"),
            (100, "bright again"),
        ];
        let mut wrong = Vec::new();
        for (percent, look) in steps {
            self.hardware.set_backlight(percent);
            match self.ask(&format!("Is the screen {look}?"))? {
                YesNo::Yes => {}
                YesNo::No => wrong.push(format!("not {look} at {percent} %")),
                YesNo::NoAnswer => wrong.push(format!("no answer at {percent} %")),
            }
        }
        self.hardware.set_backlight(100);
        let outcome = if wrong.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(format!(
                "{}: check hardware.backlight and that the kiosk's user may write it",
                wrong.join("; ")
            ))
        };
        self.record("backlight", outcome)
    }

    fn touch(&mut self) -> Result<(), HwTestError> {
        writeln!(
            self.out,
            "Touch: touch the four red targets in the corners of the screen within {} s.",
            self.wait.as_secs()
        )?;
        self.out.flush()?;
        let outcome = match self.corners.touch_corners(self.wait) {
            Err(why) => Outcome::Skipped(why),
            Ok(touched) => {
                let missed: Vec<&str> = Corner::ALL
                    .iter()
                    .filter(|corner| !touched.contains(corner))
                    .map(|corner| corner.name())
                    .collect();
                if missed.is_empty() {
                    Outcome::Passed
                } else {
                    Outcome::Failed(format!(
                        "not touched: {} (touch calibration or rotation? see INSTALL.md)",
                        missed.join(", ")
                    ))
                }
            }
        };
        self.record("touch corners", outcome)
    }

    fn speaker(&mut self) -> Result<(), HwTestError> {
        writeln!(self.out, "Speaker:")?;
        let languages: Vec<&str> = SPEAKER_SENTENCES.iter().map(|(code, ..)| *code).collect();
        let problems = self.voice.problems(&languages);
        if !problems.is_empty() {
            return self.record("speaker", Outcome::Failed(problems.join("; ")));
        }
        let mut wrong = Vec::new();
        for (code, language, sentence) in SPEAKER_SENTENCES {
            if let Err(e) = self.voice.say(code, sentence) {
                wrong.push(format!("{language}: {e}"));
                continue;
            }
            let until = Instant::now() + Duration::from_secs(20);
            while self.voice.is_speaking() && Instant::now() < until {
                std::thread::sleep(POLL);
            }
            match self.ask(&format!("Did you hear a sentence in {language}?"))? {
                YesNo::Yes => {}
                YesNo::No => wrong.push(format!("{language} not heard")),
                YesNo::NoAnswer => wrong.push(format!("no answer for {language}")),
            }
        }
        let outcome = if wrong.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(format!(
                "{}: check the speaker, its volume and `aplay -l`",
                wrong.join("; ")
            ))
        };
        self.record("speaker", outcome)
    }

    /// Asks a yes/no question and waits for the answer.
    fn ask(&mut self, question: &str) -> Result<YesNo, HwTestError> {
        write!(self.out, "{question} [y/n] ")?;
        self.out.flush()?;
        loop {
            match self.answers.lines.recv_timeout(POLL) {
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    writeln!(self.out)?;
                    return Ok(YesNo::NoAnswer);
                }
                Ok(line) => match line.trim().to_lowercase().as_str() {
                    "y" | "yes" | "t" | "tak" => return Ok(YesNo::Yes),
                    "n" | "no" | "nie" => return Ok(YesNo::No),
                    _ => {
                        write!(self.out, "Please answer y or n: ")?;
                        self.out.flush()?;
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests;
