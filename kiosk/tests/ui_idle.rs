//! UI test of a client who walks away: "Need more time?" after the configured pause, counting down
//! at least 20 s, extendable with one tap as often as wanted; then the kiosk returns home with
//! everything answered kept, language and text size back to the defaults.

mod common;

use common::{Kiosk, pass_time, run_ui_test};
use model::{Question, StandardId};
use slint::{ComponentHandle as _, Model as _};
use ui::Screen;

#[test]
fn idle_prompt_extension_and_reset() {
    run_ui_test(|| async {
        let kiosk = Kiosk::start();
        let timing = kiosk.config.timing;
        let prompt_after = timing.idle_prompt_after.as_secs_f64();

        kiosk.tap("English");
        kiosk.tap("Larger text");
        kiosk.tap("Good");
        kiosk.until_screen(Screen::AskMore).await;
        kiosk.tap("Yes");
        kiosk.until_screen(Screen::Question).await;
        kiosk.tap("Very bad");
        kiosk.until_screen(Screen::Reasons).await;
        let chip = kiosk.adapter().get_reasons().iter().next().expect("a chip");
        kiosk.tap(&chip.label);

        // Just before the pause ends nothing shows; just after, the prompt counts down.
        pass_time(prompt_after - 1.0);
        assert!(!kiosk.adapter().get_idle_prompt_visible());
        pass_time(1.5);
        assert!(kiosk.adapter().get_idle_prompt_visible());
        let countdown = kiosk.adapter().get_idle_seconds_left();
        assert!(
            countdown >= 20,
            "the warning lasts at least 20 s, got {countdown}"
        );
        kiosk.find("Need more time?");
        pass_time(1.0);
        assert_eq!(kiosk.adapter().get_idle_seconds_left(), countdown - 1);

        // One tap extends, and it can be done many times (WCAG 2.2.1 asks for at least ten).
        for extension in 0..12 {
            kiosk.tap("More time");
            assert!(
                !kiosk.adapter().get_idle_prompt_visible(),
                "extension {extension}"
            );
            assert_eq!(kiosk.screen(), Screen::Reasons);
            pass_time(prompt_after + 0.5);
            assert!(
                kiosk.adapter().get_idle_prompt_visible(),
                "prompt again after extension {extension}"
            );
        }

        // Nobody answers: the countdown runs out.
        for _ in 0..countdown {
            pass_time(1.0);
        }
        kiosk.until_screen(Screen::Home).await;
        assert!(!kiosk.adapter().get_idle_prompt_visible());
        assert_eq!(
            kiosk.adapter().get_language().as_str(),
            "pl",
            "language back to the default"
        );
        assert!(
            !kiosk.app.window().global::<ui::Theme>().get_larger_text(),
            "normal text again"
        );

        // Everything answered is kept, including the reason chosen but not confirmed.
        common::until("the kept reasons to be durable", || {
            kiosk.records().len() == 3
        })
        .await;
        let records = kiosk.records();
        assert_eq!(records[0].question, Question::Overall);
        assert_eq!(records[1].question, Question::Standard(StandardId::IV));
        assert_eq!(records[2].supersedes, Some(records[1].id));
        assert_eq!(records[2].reasons[0].as_str(), chip.code.as_str());
        assert!(
            records
                .iter()
                .all(|r| r.language.as_str() == "en" && r.larger_text)
        );
    });
}
