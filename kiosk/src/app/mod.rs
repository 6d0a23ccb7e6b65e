//! The touchscreen app: wires the Slint window's callbacks to the visit flow and the recorder,
//! runs the timers (idle prompt, change-my-answer window, thank-you), and presents state.
//!
//! Everything here runs on the UI thread; answers go to the recorder thread and come back through
//! an async channel drained by a `spawn_local` task, so no frame waits on disk.
//!
//! The desk's buttons (`attach_hardware`): a face button rates where a question is asked and
//! otherwise only says so; a short press of read-aloud reads the screen, then moves the focus
//! ring control by control (`navigate`); holding it chooses the focused control. Once a client
//! uses the buttons or read-aloud, every step is confirmed aloud until the visit ends
//! (docs/BUTTONS.md).

mod desk;
mod desk_keys;
mod display_power;
mod navigate;
mod present;
mod speak;
mod status_light;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use hardware::{Button, Hardware, InputEvent, Simulator};
use model::{InputKind, LanguageTag, RatingRecord, Score};
use slint::{ComponentHandle, Timer, TimerMode};
use speech::Speaker;
use ui::{KioskAdapter, KioskWindow};

use crate::clock::Clock;
use crate::config::{Config, Timing};
use crate::recorder::{Health, Recorder};
use crate::store::Answer;
use crate::visit::{Step, Visit};
use navigate::{Control, Guide, Move, ScreenKey};

/// How often the desk's buttons and sensor are polled.
const HARDWARE_POLL: Duration = Duration::from_millis(20);

/// What the recorder thread tells the UI thread.
enum Event {
    Stored(RatingRecord),
    Health(Health),
    /// A new desk survey from the aggregator, already validated; applied between visits.
    NewConfig(Box<Config>),
    /// A sync round's findings, for the status LED.
    Sync(crate::sync::SyncStatus),
}

/// The running kiosk UI. Keep it alive while the event loop runs.
pub struct KioskApp {
    window: KioskWindow,
    state: Rc<State>,
}

struct State {
    window: slint::Weak<KioskWindow>,
    visit: RefCell<Visit>,
    recorder: Recorder,
    health: RefCell<Health>,
    timing: Cell<Timing>,
    /// A configuration waiting for the current visit to end.
    pending_config: RefCell<Option<Config>>,
    reason_page: Cell<usize>,
    idle_prompt: Cell<Option<u32>>,
    idle: Timer,
    countdown: Timer,
    change_window: Timer,
    thank_you: Timer,
    /// Polls the desk's buttons and sensor, once [`KioskApp::attach_hardware`] gave them.
    hardware_poll: Timer,
    hardware: RefCell<Option<Box<dyn Hardware>>>,
    /// Read-aloud's voice, once [`KioskApp::attach_speech`] gave one.
    speaker: RefCell<Option<Arc<Speaker>>>,
    /// Display power and the status LED.
    desk: RefCell<desk::Desk>,
    /// Dims, then switches off, the display when nobody is at the desk.
    power_timer: Timer,
    /// Where the read-aloud button has got to, and whether steps are confirmed aloud.
    guide: RefCell<Guide>,
    events: async_channel::Sender<Event>,
}

impl KioskApp {
    /// Builds the window and starts the recorder; call [`KioskApp::run`] or drive the event loop.
    pub fn new(config: &Config, clock: Arc<dyn Clock>) -> Result<KioskApp, slint::PlatformError> {
        let window = KioskWindow::new()?;
        let (events, inbox) = async_channel::unbounded();
        let health_events = events.clone();
        let recorder = Recorder::start(
            config.data_dir.clone(),
            clock,
            Box::new(move |health| {
                let _ = health_events.send_blocking(Event::Health(health));
            }),
        );
        let state = Rc::new(State {
            window: window.as_weak(),
            visit: RefCell::new(Visit::new(Arc::new(config.desk.clone()))),
            recorder,
            // Until the recorder has opened the store, taps queue up and wait: that is safe.
            health: RefCell::new(Health::Ready),
            timing: Cell::new(config.timing),
            pending_config: RefCell::new(None),
            reason_page: Cell::new(0),
            idle_prompt: Cell::new(None),
            idle: Timer::default(),
            countdown: Timer::default(),
            change_window: Timer::default(),
            thank_you: Timer::default(),
            hardware_poll: Timer::default(),
            hardware: RefCell::new(None),
            speaker: RefCell::new(None),
            desk: RefCell::new(desk::Desk::new(config.display_power)),
            power_timer: Timer::default(),
            guide: RefCell::new(Guide::new(ScreenKey::Home)),
            events,
        });
        present::setup(&window, config);
        connect(&window, &state);
        let receiver = Rc::downgrade(&state);
        slint::spawn_local(async move {
            while let Ok(event) = inbox.recv().await {
                let Some(state) = receiver.upgrade() else {
                    break;
                };
                state.handle(event);
            }
        })
        .map_err(|e| slint::PlatformError::Other(format!("cannot start the UI task: {e}")))?;
        state.present();
        Ok(KioskApp { window, state })
    }

    pub fn window(&self) -> &KioskWindow {
        &self.window
    }

    /// Shows the window and runs until it is closed.
    pub fn run(&self) -> Result<(), slint::PlatformError> {
        self.window.run()
    }

    /// Lets the desk's physical buttons drive the flow: each face button rates exactly as the
    /// matching face on screen, recorded with input kind "button"; the read-aloud button reads,
    /// moves the focus (short press) and chooses (hold). Polled on the UI thread every 20 ms;
    /// `poll_event` never blocks.
    pub fn attach_hardware(&self, hardware: Box<dyn Hardware>) {
        tracing::info!(hardware = hardware.name(), "desk hardware attached");
        *self.state.hardware.borrow_mut() = Some(hardware);
        self.state.display_power_changed();
        let weak = Rc::downgrade(&self.state);
        self.state
            .hardware_poll
            .start(TimerMode::Repeated, HARDWARE_POLL, move || {
                if let Some(state) = weak.upgrade() {
                    state.poll_hardware();
                }
            });
    }

    /// Gives read-aloud (the button on screen and the physical one) its voice.
    pub fn attach_speech(&self, speaker: Arc<Speaker>) {
        *self.state.speaker.borrow_mut() = Some(speaker);
    }

    /// Lets keys typed in the window stand in for the desk's parts (desktop): 1-4 the face
    /// buttons, R read-aloud, P someone arriving or leaving. They drive `desk`, the simulator
    /// given to [`KioskApp::attach_hardware`].
    pub fn use_keyboard_as_desk(&self, desk: Simulator) {
        let keys = desk_keys::KeyboardDesk::new(desk);
        self.window
            .global::<KioskAdapter>()
            .on_desk_key(move |text| keys.key(&text));
    }

    /// Where the sync thread reports each round (enrollment, outbox), for the status LED.
    pub fn sync_status_updates(&self) -> crate::sync::OnStatus {
        let events = self.state.events.clone();
        Box::new(move |status| {
            let _ = events.send_blocking(Event::Sync(status));
        })
    }

    /// Where the sync thread hands new configurations: they wait for the current visit to end.
    pub fn config_updates(&self) -> crate::sync::OnConfig {
        let events = self.state.events.clone();
        Box::new(move |config| {
            let _ = events.send_blocking(Event::NewConfig(Box::new(config)));
        })
    }
}

fn connect(window: &KioskWindow, state: &Rc<State>) {
    let adapter = window.global::<KioskAdapter>();
    let weak = Rc::downgrade(state);
    let with = move |f: fn(&Rc<State>)| {
        let weak = weak.clone();
        move || {
            if let Some(state) = weak.upgrade() {
                f(&state);
            }
        }
    };
    adapter.on_rate({
        let weak = Rc::downgrade(state);
        move |score| {
            let (Some(state), Ok(score)) = (weak.upgrade(), Score::try_from(i64::from(score)))
            else {
                tracing::warn!(score, "ignored a tap with a score outside 1-4");
                return;
            };
            state.act(|visit| visit.rate(score, InputKind::Touch));
        }
    });
    adapter.on_tell_more(with(|s| s.update(Visit::tell_more)));
    adapter.on_finish(with(|s| s.act(|v| v.finish(InputKind::Touch))));
    adapter.on_change_answer(with(|s| s.update(Visit::change_answer)));
    adapter.on_not_applicable(with(|s| s.act(|v| v.not_applicable(InputKind::Touch))));
    adapter.on_skip(with(|s| s.update(Visit::skip)));
    adapter.on_reasons_done(with(|s| s.act(|v| v.reasons_done(InputKind::Touch))));
    adapter.on_toggle_larger_text(with(|s| s.update(Visit::toggle_larger_text)));
    adapter.on_more_time(with(|s| s.more_time()));
    adapter.on_touched(with(|s| s.touched()));
    adapter.on_wake(with(|s| {
        s.input_reaches_screen();
    }));
    adapter.on_read_aloud(with(|s| s.read_aloud()));
    adapter.on_toggle_reason({
        let weak = Rc::downgrade(state);
        move |code| {
            if let Some(state) = weak.upgrade() {
                state.update(|visit| visit.toggle_reason(&code));
            }
        }
    });
    adapter.on_reasons_page({
        let weak = Rc::downgrade(state);
        move |delta| {
            if let Some(state) = weak.upgrade() {
                // Start from the page on screen (present() keeps it within the page count).
                let shown = state
                    .window
                    .upgrade()
                    .map_or(0, |w| w.global::<KioskAdapter>().get_reason_page());
                state
                    .reason_page
                    .set(usize::try_from(shown + delta).unwrap_or(0));
                state.touched();
                state.present();
            }
        }
    });
    adapter.on_choose_language({
        let weak = Rc::downgrade(state);
        move |code| {
            let Some(state) = weak.upgrade() else { return };
            match code.parse::<LanguageTag>() {
                Ok(language) => state.update(|visit| visit.choose_language(&language)),
                Err(e) => tracing::warn!(%e, "ignored an unknown language choice"),
            }
        }
    });
}

impl State {
    fn poll_hardware(self: &Rc<Self>) {
        loop {
            // Take one event at a time: handling it may take the hardware again.
            let event = self
                .hardware
                .borrow_mut()
                .as_mut()
                .and_then(|hardware| hardware.poll_event());
            let Some(event) = event else { break };
            match event {
                InputEvent::Pressed(button) => self.button(button, false),
                InputEvent::Held(button) => self.button(button, true),
                InputEvent::PresenceDetected => self.presence(true),
                InputEvent::PresenceLost => self.presence(false),
            }
        }
        if let Some(hardware) = self.hardware.borrow_mut().as_mut() {
            self.show_status_light(hardware.as_mut());
        }
    }

    /// A physical button, pressed briefly or `held`. While "Need more time?" shows, any button
    /// gives more time. A face button rates the question on screen, as the face on screen
    /// would, and elsewhere only says that nothing is asked here (it never records anything
    /// there). Read-aloud reads and moves the focus when pressed, chooses when held.
    fn button(self: &Rc<Self>, button: Button, held: bool) {
        if !self.input_reaches_screen() {
            return;
        }
        if self.idle_prompt.get().is_some() {
            self.more_time();
            let text = speak::more_time_given(&self.visit.borrow());
            self.speak(&text);
            return;
        }
        self.start_speaking();
        let score = match button {
            Button::VeryBad => Score::VERY_BAD,
            Button::Bad => Score::BAD,
            Button::Good => Score::GOOD,
            Button::VeryGood => Score::VERY_GOOD,
            Button::ReadAloud if held => return self.choose_focused(),
            Button::ReadAloud => return self.move_focus(),
        };
        let rates =
            ScreenKey::of(self.visit.borrow().step(), &self.health.borrow()).asks_for_a_rating();
        if rates {
            self.act(|visit| visit.rate(score, InputKind::Button));
        } else {
            self.touched();
            let text = speak::no_question_here(&self.visit.borrow());
            self.speak(&text);
        }
    }

    /// The client asked for speech: from now until the visit ends, each step is said aloud, and
    /// "Change my answer" stays offered until they leave its screen (reading takes time).
    fn start_speaking(&self) {
        self.guide.borrow_mut().speaking = true;
        self.change_window.stop();
    }

    /// The on-screen read-aloud button: reads the screen in the language on screen, its
    /// question, then its choices.
    fn read_aloud(self: &Rc<Self>) {
        self.touched();
        if self.speaker.borrow().is_none() {
            tracing::warn!("read aloud asked for, but this kiosk has no speech output");
            return;
        }
        self.start_speaking();
        self.guide.borrow_mut().screen_read();
        let text = speak::utterance(&self.visit.borrow(), &self.health.borrow());
        self.speak(&text);
    }

    /// Reads the screen with how to use the buttons; the next press moves to its first control.
    fn read_screen_with_hint(&self) {
        self.guide.borrow_mut().screen_read();
        self.guide.borrow_mut().how_to_move_told = true;
        let text = speak::screen_with_hint(&self.visit.borrow(), &self.health.borrow(), true);
        self.speak(&text);
    }

    /// The controls on screen now, in the order the read-aloud button visits them.
    fn controls(&self) -> Vec<Control> {
        navigate::controls(&self.visit.borrow(), &self.health.borrow())
    }

    /// A short press of the read-aloud button: reads the screen, or moves the focus ring to the
    /// next control and says what it is.
    fn move_focus(self: &Rc<Self>) {
        self.touched();
        let controls = self.controls();
        let next = self.guide.borrow_mut().advance(&controls);
        match next {
            Move::ReadScreen => self.read_screen_with_hint(),
            Move::Focus(control) => {
                self.show_reason_page_of(&control);
                self.present();
                self.say_control(&control);
            }
        }
    }

    /// A hold of the read-aloud button: chooses the focused control and says what happened.
    /// With nothing focused, the screen is read again.
    fn choose_focused(self: &Rc<Self>) {
        let controls = self.controls();
        let focused = self.guide.borrow().focused(&controls).cloned();
        let Some(control) = focused else {
            self.touched();
            self.read_screen_with_hint();
            return;
        };
        match &control {
            Control::Face(score) => self.act(|v| v.rate(*score, InputKind::Button)),
            Control::Yes => self.update(Visit::tell_more),
            Control::Finish => self.act(|v| v.finish(InputKind::Button)),
            Control::ChangeAnswer => self.update(Visit::change_answer),
            Control::NotApplicable => self.act(|v| v.not_applicable(InputKind::Button)),
            Control::Skip => self.update(Visit::skip),
            Control::Done => self.act(|v| v.reasons_done(InputKind::Button)),
            Control::Reason(code) => {
                self.update(|v| v.toggle_reason(code));
                self.say_control(&control);
            }
            Control::LargerText => {
                self.update(Visit::toggle_larger_text);
                self.say_control(&control);
            }
            Control::Language(language) => {
                let before = ScreenKey::of(self.visit.borrow().step(), &self.health.borrow());
                self.update(|v| v.choose_language(language));
                let after = ScreenKey::of(self.visit.borrow().step(), &self.health.borrow());
                if after == before {
                    self.guide.borrow_mut().screen_read();
                    let text = speak::language_chosen(&self.visit.borrow(), &self.health.borrow());
                    self.speak(&text);
                }
            }
        }
    }

    /// Says what the focused control is and its state, in its language.
    fn say_control(&self, control: &Control) {
        let (language, text) = speak::control(&self.visit.borrow(), control);
        self.speak_in(&language, &text);
    }

    /// A reason chip on another page: that page is shown, so the ring is seen where it is.
    fn show_reason_page_of(&self, control: &Control) {
        let Control::Reason(code) = control else {
            return;
        };
        let Step::Reasons { standard, .. } = self.visit.borrow().step().clone() else {
            return;
        };
        let Some(window) = self.window.upgrade() else {
            return;
        };
        let per_page = usize::try_from(window.get_reasons_per_page())
            .unwrap_or(1)
            .max(1);
        let reasons = model::Catalogue::ordinance_4216_2018()
            .standard(standard)
            .reasons;
        if let Some(index) = reasons.iter().position(|r| r.code == *code) {
            self.reason_page.set(index / per_page);
        }
    }

    /// Says `text` in the language on screen, if this kiosk has speech output.
    fn speak(&self, text: &str) {
        let language = self.visit.borrow().language().clone();
        self.speak_in(&language, text);
    }

    /// Says `text` in `language`'s voice, if this kiosk has speech output.
    fn speak_in(&self, language: &LanguageTag, text: &str) {
        let Some(speaker) = self.speaker.borrow().clone() else {
            return;
        };
        if let Err(e) = speaker.say(language.as_str(), text) {
            tracing::error!(error = %crate::report::error_chain(&e), %language, "cannot speak");
        }
    }

    /// Applies one client action to the visit, stores what it produced, updates timers and screen.
    fn act(self: &Rc<Self>, action: impl FnOnce(&mut Visit) -> Option<Answer>) {
        let before = self.visit.borrow().step().clone();
        let answer = action(&mut self.visit.borrow_mut());
        if let Some(answer) = answer {
            self.submit(answer);
        }
        self.after(&before);
    }

    /// Applies a client action that stores nothing (navigation, language, text size).
    fn update(self: &Rc<Self>, action: impl FnOnce(&mut Visit)) {
        self.act(|visit| {
            action(visit);
            None
        });
    }

    fn submit(&self, answer: Answer) {
        let events = self.events.clone();
        self.recorder.record(
            answer,
            Box::new(move |record| {
                let _ = events.send_blocking(Event::Stored(record));
            }),
        );
    }

    fn handle(self: &Rc<Self>, event: Event) {
        match event {
            Event::Stored(record) => {
                self.desk.borrow_mut().light.stored(record.sequence);
                tracing::debug!(id = %record.id, question = %record.question, "answer durable");
                let before = self.visit.borrow().step().clone();
                self.visit.borrow_mut().stored(&record);
                let confirmation = speak::stored(&self.visit.borrow(), &record);
                self.after_saying(&before, Some(confirmation));
            }
            Event::Health(health) => {
                self.desk.borrow_mut().light.health(&health);
                *self.health.borrow_mut() = health;
                // "Out of service" and back are new screens, for the focus and for a listener.
                let new_screen = self.show_screen();
                self.present();
                if new_screen {
                    self.say_new_screen(None);
                }
            }
            Event::NewConfig(config) => {
                *self.pending_config.borrow_mut() = Some(*config);
                self.apply_pending_config();
                self.present();
            }
            Event::Sync(status) => self.desk.borrow_mut().light.sync(status),
        }
    }

    /// Applies a waiting configuration if no client is using the kiosk (never mid-visit).
    fn apply_pending_config(&self) {
        let idle = {
            let visit = self.visit.borrow();
            !visit.is_in_use() && !visit.is_recording()
        };
        if !idle {
            return;
        }
        let Some(config) = self.pending_config.borrow_mut().take() else {
            return;
        };
        self.visit
            .borrow_mut()
            .replace_survey(Arc::new(config.desk.clone()));
        self.timing.set(config.timing);
        if let Some(window) = self.window.upgrade() {
            present::setup(&window, &config);
        }
        tracing::info!(desk = %config.desk.desk_id, "applied the new desk survey");
    }

    /// Starts the timers a new step needs and redraws.
    fn after(self: &Rc<Self>, before: &Step) {
        self.after_saying(before, None);
    }

    /// [`State::after`]; on a new screen, a client using speech hears `confirmation` (what the
    /// step did) and the new screen.
    fn after_saying(self: &Rc<Self>, before: &Step, confirmation: Option<String>) {
        self.apply_pending_config();
        let step = self.visit.borrow().step().clone();
        if std::mem::discriminant(before) != std::mem::discriminant(&step) {
            self.reason_page.set(0);
            self.entered(&step);
        }
        let new_screen = self.show_screen();
        self.touched();
        self.present();
        if new_screen {
            self.say_new_screen(confirmation);
        }
    }

    /// Tells the guide which screen shows; on a new one the focus starts afresh. Returns whether
    /// the screen is new.
    fn show_screen(&self) -> bool {
        let screen = ScreenKey::of(self.visit.borrow().step(), &self.health.borrow());
        self.guide.borrow_mut().show(screen)
    }

    /// On a new screen, a client using speech hears `confirmation` (what the last step did) and
    /// the screen.
    fn say_new_screen(&self, confirmation: Option<String>) {
        if !self.guide.borrow().speaking {
            return;
        }
        // How to move with the read-aloud button is said once a visit when screens are read by
        // themselves; a press on the button always says it.
        let how_to_move = {
            let mut guide = self.guide.borrow_mut();
            guide.screen_read();
            !std::mem::replace(&mut guide.how_to_move_told, true)
        };
        let reading =
            speak::screen_with_hint(&self.visit.borrow(), &self.health.borrow(), how_to_move);
        let text = match confirmation {
            Some(confirmation) => format!("{confirmation} {reading}"),
            None => reading,
        };
        self.speak(&text);
    }

    fn entered(self: &Rc<Self>, step: &Step) {
        let weak = Rc::downgrade(self);
        match step {
            Step::AskMore {
                can_change_answer: true,
            } if !self.guide.borrow().speaking => {
                self.change_window.start(
                    TimerMode::SingleShot,
                    self.timing.get().change_answer_window,
                    move || {
                        if let Some(state) = weak.upgrade() {
                            state.visit.borrow_mut().close_change_window();
                            state.present();
                        }
                    },
                );
            }
            Step::ThankYou => {
                self.thank_you.start(
                    TimerMode::SingleShot,
                    self.timing.get().thank_you,
                    move || {
                        if let Some(state) = weak.upgrade() {
                            state.visit_over();
                            state.act(|visit| {
                                visit.end_thank_you();
                                None
                            });
                        }
                    },
                );
            }
            _ => {}
        }
    }

    /// Any touch: the client is still here, so the idle clock starts again.
    fn touched(self: &Rc<Self>) {
        self.keep_display_awake();
        if self.idle_prompt.get().is_some() {
            return; // only "More time" answers the prompt
        }
        let in_use = {
            let visit = self.visit.borrow();
            visit.is_in_use() && *visit.step() != Step::ThankYou
        };
        if !in_use {
            self.idle.stop();
            return;
        }
        let weak = Rc::downgrade(self);
        self.idle.start(
            TimerMode::SingleShot,
            self.timing.get().idle_prompt_after,
            move || {
                let Some(state) = weak.upgrade() else { return };
                // A client listening to a long reading (a reasons screen takes half a minute)
                // is not idle: the quiet time starts again.
                if state.speech_in_progress() {
                    state.touched();
                } else {
                    state.show_idle_prompt();
                }
            },
        );
    }

    /// Whether the kiosk is still speaking.
    fn speech_in_progress(&self) -> bool {
        self.speaker
            .borrow()
            .as_ref()
            .is_some_and(|speaker| speaker.is_speaking())
    }

    fn show_idle_prompt(self: &Rc<Self>) {
        let seconds = self.timing.get().idle_countdown.as_secs().max(1) as u32;
        self.idle_prompt.set(Some(seconds));
        // Seen and heard (two senses): the warning is spoken whenever the kiosk can speak.
        let buttons = self.hardware.borrow().is_some();
        let warning = speak::idle_warning(&self.visit.borrow(), buttons);
        self.speak(&warning);
        let weak = Rc::downgrade(self);
        self.countdown
            .start(TimerMode::Repeated, Duration::from_secs(1), move || {
                if let Some(state) = weak.upgrade() {
                    state.count_down();
                }
            });
        self.present();
    }

    fn count_down(self: &Rc<Self>) {
        match self.idle_prompt.get() {
            Some(left) if left > 1 => {
                self.idle_prompt.set(Some(left - 1));
                self.present();
            }
            _ => {
                self.countdown.stop();
                self.idle_prompt.set(None);
                tracing::info!(
                    "nobody answered \"Need more time?\"; the visit ends, its answers kept"
                );
                self.visit_over();
                self.act(Visit::end_idle);
            }
        }
    }

    /// The visit ends: the next client starts without focus and without speech.
    fn visit_over(&self) {
        *self.guide.borrow_mut() = Guide::new(ScreenKey::Home);
    }

    fn more_time(self: &Rc<Self>) {
        self.countdown.stop();
        self.idle_prompt.set(None);
        self.touched();
        self.present();
    }

    fn present(&self) {
        if let Some(window) = self.window.upgrade() {
            let focused = self
                .guide
                .borrow()
                .focused(&self.controls())
                .map(Control::id)
                .unwrap_or_default();
            present::present(
                &window,
                &self.visit.borrow(),
                &self.health.borrow(),
                self.reason_page.get(),
                self.idle_prompt.get(),
                &focused,
            );
        }
    }
}
