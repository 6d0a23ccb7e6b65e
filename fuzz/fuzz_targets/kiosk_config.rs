//! The kiosk's configuration file (`/etc/ocena/kiosk.toml`, `Config::parse`): any text is either
//! a valid configuration or an error naming the problem, never a panic.

#![no_main]

use std::path::Path;

use kiosk_config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Config::parse(text, Path::new("/etc/ocena/kiosk.toml")) {
        assert!(!e.to_string().is_empty());
    }
});
