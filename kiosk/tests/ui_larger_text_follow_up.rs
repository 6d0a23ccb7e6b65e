//! Larger-text mode's "Tell us more?" and reasons screens through the real UI: the short offer
//! keeps the full text for speech and screen readers, two reasons a page on the 7" panel, and the
//! reason pages turn by arrow buttons in the bottom bar.

mod common;

use common::{Kiosk, run_ui_test};
use model::{Question, Score, StandardId};
use slint::Model as _;
use ui::Screen;

/// "Tell us more?" shows the offer's short form, whose accessible label is still the full offer,
/// without "Thank you!"; the reasons screen shows two chips at a time and its arrow buttons,
/// labelled "More reasons" and "Previous", turn the pages; a reason chosen on the second page is
/// recorded.
#[test]
fn ask_more_and_reasons_keep_their_full_texts_and_page_by_arrows() {
    run_ui_test(|| async {
        let kiosk = Kiosk::start();
        kiosk.tap("Larger text");
        kiosk.tap("Good");
        kiosk.until_screen(Screen::AskMore).await;
        kiosk.find("Tell us more? (about 30 seconds)");
        assert!(
            kiosk.try_find("Thank you!").is_none(),
            "left out: spoken only"
        );
        kiosk.find("Finish");
        kiosk.tap("Yes");
        kiosk.until_screen(Screen::Question).await;

        kiosk.tap("Bad");
        kiosk.until_screen(Screen::Reasons).await;
        kiosk.find("What went wrong?");
        let chip_on_page = |k: &Kiosk| {
            let chips: Vec<_> = k.adapter().get_reasons().iter().collect();
            assert_eq!(chips.len(), 2, "two chips a page in larger text: {chips:?}");
            chips[0].clone()
        };
        let first = chip_on_page(&kiosk);
        assert!(kiosk.adapter().get_reason_page_count() > 1);
        assert!(
            kiosk.try_find("Previous").is_none(),
            "no way back from the first page"
        );

        kiosk.tap("More reasons");
        kiosk.until(|k| k.adapter().get_reason_page() == 1).await;
        let second = chip_on_page(&kiosk);
        assert_ne!(first.code, second.code);
        kiosk.tap(&second.label);
        kiosk.tap("Previous");
        kiosk.until(|k| k.adapter().get_reason_page() == 0).await;
        assert_eq!(chip_on_page(&kiosk).code, first.code);

        kiosk.tap("Done");
        kiosk.until_screen(Screen::Question).await;
        let records = kiosk.records();
        let low = records
            .iter()
            .rfind(|r| r.question == Question::Standard(StandardId::IV))
            .expect("standard IV rated");
        assert_eq!(low.answer.score().expect("a score"), Score::BAD);
        let reasons: Vec<&str> = low.reasons.iter().map(|r| r.as_str()).collect();
        assert_eq!(reasons, [second.code.as_str()], "{records:?}");
        assert!(low.larger_text);
    });
}
