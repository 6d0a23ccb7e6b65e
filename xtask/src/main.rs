//! Ocena's chores behind `cargo xtask`: the quick start, the full test run with its system
//! packages, screenshots of every kiosk screen, and translation upkeep.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

mod i18n;

mod screenshots;

#[derive(Debug, Parser)]
#[command(about = "Ocena's development chores")]
struct Cli {
    #[command(subcommand)]
    command: Chore,
}

#[derive(Debug, Subcommand)]
enum Chore {
    /// Run Ocena locally: the kiosk in a window (or headless simulated visits without a display).
    Run,
    /// Install the system packages the tests need, then run every test in the workspace.
    Test,
    /// Render every kiosk screen (languages × text modes × panel sizes) into `screenshots/`.
    Screenshots,
    /// Refresh the translation template and merge it into every language's .po file.
    I18n,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Chore::Run => run(),
        Chore::Test => test(),
        Chore::Screenshots => screenshots::run(&workspace_root().join("screenshots")),
        Chore::I18n => {
            install_missing(TEST_PACKAGES)?;
            i18n::run()
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// Debian packages the test suite uses, with a command that proves each is there.
const TEST_PACKAGES: &[(&str, &str)] = &[("gettext", "msgfmt")];

fn test() -> anyhow::Result<()> {
    install_missing(TEST_PACKAGES)?;
    cargo(&["test", "--workspace", "--all-targets", "--locked"])?;
    Ok(())
}

fn run() -> anyhow::Result<()> {
    let root = workspace_root();
    let demo = root.join("target").join("ocena-demo");
    std::fs::create_dir_all(&demo).with_context(|| format!("cannot create {}", demo.display()))?;
    let config = demo.join("kiosk.toml");
    let example = std::fs::read_to_string(root.join("kiosk/kiosk.example.toml"))?;
    let data_dir = demo.join("kiosk-data");
    std::fs::write(
        &config,
        example.replace("/var/lib/ocena", &data_dir.to_string_lossy()),
    )?;
    cargo(&["build", "--package", "kiosk", "--locked"])?;
    let kiosk = root.join("target/debug/kiosk");
    let kiosk_cmd = |args: &[&str]| -> anyhow::Result<()> {
        let status = Command::new(&kiosk)
            .arg("--config")
            .arg(&config)
            .args(args)
            .status()?;
        if !status.success() {
            bail!("kiosk {} failed: {status}", args.join(" "));
        }
        Ok(())
    };
    println!("Ocena kiosk with config {}", config.display());
    println!(
        "(the central aggregator and its dashboard are not built yet: answers stay in the kiosk buffer)"
    );
    if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() {
        kiosk_cmd(&["run"])?;
    } else {
        println!("No display found: recording 20 simulated visits headlessly.");
        kiosk_cmd(&["simulate", "--visits", "20"])?;
    }
    kiosk_cmd(&["status"])
}

fn cargo(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        bail!("cargo {} failed: {status}", args.join(" "));
    }
    Ok(())
}

/// Installs, with apt-get, the packages whose probe command is missing.
fn install_missing(packages: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .filter(|(_, probe)| which(probe).is_none())
        .map(|(package, _)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!("Installing system packages: {}", missing.join(" "));
    let apt = |args: &[&str]| -> anyhow::Result<()> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("apt-get is needed to install test packages (Debian or Ubuntu)")?;
        if !status.success() {
            bail!(
                "apt-get {} failed: {status} (are you root?)",
                args.join(" ")
            );
        }
        Ok(())
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)
}

fn which(command: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(command))
        .find(|path| path.is_file())
}
