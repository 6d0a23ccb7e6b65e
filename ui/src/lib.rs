//! The kiosk's Slint user interface, compiled from the .slint files in this crate.
//!
//! Rust reaches the screens through the `KioskAdapter` and `Theme` globals of [`KioskWindow`]
//! (see `adapter.slint` and `theme.slint`); [`translations`] (the `i18n` crate, re-exported)
//! translates the texts Rust provides, [`spoken`] lists the texts the kiosk only speaks. The
//! screens are the default `screens` feature; without it the crate is the translations alone, free
//! of Slint (the fuzz targets use it so).

/// The code Slint generates from `kiosk.slint`; it is not held to the workspace's lints.
#[cfg(feature = "screens")]
#[allow(clippy::all, clippy::unwrap_used, clippy::todo)]
mod generated {
    slint::include_modules!();
}

#[cfg(feature = "screens")]
pub use generated::*;

pub mod spoken;
pub use i18n as translations;
