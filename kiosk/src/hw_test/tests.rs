//! The self-test walked through with the hardware simulator, a recording voice, scripted corner
//! touches and scripted answers.

use std::cell::RefCell;
use std::io::Cursor;

use hardware::Simulator;

use super::*;

#[derive(Default)]
struct RecordingVoice {
    problems: Vec<String>,
    said: RefCell<Vec<(String, String)>>,
}

impl Voice for RecordingVoice {
    fn problems(&self, _languages: &[&str]) -> Vec<String> {
        self.problems.clone()
    }

    fn say(&self, language: &str, text: &str) -> Result<(), String> {
        self.said
            .borrow_mut()
            .push((language.to_owned(), text.to_owned()));
        Ok(())
    }

    fn is_speaking(&self) -> bool {
        false
    }
}

struct ScriptedCorners(Result<Vec<Corner>, String>);

impl CornerTouch for ScriptedCorners {
    fn touch_corners(&mut self, _wait: Duration) -> Result<Vec<Corner>, String> {
        self.0.clone()
    }
}

const WAIT: Duration = Duration::from_millis(100);

fn run(
    desk: &Simulator,
    config: &HardwareConfig,
    voice: &RecordingVoice,
    corners: Result<Vec<Corner>, String>,
    answers: &str,
) -> (Report, String) {
    let mut corners = ScriptedCorners(corners);
    let mut out = Vec::new();
    let report = SelfTest::new(
        Box::new(desk.clone()),
        config,
        voice,
        &mut corners,
        Answers::from_reader(Cursor::new(answers.to_owned())),
        &mut out,
        WAIT,
    )
    .run()
    .expect("the self-test runs");
    (report, String::from_utf8(out).expect("UTF-8"))
}

fn press_all(desk: &Simulator, buttons: &[Button]) {
    for &button in buttons {
        desk.press(button);
    }
}

#[test]
fn a_working_kiosk_passes_and_unconfigured_parts_are_skipped() {
    let desk = Simulator::new();
    press_all(
        &desk,
        &[
            Button::VeryBad,
            Button::Bad,
            Button::Good,
            Button::VeryGood,
            Button::ReadAloud,
        ],
    );
    desk.inject(InputEvent::PresenceDetected);
    let voice = RecordingVoice::default();
    let config = HardwareConfig::default(); // LED and sensor fitted, no backlight control
    let (report, out) = run(
        &desk,
        &config,
        &voice,
        Ok(Corner::ALL.to_vec()),
        &"y\n".repeat(7),
    );

    assert!(report.passed(), "{out}");
    assert_eq!(report.checks.len(), 10, "{out}");
    assert_eq!(report.outcome("button read aloud"), Some(&Outcome::Passed));
    assert_eq!(report.outcome("presence sensor"), Some(&Outcome::Passed));
    assert!(matches!(
        report.outcome("backlight"),
        Some(Outcome::Skipped(why)) if why.contains("hardware.backlight")
    ));
    let spoken: Vec<String> = voice.said.borrow().iter().map(|(l, _)| l.clone()).collect();
    assert_eq!(spoken, ["pl", "en", "uk", "de"]);
    assert_eq!(
        desk.led(),
        Some(LedState::AllSynced),
        "the LED is left steady"
    );
    assert!(
        out.contains("Press the \"very bad\" button (GPIO 5)"),
        "{out}"
    );
    assert!(out.contains("9 passed, 0 failed, 1 skipped"), "{out}");
}

#[test]
fn a_swapped_button_a_silent_sensor_and_a_mute_speaker_fail_by_name() {
    let desk = Simulator::new();
    // "very bad" pressed twice (a repeat, fine), then "good" where "bad" was asked for.
    press_all(
        &desk,
        &[
            Button::VeryBad,
            Button::VeryBad,
            Button::Good,
            Button::Good,
            Button::VeryGood,
            Button::ReadAloud,
        ],
    );
    let voice = RecordingVoice {
        problems: vec!["no sound card found".into()],
        ..RecordingVoice::default()
    };
    let config = HardwareConfig {
        backlight: Some("/sys/class/backlight/10-0045/brightness".into()),
        ..HardwareConfig::default()
    };
    // LED: yes, an unclear answer then no, yes. Backlight: yes, no, yes.
    let answers = "y\nmaybe\nn\ny\ny\nn\ny\n";
    let (report, out) = run(
        &desk,
        &config,
        &voice,
        Err("no display to test".into()),
        answers,
    );

    assert!(!report.passed());
    assert_eq!(report.outcome("button very bad"), Some(&Outcome::Passed));
    assert!(
        matches!(
            report.outcome("button bad"),
            Some(Outcome::Failed(why)) if why.contains("\"good\" button (GPIO 13)")
        ),
        "{out}"
    );
    assert_eq!(report.outcome("button good"), Some(&Outcome::Passed));
    assert_eq!(report.outcome("button read aloud"), Some(&Outcome::Passed));
    assert!(
        matches!(
            report.outcome("LED"),
            Some(Outcome::Failed(why)) if why.contains("not blinking slowly")
        ),
        "{out}"
    );
    assert!(out.contains("Please answer y or n"), "{out}");
    assert!(matches!(
        report.outcome("presence sensor"),
        Some(Outcome::Failed(why)) if why.contains("GPIO 4")
    ));
    assert!(
        matches!(
            report.outcome("backlight"),
            Some(Outcome::Failed(why)) if why.contains("not dark")
        ),
        "{out}"
    );
    assert_eq!(desk.backlight(), Some(100), "the backlight is left on");
    assert_eq!(
        report.outcome("touch corners"),
        Some(&Outcome::Skipped("no display to test".into()))
    );
    assert!(matches!(
        report.outcome("speaker"),
        Some(Outcome::Failed(why)) if why.contains("no sound card")
    ));
    assert!(
        voice.said.borrow().is_empty(),
        "nothing said without a sound card"
    );
    assert!(out.contains("FAIL  button bad"), "{out}");
}

#[test]
fn missed_buttons_and_corners_and_no_answers_fail_without_hanging() {
    let desk = Simulator::new();
    let voice = RecordingVoice::default();
    let config = HardwareConfig::default();
    let started = Instant::now();
    let (report, out) = run(
        &desk,
        &config,
        &voice,
        Ok(vec![Corner::TopLeft, Corner::BottomRight]),
        "", // the input ends at once
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            report.outcome("button very good"),
            Some(Outcome::Failed(why)) if why.contains("no press") && why.contains("GPIO 19")
        ),
        "{out}"
    );
    assert!(
        matches!(
            report.outcome("touch corners"),
            Some(Outcome::Failed(why)) if why.contains("top right, bottom left")
        ),
        "{out}"
    );
    assert!(
        matches!(
            report.outcome("speaker"),
            Some(Outcome::Failed(why)) if why.contains("no answer for Polish")
        ),
        "{out}"
    );
    assert!(!report.passed());
}
