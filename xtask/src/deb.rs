//! The Raspberry Pi's Debian package: the pi-build binary, the packaged configuration (checked by
//! running that binary under qemu), the systemd unit and maintainer scripts, put together by a
//! pinned cargo-deb and then inspected with `dpkg-deb` so a package missing its service, its
//! conffile or its user set-up fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::pi::{self, PROFILE, TARGET};
use crate::{target_dir, workspace_root};

/// cargo-deb, pinned so the package's layout does not change under us.
const CARGO_DEB_VERSION: &str = "3.8.0";

/// The service's data directory (the unit's `StateDirectory=ocena-kiosk`).
const PACKAGED_DATA_DIR: &str = "/var/lib/ocena-kiosk";

/// Builds the package and checks it; returns its path.
pub fn run() -> anyhow::Result<PathBuf> {
    let binary = pi::build()?;
    ensure_cargo_deb()?;
    let config = binary.with_file_name("kiosk.toml");
    write_packaged_config(&config)?;
    check_config_with_the_pi_binary(&binary, &config)?;

    let output = target_dir().join("debian");
    std::fs::create_dir_all(&output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args([
            "deb",
            "--package",
            "kiosk",
            "--target",
            TARGET,
            "--profile",
            PROFILE,
        ])
        .args(["--no-build", "--strip", "--locked", "--output"])
        .arg(&output)
        // The host's strip does not know aarch64; the cross binutils' does.
        .env(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_STRIP",
            "aarch64-linux-gnu-strip",
        )
        .current_dir(workspace_root())
        .output()
        .context("cannot run cargo deb")?;
    if !built.status.success() {
        bail!(
            "cargo deb failed: {}\n{}",
            built.status,
            String::from_utf8_lossy(&built.stderr)
        );
    }
    let package = printed_package(&built)?;
    inspect(&package)?;
    println!("Raspberry Pi package: {}", package.display());
    Ok(package)
}

/// The package cargo-deb built: it prints the path on success (on stdout or stderr, by version).
pub(crate) fn printed_package(built: &std::process::Output) -> anyhow::Result<PathBuf> {
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&built.stdout),
        String::from_utf8_lossy(&built.stderr)
    );
    printed
        .lines()
        .map(str::trim)
        .rfind(|line| line.ends_with(".deb"))
        .map(PathBuf::from)
        .with_context(|| format!("cargo deb did not print the package's path:\n{printed}"))
}

/// Installs the pinned cargo-deb unless that version is already there.
pub(crate) fn ensure_cargo_deb() -> anyhow::Result<()> {
    let installed = Command::new("cargo")
        .args(["deb", "--version"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    if installed
        .as_deref()
        .is_some_and(|version| version.split_whitespace().any(|w| w == CARGO_DEB_VERSION))
    {
        return Ok(());
    }
    println!("Installing cargo-deb {CARGO_DEB_VERSION}");
    let status = Command::new("cargo")
        .args([
            "install",
            "cargo-deb",
            "--locked",
            "--version",
            CARGO_DEB_VERSION,
        ])
        .status()
        .context("cannot run cargo install")?;
    if !status.success() {
        bail!("cargo install cargo-deb {CARGO_DEB_VERSION} failed: {status}");
    }
    Ok(())
}

/// The example configuration with the service's data directory and, when the example has a
/// `[hardware]` table, the GPIO backend: a Pi's starting point that staff edit in /etc.
pub fn packaged_config(example: &str) -> anyhow::Result<String> {
    let data_dir_line = "data_dir = \"/var/lib/ocena\"";
    if !example.lines().any(|line| line == data_dir_line) {
        bail!(
            "kiosk-config/kiosk.example.toml no longer has the line `{data_dir_line}` this step rewrites"
        );
    }
    let mut config = example.replacen(
        data_dir_line,
        &format!("data_dir = \"{PACKAGED_DATA_DIR}\""),
        1,
    );
    if config.lines().any(|line| line.trim() == "[hardware]") {
        let simulator = "backend = \"simulator\"";
        if !config.lines().any(|line| line.trim() == simulator) {
            bail!(
                "kiosk-config/kiosk.example.toml's [hardware] table has no line `{simulator}` to turn into gpio"
            );
        }
        config = config.replacen(simulator, "backend = \"gpio\"", 1);
    }
    Ok(format!(
        "# Installed by the ocena-kiosk package; your edits are kept across upgrades.\n{config}"
    ))
}

fn write_packaged_config(path: &Path) -> anyhow::Result<()> {
    let example_path = workspace_root().join("kiosk-config/kiosk.example.toml");
    let example = std::fs::read_to_string(&example_path)
        .with_context(|| format!("cannot read {}", example_path.display()))?;
    std::fs::write(path, packaged_config(&example)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Runs `kiosk status` of the aarch64 binary under qemu on the packaged configuration (with a
/// scratch data directory): the binary starts, and every key of the configuration is accepted.
fn check_config_with_the_pi_binary(binary: &Path, config: &Path) -> anyhow::Result<()> {
    let scratch = target_dir().join(TARGET).join("deb-config-check");
    if scratch.exists() {
        std::fs::remove_dir_all(&scratch)
            .with_context(|| format!("cannot clear {}", scratch.display()))?;
    }
    let mut qemu = pi::QEMU.split_whitespace();
    let checked = Command::new(qemu.next().unwrap_or("qemu-aarch64"))
        .args(qemu)
        .arg(binary)
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(&scratch)
        .arg("status")
        .output()
        .context("cannot run qemu-aarch64")?;
    if !checked.status.success() {
        bail!(
            "the Pi binary refuses the packaged configuration {}: {}",
            config.display(),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    Ok(())
}

/// Prints `dpkg-deb --info` and `--contents` and fails unless the binary, the unit, the conffile
/// and the maintainer scripts that create the user and keep the records are all there.
fn inspect(package: &Path) -> anyhow::Result<()> {
    let info = dpkg_deb(&["--info"], package)?;
    let contents = dpkg_deb(&["--contents"], package)?;
    println!("{info}\n{contents}");
    let conffiles = dpkg_deb_field(package, "conffiles")?;
    let postinst = dpkg_deb_field(package, "postinst")?;
    let postrm = dpkg_deb_field(package, "postrm")?;
    let unit_path = "./usr/lib/systemd/system/ocena-kiosk.service";
    let checks: [(&str, bool); 11] = [
        ("Architecture: arm64", info.contains("Architecture: arm64")),
        (
            "the kiosk binary in /usr/bin",
            contents.contains("./usr/bin/kiosk"),
        ),
        ("the systemd unit", contents.contains(unit_path)),
        (
            "the configuration in /etc",
            contents.contains("./etc/ocena/kiosk.toml"),
        ),
        (
            "/etc/ocena/kiosk.toml as a conffile",
            conffiles
                .lines()
                .any(|line| line.trim() == "/etc/ocena/kiosk.toml"),
        ),
        (
            "INSTALL.md",
            contents.contains("./usr/share/doc/ocena-kiosk/INSTALL.md"),
        ),
        (
            "the udev rule giving the gpio group the GPIO devices",
            contents.contains("./usr/lib/udev/rules.d/60-ocena-kiosk.rules"),
        ),
        (
            "postinst creating the system user",
            postinst.contains("adduser --quiet --system"),
        ),
        (
            "postinst enabling the service",
            postinst.contains("deb-systemd-helper"),
        ),
        (
            "postrm keeping the answers on purge",
            postrm.contains("/var/backups/ocena-kiosk"),
        ),
        (
            "nothing packaged under /var/lib (upgrades never touch the records)",
            !contents.contains("./var/lib/"),
        ),
    ];
    let missing: Vec<&str> = checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(what, _)| *what)
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} is incomplete: {}",
            package.display(),
            missing.join("; ")
        );
    }
    let unit = extract_file(package, unit_path)?;
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "User=ocena",
        "SupplementaryGroups=gpio video input audio render",
        "StateDirectory=ocena-kiosk",
        "After=network-online.target",
        "WantedBy=multi-user.target",
    ] {
        if !unit.lines().any(|l| l.starts_with(line)) {
            bail!("the packaged unit lacks `{line}`");
        }
    }
    println!("Package checked: binary, unit, conffile, user set-up and purge rules are in place.");
    Ok(())
}

pub(crate) fn dpkg_deb(args: &[&str], package: &Path) -> anyhow::Result<String> {
    let out = Command::new("dpkg-deb")
        .args(args)
        .arg(package)
        .output()
        .context("cannot run dpkg-deb")?;
    if !out.status.success() {
        bail!(
            "dpkg-deb {} {} failed: {}",
            args.join(" "),
            package.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One control member (`postinst`, `conffiles`…), empty if the package has none.
pub(crate) fn dpkg_deb_field(package: &Path, member: &str) -> anyhow::Result<String> {
    let out = Command::new("dpkg-deb")
        .arg("--info")
        .arg(package)
        .arg(member)
        .output()
        .context("cannot run dpkg-deb")?;
    Ok(if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        String::new()
    })
}

/// A file of the package's data, read through `dpkg-deb --fsys-tarfile` and tar.
pub(crate) fn extract_file(package: &Path, path: &str) -> anyhow::Result<String> {
    let tar = Command::new("sh")
        .arg("-c")
        .arg("dpkg-deb --fsys-tarfile \"$0\" | tar -xOf - \"$1\"")
        .arg(package)
        .arg(path)
        .output()
        .context("cannot run dpkg-deb and tar")?;
    if !tar.status.success() {
        bail!(
            "cannot read {path} from {}: {}",
            package.display(),
            String::from_utf8_lossy(&tar.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&tar.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packaged_config_points_at_the_service_data_dir_and_the_gpio_backend() {
        let example = "data_dir = \"/var/lib/ocena\"\n[desk]\nid = \"x\"\n[hardware]\nbackend = \"simulator\"\n";
        let packaged = packaged_config(example).expect("rewrites");
        assert!(
            packaged.contains("data_dir = \"/var/lib/ocena-kiosk\"\n"),
            "{packaged}"
        );
        assert!(packaged.contains("backend = \"gpio\"\n"), "{packaged}");
        assert!(packaged.starts_with("# Installed by the ocena-kiosk package"));
        // Without a [hardware] table the kiosk's own default applies.
        let plain = packaged_config("data_dir = \"/var/lib/ocena\"\n").expect("rewrites");
        assert!(!plain.contains("backend"));
    }

    #[test]
    fn an_example_that_changed_shape_stops_the_package() {
        let err = packaged_config("data_dir = \"/srv/ocena\"\n").expect_err("no line");
        assert!(
            err.to_string().contains("data_dir = \"/var/lib/ocena\""),
            "{err}"
        );
        let err =
            packaged_config("data_dir = \"/var/lib/ocena\"\n[hardware]\nbackend = \"gpio\"\n")
                .expect_err("no simulator line");
        assert!(err.to_string().contains("backend = \"simulator\""), "{err}");
    }
}
