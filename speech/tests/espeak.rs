//! Speech through the real espeak-ng (the test run installs it): audio in each of the kiosk's
//! languages, the right voice, interruption, literal text, and a missing program reported.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use speech::{Output, Speaker, SpeechConfig, SpeechProblem, wav};

fn speaker(output: Output) -> Speaker {
    Speaker::new(SpeechConfig {
        output,
        ..SpeechConfig::default()
    })
}

#[test]
fn each_language_gives_real_audio_of_a_plausible_length() {
    let speaker = speaker(Output::Nowhere);
    let sentences = [
        (
            "pl",
            "Jak oceniasz obsługę? Bardzo źle, źle, dobrze, bardzo dobrze.",
        ),
        (
            "en",
            "How was the service today? Very bad, bad, good, very good.",
        ),
        (
            "uk",
            "Як ви оцінюєте обслуговування? Дуже погано, погано, добре, дуже добре.",
        ),
        (
            "de",
            "Wie bewerten Sie den Service? Sehr schlecht, schlecht, gut, sehr gut.",
        ),
    ];
    for (language, text) in sentences {
        let audio = speaker.synthesize_wav(language, text).expect("speech");
        let length = wav::duration(&audio).expect("a WAV file");
        assert!(
            (Duration::from_secs(2)..Duration::from_secs(15)).contains(&length),
            "{language}: {length:?} of audio for {text:?}"
        );
        // Not silence: some samples are far from zero.
        let loud = audio[44..]
            .chunks_exact(2)
            .filter(|s| i16::from_le_bytes([s[0], s[1]]).unsigned_abs() > 2_000)
            .count();
        assert!(loud > 1_000, "{language}: only {loud} loud samples");
    }
}

#[test]
fn the_voice_of_each_language_is_installed() {
    let problems = speaker(Output::Nowhere).check(&["pl", "en", "uk", "de"]);
    assert_eq!(problems, vec![]);
}

#[test]
fn the_text_is_spoken_literally_even_if_it_looks_like_options() {
    let speaker = speaker(Output::Nowhere);
    let text = "-v xx --help \"quoted\" 'single' $HOME; rm -rf /\nsecond line";
    let audio = speaker.synthesize_wav("en", text).expect("spoken as text");
    let length = wav::duration(&audio).expect("WAV");
    assert!(length > Duration::from_secs(2), "{length:?}");
}

#[test]
fn a_new_text_interrupts_the_one_being_spoken() {
    let speaker = speaker(Output::Nowhere);
    // Slow it down so the first text is surely still being synthesised.
    let long = "Ten tekst jest bardzo długi. ".repeat(60);
    speaker.say("pl", &long).expect("say");
    let first = speaker.speaking_pid().expect("speaking");
    assert!(speaker.is_speaking());
    speaker.say("de", "Guten Tag.").expect("say again");
    let second = speaker.speaking_pid().expect("speaking");
    assert_ne!(first, second);
    assert!(
        !PathBuf::from(format!("/proc/{first}")).exists(),
        "the first espeak-ng ({first}) was stopped and reaped"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while speaker.is_speaking() {
        assert!(Instant::now() < deadline, "a short text never finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    speaker.stop();
    assert_eq!(speaker.speaking_pid(), None);
}

#[test]
fn a_missing_program_is_a_problem_to_report_not_a_crash() {
    let speaker = Speaker::new(SpeechConfig {
        program: PathBuf::from("/nonexistent/espeak-ng"),
        output: Output::Nowhere,
        ..SpeechConfig::default()
    });
    let problems = speaker.check(&["pl"]);
    assert!(
        matches!(problems.as_slice(), [SpeechProblem::ProgramMissing { .. }]),
        "{problems:?}"
    );
    assert!(
        problems[0]
            .to_string()
            .contains("install the espeak-ng package")
    );
    let err = speaker.say("pl", "Dzień dobry").expect_err("cannot speak");
    assert!(err.to_string().contains("/nonexistent/espeak-ng"), "{err}");
    assert!(!speaker.is_speaking());
}

#[test]
fn malformed_languages_and_overlong_texts_are_refused_with_the_reason() {
    let speaker = speaker(Output::Nowhere);
    // A language is named by its code (the .po folder's name); anything else is refused.
    let err = speaker.say("Français", "Bonjour").expect_err("not a code");
    assert!(err.to_string().contains("\"Français\""), "{err}");
    let err = speaker
        .say("pl", &"a".repeat(speech::MAX_TEXT_CHARS + 1))
        .expect_err("too long");
    assert!(err.to_string().contains("2001"), "{err}");
}
