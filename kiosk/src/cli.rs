//! The kiosk's command line, for facilities staff: run the app, simulate visits, export and status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use std::time::{Duration, Instant};

use model::wire::EnrollRequest;

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::report::error_chain;
use crate::store::Store;
use crate::sync::{Backoff, Enrollment, SyncClient, SyncError};

/// Ocena kiosk: clients rate the service at the desk.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// The kiosk's configuration file.
    #[arg(
        long,
        global = true,
        env = "OCENA_KIOSK_CONFIG",
        default_value = "/etc/ocena/kiosk.toml"
    )]
    pub config: PathBuf,
    /// Use this data directory instead of the config's `data_dir`.
    #[arg(long, global = true, env = "OCENA_KIOSK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the touchscreen app (a window on a desktop, the display itself on a Pi).
    Run,
    /// Record visits headlessly through the same path as taps; prints each record id once durable.
    Simulate {
        /// How many visits to record.
        #[arg(long, default_value_t = 10)]
        visits: u64,
        /// Seed for the simulated clients' choices (random if not given).
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Write every buffered record as JSON lines, for when sync is impossible.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Show records buffered, the oldest unsynced one and database health.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the example configuration, a starting point for a new desk.
    ExampleConfig,
    /// Enroll this kiosk at the aggregator with a code issued for its desk.
    Enroll {
        /// The aggregator's address, e.g. https://ocena.plock.eu
        #[arg(long)]
        server: String,
        /// The single-use enrollment code.
        #[arg(long)]
        code: String,
    },
    /// Interactive self-test of the desk's parts for facilities staff (stop the kiosk service
    /// first): buttons, LED, presence sensor, backlight, touch corners, speaker. Exits 0 only
    /// if nothing failed.
    HwTest {
        /// Seconds allowed to press each button, approach the sensor and touch the corners.
        #[arg(long, default_value_t = 15)]
        wait_s: u64,
    },
    /// Push the whole backlog to the aggregator now; exits 0 only when nothing is left.
    Sync {
        /// Push once and exit (the running kiosk syncs by itself).
        #[arg(long, required = true)]
        once: bool,
        /// Give up retrying after this many seconds.
        #[arg(long, default_value_t = 120)]
        timeout_s: u64,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::ExampleConfig = cli.command {
        print!("{}", crate::config::EXAMPLE);
        return Ok(ExitCode::SUCCESS);
    }
    let mut config = Config::load(&cli.config)?;
    if let Some(data_dir) = cli.data_dir {
        config.data_dir = data_dir;
    }
    match cli.command {
        Command::Run => run_app(&config),
        Command::Simulate { visits, seed } => {
            let seed = seed.unwrap_or_else(rand::random);
            tracing::info!(visits, seed, data_dir = %config.data_dir.display(), "simulating visits");
            // The same survey the touchscreen would show: the aggregator's cached one if any.
            let config = crate::sync::survey::effective_config(config);
            let mut stdout = std::io::stdout().lock();
            crate::simulate::simulate(
                &config,
                Arc::new(SystemClock::new()),
                visits,
                seed,
                |record| {
                    // One line per durable record; flushed at once so a watcher sees it before a crash.
                    writeln!(stdout, "{}", record.id).and_then(|()| stdout.flush())
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { output } => {
            let opened = Store::open(&config.data_dir)?;
            let count = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    let mut out = std::io::BufWriter::new(file);
                    let count = opened.store.export_json_lines(&mut out)?;
                    out.flush()
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    count
                }
                None => opened
                    .store
                    .export_json_lines(&mut std::io::stdout().lock())?,
            };
            tracing::info!(count, "exported");
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            // The out-of-service screen shows only the fault's code: say which one this is.
            let opened = Store::open(&config.data_dir).map_err(|e| {
                let code = e.screen_code();
                anyhow::Error::new(e).context(format!(
                    "answers cannot be stored (code {code} on the out-of-service screen)"
                ))
            })?;
            if let Some(moved) = &opened.moved_aside {
                println!(
                    "warning: the database was corrupt and was moved to {}",
                    moved.display()
                );
            }
            let status = opened.store.status()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else {
                print!("{}", describe_status(&status));
            }
            Ok(if status.integrity == "ok" {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::ExampleConfig => Ok(ExitCode::SUCCESS),
        Command::Enroll { server, code } => enroll(&config, &server, &code),
        Command::HwTest { wait_s } => hw_test(&config, Duration::from_secs(wait_s)),
        Command::Sync { once: _, timeout_s } => sync_once(&config, Duration::from_secs(timeout_s)),
    }
}

fn enroll(config: &Config, server: &str, code: &str) -> anyhow::Result<ExitCode> {
    let clock = SystemClock::new();
    let client = SyncClient::new(server, &config.sync)?;
    let response = client
        .enroll(&EnrollRequest {
            code: code.trim().to_owned(),
            kiosk_version: env!("CARGO_PKG_VERSION").to_owned(),
            clock: clock.now(),
        })
        .with_context(|| format!("enrollment at {server} failed"))?;
    let enrollment = Enrollment {
        server: client.server().to_owned(),
        kiosk_id: response.kiosk_id.clone(),
        token: response.token,
    };
    enrollment.save(&config.data_dir)?;
    println!(
        "enrolled as kiosk {} for desk {} ({}) at {}",
        response.kiosk_id, response.survey.desk_id, response.survey.desk_name, enrollment.server
    );
    Ok(ExitCode::SUCCESS)
}

fn sync_once(config: &Config, timeout: Duration) -> anyhow::Result<ExitCode> {
    let enrollment = Enrollment::load(&config.data_dir)?
        .context("this kiosk is not enrolled: run `kiosk enroll --server URL --code CODE` first")?;
    let client = SyncClient::new(&enrollment.server, &config.sync)?.with_token(&enrollment.token);
    let clock = SystemClock::new();
    let mut store = Store::open(&config.data_dir)?.store;
    let deadline = Instant::now() + timeout;
    let mut backoff = Backoff::for_sync();
    loop {
        let waiting = store.status()?.unsynced;
        let outcome = crate::sync::push_backlog(&mut store, &client, &clock);
        let now_ms = clock.now().wall_clock_ms;
        match outcome {
            Ok(report) => {
                store.note_sync_attempt(now_ms, None)?;
                let status = store.status()?;
                println!(
                    "synced: {} records acknowledged in {} batches, {} rejected, {} left",
                    report.settled, report.batches, report.rejected, status.unsynced
                );
                send_heartbeat(&client, &clock, status);
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => {
                let fatal = matches!(e, SyncError::Unauthorized);
                let retry_after = e.retry_after();
                let message = error_chain(&e);
                store.note_sync_attempt(now_ms, Some(&message))?;
                if fatal {
                    anyhow::bail!("{message}");
                }
                let moved_records = store.status()?.unsynced < waiting;
                let delay = backoff.after_failure(moved_records, retry_after);
                if Instant::now() + delay > deadline {
                    anyhow::bail!("gave up after {}s: {message}", timeout.as_secs());
                }
                tracing::warn!(%message, retry_in_ms = delay.as_millis() as u64, "sync failed; retrying");
                std::thread::sleep(delay);
            }
        }
    }
}

fn send_heartbeat(client: &SyncClient, clock: &SystemClock, status: crate::store::StoreStatus) {
    if let Err(e) = client.heartbeat(&crate::sync::heartbeat(status, clock)) {
        tracing::warn!(error = %error_chain(&e), "heartbeat failed");
    }
}

fn run_app(local: &Config) -> anyhow::Result<ExitCode> {
    let clock = Arc::new(SystemClock::new());
    let config = crate::sync::survey::effective_config(local.clone());
    let app = crate::app::KioskApp::new(&config, clock.clone())
        .context("cannot start the kiosk window")?;
    let speaker = speech::Speaker::new(speech::SpeechConfig::default());
    let languages: Vec<&str> = config.desk.languages.iter().map(|l| l.as_str()).collect();
    for problem in speaker.check(&languages) {
        // Shown to staff through the log; the kiosk works on without speech.
        tracing::error!(%problem, "read-aloud is impaired");
    }
    app.attach_speech(Arc::new(speaker));
    attach_desk(&app, &config.hardware)?;
    let _sync = crate::sync::SyncService::start(
        local.clone(),
        clock,
        app.config_updates(),
        app.sync_status_updates(),
    );
    let _watchdog = crate::watchdog::start(&config.data_dir);
    app.run().context("the kiosk window failed")?;
    Ok(ExitCode::SUCCESS)
}

/// Chooses the desk's hardware once, as configured, logs which, and gives it to the app.
fn attach_desk(
    app: &crate::app::KioskApp,
    config: &hardware::HardwareConfig,
) -> anyhow::Result<()> {
    match config.backend {
        hardware::Backend::Simulator => {
            let desk = hardware::Simulator::new();
            tracing::info!(
                "desk hardware: simulator (keys in the window: 1-4 faces, R read aloud, P presence)"
            );
            app.use_keyboard_as_desk(desk.clone());
            app.attach_hardware(Box::new(desk));
        }
        // `hardware::open` logs the wiring it opened.
        hardware::Backend::Gpio => app.attach_hardware(open_gpio(config)?),
    }
    Ok(())
}

fn hw_test(config: &Config, wait: Duration) -> anyhow::Result<ExitCode> {
    let hardware: Box<dyn hardware::Hardware> = match config.hardware.backend {
        hardware::Backend::Simulator => {
            eprintln!(
                "warning: hardware.backend is \"simulator\": no physical part can answer; \
                 set it to \"gpio\" on the kiosk"
            );
            Box::new(hardware::Simulator::new())
        }
        hardware::Backend::Gpio => open_gpio(&config.hardware)?,
    };
    let speaker = speech::Speaker::new(speech::SpeechConfig::default());
    let mut corners = crate::hw_test::ScreenCorners;
    let mut stdout = std::io::stdout();
    let report = crate::hw_test::SelfTest::new(
        hardware,
        &config.hardware,
        &speaker,
        &mut corners,
        crate::hw_test::Answers::from_reader(std::io::BufReader::new(std::io::stdin())),
        &mut stdout,
        wait,
    )
    .run()?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The Raspberry Pi's GPIO backend (a clear error in a build without the `pi` feature).
fn open_gpio(config: &hardware::HardwareConfig) -> anyhow::Result<Box<dyn hardware::Hardware>> {
    hardware::open(config).context("cannot open the desk's hardware")
}

/// `kiosk status` as text for staff.
fn describe_status(status: &crate::store::StoreStatus) -> String {
    let when = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| format!("{ms} ms since 1970"))
    };
    let oldest = match &status.oldest_unsynced {
        None => "none: everything is synced".to_owned(),
        Some(o) => format!(
            "#{} recorded {} ({})",
            o.sequence,
            when(o.wall_clock_ms),
            if o.clock_synchronized {
                "clock synchronised"
            } else {
                "clock NOT synchronised"
            }
        ),
    };
    format!(
        "database         {} ({} KiB, schema {}, integrity {})\n\
         records          {} buffered, {} not yet synced\n\
         oldest unsynced  {oldest}\n\
         last sync        {}\n",
        status.path.display(),
        status.file_bytes.div_ceil(1024),
        status.schema_version,
        status.integrity,
        status.records,
        status.unsynced,
        match (&status.last_sync_error, status.last_sync_success_ms) {
            (Some(error), _) => format!("FAILED: {error}"),
            (None, Some(ms)) => format!("ok at {}", when(ms)),
            (None, None) => "never".to_owned(),
        },
    )
}
