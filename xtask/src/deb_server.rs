//! The aggregator's Debian package for the build machine's architecture: a release build of
//! sync-server, the packaged configuration, the hardened systemd unit, the root-only secrets file
//! and the maintainer scripts, put together by the pinned cargo-deb. The package is then inspected
//! with `dpkg-deb` and unpacked into a throwaway root, where the binary runs on its packaged
//! configuration under the unit's umask, the unit passes `systemd-analyze verify`, and
//! `systemd-analyze security` rates its exposure at most [`MAX_EXPOSURE`].

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::deb::{dpkg_deb, dpkg_deb_field, ensure_cargo_deb, extract_file, printed_package};
use crate::{cargo, install_missing, target_dir, workspace_root};

/// The service's data directory (the unit's `StateDirectory=ocena-sync-server`).
const PACKAGED_DATA_DIR: &str = "/var/lib/ocena-sync-server";
/// The unit, as installed.
const UNIT_PATH: &str = "usr/lib/systemd/system/ocena-sync-server.service";
/// The secrets file systemd reads (as root) before dropping to the service user.
const SECRETS_PATH: &str = "etc/ocena/sync-server.env";
const CONFIG_PATH: &str = "etc/ocena/sync-server.toml";
/// Highest `systemd-analyze security` exposure accepted: up to 2.5 systemd calls the unit "OK".
pub const MAX_EXPOSURE: f64 = 2.5;

/// Builds the package, checks it and returns its path.
pub fn run() -> anyhow::Result<PathBuf> {
    install_missing(&[("systemd", "systemd-analyze")])?;
    cargo(&["build", "--release", "--package", "sync-server", "--locked"])?;
    ensure_cargo_deb()?;
    let config = target_dir().join("release").join("sync-server.toml");
    let example_path = workspace_root().join("sync-server/sync-server.example.toml");
    let example = std::fs::read_to_string(&example_path)
        .with_context(|| format!("cannot read {}", example_path.display()))?;
    std::fs::write(&config, packaged_config(&example)?)
        .with_context(|| format!("cannot write {}", config.display()))?;

    let output = target_dir().join("debian");
    std::fs::create_dir_all(&output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args(["deb", "--package", "sync-server"])
        .args(["--no-build", "--strip", "--locked", "--output"])
        .arg(&output)
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
    let root = output.join("ocena-sync-server-root");
    check_installed(&package, &root)?;
    println!("Aggregator package: {}", package.display());
    Ok(package)
}

/// The example configuration with the service's data directory: the server's starting point
/// that operators edit in /etc.
pub fn packaged_config(example: &str) -> anyhow::Result<String> {
    let database_line = "database = \"/var/lib/ocena/sync-server.db\"";
    if !example.lines().any(|line| line == database_line) {
        bail!(
            "sync-server/sync-server.example.toml no longer has the line `{database_line}` \
             this step rewrites"
        );
    }
    let config = example.replacen(
        database_line,
        &format!("database = \"{PACKAGED_DATA_DIR}/sync-server.db\""),
        1,
    );
    Ok(format!(
        "# Installed by the ocena-sync-server package; your edits are kept across upgrades.\n\
         # Secrets go in /etc/ocena/sync-server.env (root only), never here.\n{config}"
    ))
}

/// `dpkg-deb --info` and `--contents`: the binary, unit, conffiles, scripts and secrets file.
fn inspect(package: &Path) -> anyhow::Result<()> {
    let info = dpkg_deb(&["--info"], package)?;
    let contents = dpkg_deb(&["--contents"], package)?;
    println!("{info}\n{contents}");
    let conffiles = dpkg_deb_field(package, "conffiles")?;
    let postinst = dpkg_deb_field(package, "postinst")?;
    let postrm = dpkg_deb_field(package, "postrm")?;
    let architecture = host_architecture()?;
    let listed = |path: &str| contents.contains(&format!("./{path}"));
    let conffile = |path: &str| {
        conffiles
            .lines()
            .any(|line| line.trim() == format!("/{path}"))
    };
    // `dpkg-deb --contents` lists `-rw------- 0/0 … ./etc/ocena/sync-server.env` (uid/gid 0).
    let secrets_root_only = contents.lines().any(|line| {
        line.ends_with(&format!("./{SECRETS_PATH}"))
            && (line.starts_with("-rw------- 0/0 ") || line.starts_with("-rw------- root/root "))
    });
    let checks = [
        (
            format!("Architecture: {architecture}"),
            info.contains(&format!("Architecture: {architecture}")),
        ),
        (
            "the binary in /usr/bin".into(),
            listed("usr/bin/sync-server"),
        ),
        ("the systemd unit".into(), listed(UNIT_PATH)),
        (
            "the configuration as a conffile".into(),
            conffile(CONFIG_PATH),
        ),
        (
            "the secrets file as a conffile".into(),
            conffile(SECRETS_PATH),
        ),
        (
            "the secrets file mode 0600, owned by root".into(),
            secrets_root_only,
        ),
        (
            "SECURITY.md".into(),
            listed("usr/share/doc/ocena-sync-server/SECURITY.md"),
        ),
        (
            "postinst creating the system user".into(),
            postinst.contains("adduser --quiet --system"),
        ),
        (
            "postinst keeping the secrets root-only".into(),
            postinst.contains("chmod 0600"),
        ),
        (
            "postinst enabling the service".into(),
            postinst.contains("deb-systemd-helper"),
        ),
        (
            "postrm keeping the database on purge".into(),
            postrm.contains("/var/backups/ocena-sync-server"),
        ),
        (
            "nothing packaged under /var/lib (upgrades never touch the database)".into(),
            !contents.contains("./var/lib/"),
        ),
    ];
    let missing: Vec<&str> = checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(what, _)| what.as_str())
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} is incomplete: {}",
            package.display(),
            missing.join("; ")
        );
    }
    let unit = extract_file(package, &format!("./{UNIT_PATH}"))?;
    for line in [
        "User=ocena-sync",
        "StateDirectory=ocena-sync-server",
        "UMask=0077",
        "EnvironmentFile=-/etc/ocena/sync-server.env",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
        "WantedBy=multi-user.target",
    ] {
        if !unit.lines().any(|l| l.trim() == line) {
            bail!("the packaged unit lacks `{line}`");
        }
    }
    Ok(())
}

/// Unpacks the package into `root` (a throwaway directory; no maintainer scripts run) and checks
/// what an installation would hold: modes, the binary on its configuration, and the unit.
fn check_installed(package: &Path, root: &Path) -> anyhow::Result<()> {
    if root.exists() {
        std::fs::remove_dir_all(root)
            .with_context(|| format!("cannot clear {}", root.display()))?;
    }
    output_of(Command::new("dpkg-deb").arg("-x").arg(package).arg(root))?;

    let secrets = std::fs::metadata(root.join(SECRETS_PATH))
        .with_context(|| format!("the package has no {SECRETS_PATH}"))?;
    if secrets.permissions().mode() & 0o777 != 0o600 || secrets.uid() != 0 {
        bail!(
            "{SECRETS_PATH} is mode {:o}, owner {}: it must be 0600, owned by root",
            secrets.permissions().mode() & 0o777,
            secrets.uid()
        );
    }

    // The binary runs and accepts the packaged configuration; under the unit's UMask=0077 the
    // database it creates is readable by its user alone.
    let binary = root.join("usr/bin/sync-server");
    let version = output_of(Command::new(&binary).arg("--version"))?;
    let scratch = root.join("var/lib/ocena-sync-server");
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    output_of(
        Command::new("sh")
            .arg("-c")
            .arg("umask 0077 && exec \"$0\" --config \"$1\" seed-offices")
            .arg(&binary)
            .arg(root.join(CONFIG_PATH))
            .env("OCENA_SERVER_DATABASE", scratch.join("sync-server.db"))
            .env_remove("OCENA_SERVER_LISTEN"),
    )
    .context("the packaged binary refuses its packaged configuration")?;
    for entry in std::fs::read_dir(&scratch)? {
        let entry = entry?;
        let mode = entry.metadata()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            bail!(
                "{} was created mode {mode:o} under UMask=0077",
                entry.path().display()
            );
        }
    }

    // `systemd-analyze verify` resolves ExecStart on this machine: point it at the unpacked
    // binary. Warnings (unknown keys, bad values) fail the check as errors do.
    let unit_text = std::fs::read_to_string(root.join(UNIT_PATH))?;
    let verify_dir = root.join("verify");
    std::fs::create_dir_all(&verify_dir)?;
    let verify_unit = verify_dir.join("ocena-sync-server.service");
    std::fs::write(
        &verify_unit,
        unit_text.replace("/usr/bin/sync-server", &binary.to_string_lossy()),
    )?;
    let verified = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&verify_unit)
        .output()
        .context("cannot run systemd-analyze")?;
    let complaints = String::from_utf8_lossy(&verified.stderr);
    if !verified.status.success() || !complaints.trim().is_empty() {
        bail!("systemd-analyze verify refuses the unit: {complaints}");
    }

    let security = output_of(
        Command::new("systemd-analyze")
            .args(["security", "--offline=yes", "--no-pager"])
            .arg(format!("--root={}", root.display()))
            .arg("ocena-sync-server.service"),
    )?;
    let exposure = exposure(&security)
        .with_context(|| format!("no overall exposure in systemd-analyze security:\n{security}"))?;
    println!("{security}");
    if exposure > MAX_EXPOSURE {
        bail!("the unit's exposure is {exposure}, above {MAX_EXPOSURE}");
    }
    println!(
        "Installed into {}: {} runs on its configuration, files 0600, secrets root-only, the unit \
         verifies, exposure {exposure} (at most {MAX_EXPOSURE}).",
        root.display(),
        version.trim()
    );
    Ok(())
}

/// The number of `→ Overall exposure level for ocena-sync-server.service: 1.2 OK 🙂`.
fn exposure(report: &str) -> Option<f64> {
    let line = report
        .lines()
        .find(|line| line.contains("Overall exposure level"))?;
    line.rsplit_once(": ")?
        .1
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn host_architecture() -> anyhow::Result<String> {
    Ok(output_of(Command::new("dpkg").arg("--print-architecture"))?
        .trim()
        .to_owned())
}

/// Runs a command; its stdout, or an error with its stderr.
fn output_of(command: &mut Command) -> anyhow::Result<String> {
    let out = command
        .output()
        .with_context(|| format!("cannot run {:?}", command.get_program()))?;
    if !out.status.success() {
        bail!(
            "{:?} failed ({}): {}",
            command.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packaged_config_points_at_the_service_data_dir() {
        let packaged = packaged_config(
            "listen = \"127.0.0.1:8080\"\ndatabase = \"/var/lib/ocena/sync-server.db\"\n",
        )
        .expect("rewrites");
        assert!(
            packaged.contains("database = \"/var/lib/ocena-sync-server/sync-server.db\"\n"),
            "{packaged}"
        );
        assert!(packaged.starts_with("# Installed by the ocena-sync-server package"));
        let err = packaged_config("database = \"/srv/x.db\"\n").expect_err("no line");
        assert!(
            err.to_string().contains("/var/lib/ocena/sync-server.db"),
            "{err}"
        );
        let example = include_str!("../../sync-server/sync-server.example.toml");
        packaged_config(example).expect("the example still has the line this step rewrites");
    }

    #[test]
    fn the_exposure_is_read_from_the_report() {
        let report =
            "✓ UMask= …\n\n→ Overall exposure level for ocena-sync-server.service: 1.2 OK 🙂\n";
        assert_eq!(exposure(report), Some(1.2));
        assert_eq!(exposure("nothing"), None);
    }
}
