//! `cargo xtask fuzz --seconds N`: every cargo-fuzz target of `fuzz/` for N seconds, one after
//! another, starting from the corpus kept in `fuzz/corpus/<target>`. New inputs go to a scratch
//! corpus under the target directory, so the repository's stays small. Builds with the nightly
//! toolchain cargo-fuzz needs, installing it (rustup) and cargo-fuzz when missing; each target is
//! built just before it runs, and none may link Slint (its instrumented build alone takes longer
//! than all the code under test).

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
    "forwarded_header",
    "server_settings",
    "kiosk_config",
    "kiosk_survey",
    "po_reader",
];

/// The toolchain cargo-fuzz builds with (it passes flags only nightly accepts).
const TOOLCHAIN: &str = "nightly";

/// How the targets are built, the same for `build` and `run` (else `run` builds again): no
/// sanitizer (safe Rust; overflow checks and debug assertions catch what ASan would not) and 16
/// codegen units, as the profile asks, instead of cargo-fuzz's 1, which serialises each crate's
/// code generation on a 2-core machine.
const BUILD_FLAGS: &[&str] = &["--sanitizer", "none", "--codegen-units", "16"];

/// The longest a single input may take before libFuzzer calls it a hang.
const INPUT_TIMEOUT_S: u64 = 10;

/// Packages the fuzz crate must not depend on: the UI toolkit, which none of the code under test
/// needs.
const FORBIDDEN: &[&str] = &["slint", "i-slint-core"];

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
    ensure_nightly()?;
    ensure_cargo_fuzz()?;
    let root = workspace_root();
    let manifest = root.join("fuzz/Cargo.toml");
    // The fuzz crate's own lock file must be current, as `--locked` requires elsewhere.
    nightly_cargo(&root)
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(&manifest)
        .status()
        .context("cannot run cargo fetch")?
        .success()
        .then_some(())
        .context("fuzz/Cargo.lock is out of date: run `cargo +nightly tree --manifest-path fuzz/Cargo.toml` and commit it")?;
    refuse_forbidden_dependencies(&root, &manifest)?;

    let fuzz_target_dir = target_dir().join("fuzz");
    let mut summary = Vec::new();
    for target in targets {
        let started = Instant::now();
        let built = nightly_cargo(&root)
            .args(["fuzz", "build"])
            .args(BUILD_FLAGS)
            .arg("--target-dir")
            .arg(&fuzz_target_dir)
            .arg(target)
            .status()
            .context("cannot run cargo fuzz build")?;
        if !built.success() {
            bail!("cargo fuzz build {target} failed: {built}");
        }
        let build_s = started.elapsed().as_secs_f64();
        let scratch = fuzz_target_dir.join("corpus").join(target);
        std::fs::create_dir_all(&scratch)
            .with_context(|| format!("cannot create {}", scratch.display()))?;
        let started = Instant::now();
        let out = nightly_cargo(&root)
            .args(["fuzz", "run"])
            .args(BUILD_FLAGS)
            .arg("--target-dir")
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
        let run_s = started.elapsed().as_secs_f64();
        let runs = final_stat(&log, "stat::number_of_executed_units").unwrap_or(0);
        let line = format!(
            "{target}: {runs} inputs in {run_s:.0} s ({:.0}/s), 0 crashes; built in {build_s:.0} s",
            runs as f64 / run_s.max(1.0)
        );
        println!("{line}");
        summary.push(line);
    }
    println!("\nFuzzing done:\n{}", summary.join("\n"));
    Ok(())
}

/// cargo of the nightly toolchain in the workspace root (`rustup run`, so that cargo-fuzz and
/// the cargo it starts are both nightly's, whatever toolchain started this chore).
fn nightly_cargo(root: &Path) -> Command {
    let mut command = Command::new("rustup");
    command
        .args(["run", TOOLCHAIN, "cargo"])
        .current_dir(root)
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTUP_TOOLCHAIN");
    command
}

fn ensure_nightly() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["run", TOOLCHAIN, "rustc", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .context("cannot run rustup: cargo-fuzz needs a nightly toolchain from rustup")?
        .status
        .success();
    if installed {
        return Ok(());
    }
    println!("Installing the {TOOLCHAIN} toolchain (rustup, minimal profile)");
    let status = Command::new("rustup")
        .args(["toolchain", "install", TOOLCHAIN, "--profile", "minimal"])
        .status()
        .context("cannot run rustup")?;
    if !status.success() {
        bail!("rustup toolchain install {TOOLCHAIN} failed: {status}");
    }
    Ok(())
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

/// Fails, naming the path, if the fuzz crate would build one of [`FORBIDDEN`].
fn refuse_forbidden_dependencies(root: &Path, manifest: &Path) -> anyhow::Result<()> {
    let out = nightly_cargo(root)
        .args([
            "tree",
            "--locked",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "--manifest-path"])
        .arg(manifest)
        .output()
        .context("cannot run cargo tree")?;
    if !out.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&out.stdout);
    if let Some(package) = forbidden_package(&tree) {
        bail!(
            "the fuzz crate depends on {package}; find the path with `cargo tree --manifest-path fuzz/Cargo.toml -i {package}` and depend only on the crates under test"
        );
    }
    Ok(())
}

/// The first [`FORBIDDEN`] package in `cargo tree --prefix none --format {p}` output.
fn forbidden_package(tree: &str) -> Option<&'static str> {
    FORBIDDEN.iter().copied().find(|name| {
        tree.lines()
            .any(|line| line.split_whitespace().next() == Some(*name))
    })
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
    fn slint_in_the_tree_is_found() {
        let clean = "ocena-fuzz v0.0.0 (/w/fuzz)\nmodel v0.1.0 (/w/model)\nslint-like v1.0.0\n";
        assert_eq!(forbidden_package(clean), None);
        let with_slint = format!("{clean}slint v1.18.1\n");
        assert_eq!(forbidden_package(&with_slint), Some("slint"));
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
        let manifest =
            std::fs::read_to_string(root.join("fuzz/Cargo.toml")).expect("fuzz/Cargo.toml");
        let binaries: Vec<&str> = manifest
            .split("[[bin]]")
            .skip(1)
            .filter_map(|bin| bin.split("name = \"").nth(1)?.split('"').next())
            .collect();
        let mut listed = TARGETS.to_vec();
        listed.sort_unstable();
        let mut built = binaries.clone();
        built.sort_unstable();
        assert_eq!(
            built, listed,
            "fuzz/Cargo.toml's [[bin]]s are the targets run"
        );
    }
}
