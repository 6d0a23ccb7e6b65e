//! The real `sync-server` binary for whole-system tests: its own SQLite file (or a PostgreSQL
//! database, which several processes may share), set up through its CLI, started on port 0 (the
//! port it picks is kept for restarts), killed with SIGKILL; and checks read or written straight
//! in its database, the same on either engine.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use throwaway_postgres::{TestDatabase, off_async_runtime};

pub use crate::engine::Engine;

/// A `sync-server` with the Płock offices seeded and one department, `plock/wso`.
pub struct Server {
    binary: PathBuf,
    config: PathBuf,
    /// The SQLite file; empty on PostgreSQL.
    pub database: PathBuf,
    /// The `database` setting as written in the config file (a TOML string).
    database_setting: String,
    /// The PostgreSQL database's URL, for checks; `None` on SQLite.
    postgres_url: Option<String>,
    /// The throwaway PostgreSQL database set up for this server (and shared with its other
    /// processes); dropped after the server is killed.
    _own_postgres: Option<Arc<TestDatabase>>,
    address: Option<SocketAddr>,
    child: Option<Child>,
    /// More settings appended to the config file, e.g. a `[dashboard]` section.
    extra_settings: String,
}

impl Server {
    /// Like [`Server::set_up_with`], on `engine`: SQLite in `dir`, or a fresh PostgreSQL
    /// database that lives as long as this server.
    pub fn set_up_on(
        engine: Engine,
        dir: &Path,
        desks: &[&str],
        extra_settings: &str,
    ) -> anyhow::Result<Server> {
        match engine {
            Engine::Sqlite => Server::set_up_with(dir, desks, extra_settings),
            Engine::Postgres => {
                let database = Arc::new(throwaway_postgres::fresh_database()?);
                let mut server =
                    Server::set_up_on_postgres(dir, &database.url(), desks, extra_settings)?;
                server._own_postgres = Some(database);
                Ok(server)
            }
        }
    }

    /// Writes the config (listening on port 0) and seeds offices, a department and `desks`.
    pub fn set_up(dir: &Path, desks: &[&str]) -> anyhow::Result<Server> {
        Server::set_up_with(dir, desks, "")
    }

    /// Like [`Server::set_up`], with `extra_settings` (TOML) appended to the config file.
    pub fn set_up_with(dir: &Path, desks: &[&str], extra_settings: &str) -> anyhow::Result<Server> {
        let database = dir.join("server.db");
        let setting = format!("{database:?}");
        Server::seeded(
            Server::configured(dir, database, setting, None, extra_settings)?,
            desks,
        )
    }

    /// Like [`Server::set_up_with`], on the PostgreSQL database at `url` (no password in it).
    pub fn set_up_on_postgres(
        dir: &Path,
        url: &str,
        desks: &[&str],
        extra_settings: &str,
    ) -> anyhow::Result<Server> {
        let setting = format!("{url:?}");
        Server::seeded(
            Server::configured(
                dir,
                PathBuf::new(),
                setting,
                Some(url.to_owned()),
                extra_settings,
            )?,
            desks,
        )
    }

    /// A second process on this one's database (PostgreSQL), with its config in `dir` and its
    /// own port: nothing is seeded again.
    pub fn another_process(&self, dir: &Path) -> anyhow::Result<Server> {
        let mut process = Server::configured(
            dir,
            self.database.clone(),
            self.database_setting.clone(),
            self.postgres_url.clone(),
            &self.extra_settings,
        )?;
        process._own_postgres = self._own_postgres.clone();
        Ok(process)
    }

    /// Writes the config (listening on port 0) in `dir`; starts nothing and seeds nothing.
    fn configured(
        dir: &Path,
        database: PathBuf,
        database_setting: String,
        postgres_url: Option<String>,
        extra_settings: &str,
    ) -> anyhow::Result<Server> {
        let config = dir.join("sync-server.toml");
        write_config(&config, "127.0.0.1:0", &database_setting, extra_settings)?;
        Ok(Server {
            binary: crate::binary("sync-server")?,
            config,
            database,
            database_setting,
            postgres_url,
            _own_postgres: None,
            address: None,
            child: None,
            extra_settings: extra_settings.to_owned(),
        })
    }

    /// Seeds the offices, the department `plock/wso` and `desks`.
    fn seeded(server: Server, desks: &[&str]) -> anyhow::Result<Server> {
        server.admin(&["seed-offices"])?;
        server.admin(&[
            "department",
            "add",
            "--office",
            "plock",
            "--id",
            "wso",
            "--name",
            "Wydział Spraw Obywatelskich",
        ])?;
        for desk in desks {
            server.admin(&[
                "desk",
                "add",
                "--office",
                "plock",
                "--department",
                "wso",
                "--id",
                desk,
                "--name",
                &format!("Stanowisko {desk}"),
                "--standards",
                "IV,III,II,IX",
            ])?;
        }
        Ok(server)
    }

    /// Where the server listens; known after the first [`Server::start`].
    pub fn address(&self) -> SocketAddr {
        self.address
            .expect("the server's address is known once it has started")
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address())
    }

    /// Runs an administration command and returns its standard output.
    pub fn admin(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "sync-server {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs an administration command with `input` on its standard input (e.g. a password).
    pub fn admin_with_input(&self, args: &[&str], input: &str) -> anyhow::Result<String> {
        use std::io::Write;
        let mut child = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdin"))?
            .write_all(input.as_bytes())?;
        let output = child.wait_with_output()?;
        anyhow::ensure!(
            output.status.success(),
            "sync-server {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    pub fn enrollment_code(&self, desk: &str) -> anyhow::Result<String> {
        Ok(self
            .admin(&["enroll-code", "--desk", desk])?
            .trim()
            .to_owned())
    }

    /// Starts `serve` and waits until it listens. The first start binds port 0 and reads the
    /// chosen address from the log; restarts reuse that address.
    pub fn start(&mut self) -> anyhow::Result<()> {
        let mut child = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().expect("piped");
        self.child = Some(child);
        let (found, listening) = std::sync::mpsc::channel();
        // Reads the log until the server says where it listens, then keeps draining it so the
        // server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut found = Some(found);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = listening_address(&line)
                    && let Some(found) = found.take()
                {
                    let _ = found.send(address);
                }
            }
        });
        let address = listening
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| anyhow::anyhow!("the server did not say it was listening"))?;
        if self.address.is_none() {
            write_config(
                &self.config,
                &address.to_string(),
                &self.database_setting,
                &self.extra_settings,
            )?;
        }
        self.address = Some(address);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(address).is_err() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the server does not accept connections"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// The running server's process id, e.g. to read its memory in `/proc`.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL: no chance to finish a transaction or flush anything.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Opens the server's SQLite database read-only, for checks (SQLite only; [`Server::integers`]
    /// and [`Server::execute`] work on either engine).
    pub fn database(&self) -> anyhow::Result<rusqlite::Connection> {
        Ok(rusqlite::Connection::open_with_flags(
            &self.database,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?)
    }

    /// Every answer id stored.
    pub fn answer_ids(&self) -> anyhow::Result<HashSet<String>> {
        match &self.postgres_url {
            Some(url) => self.on_postgres(url, crate::postgres::answer_ids),
            None => crate::sqlite::answer_ids(&self.database()?),
        }
    }

    /// (answers the rollups should count, answers the rollups do count).
    pub fn counted_and_rolled_up(&self) -> anyhow::Result<(i64, i64)> {
        match &self.postgres_url {
            Some(url) => self.on_postgres(url, crate::postgres::counted_and_rolled_up),
            None => crate::sqlite::counted_and_rolled_up(&self.database()?),
        }
    }

    /// Runs `sql` (statements without parameters, in SQL both engines accept) on the server's
    /// database, e.g. to backdate a row; the server may be running.
    pub fn execute(&self, sql: &str) -> anyhow::Result<()> {
        match &self.postgres_url {
            Some(url) => self.on_postgres(url, |db| Ok(db.batch_execute(sql)?)),
            None => Ok(self.writable_sqlite()?.execute_batch(sql)?),
        }
    }

    /// The rows `sql` selects, every column an integer (a boolean as 0 or 1), with `parameters`
    /// bound as text to `$1`, `$2`… (SQL both engines accept).
    pub fn integers(&self, sql: &str, parameters: &[&str]) -> anyhow::Result<Vec<Vec<i64>>> {
        match &self.postgres_url {
            Some(url) => self.on_postgres(url, |db| crate::postgres::integers(db, sql, parameters)),
            None => {
                let db = self.writable_sqlite()?;
                let mut select = db.prepare(sql)?;
                let columns = select.column_count();
                let rows = select
                    .query_map(rusqlite::params_from_iter(parameters), |row| {
                        (0..columns).map(|i| row.get::<_, i64>(i)).collect()
                    })?
                    .collect::<Result<_, _>>()?;
                Ok(rows)
            }
        }
    }

    /// The one integer `sql` selects, e.g. a `count(*)`.
    pub fn integer(&self, sql: &str) -> anyhow::Result<i64> {
        match self.integers(sql, &[])?.as_slice() {
            [row] if row.len() == 1 => Ok(row[0]),
            rows => anyhow::bail!("{sql} gave {rows:?}, not one integer"),
        }
    }

    /// The SQLite file opened for writing, waiting up to 5 s for the server's transactions.
    fn writable_sqlite(&self) -> anyhow::Result<rusqlite::Connection> {
        let db = rusqlite::Connection::open_with_flags(
            &self.database,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
        )?;
        db.busy_timeout(Duration::from_secs(5))?;
        Ok(db)
    }

    /// Runs `check` with a connection of its own to the PostgreSQL database at `url`, off any
    /// async runtime (the blocking client runs one of its own).
    fn on_postgres<T: Send>(
        &self,
        url: &str,
        check: impl FnOnce(&mut postgres::Client) -> anyhow::Result<T> + Send,
    ) -> anyhow::Result<T> {
        off_async_runtime(|| {
            let mut db = url.parse::<postgres::Config>()?.connect(postgres::NoTls)?;
            check(&mut db)
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// `database` is the setting's TOML value, quotes included.
fn write_config(path: &Path, listen: &str, database: &str, extra: &str) -> anyhow::Result<()> {
    std::fs::write(
        path,
        format!("listen = \"{listen}\"\ndatabase = {database}\n{extra}\n"),
    )?;
    Ok(())
}

/// The address in the server's "sync-server listening address=…" log line.
fn listening_address(line: &str) -> Option<SocketAddr> {
    if !line.contains("sync-server listening") {
        return None;
    }
    let rest = &line[line.find("address=")? + "address=".len()..];
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_listening_address_is_read_from_the_log_line() {
        let line = "2026-11-23T22:00:00.000000Z  INFO sync_server::startup: sync-server listening address=127.0.0.1:40123";
        assert_eq!(
            super::listening_address(line),
            Some("127.0.0.1:40123".parse().expect("address"))
        );
        assert_eq!(super::listening_address("shutting down"), None);
    }
}
