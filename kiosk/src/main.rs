//! The `kiosk` binary: parses the command line and hands over to the library.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = kiosk::cli::Cli::parse();
    kiosk::telemetry::init();
    match kiosk::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kiosk: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
