//! The self-test's corner-touch window on Slint's testing backend: touches in the corners of the
//! real `TouchTestWindow` are counted, a missed corner is reported when the time is up, and four
//! touches end the check at once.

use std::time::Duration;

use kiosk::hw_test::{Corner, run_corner_test};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition};
use ui::TouchTestWindow;

const WAIT: Duration = Duration::from_secs(15);

/// Touches the window at (`x`, `y`) logical pixels, as a finger would.
fn touch(window: &slint::Window, x: f32, y: f32) {
    let position = LogicalPosition::new(x, y);
    window.dispatch_event(WindowEvent::PointerMoved { position });
    window.dispatch_event(WindowEvent::PointerPressed {
        position,
        button: PointerEventButton::Left,
    });
    window.dispatch_event(WindowEvent::PointerReleased {
        position,
        button: PointerEventButton::Left,
    });
}

/// Opens an 800×480 test window whose event loop first runs `touches` on it.
fn run_with_touches(touches: &'static [(f32, f32)], then_wait: bool) -> Vec<Corner> {
    let window = TouchTestWindow::new().expect("test window");
    window.window().set_size(slint::PhysicalSize::new(800, 480));
    let weak = window.as_weak();
    slint::spawn_local(async move {
        let window = weak.upgrade().expect("window");
        for &(x, y) in touches {
            touch(window.window(), x, y);
        }
        if then_wait {
            i_slint_backend_testing::mock_elapsed_time(WAIT + Duration::from_secs(1));
        }
    })
    .expect("spawn");
    run_corner_test(&window, WAIT).expect("the test window runs")
}

#[test]
fn the_corner_window_counts_touches_in_each_corner() {
    slint::platform::set_platform(Box::new(i_slint_backend_testing::TestingBackend::new(
        i_slint_backend_testing::TestingBackendOptions {
            mock_time: true,
            threading: true,
            renderer_name: Some("software".into()),
        },
    )))
    .expect("the testing backend");

    // Three corners and the middle of the screen (which is no target); then the time runs out.
    let touched = run_with_touches(
        &[(10.0, 10.0), (790.0, 12.0), (400.0, 240.0), (785.0, 470.0)],
        true,
    );
    assert_eq!(
        touched,
        [Corner::TopLeft, Corner::TopRight, Corner::BottomRight]
    );

    // All four: the check ends without waiting for the time limit.
    let touched = run_with_touches(
        &[(5.0, 475.0), (5.0, 5.0), (795.0, 5.0), (795.0, 475.0)],
        false,
    );
    assert_eq!(touched, Corner::ALL);
}
