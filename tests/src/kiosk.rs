//! A real `kiosk` binary for whole-system tests: its own config and data directory, records
//! simulated offline, enrolled and synced through its CLI, its buffer read back for checks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A real `kiosk` with its own data directory and buffer, driven through its CLI.
pub struct Kiosk {
    pub desk: String,
    binary: PathBuf,
    config: PathBuf,
    data_dir: PathBuf,
}

impl Kiosk {
    /// A kiosk for `desk` (a Płock desk) in `dir/<desk>`.
    pub fn set_up(dir: &Path, desk: &str) -> anyhow::Result<Kiosk> {
        let home = dir.join(desk);
        std::fs::create_dir_all(&home)?;
        let data_dir = home.join("data");
        let config = crate::kiosk_config(&home, &data_dir)?;
        let text = std::fs::read_to_string(&config)?.replace("plock-wso-03", desk);
        std::fs::write(&config, text)?;
        Ok(Kiosk {
            desk: desk.to_owned(),
            binary: crate::binary("kiosk")?,
            config,
            data_dir,
        })
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .arg("--config")
            .arg(&self.config)
            .env("RUST_LOG", "warn");
        command
    }

    /// Records `visits` simulated visits offline; returns the printed record ids.
    pub fn simulate(&self, visits: u64, seed: u64) -> anyhow::Result<Vec<String>> {
        let output = self
            .command()
            .args([
                "simulate",
                "--visits",
                &visits.to_string(),
                "--seed",
                &seed.to_string(),
            ])
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "simulate failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// Enrolls at `server` with a one-time `code`.
    pub fn enroll(&self, server: &str, code: &str) -> anyhow::Result<()> {
        let output = self
            .command()
            .args(["enroll", "--server", server, "--code", code])
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "enroll failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }

    /// Points the kiosk at `server` (keeping its token) and pushes the backlog; true when empty.
    pub fn sync_once(&self, server: &str, timeout_s: u64) -> anyhow::Result<bool> {
        self.point_at(server)?;
        Ok(self
            .command()
            .args(["sync", "--once", "--timeout-s", &timeout_s.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?
            .success())
    }

    /// Starts `sync --once` against the server it points at, without waiting.
    pub fn start_sync(&self, timeout_s: u64) -> anyhow::Result<Child> {
        Ok(self
            .command()
            .args(["sync", "--once", "--timeout-s", &timeout_s.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?)
    }

    /// Points the kiosk at `server`, keeping its token.
    pub fn point_at(&self, server: &str) -> anyhow::Result<()> {
        let path = self.data_dir.join("enrollment.json");
        let mut enrollment: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path)?)?;
        enrollment["server"] = server.into();
        std::fs::write(&path, serde_json::to_string(&enrollment)?)?;
        Ok(())
    }

    /// Every record id the kiosk holds; an error while any is unsynced.
    pub fn record_ids(&self) -> anyhow::Result<HashSet<String>> {
        let db = rusqlite::Connection::open(self.data_dir.join("kiosk.db"))?;
        let unsynced: i64 = db.query_row(
            "SELECT count(*) FROM answers WHERE synced_at_ms IS NULL",
            [],
            |r| r.get(0),
        )?;
        anyhow::ensure!(
            unsynced == 0,
            "{}: {unsynced} records still unsynced",
            self.desk
        );
        let mut select = db.prepare("SELECT id FROM answers")?;
        let ids = select
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<_, _>>()?;
        Ok(ids)
    }
}

/// Checks that the aggregator, holding `on_server`, has every record of `kiosks` once and
/// nothing else, and returns how many that is. Its answers are keyed by id, so a duplicate
/// cannot hide there; an extra id would be one the kiosks never recorded.
pub fn held_exactly_once(kiosks: &[Kiosk], on_server: &HashSet<String>) -> anyhow::Result<usize> {
    let mut expected = HashSet::new();
    for kiosk in kiosks {
        let ids = kiosk.record_ids()?;
        let missing: Vec<_> = ids.difference(on_server).take(5).collect();
        anyhow::ensure!(missing.is_empty(), "{}: lost {missing:?}", kiosk.desk);
        expected.extend(ids);
    }
    anyhow::ensure!(
        *on_server == expected,
        "the aggregator holds {} ids, the kiosks {}",
        on_server.len(),
        expected.len()
    );
    Ok(expected.len())
}
