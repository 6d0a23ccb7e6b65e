//! Ocena kiosk: the touchscreen rating app beside a desk, its durable local buffer and its CLI.
//!
//! A tap goes UI ([`app`]) → visit flow ([`visit`]) → recorder thread ([`recorder`]) → SQLite
//! ([`store`]); the screen moves on only when the answer is durable.

#![forbid(unsafe_code)]

/// The configuration file and the desk survey (the `kiosk-config` crate, free of Slint).
pub use kiosk_config as config;

pub mod app;
pub mod cli;
pub mod clock;
pub mod hw_test;
pub mod recorder;
pub mod report;
pub mod simulate;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod visit;
pub mod watchdog;
