//! The server's settings: a TOML file parsed into typed, validated [`Settings`], with environment
//! overrides (`OCENA_SERVER_LISTEN`, `OCENA_SERVER_DATABASE`) for deployment-specific values.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Environment variable overriding `listen`.
pub const ENV_LISTEN: &str = "OCENA_SERVER_LISTEN";
/// Environment variable overriding `database`.
pub const ENV_DATABASE: &str = "OCENA_SERVER_DATABASE";

/// Validated settings of the aggregator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// The SQLite database file; created if missing.
    pub database: PathBuf,
    /// Reader connections besides the one writer.
    pub reader_connections: usize,
}

/// Why the settings could not be loaded; each names the file and, where it applies, the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("config file {path}, key `{key}`: {message}")]
    Invalid {
        path: PathBuf,
        key: &'static str,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    listen: Option<String>,
    database: Option<PathBuf>,
    reader_connections: Option<usize>,
}

impl Settings {
    /// Reads `path` (a missing file counts as empty, so environment variables alone suffice),
    /// applies environment overrides and validates.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Settings::parse(
            &text,
            path,
            std::env::var(ENV_LISTEN).ok(),
            std::env::var(ENV_DATABASE).ok(),
        )
    }

    fn parse(
        text: &str,
        path: &Path,
        env_listen: Option<String>,
        env_database: Option<String>,
    ) -> Result<Settings, ConfigError> {
        let raw: RawSettings = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |key, message: String| ConfigError::Invalid {
            path: path.to_owned(),
            key,
            message,
        };
        let listen = env_listen
            .or(raw.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen = listen.parse().map_err(|e| {
            invalid(
                "listen",
                format!("{listen:?} is not an address such as 127.0.0.1:8080 ({e})"),
            )
        })?;
        let database = env_database
            .map(PathBuf::from)
            .or(raw.database)
            .ok_or_else(|| {
                invalid(
                    "database",
                    format!("missing: set it in the file or in {ENV_DATABASE}"),
                )
            })?;
        if database.as_os_str().is_empty() {
            return Err(invalid("database", "must not be empty".to_owned()));
        }
        let reader_connections = raw.reader_connections.unwrap_or(4);
        if !(1..=64).contains(&reader_connections) {
            return Err(invalid(
                "reader_connections",
                format!("{reader_connections} is outside 1-64"),
            ));
        }
        Ok(Settings {
            listen,
            database,
            reader_connections,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, ConfigError> {
        Settings::parse(text, Path::new("server.toml"), None, None)
    }

    #[test]
    fn a_full_file_is_read() {
        let s = parse("listen = \"0.0.0.0:9000\"\ndatabase = \"/var/lib/ocena/server.db\"\n")
            .expect("valid");
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.reader_connections, 4);
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let err = parse("listen = \"nowhere\"\ndatabase = \"x.db\"").expect_err("bad address");
        let text = err.to_string();
        assert!(
            text.contains("server.toml") && text.contains("`listen`"),
            "{text}"
        );
        let err = parse("").expect_err("no database");
        assert!(err.to_string().contains("`database`"), "{err}");
        let err = parse("databse = \"x.db\"").expect_err("typo");
        assert!(err.to_string().contains("databse"), "{err}");
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let s = Settings::parse(
            "database = \"file.db\"",
            Path::new("server.toml"),
            Some("127.0.0.1:0".into()),
            Some("env.db".into()),
        )
        .expect("valid");
        assert_eq!(s.database, PathBuf::from("env.db"));
        assert_eq!(s.listen.port(), 0);
    }
}
