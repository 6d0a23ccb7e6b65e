//! The `sync-server` binary: parses the command line, starts logging and runs the command.

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = sync_server::cli::Cli::parse();
    sync_server::telemetry::init("info,tower_http=info");
    match sync_server::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sync-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}
