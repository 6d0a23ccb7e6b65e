//! The `sync-server` binary (skeleton): says what is not built yet and exits non-zero.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("sync-server: {}", sync_server::STATUS);
    ExitCode::FAILURE
}
