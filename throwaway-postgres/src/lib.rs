//! A real PostgreSQL server for tests, no mocks: one cluster per test process (`initdb` into a
//! temporary directory, `postgres` on a unix socket there, fsync off), and a fresh database per
//! test from [`fresh_database`]. A benchmark that compares engines asks for
//! [`fresh_durable_database`] instead: the process's cluster then commits as a production one does.
//!
//! The server is run by a small `sh` supervisor that holds a pipe from the test process: when the
//! test process ends in any way (pass, fail, panic, abort, SIGKILL) the pipe closes, and the
//! supervisor stops the server and removes its directory. PostgreSQL refuses to run as root, so
//! under root (as on CI) the cluster belongs to the `postgres` system user that Debian's
//! `postgresql` package creates.

#![forbid(unsafe_code)]

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where Debian 12's `postgresql` package puts the server binaries.
pub const DEFAULT_BIN_DIR: &str = "/usr/lib/postgresql/15/bin";
/// The variable that names another directory holding `initdb` and `postgres`.
pub const BIN_DIR_ENV: &str = "OCENA_POSTGRES_BIN";
/// The port in the socket's name (`.s.PGSQL.<port>`); the server listens on no TCP port.
const PORT: u16 = 5432;
/// The superuser `initdb` creates; local connections are trusted.
const SUPERUSER: &str = "postgres";
/// The longest a fresh server may take to accept connections.
const START_WAIT: Duration = Duration::from_secs(60);

/// Why no throwaway server or database could be had.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "PostgreSQL's server binaries are not in {dir} (install Debian's `postgresql` package, \
         e.g. through `cargo xtask test`, or set {BIN_DIR_ENV} to the directory with initdb and postgres)"
    )]
    MissingBinaries { dir: String },
    #[error("running as root, but there is no `postgres` system user to run PostgreSQL as ({0})")]
    NoPostgresUser(String),
    #[error("cannot prepare the server's directory {path}")]
    Directory {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot run {program}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("initdb failed ({status}):\n{output}")]
    Initdb { status: String, output: String },
    #[error("the throwaway PostgreSQL did not accept connections within {seconds} s:\n{log}")]
    NotReady { seconds: u64, log: String },
    #[error("the throwaway PostgreSQL failed to start earlier in this process: {0}")]
    StartedBefore(String),
    #[error(
        "this process's throwaway PostgreSQL already runs {running:?}, not {asked:?}: one process \
         asks for one kind of cluster"
    )]
    OtherDurability {
        running: Durability,
        asked: Durability,
    },
    #[error("cannot create database {name}")]
    CreateDatabase {
        name: String,
        #[source]
        source: postgres::Error,
    },
}

/// A database of its own on the process's throwaway server, dropped (with `FORCE`) when this is.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    socket_dir: PathBuf,
}

impl TestDatabase {
    /// The database's name, `t_<n>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A client configuration for this database: the unix socket, the trusted superuser.
    pub fn config(&self) -> postgres::Config {
        let mut config = server_config(&self.socket_dir);
        config.dbname(&self.name);
        config
    }

    /// The same as a `postgres://` URL, the host being the percent-encoded socket directory.
    pub fn url(&self) -> String {
        let host: String = self
            .socket_dir
            .to_string_lossy()
            .bytes()
            .map(|byte| match byte {
                b'/' => "%2F".to_owned(),
                other => char::from(other).to_string(),
            })
            .collect();
        format!("postgres://{SUPERUSER}@{host}:{PORT}/{}", self.name)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let drop_sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let config = server_config(&self.socket_dir);
        off_async_runtime(move || {
            if let Ok(mut admin) = config.connect(postgres::NoTls) {
                let _ = admin.batch_execute(&drop_sql);
            }
        });
    }
}

/// Runs `work` on a thread of its own: the blocking `postgres` client runs a runtime of its
/// own, which panics on a thread of an async runtime (an async test's).
pub fn off_async_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(work).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// How the process's cluster commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// `fsync`, `synchronous_commit` and `full_page_writes` off: tests never survive a crash of
    /// the machine, and their commits cost no disk flush.
    Fast,
    /// The server's defaults (each commit flushed to disk, as SQLite's `synchronous=FULL`;
    /// `shared_buffers` at its default 128 MB, not 32 MB): for benchmarks that put PostgreSQL
    /// beside SQLite.
    Durable,
}

/// A fresh, empty database; the first call in a process starts the server. Callable from
/// async tests too. Its default collation is Polish (ICU `pl-PL`), as on a Polish office's
/// cluster, where text sorts unlike SQLite's byte order ("ł" before "m", "Z" after "a").
pub fn fresh_database() -> Result<TestDatabase, Error> {
    off_async_runtime(|| fresh_database_here(Durability::Fast))
}

/// Like [`fresh_database`], on a cluster that flushes every commit to disk; a process asks
/// for one kind of cluster only (the other is an error).
pub fn fresh_durable_database() -> Result<TestDatabase, Error> {
    off_async_runtime(|| fresh_database_here(Durability::Durable))
}

fn fresh_database_here(durability: Durability) -> Result<TestDatabase, Error> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let server = server(durability)?;
    let name = format!("t_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = server_config(&server.socket_dir)
        .connect(postgres::NoTls)
        .map_err(|source| Error::CreateDatabase {
            name: name.clone(),
            source,
        })?;
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'pl-PL'
             LOCALE 'C'"
        ))
        .map_err(|source| Error::CreateDatabase {
            name: name.clone(),
            source,
        })?;
    Ok(TestDatabase {
        name,
        socket_dir: server.socket_dir.clone(),
    })
}

/// The process's one server, started on first use with `durability`; an error is kept and
/// repeated.
fn server(durability: Durability) -> Result<&'static Server, Error> {
    static SERVER: OnceLock<(Durability, Result<Server, String>)> = OnceLock::new();
    let (running, started) = SERVER.get_or_init(|| {
        (
            durability,
            Server::start(durability).map_err(|e| error_chain(&e)),
        )
    });
    if *running != durability {
        return Err(Error::OtherDurability {
            running: *running,
            asked: durability,
        });
    }
    match started {
        Ok(server) => Ok(server),
        Err(message) => Err(Error::StartedBefore(message.clone())),
    }
}

/// A running cluster: its socket directory, and the pipe whose closing stops it.
struct Server {
    socket_dir: PathBuf,
    /// Kept open for the life of the process; the supervisor stops the server at its end.
    _lifeline: Mutex<ChildStdin>,
    _supervisor: Mutex<Child>,
}

impl Server {
    fn start(durability: Durability) -> Result<Server, Error> {
        let bin =
            PathBuf::from(std::env::var(BIN_DIR_ENV).unwrap_or_else(|_| DEFAULT_BIN_DIR.into()));
        if !bin.join("initdb").is_file() || !bin.join("postgres").is_file() {
            return Err(Error::MissingBinaries {
                dir: bin.display().to_string(),
            });
        }
        let owner = Owner::for_this_process()?;
        let dir = std::env::temp_dir().join(format!(
            "ocena-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos())
        ));
        let directory_error = |source| Error::Directory {
            path: dir.display().to_string(),
            source,
        };
        std::fs::create_dir(&dir).map_err(directory_error)?;
        if let Owner::User { uid, gid } = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).map_err(directory_error)?;
        }
        let started =
            initdb(&bin, &dir, owner).and_then(|()| supervise(&bin, &dir, owner, durability));
        let (supervisor, lifeline) = match started {
            Ok(running) => running,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        wait_until_ready(&dir)?;
        Ok(Server {
            socket_dir: dir,
            _lifeline: Mutex::new(lifeline),
            _supervisor: Mutex::new(supervisor),
        })
    }
}

/// Whom the cluster's processes run as.
#[derive(Debug, Clone, Copy)]
enum Owner {
    /// This process's own user (not root).
    Myself,
    /// The `postgres` system user, when this process is root.
    User { uid: u32, gid: u32 },
}

impl Owner {
    fn for_this_process() -> Result<Owner, Error> {
        let me = std::fs::metadata("/proc/self").map_err(|source| Error::Directory {
            path: "/proc/self".into(),
            source,
        })?;
        if me.uid() != 0 {
            return Ok(Owner::Myself);
        }
        let passwd = std::fs::read_to_string("/etc/passwd")
            .map_err(|e| Error::NoPostgresUser(format!("cannot read /etc/passwd: {e}")))?;
        passwd
            .lines()
            .map(|line| line.split(':').collect::<Vec<_>>())
            .find(|fields| fields.first() == Some(&"postgres"))
            .and_then(|fields| {
                Some(Owner::User {
                    uid: fields.get(2)?.parse().ok()?,
                    gid: fields.get(3)?.parse().ok()?,
                })
            })
            .ok_or_else(|| Error::NoPostgresUser("no such line in /etc/passwd".into()))
    }

    fn apply(self, command: &mut Command) -> &mut Command {
        if let Owner::User { uid, gid } = self {
            command.uid(uid).gid(gid).env("HOME", "/var/lib/postgresql");
        }
        command
    }
}

fn initdb(bin: &Path, dir: &Path, owner: Owner) -> Result<(), Error> {
    let program = bin.join("initdb");
    let mut command = Command::new(&program);
    command
        .arg("--pgdata")
        .arg(dir.join("data"))
        .args([
            "--username",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        ])
        .current_dir(dir);
    let output = owner
        .apply(&mut command)
        .output()
        .map_err(|source| Error::Spawn {
            program: program.display().to_string(),
            source,
        })?;
    if !output.status.success() {
        return Err(Error::Initdb {
            status: output.status.to_string(),
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        });
    }
    Ok(())
}

/// Starts `sh`, which starts `postgres` and, when its standard input closes (this process
/// ended), stops it with a fast shutdown and removes the directory.
fn supervise(
    bin: &Path,
    dir: &Path,
    owner: Owner,
    durability: Durability,
) -> Result<(Child, ChildStdin), Error> {
    const SCRIPT: &str = r#"
        "$1/postgres" -D "$2/data" -k "$2" -p "$3" -c listen_addresses='' \
            -c fsync=$4 -c synchronous_commit=$4 -c full_page_writes=$4 \
            -c max_connections=300 -c shared_buffers=$5 >"$2/server.log" 2>&1 &
        server=$!
        cat >/dev/null
        kill -INT "$server" 2>/dev/null
        wait "$server"
        rm -rf "$2"
    "#;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(SCRIPT)
        .arg("sh")
        .arg(bin)
        .arg(dir)
        .arg(PORT.to_string())
        .args(match durability {
            Durability::Fast => ["off", "32MB"],
            Durability::Durable => ["on", "128MB"],
        })
        .current_dir(dir)
        // Out of the terminal's process group: Ctrl-C stops the tests, not their clean-up.
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = owner
        .apply(&mut command)
        .spawn()
        .map_err(|source| Error::Spawn {
            program: "sh (the server's supervisor)".into(),
            source,
        })?;
    let lifeline = child.stdin.take().ok_or_else(|| Error::Spawn {
        program: "sh (the server's supervisor)".into(),
        source: std::io::Error::other("no pipe to its standard input"),
    })?;
    Ok((child, lifeline))
}

fn wait_until_ready(dir: &Path) -> Result<(), Error> {
    let start = Instant::now();
    loop {
        if server_config(dir).connect(postgres::NoTls).is_ok() {
            return Ok(());
        }
        if start.elapsed() > START_WAIT {
            let mut log = String::new();
            if let Ok(mut file) = std::fs::File::open(dir.join("server.log")) {
                let _ = file.read_to_string(&mut log);
            }
            return Err(Error::NotReady {
                seconds: START_WAIT.as_secs(),
                log,
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The server's maintenance database, over the unix socket, as the trusted superuser.
fn server_config(socket_dir: &Path) -> postgres::Config {
    let mut config = postgres::Config::new();
    config
        .host_path(socket_dir)
        .port(PORT)
        .user(SUPERUSER)
        .dbname("postgres")
        .connect_timeout(Duration::from_secs(10));
    config
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_fresh_databases_are_separate_and_usable() {
        let first = fresh_database().expect("first database");
        let second = fresh_database().expect("second database");
        assert_ne!(first.name(), second.name());
        let mut client = first.config().connect(postgres::NoTls).expect("connect");
        client
            .batch_execute("CREATE TABLE t (n int); INSERT INTO t VALUES (7)")
            .expect("write");
        let mut other = second.config().connect(postgres::NoTls).expect("connect");
        let tables: i64 = other
            .query_one("SELECT count(*) FROM pg_tables WHERE tablename = 't'", &[])
            .expect("read")
            .get(0);
        assert_eq!(tables, 0, "a fresh database is empty");
    }

    /// The process group `/proc/<pid>/stat` names (the field after the state).
    fn process_group(pid: &str) -> String {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let after_name = stat.rsplit_once(')').expect("a command name").1;
        after_name
            .split_whitespace()
            .nth(2)
            .expect("pgrp")
            .to_owned()
    }

    #[test]
    fn a_ctrl_c_to_the_tests_leaves_the_supervisor_to_clean_up() {
        let _database = fresh_database().expect("database");
        let server = server(Durability::Fast).expect("server");
        let supervisor = server._supervisor.lock().expect("supervisor").id();
        assert_ne!(
            process_group(&supervisor.to_string()),
            process_group("self"),
            "the supervisor shares the test process's group, so a Ctrl-C kills it before it removes the directory"
        );
    }

    #[test]
    fn a_process_gets_one_kind_of_cluster() {
        let _database = fresh_database().expect("database");
        let refused = fresh_durable_database().expect_err("a fast cluster runs already");
        assert!(
            matches!(
                refused,
                Error::OtherDurability {
                    running: Durability::Fast,
                    asked: Durability::Durable
                }
            ),
            "{refused}"
        );
    }

    #[test]
    fn the_url_names_the_socket_directory_and_the_database() {
        let database = fresh_database().expect("database");
        let url = database.url();
        assert!(url.starts_with("postgres://postgres@%2F"), "{url}");
        assert!(
            url.ends_with(&format!(":5432/{}", database.name())),
            "{url}"
        );
    }
}
