//! Ocena's chores behind `cargo xtask`: the quick start, the full test run with its system
//! packages, screenshots of every kiosk screen, translation upkeep, and the Raspberry Pi build,
//! its tests under qemu and its Debian package, and the aggregator's package.

#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

mod api_fuzz;
mod deb;
mod deb_server;
mod fuzz;
mod i18n;
mod pi;
mod pi_system;
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
    /// Cross-build the kiosk for the Raspberry Pi (aarch64, linuxkms, GPIO), installing the
    /// cross toolchain and arm64 libraries first if missing.
    PiBuild,
    /// Run the aarch64 build's hardware-independent tests under qemu-user.
    PiTest,
    /// Build the Raspberry Pi's Debian package (cargo-deb) from the pi-build binary and check
    /// that it holds the service, the configuration and the user set-up.
    Deb,
    /// The packaged kiosk in an emulated arm64 machine (QEMU, Debian 12, DRM display, touch):
    /// install, enroll, screen, tap to the aggregator, watchdog, power cuts, upgrade and purge.
    PiSystemTest {
        /// How many times to cut the power while answers are recorded (30 for the long run).
        #[arg(long, default_value_t = 5)]
        power_cuts: usize,
        /// Install a deliberately broken package instead, to see the test name the fault.
        #[arg(long = "break", value_enum)]
        breakage: Option<pi_system::Breakage>,
    },
    /// Build the aggregator's Debian package (cargo-deb, this machine's architecture) and check
    /// it: contents, an unpacked install, `systemd-analyze verify` and `security`.
    DebServer,
    /// Run every cargo-fuzz target in `fuzz/` for a while each (installs cargo-fuzz if missing).
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Only this target (default: all, one after another).
        #[arg(long)]
        target: Option<String>,
    },
    /// Run schemathesis from the aggregator's OpenAPI document against a seeded server on
    /// loopback (installs schemathesis from PyPI into the target directory if missing).
    ApiFuzz {
        /// Test cases per operation.
        #[arg(long, default_value_t = 20)]
        max_examples: u32,
        /// Time budget for the whole run, in seconds.
        #[arg(long, default_value_t = 600)]
        max_seconds: u64,
    },
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
        Chore::PiBuild => pi::build().map(drop),
        Chore::PiTest => pi::test(),
        Chore::Deb => deb::run().map(drop),
        Chore::PiSystemTest {
            power_cuts,
            breakage,
        } => pi_system::run(power_cuts, breakage),
        Chore::DebServer => deb_server::run().map(drop),
        Chore::Fuzz { seconds, target } => fuzz::run(seconds, target.as_deref()),
        Chore::ApiFuzz {
            max_examples,
            max_seconds,
        } => api_fuzz::run(max_examples, max_seconds),
    }
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` if set, else `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// Debian packages the test suite uses, with a command that proves each is there. Chromium and
/// its WebDriver run the dashboard's browser tests; npm fetches axe-core for them.
const TEST_PACKAGES: &[(&str, &str)] = &[
    ("gettext", "msgfmt"),
    ("espeak-ng", "espeak-ng"),
    ("chromium", "chromium"),
    ("chromium-driver", "chromedriver"),
    ("npm", "npm"),
];

/// The axe-core release line the accessibility checks use.
const AXE_CORE: &str = "axe-core@4";
/// The environment variable that tells the browser tests where axe-core is
/// (`tests::browser::AXE_CORE_ENV`).
const AXE_CORE_ENV: &str = "OCENA_AXE_CORE";

/// The Debian packages the tests need that put nothing on `PATH`: `postgresql` brings the
/// server binaries the throwaway PostgreSQL of the storage tests runs (`throwaway-postgres`).
const TEST_DEBS: &[&str] = &["postgresql"];

fn test() -> anyhow::Result<()> {
    install_missing(TEST_PACKAGES)?;
    install_missing_debs(TEST_DEBS)?;
    let axe = install_axe_core()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let args = ["test", "--workspace", "--all-targets", "--locked"];
    let status = Command::new(cargo)
        .args(args)
        .env(AXE_CORE_ENV, &axe)
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        bail!("cargo {} failed: {status}", args.join(" "));
    }
    Ok(())
}

/// Installs axe-core from npm into the target directory (not committed) unless it is there;
/// returns the package's directory.
fn install_axe_core() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace_root().join("target"), PathBuf::from);
    let prefix = target.join("axe-core");
    let package = prefix.join("node_modules").join("axe-core");
    if package.join("axe.min.js").is_file() {
        return Ok(package);
    }
    println!("Installing {AXE_CORE} from npm into {}", prefix.display());
    let status = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .arg(AXE_CORE)
        .status()
        .context("npm is needed to install axe-core for the browser tests")?;
    if !status.success() || !package.join("axe.min.js").is_file() {
        bail!(
            "npm install {AXE_CORE} failed ({status}): the dashboard's accessibility tests need it"
        );
    }
    Ok(package)
}

/// Where the demo listens; override with OCENA_DEMO_LISTEN (e.g. 127.0.0.1:9090).
const DEMO_LISTEN: &str = "127.0.0.1:8080";
/// The demo desk the local kiosk joins: the one `kiosk-config/kiosk.example.toml` names.
const DEMO_DESK: &str = "plock-wso-03";

/// The demo's dashboard admin; its password is new at every run.
const DEMO_ADMIN: &str = "admin";

/// A fresh password for the demo admin: 96 random bits as hex.
fn demo_password() -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for the demo password")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The quick start: the aggregator on its embedded SQLite seeded with `sync-server demo`, and a
/// kiosk enrolled to one of the demo's Płock desks — a window where there is a display, a
/// headless simulated kiosk where there is none.
fn run() -> anyhow::Result<()> {
    let root = workspace_root();
    let demo = root.join("target").join("ocena-demo");
    if demo.exists() {
        std::fs::remove_dir_all(&demo)
            .with_context(|| format!("cannot reset the demo in {}", demo.display()))?;
    }
    std::fs::create_dir_all(&demo).with_context(|| format!("cannot create {}", demo.display()))?;
    cargo(&[
        "build",
        "--package",
        "kiosk",
        "--package",
        "sync-server",
        "--locked",
    ])?;
    let bin = root.join("target/debug");

    let listen = std::env::var("OCENA_DEMO_LISTEN").unwrap_or_else(|_| DEMO_LISTEN.into());
    let server_config = demo.join("sync-server.toml");
    std::fs::write(
        &server_config,
        format!(
            "listen = \"{listen}\"\ndatabase = {:?}\n",
            demo.join("server.db")
        ),
    )?;
    let server = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(bin.join("sync-server"))
            .arg("--config")
            .arg(&server_config)
            .args(args)
            .output()?;
        if !output.status.success() {
            bail!(
                "sync-server {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    println!("Seeding the aggregator with demo data (`sync-server demo`, about half a minute)…");
    println!("{}", server(&["demo"])?);
    let password = demo_password()?;
    let mut create_admin = Command::new(bin.join("sync-server"))
        .arg("--config")
        .arg(&server_config)
        .args(["admin", "create", "--username", DEMO_ADMIN])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("cannot run sync-server admin create")?;
    if let Some(mut stdin) = create_admin.stdin.take() {
        use std::io::Write;
        writeln!(stdin, "{password}")?;
    }
    if !create_admin.wait()?.success() {
        bail!("sync-server admin create failed");
    }
    let mut aggregator = Command::new(bin.join("sync-server"))
        .arg("--config")
        .arg(&server_config)
        .arg("serve")
        .spawn()
        .context("cannot start sync-server")?;
    let url = format!("http://{listen}");
    wait_for_listener(&listen, &mut aggregator)?;

    let kiosk_config = demo.join("kiosk.toml");
    let example = std::fs::read_to_string(root.join("kiosk-config/kiosk.example.toml"))?;
    let data_dir = demo.join("kiosk-data");
    std::fs::write(
        &kiosk_config,
        example.replace("/var/lib/ocena", &data_dir.to_string_lossy()),
    )?;
    let kiosk = |args: &[&str]| -> anyhow::Result<()> {
        let status = Command::new(bin.join("kiosk"))
            .arg("--config")
            .arg(&kiosk_config)
            .args(args)
            .status()?;
        if !status.success() {
            bail!("kiosk {} failed: {status}", args.join(" "));
        }
        Ok(())
    };
    let code = server(&["enroll-code", "--desk", DEMO_DESK])?;
    kiosk(&["enroll", "--server", &url, "--code", &code])?;
    println!(
        "\nOcena is running: the aggregator at {url} (SQLite in {}),",
        demo.display()
    );
    println!(
        "seeded with demo data for the five offices, and a kiosk for desk {DEMO_DESK} enrolled to it."
    );
    println!(
        "The dashboard: {url}/dashboard/login — user {DEMO_ADMIN}, password {password} (this run only)."
    );

    // An empty variable is no display, as for winit.
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let outcome = if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        println!("The kiosk opens in a window and syncs by itself; close it to stop.\n");
        kiosk(&["run"])
    } else {
        println!(
            "No display: a simulated client visits every 10 s and the kiosk syncs; Ctrl-C stops.\n"
        );
        loop {
            let step = kiosk(&["simulate", "--visits", "3"])
                .and_then(|()| kiosk(&["sync", "--once"]))
                .and_then(|()| kiosk(&["status"]))
                .and_then(|()| server(&["kiosks"]).map(|list| println!("{list}\n")));
            if let Err(e) = step {
                break Err(e);
            }
            std::thread::sleep(std::time::Duration::from_secs(10));
        }
    };
    let _ = aggregator.kill();
    outcome
}

/// Waits until the aggregator accepts connections (or has exited with an error).
fn wait_for_listener(listen: &str, aggregator: &mut std::process::Child) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(listen).is_err() {
        if let Some(status) = aggregator.try_wait()? {
            bail!(
                "sync-server exited ({status}); is {listen} already in use? Set OCENA_DEMO_LISTEN"
            );
        }
        if std::time::Instant::now() > deadline {
            bail!("sync-server did not start listening on {listen}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Ok(())
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
    apt_install(&missing)
}

/// Installs, with apt-get, the Debian packages (`name` or `name:arch`) dpkg does not have.
fn install_missing_debs(packages: &[&str]) -> anyhow::Result<()> {
    let missing = |packages: &[&str]| -> Vec<String> {
        packages
            .iter()
            .filter(|package| !deb_installed(package))
            .map(|package| (*package).to_owned())
            .collect()
    };
    // Installing one package can remove another that was there: a newer qemu-utils from
    // backports gives way to qemu-system-arm's own version. So look again, and install what went.
    for _ in 0..2 {
        let needed = missing(packages);
        if needed.is_empty() {
            return Ok(());
        }
        apt_install(&needed.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    let still = missing(packages);
    if still.is_empty() {
        Ok(())
    } else {
        bail!(
            "apt-get install left {} not installed (another package removes it?)",
            still.join(" ")
        )
    }
}

fn deb_installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["--show", "--showformat=${db:Status-Status}", package])
        .output()
        .is_ok_and(|out| out.status.success() && out.stdout == b"installed")
}

fn apt_install(missing: &[&str]) -> anyhow::Result<()> {
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
    install.extend(missing);
    apt(&install)
}

fn which(command: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(command))
        .find(|path| path.is_file())
}
