//! The aggregator's configuration file (`Settings::from_toml`): any text is either settings the
//! server can run with or an error naming the file, never a panic.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sync_server::Settings;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Settings::from_toml(text, Path::new("/etc/ocena/sync-server.toml")) {
        assert!(e.to_string().contains("sync-server.toml"), "{e}");
    }
});
