//! The self-test's touch check on the real screen: a Slint window with a target in each corner
//! (`ui/hw-test.slint`), shown until all four are touched or the time is up.

use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Model, ModelRc, Timer, TimerMode, VecModel};
use ui::TouchTestWindow;

use super::{Corner, CornerTouch};

/// The touch test on this machine's display (skipped, with the reason, where there is none).
#[derive(Debug, Default)]
pub struct ScreenCorners;

impl CornerTouch for ScreenCorners {
    fn touch_corners(&mut self, wait: Duration) -> Result<Vec<Corner>, String> {
        let window =
            TouchTestWindow::new().map_err(|e| format!("no display to test ({})", one_line(&e)))?;
        run_corner_test(&window, wait)
    }
}

/// Shows `window` and runs the event loop until all four targets are touched or `wait` has
/// passed; returns the corners touched.
pub fn run_corner_test(window: &TouchTestWindow, wait: Duration) -> Result<Vec<Corner>, String> {
    let touched = Rc::new(VecModel::from(vec![false; Corner::ALL.len()]));
    window.set_touched(ModelRc::from(touched.clone()));
    let model = Rc::clone(&touched);
    window.on_corner_touched(move |index| {
        if let Ok(index) = usize::try_from(index)
            && index < model.row_count()
        {
            model.set_row_data(index, true);
        }
        if model.iter().all(|touched| touched) {
            let _ = slint::quit_event_loop();
        }
    });
    let time_up = Timer::default();
    time_up.start(TimerMode::SingleShot, wait, || {
        let _ = slint::quit_event_loop();
    });
    window
        .show()
        .map_err(|e| format!("cannot show the test window ({})", one_line(&e)))?;
    let ran = slint::run_event_loop_until_quit();
    let _ = window.hide();
    ran.map_err(|e| format!("the display's event loop failed ({})", one_line(&e)))?;
    Ok(Corner::ALL
        .iter()
        .zip(touched.iter())
        .filter(|(_, touched)| *touched)
        .map(|(corner, _)| *corner)
        .collect())
}

/// A backend's error text, which may span lines, on one line for the summary table.
fn one_line(error: &slint::PlatformError) -> String {
    error
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
