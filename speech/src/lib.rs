//! Speech output for the kiosk: reads the current question and its options aloud in the language
//! the client chose (EN 301 549 5.1.3.14). Slint's linuxkms backend has no screen-reader bridge,
//! so the app speaks itself, through espeak-ng run as a separate process.
//!
//! The kiosk owns one [`Speaker`]. It calls [`Speaker::say`] on each screen change while
//! read-aloud is on and on each press of the read-aloud button; a new `say` interrupts the old
//! one. [`Speaker::check`] at start lists what is missing (the program, a voice, a sound card) as
//! [`SpeechProblem`]s for the log and the staff screen: speech problems never stop the kiosk.
//!
//! - [`voice_for`]: the espeak-ng voice of each of the kiosk's languages.
//! - [`wav`]: the duration of synthesised audio, for tests and the hardware self-test.

#![forbid(unsafe_code)]

pub mod wav;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// Longest text spoken at once; a screen's question and options are far shorter.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// The espeak-ng voice for a kiosk language tag: espeak-ng names its voices by language code
/// (`pl`, `uk`, `de`, `cs`, `fr`…), so a new language needs no entry here; only English picks a
/// variant (`en-gb`). Whether the voice is installed is what [`Speaker::check`] reports.
pub fn voice_for(language: &str) -> Result<String, SpeechError> {
    let is_code =
        (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
    match language {
        "en" => Ok("en-gb".to_owned()),
        code if is_code => Ok(code.to_owned()),
        other => Err(SpeechError::UnknownLanguage(other.to_owned())),
    }
}

/// Where the speech goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// espeak-ng's own audio output (the system's default device).
    Default,
    /// An ALSA device, e.g. `plughw:CARD=Headphones` for the Pi's headset jack: espeak-ng writes
    /// WAV to `aplay -D <device>`.
    AlsaDevice(String),
    /// Synthesised but played nowhere: for machines without sound and for tests of the pipeline.
    Nowhere,
}

/// How the kiosk speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechConfig {
    /// The espeak-ng program.
    pub program: PathBuf,
    /// Speaking rate; espeak-ng's default is 175, slower suits more listeners.
    pub words_per_minute: u32,
    /// 0–200, espeak-ng's amplitude; 100 is its default.
    pub volume: u32,
    pub output: Output,
}

impl Default for SpeechConfig {
    fn default() -> SpeechConfig {
        SpeechConfig {
            program: PathBuf::from("espeak-ng"),
            words_per_minute: 150,
            volume: 100,
            output: Output::Default,
        }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    #[error("no voice for language {0:?} (not a language code such as pl, en, uk or de)")]
    UnknownLanguage(String),
    #[error("the text to speak is {0} characters long; at most {MAX_TEXT_CHARS} are spoken")]
    TooLong(usize),
    #[error("cannot start {program}")]
    Start {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} failed: {detail}")]
    Failed { program: String, detail: String },
}

/// Something speech needs that this machine lacks; logged and shown to staff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeechProblem {
    #[error("speech is off: {program} cannot be run ({detail}); install the espeak-ng package")]
    ProgramMissing { program: String, detail: String },
    #[error("no espeak-ng voice {voice:?} for language {language:?}")]
    VoiceMissing { language: String, voice: String },
    #[error("no sound card found ({detail}); connect a speaker or headset")]
    NoAudioDevice { detail: String },
}

/// The processes of the speech in progress.
#[derive(Debug, Default)]
struct Speaking {
    synthesiser: Option<Child>,
    player: Option<Child>,
}

impl Speaking {
    fn stop(&mut self) {
        for child in [self.synthesiser.take(), self.player.take()]
            .into_iter()
            .flatten()
        {
            stop_child(child);
        }
    }
}

fn stop_child(mut child: Child) {
    // Killing a process that has already ended fails harmlessly; waiting reaps it either way.
    let _ = child.kill();
    let _ = child.wait();
}

/// Speaks one text at a time; cheap to call from the UI thread (it only starts processes).
#[derive(Debug)]
pub struct Speaker {
    config: SpeechConfig,
    speaking: Mutex<Speaking>,
    /// The language and text of the last `say`, for the self-test and tests.
    last_said: Mutex<Option<(String, String)>>,
}

impl Speaker {
    pub fn new(config: SpeechConfig) -> Speaker {
        Speaker {
            config,
            speaking: Mutex::new(Speaking::default()),
            last_said: Mutex::new(None),
        }
    }

    pub fn config(&self) -> &SpeechConfig {
        &self.config
    }

    /// What is missing for speaking `languages` here; empty when all is well.
    pub fn check(&self, languages: &[&str]) -> Vec<SpeechProblem> {
        let program = self.config.program.display().to_string();
        let mut problems = Vec::new();
        for &language in languages {
            let Ok(voice) = voice_for(language) else {
                problems.push(SpeechProblem::VoiceMissing {
                    language: language.to_owned(),
                    voice: "(none)".to_owned(),
                });
                continue;
            };
            match Command::new(&self.config.program)
                .arg(format!("--voices={voice}"))
                .stdin(Stdio::null())
                .output()
            {
                Err(e) => {
                    return vec![SpeechProblem::ProgramMissing {
                        program,
                        detail: e.to_string(),
                    }];
                }
                // The listing has a header line, then one line per matching voice.
                Ok(out) if String::from_utf8_lossy(&out.stdout).lines().count() < 2 => {
                    problems.push(SpeechProblem::VoiceMissing {
                        language: language.to_owned(),
                        voice: voice.clone(),
                    });
                }
                Ok(_) => {}
            }
        }
        if self.config.output != Output::Nowhere
            && let Some(detail) = missing_sound_card(Path::new("/proc/asound/cards"))
        {
            problems.push(SpeechProblem::NoAudioDevice { detail });
        }
        problems
    }

    /// The arguments espeak-ng gets for `language`; the text itself goes through standard input,
    /// so it can never be read as an option.
    pub fn arguments(&self, language: &str, to_stdout: bool) -> Result<Vec<String>, SpeechError> {
        let mut args = vec![
            "-v".to_owned(),
            voice_for(language)?,
            "-s".to_owned(),
            self.config.words_per_minute.to_string(),
            "-a".to_owned(),
            self.config.volume.min(200).to_string(),
            "--stdin".to_owned(),
        ];
        if to_stdout {
            args.push("--stdout".to_owned());
        }
        Ok(args)
    }

    /// Starts speaking `text` in `language`, interrupting whatever is being spoken. Returns once
    /// the processes have started; the speech goes on in the background.
    pub fn say(&self, language: &str, text: &str) -> Result<(), SpeechError> {
        let to_stdout = self.config.output != Output::Default;
        let args = self.arguments(language, to_stdout)?;
        check_length(text)?;
        let mut speaking = self.speaking.lock().unwrap_or_else(|e| e.into_inner());
        speaking.stop();
        let stdout = if to_stdout {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut synthesiser = self.start(&args, stdout, Stdio::null())?;
        feed(&mut synthesiser, text, &self.config.program)?;
        let player = match &self.config.output {
            Output::Default | Output::Nowhere => None,
            Output::AlsaDevice(device) => {
                let audio = synthesiser.stdout.take().map_or(Stdio::null(), Stdio::from);
                let player = Command::new("aplay")
                    .args(["-q", "-D", device])
                    .stdin(audio)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(|source| SpeechError::Start {
                        program: "aplay".to_owned(),
                        source,
                    })?;
                Some(player)
            }
        };
        if self.config.output == Output::Nowhere {
            // Nobody reads the audio: let it drain into nothing.
            if let Some(mut audio) = synthesiser.stdout.take() {
                std::thread::spawn(move || std::io::copy(&mut audio, &mut std::io::sink()));
            }
        }
        speaking.synthesiser = Some(synthesiser);
        speaking.player = player;
        *self.last_said.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((language.to_owned(), text.to_owned()));
        Ok(())
    }

    /// The language and text last passed to a successful [`Speaker::say`].
    pub fn last_said(&self) -> Option<(String, String)> {
        self.last_said
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Stops speaking at once.
    pub fn stop(&self) {
        self.speaking
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stop();
    }

    /// Whether speech started by [`Speaker::say`] is still going.
    pub fn is_speaking(&self) -> bool {
        let mut speaking = self.speaking.lock().unwrap_or_else(|e| e.into_inner());
        let Speaking {
            synthesiser,
            player,
        } = &mut *speaking;
        [synthesiser, player]
            .into_iter()
            .flatten()
            .any(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// The process id of the synthesiser speaking now, if any (for the self-test and tests).
    pub fn speaking_pid(&self) -> Option<u32> {
        let speaking = self.speaking.lock().unwrap_or_else(|e| e.into_inner());
        speaking.synthesiser.as_ref().map(Child::id)
    }

    /// The speech for `text` as WAV bytes, without playing it (tests and the self-test).
    pub fn synthesize_wav(&self, language: &str, text: &str) -> Result<Vec<u8>, SpeechError> {
        let args = self.arguments(language, true)?;
        check_length(text)?;
        let mut child = self.start(&args, Stdio::piped(), Stdio::piped())?;
        feed(&mut child, text, &self.config.program)?;
        let out = child
            .wait_with_output()
            .map_err(|source| SpeechError::Start {
                program: self.config.program.display().to_string(),
                source,
            })?;
        if !out.status.success() || out.stdout.is_empty() {
            return Err(SpeechError::Failed {
                program: self.config.program.display().to_string(),
                detail: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(out.stdout)
    }

    /// Starts the synthesiser; its diagnostics are kept only when someone waits for them.
    fn start(&self, args: &[String], stdout: Stdio, stderr: Stdio) -> Result<Child, SpeechError> {
        Command::new(&self.config.program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|source| SpeechError::Start {
                program: self.config.program.display().to_string(),
                source,
            })
    }
}

impl Drop for Speaker {
    fn drop(&mut self) {
        self.stop();
    }
}

fn check_length(text: &str) -> Result<(), SpeechError> {
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(SpeechError::TooLong(chars));
    }
    Ok(())
}

/// Writes the text to the synthesiser and closes its input, so it speaks and then ends.
fn feed(child: &mut Child, text: &str, program: &Path) -> Result<(), SpeechError> {
    let mut stdin = child.stdin.take().ok_or_else(|| SpeechError::Failed {
        program: program.display().to_string(),
        detail: "no standard input".to_owned(),
    })?;
    // One line: espeak-ng reads standard input line by line, and a text is one utterance.
    let line = text.replace(['\r', '\n'], " ");
    stdin
        .write_all(line.as_bytes())
        .map_err(|source| SpeechError::Start {
            program: program.display().to_string(),
            source,
        })
}

/// Why this machine has no sound card, if it has none; `cards` is ALSA's list.
fn missing_sound_card(cards: &Path) -> Option<String> {
    match std::fs::read_to_string(cards) {
        Err(e) => Some(format!("{}: {e}", cards.display())),
        Ok(text) if text.contains("no soundcards") || text.trim().is_empty() => {
            Some(format!("{} lists no sound card", cards.display()))
        }
        Ok(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kiosk_language_has_its_voice_and_others_are_named() {
        let voices: Vec<_> = ["pl", "en", "uk", "de"]
            .iter()
            .map(|l| voice_for(l).expect("voice"))
            .collect();
        assert_eq!(voices, ["pl", "en-gb", "uk", "de"]);
        // A language added later speaks with the espeak-ng voice of its code.
        assert_eq!(voice_for("cs").expect("Czech"), "cs");
        for bad in ["", "PL", "../x", "polish"] {
            let err = voice_for(bad).expect_err("not a code");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn the_text_never_reaches_the_command_line() {
        let speaker = Speaker::new(SpeechConfig::default());
        let args = speaker.arguments("uk", false).expect("args");
        assert_eq!(args, ["-v", "uk", "-s", "150", "-a", "100", "--stdin"]);
    }

    #[test]
    fn a_machine_without_sound_cards_is_told() {
        let dir = std::env::temp_dir().join(format!("ocena-speech-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cards = dir.join("cards");
        std::fs::write(&cards, "--- no soundcards ---\n").expect("write");
        assert!(missing_sound_card(&cards).is_some());
        std::fs::write(
            &cards,
            " 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n",
        )
        .expect("write");
        assert_eq!(missing_sound_card(&cards), None);
        assert!(missing_sound_card(&dir.join("absent")).is_some());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
