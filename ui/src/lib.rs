//! The kiosk's Slint user interface, compiled from the .slint files in this crate.
slint::include_modules!();

pub mod translations;
