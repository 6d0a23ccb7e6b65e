//! The real aggregator (`sync-server`, the workspace's debug build) on the host's loopback, with
//! the Płock offices and the test desk set up through its CLI; killed when dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The desk the guest's kiosk is enrolled for: the packaged configuration's.
pub const DESK_ID: &str = "plock-wso-03";
pub const DESK_NAME: &str = "Wydział Spraw Obywatelskich — stanowisko 3";

pub struct Aggregator {
    binary: PathBuf,
    config: PathBuf,
    database: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

/// One answer as the aggregator stored it.
pub struct StoredAnswer {
    pub copies: u64,
    pub event_utc_ms: i64,
}

impl Aggregator {
    /// Writes the config (a free loopback port) and seeds the offices, a department and the desk.
    pub fn set_up(binary: &Path, dir: &Path) -> anyhow::Result<Aggregator> {
        std::fs::create_dir_all(dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let database = dir.join("server.db");
        let config = dir.join("sync-server.toml");
        std::fs::write(
            &config,
            format!("listen = \"127.0.0.1:{port}\"\ndatabase = {database:?}\n"),
        )?;
        let aggregator = Aggregator {
            binary: binary.to_owned(),
            config,
            database,
            port,
            child: None,
        };
        aggregator.admin(&["seed-offices"])?;
        aggregator.admin(&[
            "department",
            "add",
            "--office",
            "plock",
            "--id",
            "wso",
            "--name",
            "Wydział Spraw Obywatelskich",
        ])?;
        aggregator.admin(&[
            "desk",
            "add",
            "--office",
            "plock",
            "--department",
            "wso",
            "--id",
            DESK_ID,
            "--name",
            DESK_NAME,
            "--standards",
            "IV,III,II,IX",
        ])?;
        Ok(aggregator)
    }

    /// Runs an administration command and returns its standard output.
    pub fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .context("cannot run sync-server")?;
        if !output.status.success() {
            bail!(
                "sync-server {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// Starts `serve`, its log appended to `log`, and waits until it accepts connections.
    pub fn start(&mut self, log: &Path) -> anyhow::Result<()> {
        let log = std::fs::File::create(log)?;
        let mut child = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .env("RUST_LOG", "info")
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .context("cannot start sync-server")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = child.try_wait()? {
                bail!("sync-server exited at start ({status})");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("sync-server did not listen on 127.0.0.1:{}", self.port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child = Some(child);
        Ok(())
    }

    /// Every answer the aggregator holds, by id.
    pub fn answers(&self) -> anyhow::Result<HashMap<String, StoredAnswer>> {
        let db = rusqlite::Connection::open_with_flags(
            &self.database,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let mut select =
            db.prepare("SELECT id, count(*), max(event_utc_ms) FROM answers GROUP BY id")?;
        let rows = select.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                StoredAnswer {
                    copies: row.get::<_, i64>(1)?.unsigned_abs(),
                    event_utc_ms: row.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Drop for Aggregator {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
