//! `cargo xtask fuzz --seconds N`: every cargo-fuzz target of `fuzz/` for N seconds, one after
//! another, starting from the corpus kept in `fuzz/corpus/<target>`. New inputs go to a scratch
//! corpus under the target directory, so the repository's stays small. Installs cargo-fuzz when
//! missing; cargo-fuzz needs nightly flags, which `RUSTC_BOOTSTRAP=1` allows on stable Rust.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::{target_dir, workspace_root};

/// The targets in `fuzz/fuzz_targets/`, in the order they run.
pub const TARGETS: &[&str] = &[
    "record_batch",
    "gzip_body",
    "dashboard_filter",
    "kiosk_config",
    "kiosk_survey",
    "po_reader",
];

/// The longest a single input may take before libFuzzer calls it a hang.
const INPUT_TIMEOUT_S: u64 = 10;

/// Runs `only` (or every target) for `seconds` each; fails at the first crash, naming the input
/// libFuzzer saved under `fuzz/artifacts/<target>/`.
pub fn run(seconds: u64, only: Option<&str>) -> anyhow::Result<()> {
    let targets: Vec<&str> = match only {
        Some(name) if TARGETS.contains(&name) => vec![name],
        Some(name) => bail!(
            "no fuzz target {name:?}; the targets: {}",
            TARGETS.join(", ")
        ),
        None => TARGETS.to_vec(),
    };
    ensure_cargo_fuzz()?;
    let root = workspace_root();
    // The fuzz crate's own lock file must be current, as `--locked` requires elsewhere.
    cargo_fuzz_command(&root)
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(root.join("fuzz/Cargo.toml"))
        .status()
        .context("cannot run cargo fetch")?
        .success()
        .then_some(())
        .context("fuzz/Cargo.lock is out of date: run `cargo update --manifest-path fuzz/Cargo.toml --workspace` and commit it")?;

    let fuzz_target_dir = target_dir().join("fuzz");
    let built = cargo_fuzz_command(&root)
        .args(["fuzz", "build", "--sanitizer", "none", "--target-dir"])
        .arg(&fuzz_target_dir)
        .status()
        .context("cannot run cargo fuzz build")?;
    if !built.success() {
        bail!("cargo fuzz build failed: {built}");
    }
    let mut summary = Vec::new();
    for target in targets {
        let scratch = fuzz_target_dir.join("corpus").join(target);
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("cannot create {}", scratch.display()))?;
        let started = Instant::now();
        let out = cargo_fuzz_command(&root)
            .args(["fuzz", "run", "--sanitizer", "none", "--target-dir"])
            .arg(&fuzz_target_dir)
            .arg(target)
            .arg(&scratch)
            .arg(root.join("fuzz/corpus").join(target))
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg(format!("-timeout={INPUT_TIMEOUT_S}"))
            .arg("-print_final_stats=1")
            .output()
            .with_context(|| format!("cannot run cargo fuzz run {target}"))?;
        let log = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!(
                "fuzz target {target} failed ({}); the input is under fuzz/artifacts/{target}/:\n{}",
                out.status,
                tail(&log, 60)
            );
        }
        let runs = final_stat(&log, "stat::number_of_executed_units").unwrap_or(0);
        let line = format!(
            "{target}: {runs} inputs in {:.0} s, 0 crashes",
            started.elapsed().as_secs_f64()
        );
        println!("{line}");
        summary.push(line);
    }
    println!("\nFuzzing done:\n{}", summary.join("\n"));
    Ok(())
}

/// cargo in the workspace root, allowed the nightly flags cargo-fuzz passes.
fn cargo_fuzz_command(root: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).env("RUSTC_BOOTSTRAP", "1");
    command
}

fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|out| out.status.success());
    if installed {
        return Ok(());
    }
    println!("Installing cargo-fuzz");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!("cargo install cargo-fuzz failed: {status}");
    }
    Ok(())
}

/// A number from libFuzzer's `-print_final_stats` block.
fn final_stat(log: &str, name: &str) -> Option<u64> {
    log.lines()
        .filter_map(|line| line.strip_prefix(name)?.trim().strip_prefix(':'))
        .next_back()?
        .trim()
        .parse()
        .ok()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_stats_are_read() {
        let log = "#1 INITED\nstat::number_of_executed_units: 12345\nstat::peak_rss_mb: 80\n";
        assert_eq!(
            final_stat(log, "stat::number_of_executed_units"),
            Some(12345)
        );
        assert_eq!(final_stat(log, "stat::slowest_unit_time_sec"), None);
    }

    #[test]
    fn every_target_has_its_source_and_corpus() {
        let root = workspace_root();
        for target in TARGETS {
            assert!(
                root.join(format!("fuzz/fuzz_targets/{target}.rs"))
                    .is_file(),
                "{target}"
            );
            assert!(
                root.join(format!("fuzz/corpus/{target}")).is_dir(),
                "{target}"
            );
        }
    }
}
