//! Larger-text mode on a panel larger than the 7" ones: the reasons screen uses the room, more
//! rows of reasons and two side by side where the width holds two chips of `Theme.chip-min-width`
//! (both 7" panels show two a page, one a row: `kiosk/tests/ui_touch_count.rs`).

mod common;

use common::{Kiosk, PANEL_15_6_INCH, run_ui_test};
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use kiosk::config::Config;
use model::{Catalogue, StandardId};
use slint::{ComponentHandle as _, Model as _};
use ui::{Screen, Theme};

#[test]
fn a_larger_panel_shows_more_reasons_side_by_side() {
    run_ui_test(|| async {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::example(dir.path().join("data"));
        config.display = PANEL_15_6_INCH;
        let kiosk = Kiosk::start_with(config, dir);
        kiosk.tap("English");
        kiosk.tap("Larger text");
        kiosk.tap("Good");
        kiosk.until_screen(Screen::AskMore).await;
        kiosk.tap("Yes");
        kiosk.until_screen(Screen::Question).await;
        // IV, the desk's first standard, has the catalogue's most reasons.
        kiosk.tap("Very bad");
        kiosk.until_screen(Screen::Reasons).await;

        let reasons_of_iv = Catalogue::ordinance_4216_2018()
            .standard(StandardId::IV)
            .reasons
            .len();
        let per_page = kiosk.app.window().get_reasons_per_page();
        // Six rows of two chips (the 7" panels show one chip a row, two rows).
        assert_eq!(per_page, 12, "reasons a page on a 15.6\" panel");
        assert_eq!(kiosk.adapter().get_reason_page_count(), 1);
        assert_eq!(kiosk.adapter().get_reasons().row_count(), reasons_of_iv);

        let theme = kiosk.app.window().global::<Theme>();
        let chips: Vec<ElementHandle> = kiosk
            .adapter()
            .get_reasons()
            .iter()
            .map(|reason| {
                ElementHandle::find_by_accessible_label(kiosk.app.window(), &reason.label)
                    .find(|e| e.accessible_role() == Some(AccessibleRole::Checkbox))
                    .unwrap_or_else(|| panic!("no chip {:?}", reason.label))
            })
            .collect();
        assert_eq!(
            chips.len(),
            reasons_of_iv,
            "every reason's chip on the page"
        );
        let mut columns: Vec<i32> = chips
            .iter()
            .map(|chip| chip.absolute_position().x.round() as i32)
            .collect();
        columns.sort_unstable();
        columns.dedup();
        assert_eq!(columns.len(), 2, "two columns of chips at x {columns:?}");
        for chip in &chips {
            let size = chip.size();
            assert!(
                size.width >= theme.get_chip_min_width() - 0.5
                    && size.height >= theme.get_target() - 0.5,
                "{:?}: {size:?}",
                chip.accessible_label()
            );
        }
        for (i, a) in chips.iter().enumerate() {
            for b in &chips[i + 1..] {
                let (pa, sa, pb, sb) = (
                    a.absolute_position(),
                    a.size(),
                    b.absolute_position(),
                    b.size(),
                );
                let apart = pa.x + sa.width <= pb.x
                    || pb.x + sb.width <= pa.x
                    || pa.y + sa.height <= pb.y
                    || pb.y + sb.height <= pa.y;
                assert!(
                    apart,
                    "{:?} overlaps {:?}",
                    a.accessible_label(),
                    b.accessible_label()
                );
            }
        }
    });
}
