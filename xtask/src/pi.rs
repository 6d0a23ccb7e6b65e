//! The Raspberry Pi build from an x86 Debian machine: installs the cross toolchain and the arm64
//! libraries Slint's linuxkms backend links, cross-builds the kiosk for aarch64, and runs the
//! hardware-independent tests of the aarch64 build under qemu-user.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

use crate::{install_missing_debs, target_dir, workspace_root};

/// The Pi's Rust target (Raspberry Pi OS 64-bit, Bookworm or newer).
pub const TARGET: &str = "aarch64-unknown-linux-gnu";

/// The cargo profile of the Pi binary, its tests and its package: `release`, because the kiosk
/// draws with Slint's software renderer on the Pi's CPU, and sharing one profile lets `pi-test`
/// reuse every dependency `pi-build` compiled.
pub const PROFILE: &str = "release";

/// qemu-user with the host's root as the guest's: the arm64 `-dev` packages pull in the
/// multiarch `libc6:arm64` (/lib/aarch64-linux-gnu), whose libc does not match the loader of the
/// cross sysroot (`-L /usr/aarch64-linux-gnu`, libc6-arm64-cross). Mixing the two made every
/// test hang at its first thread; with `-L /` the loader and libc come from one package.
pub const QEMU: &str = "qemu-aarch64 -L /";

/// Debian packages the cross build needs: the cross gcc and libc (linker, C parts of SQLite and
/// ring), qemu-user for the tests, and the arm64 development files of what linuxkms links
/// (libudev, libinput, libxkbcommon, libgbm). Fontconfig is not among them: the workspace turns
/// on fontique's `fontconfig-dlopen`, so the binary opens it at run time if at all.
const CROSS_PACKAGES: &[&str] = &[
    "gcc-aarch64-linux-gnu",
    "libc6-dev-arm64-cross",
    "qemu-user",
    "libudev-dev:arm64",
    "libinput-dev:arm64",
    "libxkbcommon-dev:arm64",
    "libgbm-dev:arm64",
];

/// Crates whose tests run under qemu, with the features that make them the Pi's build. Only
/// hardware-independent tests: `kiosk`'s library tests (store, visit flow, config, recorder,
/// sync client against a local server) but not its UI tests, which need the desktop's testing
/// backend and are covered on x86.
const QEMU_TESTS: &[(&str, &[&str])] = &[
    ("model", &["--lib"]),
    ("hardware", &["--lib", "--features", "gpio"]),
    (
        "kiosk",
        &["--lib", "--no-default-features", "--features", "pi"],
    ),
];

/// Installs what is missing, then builds `kiosk` for the Pi; returns the binary's path.
pub fn build() -> anyhow::Result<PathBuf> {
    prepare()?;
    cross_cargo(&[
        "build",
        "--package",
        "kiosk",
        "--bin",
        "kiosk",
        "--no-default-features",
        "--features",
        "pi",
    ])?;
    let binary = binary();
    if !binary.is_file() {
        bail!(
            "the build reported success but {} is missing",
            binary.display()
        );
    }
    println!("Raspberry Pi kiosk: {}", binary.display());
    Ok(binary)
}

/// Runs the aarch64 build's hardware-independent tests under qemu-user.
pub fn test() -> anyhow::Result<()> {
    prepare()?;
    for (package, args) in QEMU_TESTS {
        let mut command = vec!["test", "--package", package];
        command.extend_from_slice(args);
        cross_cargo(&command)?;
    }
    Ok(())
}

/// Where `build` leaves the kiosk binary.
pub fn binary() -> PathBuf {
    target_dir().join(TARGET).join(PROFILE).join("kiosk")
}

/// The Rust target and the Debian packages, each installed only when missing.
fn prepare() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("rustup is needed to add the aarch64 target")?;
    if !String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|line| line.trim() == TARGET)
    {
        run(Command::new("rustup").args(["target", "add", TARGET]))?;
    }
    let foreign = Command::new("dpkg")
        .arg("--print-foreign-architectures")
        .output()
        .context("dpkg is needed: the Pi build runs on Debian")?;
    if !String::from_utf8_lossy(&foreign.stdout)
        .lines()
        .any(|arch| arch.trim() == "arm64")
    {
        println!("Adding the arm64 architecture to dpkg");
        run(Command::new("dpkg").args(["--add-architecture", "arm64"]))?;
    }
    install_missing_debs(CROSS_PACKAGES)
}

/// Cargo for the Pi: the cross linker, C compiler, pkg-config pointed at the arm64 libraries
/// and qemu as the runner of test binaries.
fn cross_cargo(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(args)
        .args(["--target", TARGET, "--profile", PROFILE, "--locked"])
        .current_dir(workspace_root())
        .env(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
            "aarch64-linux-gnu-gcc",
        )
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER", QEMU)
        .env("CC_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-gcc")
        .env("AR_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-ar")
        .env("PKG_CONFIG_ALLOW_CROSS", "1")
        .env("PKG_CONFIG_PATH", "/usr/lib/aarch64-linux-gnu/pkgconfig")
        .env("PKG_CONFIG_LIBDIR", "/usr/lib/aarch64-linux-gnu/pkgconfig")
        .env("PKG_CONFIG_SYSROOT_DIR", "/");
    run(&mut command)
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed: {status}");
    }
    Ok(())
}
