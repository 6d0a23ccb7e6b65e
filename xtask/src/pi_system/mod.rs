//! `cargo xtask pi-system-test`: the packaged kiosk in an emulated arm64 machine. An arm64 Debian
//! 12 image from Debian's packages (cached, `image`), QEMU's virt machine with a DRM display, a
//! USB tablet for touch, its clock at 1970 and a network that reaches only the host's aggregator
//! (`machine`), and the steps a desk lives through, each asserted (`scenario`): install and
//! enroll, reboot, the screen against the testing backend's render (`screen`), a tap that reaches
//! the aggregator, the watchdog, power cuts while answers are recorded, upgrade and purge.

mod aggregator;
mod image;
mod machine;
mod scenario;
mod screen;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::{install_missing_debs, target_dir, workspace_root};

/// A fault put into the package on purpose, to see the test name it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Breakage {
    /// The unit's `User=` names a user that does not exist.
    User,
}

/// Host packages: the emulator, qemu-user for the arm64 maintainer scripts, debootstrap, the
/// disk tools, and netcat for QEMU's forward to the aggregator.
const HOST_PACKAGES: &[&str] = &[
    "qemu-system-arm",
    "qemu-user-static",
    "qemu-utils",
    "binfmt-support",
    "debootstrap",
    "e2fsprogs",
    "netcat-openbsd",
];

/// The label of the small disk that carries the packages into the guest.
const PACKAGES_LABEL: &str = "ocena-pkgs";

pub fn run(power_cuts: usize, breakage: Option<Breakage>) -> anyhow::Result<()> {
    let started = Instant::now();
    install_missing_debs(HOST_PACKAGES)?;
    let out = target_dir().join("pi-system-test");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cannot clear {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;

    // The base image (minutes when not cached, mostly emulated arm64 work) is made while the
    // package and the aggregator build.
    let (base, built) = std::thread::scope(|scope| {
        let image = scope.spawn(image::base_image);
        let built = crate::deb::run().and_then(|package| Ok((package, build_sync_server()?)));
        let base = image
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the image build panicked")));
        (base, built)
    });
    let (package, sync_server) = built?;
    let base = base?;

    // The package under test, and a newer version of it for the upgrade.
    let packages_dir = out.join("packages");
    std::fs::create_dir_all(&packages_dir)?;
    let version = deb_field(&package, "Version")?;
    let upgrade_version = format!("{version}+systemtest1");
    let install_name = format!("ocena-kiosk_{version}_arm64.deb");
    let upgrade_name = format!("ocena-kiosk_{upgrade_version}_arm64.deb");
    match breakage {
        None => {
            std::fs::copy(&package, packages_dir.join(&install_name))?;
        }
        Some(Breakage::User) => repack(
            &package,
            &packages_dir.join(&install_name),
            &version,
            Some(("User=ocena", "User=ocena-missing")),
        )?,
    }
    repack(
        &package,
        &packages_dir.join(&upgrade_name),
        &upgrade_version,
        None,
    )?;
    let packages_disk = out.join("packages.img");
    run_checked(
        Command::new("mkfs.ext4")
            .args(["-q", "-L", PACKAGES_LABEL, "-d"])
            .arg(&packages_dir)
            .arg(&packages_disk)
            .arg("128M"),
    )?;
    let overlay = out.join("root.qcow2");
    run_checked(
        Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2", "-F", "raw", "-b"])
            .arg(&base.disk)
            .arg(&overlay),
    )?;

    let px_per_mm_across = machine::SCREEN_WIDTH as f32 / 154.08;
    let px_per_mm = px_per_mm_across.max(machine::SCREEN_HEIGHT as f32 / 85.92);
    let expected = screen::expected(
        aggregator::DESK_NAME,
        // The desk's languages as `sync-server desk add` gives them by default: every shipped one.
        i18n::LANGUAGES,
        px_per_mm,
        px_per_mm_across,
    )?;
    let mut aggregator = aggregator::Aggregator::set_up(&sync_server, &out.join("aggregator"))?;
    aggregator.start(&out.join("aggregator.log"))?;

    let files = machine::MachineFiles {
        base,
        overlay: overlay.clone(),
        packages_disk,
        dir: out.clone(),
        aggregator_port: aggregator.port,
    };
    let packages = scenario::Packages {
        install: install_name,
        upgrade: upgrade_name,
        version,
        upgrade_version,
    };
    let mut scenario =
        scenario::Scenario::new(&files, &aggregator, &expected, &packages, &out, power_cuts);
    let outcome = scenario.run();
    let summary = format!(
        "{}\nwhole test: {:.0} s\n",
        scenario.measured.lines.join("\n"),
        started.elapsed().as_secs_f64()
    );
    drop(scenario);
    drop(aggregator);
    // The overlay is this run's guest disk; the base image stays cached.
    let _ = std::fs::remove_file(&overlay);
    std::fs::write(out.join("summary.txt"), &summary)?;
    println!("\n{summary}Output: {}", out.display());
    outcome.with_context(|| {
        format!(
            "the Pi system test failed; serial console and logs in {}",
            out.display()
        )
    })
}

/// The aggregator's debug build, as the other system tests use it.
fn build_sync_server() -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run_checked(
        Command::new(cargo)
            .args([
                "build",
                "--package",
                "sync-server",
                "--bin",
                "sync-server",
                "--locked",
            ])
            .current_dir(workspace_root()),
    )?;
    Ok(target_dir().join("debug").join("sync-server"))
}

fn deb_field(package: &Path, field: &str) -> anyhow::Result<String> {
    let out = Command::new("dpkg-deb")
        .args(["--field"])
        .arg(package)
        .arg(field)
        .output()
        .context("cannot run dpkg-deb")?;
    if !out.status.success() {
        bail!("dpkg-deb --field {} {field} failed", package.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The package again with another version and, optionally, one line of its unit replaced.
fn repack(
    package: &Path,
    output: &Path,
    version: &str,
    unit_change: Option<(&str, &str)>,
) -> anyhow::Result<()> {
    let tree = output.with_extension("tree");
    if tree.exists() {
        std::fs::remove_dir_all(&tree)?;
    }
    run_checked(Command::new("dpkg-deb").arg("-R").arg(package).arg(&tree))?;
    let control_path = tree.join("DEBIAN/control");
    let control = std::fs::read_to_string(&control_path)?;
    let control: String = control
        .lines()
        .map(|line| {
            if line.starts_with("Version:") {
                format!("Version: {version}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    std::fs::write(&control_path, control)?;
    if let Some((from, to)) = unit_change {
        let unit_path = tree.join("usr/lib/systemd/system/ocena-kiosk.service");
        let unit = std::fs::read_to_string(&unit_path)?;
        if !unit.lines().any(|line| line == from) {
            bail!("the unit has no line {from:?} to break");
        }
        std::fs::write(&unit_path, unit.replace(from, to))?;
    }
    let built = run_checked(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zxz", "-b"])
            .arg(&tree)
            .arg(output),
    );
    std::fs::remove_dir_all(&tree)?;
    built
}

/// Runs a command with its output shown; fails unless it exits 0.
fn run_checked(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}
