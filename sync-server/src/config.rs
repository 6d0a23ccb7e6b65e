//! The server's settings: a TOML file parsed into typed, validated [`Settings`], with environment
//! overrides (`OCENA_SERVER_LISTEN`, `OCENA_SERVER_DATABASE`) for deployment-specific values and
//! the admin API token from `OCENA_ADMIN_TOKEN` (a secret: never in the file).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::time::Duration;

use lettre::message::Mailbox;
use serde::Deserialize;

use crate::alerts::delivery::{EmailSettings, SmtpSecurity, WebhookSettings};
use crate::analytics::Disclosure;
use crate::credentials;
use crate::proxies::{ForwardedHeader, IpNet, TrustedProxies};

/// Environment variable overriding `listen`.
pub const ENV_LISTEN: &str = "OCENA_SERVER_LISTEN";
/// Environment variable overriding `database`.
pub const ENV_DATABASE: &str = "OCENA_SERVER_DATABASE";
/// Environment variable holding the PostgreSQL password (never in the settings file).
pub const ENV_DATABASE_PASSWORD: &str = "OCENA_SERVER_DATABASE_PASSWORD";
/// Environment variable naming a file that holds the PostgreSQL password (a systemd credential).
pub const ENV_DATABASE_PASSWORD_FILE: &str = "OCENA_SERVER_DATABASE_PASSWORD_FILE";
/// Environment variable holding the admin API token; the admin routes are disabled without it.
pub const ENV_ADMIN_TOKEN: &str = "OCENA_ADMIN_TOKEN";
/// Environment variable holding the SMTP password for alert e-mail.
pub const ENV_SMTP_PASSWORD: &str = "OCENA_SMTP_PASSWORD";
/// Environment variable holding the key that signs alert webhooks.
pub const ENV_WEBHOOK_SECRET: &str = "OCENA_WEBHOOK_SECRET";
/// Shortest admin token accepted (a token this long from a password generator has ≥ 128 bits).
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// Where the aggregator keeps its data: `database = "PATH"` or `"sqlite:PATH"` for an SQLite
/// file (created if missing), `"postgres://USER@HOST:PORT/NAME"` for PostgreSQL, whose password
/// comes from the environment ([`ENV_DATABASE_PASSWORD`] or [`ENV_DATABASE_PASSWORD_FILE`]),
/// never from the settings file.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres {
        /// The connection URL, with no password in it.
        url: String,
        password: Option<String>,
    },
}

impl std::fmt::Debug for Database {
    /// The URL, never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Database::Postgres { url, password } => f
                .debug_struct("Postgres")
                .field("url", url)
                .field("password", &password.as_ref().map(|_| "(set)"))
                .finish(),
        }
    }
}

impl Database {
    /// Reads the `database` setting; a bad one is told apart by what is wrong with it.
    fn parse(text: &str) -> Result<Database, String> {
        if text.is_empty() {
            return Err("must not be empty".to_owned());
        }
        if let Some(rest) = text
            .strip_prefix("postgres://")
            .or_else(|| text.strip_prefix("postgresql://"))
        {
            let authority = rest.split(['/', '?']).next().unwrap_or_default();
            let query = rest.split_once('?').map_or("", |(_, query)| query);
            let has_password = authority
                .rsplit_once('@')
                .is_some_and(|(user, _)| user.contains(':'))
                || query.split('&').any(|pair| pair.starts_with("password="));
            if has_password {
                return Err(format!(
                    "the PostgreSQL URL carries a password: take it out and put it in                      {ENV_DATABASE_PASSWORD} or a file named by {ENV_DATABASE_PASSWORD_FILE}                      (secrets never go in the settings file)"
                ));
            }
            if authority.is_empty() && !rest.contains("host=") {
                return Err(format!("{text:?} names no PostgreSQL host"));
            }
            return Ok(Database::Postgres {
                url: text.to_owned(),
                password: None,
            });
        }
        if let Some(path) = text.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err("`sqlite:` names no file".to_owned());
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(format!(
                "unknown database kind {scheme:?}: use a file path, sqlite:PATH or                  postgres://USER@HOST:PORT/NAME"
            ));
        }
        Ok(Database::Sqlite(PathBuf::from(text)))
    }

    /// A database named on the command line (`migrate --to`), read as the `database` setting
    /// is, with a PostgreSQL password from the environment as the setting's.
    pub fn from_argument(text: &str) -> Result<Database, String> {
        Database::parse(text)?
            .with_password_from_environment()
            .map_err(|e| e.to_string())
    }

    /// Adds the PostgreSQL password from the environment, if any.
    fn with_password_from_environment(self) -> Result<Database, ConfigError> {
        let Database::Postgres { url, .. } = self else {
            return Ok(self);
        };
        let password = match (
            std::env::var(ENV_DATABASE_PASSWORD).ok(),
            std::env::var_os(ENV_DATABASE_PASSWORD_FILE),
        ) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::InvalidEnvironment {
                    variable: ENV_DATABASE_PASSWORD,
                    message: format!("set it or {ENV_DATABASE_PASSWORD_FILE}, not both"),
                });
            }
            (Some(password), None) => Some(password),
            (None, Some(file)) => Some(
                std::fs::read_to_string(&file)
                    .map_err(|e| ConfigError::InvalidEnvironment {
                        variable: ENV_DATABASE_PASSWORD_FILE,
                        message: format!("cannot read {}: {e}", PathBuf::from(&file).display()),
                    })?
                    .trim_end_matches(['\n', '\r'])
                    .to_owned(),
            ),
            (None, None) => None,
        };
        Ok(Database::Postgres { url, password })
    }
}

/// Validated settings of the aggregator.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Where the data is kept: an SQLite file (the default), or a PostgreSQL database.
    pub database: Database,
    /// Reader connections besides the one writer.
    pub reader_connections: usize,
    /// SHA-256 of the admin API token (`OCENA_ADMIN_TOKEN`); `None` disables the admin routes.
    pub admin_token_sha256: Option<[u8; 32]>,
    /// How often clients may call; see [`RateLimits`].
    pub rate_limit: RateLimits,
    /// The `[alerts]` section.
    pub alerts: AlertSettings,
    /// The `[dashboard]` section: sessions and cookies.
    pub dashboard: DashboardSettings,
    /// `trusted_proxies` and `forwarded_header`: whose forwarding header names the client.
    pub proxies: TrustedProxies,
    /// The `[limits]` section: timeouts and caps that keep one client from stalling the rest.
    pub limits: Limits,
    /// The `[privacy]` section: disclosure control and retention.
    pub privacy: PrivacySettings,
}

/// The `[limits]` section: every wait has a bound and every costly resource a cap; what cannot
/// be served within them is answered (503 with `Retry-After`, or the connection closed) rather
/// than left waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; one more is answered 503 and closed.
    pub max_connections: usize,
    /// A request's headers must arrive within this (slowloris).
    pub header_read_timeout: Duration,
    /// A request's whole body must arrive within this, or 408.
    pub body_read_timeout: Duration,
    /// A response that makes no progress this long (the client stopped reading) ends its
    /// connection; an export chunk not taken within it stops the export.
    pub send_timeout: Duration,
    /// The longest a request waits for a database connection or a password-hashing slot before
    /// 503.
    pub max_wait: Duration,
    /// CSV exports streamed at once, each on its own database connection (not the readers').
    pub concurrent_exports: usize,
    /// The longest one CSV export may stream, however steadily its client reads; then its
    /// download is cut off and its slot freed.
    pub export_timeout: Duration,
    /// Argon2id hashes computed at once (19 MiB each).
    pub concurrent_password_hashes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(30),
            max_wait: Duration::from_secs(5),
            concurrent_exports: 2,
            export_timeout: Duration::from_secs(600),
            concurrent_password_hashes: 4,
        }
    }
}

/// The `[privacy]` section (see PRIVACY.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivacySettings {
    /// `min_responses`: no figure from fewer answers is shown anywhere (5 unless raised).
    pub disclosure: Disclosure,
    /// `answer_retention_months`: answers older than this are deleted (their rollups stay).
    pub answer_retention_months: u32,
}

/// Default months individual answers are kept.
pub const DEFAULT_ANSWER_RETENTION_MONTHS: u32 = 24;
/// Longest retention accepted: ten years.
pub const MAX_ANSWER_RETENTION_MONTHS: u32 = 120;

impl Default for PrivacySettings {
    fn default() -> PrivacySettings {
        PrivacySettings {
            disclosure: Disclosure::default(),
            answer_retention_months: DEFAULT_ANSWER_RETENTION_MONTHS,
        }
    }
}

/// The `[alerts]` section: how often rules are checked and where notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    pub check_every: Duration,
    /// `[alerts.email]`; no e-mail without it.
    pub email: Option<EmailSettings>,
    /// `[alerts.webhook]`; no webhook without it.
    pub webhook: Option<WebhookSettings>,
    /// `dashboard_url`: the dashboard's public address (`https://ocena.plock.eu`), from which
    /// e-mails link to their page; without it they name the page's path only.
    pub dashboard_url: Option<reqwest::Url>,
}

/// The `[dashboard]` section: how long a sign-in lasts and how its cookie is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DashboardSettings {
    /// A session unused this long ends (OWASP: 15-30 min).
    pub idle_timeout_s: u32,
    /// A session ends this long after sign-in however busy it is (OWASP: 4-8 h).
    pub absolute_timeout_s: u32,
    /// The server is reached through a TLS-terminating reverse proxy: cookies are `Secure` and
    /// forms must come from an `https://` origin.
    pub behind_tls_proxy: bool,
}

impl Default for DashboardSettings {
    fn default() -> DashboardSettings {
        DashboardSettings {
            idle_timeout_s: 30 * 60,
            absolute_timeout_s: 8 * 60 * 60,
            behind_tls_proxy: false,
        }
    }
}

/// The `[rate_limit]` section: token buckets that answer 429 with `Retry-After` when empty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Enrollment attempts per client IP, failed codes included: stops code guessing.
    pub enroll: Rate,
    /// Authenticated kiosk requests (records, heartbeat) per kiosk: generous, normal sync never
    /// reaches it.
    pub kiosk: Rate,
    /// Refused bearer tokens (unknown kiosk tokens, wrong admin tokens) per client IP: stops token
    /// guessing. An IP whose bucket is empty gets 429 before its token is even looked up.
    pub bad_token: Rate,
    /// Dashboard sign-in attempts per client IP, successful ones included.
    pub login_ip: Rate,
    /// Dashboard sign-in attempts per (username, client IP), successful ones included: stops one
    /// address guessing one account's password without locking the account for anyone else.
    pub login_user: Rate,
    /// Failed sign-ins per username from every address: past them each attempt at that name
    /// waits until the bucket has a token (at most [`MAX_SIGN_IN_SLOW_DOWN`]) before its password
    /// is checked. A slow-down, never a refusal: the right password still signs in.
    pub login_slow_down: Rate,
    /// Memory each limiter may hold for its buckets, keys included.
    pub max_bytes_per_limiter: usize,
}

/// The longest a sign-in is slowed down by `[rate_limit.login_slow_down]`.
pub const MAX_SIGN_IN_SLOW_DOWN: Duration = Duration::from_secs(5);

/// A token bucket: up to `burst` requests at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: u32,
    pub per_minute: f64,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            // Staff enrolling a room of kiosks from one address: ten at once, then one every
            // 10 s. Guessing a 10-symbol code (32^10 ≈ 1.1·10^15) at that rate is hopeless.
            enroll: Rate {
                burst: 10,
                per_minute: 6.0,
            },
            kiosk: Rate {
                burst: 120,
                per_minute: 600.0,
            },
            bad_token: Rate {
                burst: 10,
                per_minute: 6.0,
            },
            // An office signing in after lunch from one NAT address: twenty at once.
            login_ip: Rate {
                burst: 20,
                per_minute: 10.0,
            },
            login_user: Rate {
                burst: 5,
                per_minute: 1.0,
            },
            login_slow_down: Rate {
                burst: 10,
                per_minute: 2.0,
            },
            max_bytes_per_limiter: 4 * 1024 * 1024,
        }
    }
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
    #[error("environment variable {variable}: {message}")]
    InvalidEnvironment {
        variable: &'static str,
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    listen: Option<String>,
    database: Option<String>,
    reader_connections: Option<usize>,
    #[serde(default)]
    trusted_proxies: Vec<String>,
    forwarded_header: Option<String>,
    #[serde(default)]
    rate_limit: RawRateLimits,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    alerts: RawAlerts,
    #[serde(default)]
    dashboard: RawDashboard,
    #[serde(default)]
    privacy: RawPrivacy,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrivacy {
    min_responses: Option<i64>,
    answer_retention_months: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerts {
    check_every_s: Option<u64>,
    dashboard_url: Option<String>,
    email: Option<RawEmail>,
    webhook: Option<RawWebhook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    smtp_host: String,
    smtp_port: Option<u16>,
    security: Option<String>,
    username: Option<String>,
    from: String,
    to: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDashboard {
    idle_timeout_s: Option<u32>,
    absolute_timeout_s: Option<u32>,
    behind_tls_proxy: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_connections: Option<usize>,
    header_read_timeout_s: Option<u64>,
    body_read_timeout_s: Option<u64>,
    send_timeout_s: Option<u64>,
    max_wait_ms: Option<u64>,
    concurrent_exports: Option<usize>,
    export_timeout_s: Option<u64>,
    concurrent_password_hashes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimits {
    memory_kib: Option<usize>,
    #[serde(default)]
    enroll: RawRate,
    #[serde(default)]
    kiosk: RawRate,
    #[serde(default)]
    bad_token: RawRate,
    #[serde(default)]
    login_ip: RawRate,
    #[serde(default)]
    login_user: RawRate,
    #[serde(default)]
    login_slow_down: RawRate,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRate {
    burst: Option<u32>,
    per_minute: Option<f64>,
}

/// Largest `burst` accepted.
const MAX_BURST: u32 = 100_000;
/// Largest `per_minute` accepted.
const MAX_PER_MINUTE: f64 = 1_000_000.0;
/// Smallest `per_minute` accepted: one a day, so an empty bucket's `Retry-After` (up to a day)
/// is a duration a clock can hold.
const MIN_PER_MINUTE: f64 = 1.0 / 1440.0;

/// Fills a [`Rate`] from its section, keeping the default for a missing key.
fn rate(
    raw: &RawRate,
    default: Rate,
    keys: [&'static str; 2],
    invalid: &impl Fn(&'static str, String) -> ConfigError,
) -> Result<Rate, ConfigError> {
    let [burst_key, per_minute_key] = keys;
    let burst = raw.burst.unwrap_or(default.burst);
    if !(1..=MAX_BURST).contains(&burst) {
        return Err(invalid(
            burst_key,
            format!("{burst} is outside 1-{MAX_BURST}"),
        ));
    }
    let per_minute = raw.per_minute.unwrap_or(default.per_minute);
    if !(MIN_PER_MINUTE..=MAX_PER_MINUTE).contains(&per_minute) {
        return Err(invalid(
            per_minute_key,
            format!(
                "{per_minute} is not a rate from one a day ({MIN_PER_MINUTE:.6}) to \
                 {MAX_PER_MINUTE} a minute"
            ),
        ));
    }
    Ok(Rate { burst, per_minute })
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
        let mut settings = Settings::parse(
            &text,
            path,
            std::env::var(ENV_LISTEN).ok(),
            std::env::var(ENV_DATABASE).ok(),
        )?;
        settings.database = settings.database.with_password_from_environment()?;
        settings.admin_token_sha256 = admin_token_sha256(std::env::var(ENV_ADMIN_TOKEN).ok())?;
        if let Some(email) = &mut settings.alerts.email {
            email.password = std::env::var(ENV_SMTP_PASSWORD).ok();
            if email.username.is_some() && email.password.is_none() {
                return Err(ConfigError::InvalidEnvironment {
                    variable: ENV_SMTP_PASSWORD,
                    message: "alerts.email.username is set, so the SMTP password must be too"
                        .to_owned(),
                });
            }
        }
        if let Some(webhook) = &mut settings.alerts.webhook {
            webhook.secret = std::env::var(ENV_WEBHOOK_SECRET)
                .ok()
                .filter(|s| !s.is_empty());
        }
        Ok(settings)
    }

    /// The settings in `text` alone, without the environment: no overrides, admin routes
    /// disabled. For tests and tools that build settings by hand.
    pub fn from_toml(text: &str, path: &Path) -> Result<Settings, ConfigError> {
        Settings::parse(text, path, None, None)
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
        let database = env_database.or(raw.database).ok_or_else(|| {
            invalid(
                "database",
                format!("missing: set it in the file or in {ENV_DATABASE}"),
            )
        })?;
        let database =
            Database::parse(&database).map_err(|message| invalid("database", message))?;
        let reader_connections = raw.reader_connections.unwrap_or(4);
        if !(1..=64).contains(&reader_connections) {
            return Err(invalid(
                "reader_connections",
                format!("{reader_connections} is outside 1-64"),
            ));
        }
        let defaults = RateLimits::default();
        let raw_limits = &raw.rate_limit;
        let rate_limit = RateLimits {
            enroll: rate(
                &raw_limits.enroll,
                defaults.enroll,
                ["rate_limit.enroll.burst", "rate_limit.enroll.per_minute"],
                &invalid,
            )?,
            kiosk: rate(
                &raw_limits.kiosk,
                defaults.kiosk,
                ["rate_limit.kiosk.burst", "rate_limit.kiosk.per_minute"],
                &invalid,
            )?,
            bad_token: rate(
                &raw_limits.bad_token,
                defaults.bad_token,
                [
                    "rate_limit.bad_token.burst",
                    "rate_limit.bad_token.per_minute",
                ],
                &invalid,
            )?,
            login_ip: rate(
                &raw_limits.login_ip,
                defaults.login_ip,
                [
                    "rate_limit.login_ip.burst",
                    "rate_limit.login_ip.per_minute",
                ],
                &invalid,
            )?,
            login_user: rate(
                &raw_limits.login_user,
                defaults.login_user,
                [
                    "rate_limit.login_user.burst",
                    "rate_limit.login_user.per_minute",
                ],
                &invalid,
            )?,
            login_slow_down: rate(
                &raw_limits.login_slow_down,
                defaults.login_slow_down,
                [
                    "rate_limit.login_slow_down.burst",
                    "rate_limit.login_slow_down.per_minute",
                ],
                &invalid,
            )?,
            max_bytes_per_limiter: in_range(
                raw_limits.memory_kib,
                defaults.max_bytes_per_limiter / 1024,
                64..=1024 * 1024,
                "rate_limit.memory_kib",
                "KiB",
                &invalid,
            )? * 1024,
        };
        let alerts = alert_settings(&raw.alerts, &invalid)?;
        let dashboard = dashboard(&raw.dashboard, &invalid)?;
        let proxies = trusted_proxies(
            &raw.trusted_proxies,
            raw.forwarded_header.as_deref(),
            &invalid,
        )?;
        let limits = limits(&raw.limits, &invalid)?;
        let privacy = privacy(&raw.privacy, &invalid)?;
        Ok(Settings {
            listen,
            database,
            reader_connections,
            admin_token_sha256: None,
            rate_limit,
            alerts,
            dashboard,
            proxies,
            limits,
            privacy,
        })
    }

    /// Whether the dashboard's session cookie must be `Secure` (and so `__Host-`-prefixed):
    /// always, except on a loopback address without a TLS proxy in front, where browsers would
    /// never send a `Secure` cookie back over plain `http://127.0.0.1`.
    pub fn secure_cookies(&self) -> bool {
        self.dashboard.behind_tls_proxy || !self.listen.ip().is_loopback()
    }
}

/// `value`, or `default` when missing, if it lies in `range`; else an error naming `key`.
fn in_range<T: Copy + PartialOrd + fmt::Display>(
    value: Option<T>,
    default: T,
    range: std::ops::RangeInclusive<T>,
    key: &'static str,
    unit: &str,
    invalid: &impl Fn(&'static str, String) -> ConfigError,
) -> Result<T, ConfigError> {
    let value = value.unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(invalid(
            key,
            format!(
                "{value} is outside {}-{} {unit}",
                range.start(),
                range.end()
            ),
        ))
    }
}

fn limits(
    raw: &RawLimits,
    invalid: &impl Fn(&'static str, String) -> ConfigError,
) -> Result<Limits, ConfigError> {
    let defaults = Limits::default();
    let seconds = |value, default: Duration, key| {
        in_range(value, default.as_secs(), 1..=3600, key, "seconds", invalid)
            .map(Duration::from_secs)
    };
    Ok(Limits {
        max_connections: in_range(
            raw.max_connections,
            defaults.max_connections,
            8..=100_000,
            "limits.max_connections",
            "connections",
            invalid,
        )?,
        header_read_timeout: seconds(
            raw.header_read_timeout_s,
            defaults.header_read_timeout,
            "limits.header_read_timeout_s",
        )?,
        body_read_timeout: seconds(
            raw.body_read_timeout_s,
            defaults.body_read_timeout,
            "limits.body_read_timeout_s",
        )?,
        send_timeout: seconds(
            raw.send_timeout_s,
            defaults.send_timeout,
            "limits.send_timeout_s",
        )?,
        max_wait: Duration::from_millis(in_range(
            raw.max_wait_ms,
            u64::try_from(defaults.max_wait.as_millis()).unwrap_or(u64::MAX),
            10..=60_000,
            "limits.max_wait_ms",
            "milliseconds",
            invalid,
        )?),
        concurrent_exports: in_range(
            raw.concurrent_exports,
            defaults.concurrent_exports,
            1..=16,
            "limits.concurrent_exports",
            "exports",
            invalid,
        )?,
        export_timeout: seconds(
            raw.export_timeout_s,
            defaults.export_timeout,
            "limits.export_timeout_s",
        )?,
        concurrent_password_hashes: in_range(
            raw.concurrent_password_hashes,
            defaults.concurrent_password_hashes,
            1..=64,
            "limits.concurrent_password_hashes",
            "hashes",
            invalid,
        )?,
    })
}

fn trusted_proxies(
    networks: &[String],
    header: Option<&str>,
    invalid: &impl Fn(&'static str, String) -> ConfigError,
) -> Result<TrustedProxies, ConfigError> {
    let networks = networks
        .iter()
        .map(|text| {
            text.trim()
                .parse::<IpNet>()
                .map_err(|problem| invalid("trusted_proxies", problem))
        })
        .collect::<Result<_, _>>()?;
    let header = match header {
        None => ForwardedHeader::default(),
        Some(text) => ForwardedHeader::parse(text).ok_or_else(|| {
            invalid(
                "forwarded_header",
                format!("{text:?} is not x-forwarded-for or forwarded"),
            )
        })?,
    };
    Ok(TrustedProxies { networks, header })
}

fn privacy(
    raw: &RawPrivacy,
    invalid: &impl Fn(&'static str, String) -> ConfigError,
) -> Result<PrivacySettings, ConfigError> {
    let defaults = PrivacySettings::default();
    let disclosure = match raw.min_responses {
        Some(k) => {
            Disclosure::new(k).map_err(|message| invalid("privacy.min_responses", message))?
        }
        None => defaults.disclosure,
    };
    let answer_retention_months = raw
        .answer_retention_months
        .unwrap_or(defaults.answer_retention_months);
    if !(1..=MAX_ANSWER_RETENTION_MONTHS).contains(&answer_retention_months) {
        return Err(invalid(
            "privacy.answer_retention_months",
            format!("{answer_retention_months} is outside 1-{MAX_ANSWER_RETENTION_MONTHS} months"),
        ));
    }
    Ok(PrivacySettings {
        disclosure,
        answer_retention_months,
    })
}

/// Longest session timeout accepted: a week.
const MAX_TIMEOUT_S: u32 = 7 * 24 * 60 * 60;

fn dashboard(
    raw: &RawDashboard,
    invalid: &impl Fn(&'static str, String) -> ConfigError,
) -> Result<DashboardSettings, ConfigError> {
    let defaults = DashboardSettings::default();
    let idle_timeout_s = raw.idle_timeout_s.unwrap_or(defaults.idle_timeout_s);
    if !(1..=MAX_TIMEOUT_S).contains(&idle_timeout_s) {
        return Err(invalid(
            "dashboard.idle_timeout_s",
            format!("{idle_timeout_s} is outside 1-{MAX_TIMEOUT_S} seconds"),
        ));
    }
    let absolute_timeout_s = raw
        .absolute_timeout_s
        .unwrap_or(defaults.absolute_timeout_s);
    if !(idle_timeout_s..=MAX_TIMEOUT_S).contains(&absolute_timeout_s) {
        return Err(invalid(
            "dashboard.absolute_timeout_s",
            format!(
                "{absolute_timeout_s} must be at least the idle timeout ({idle_timeout_s} s) \
                 and at most {MAX_TIMEOUT_S} seconds"
            ),
        ));
    }
    Ok(DashboardSettings {
        idle_timeout_s,
        absolute_timeout_s,
        behind_tls_proxy: raw.behind_tls_proxy.unwrap_or(defaults.behind_tls_proxy),
    })
}

/// Default seconds between alert rounds.
const DEFAULT_ALERT_CHECK_S: u64 = 60;

impl Default for AlertSettings {
    /// Checked every minute, shown on the dashboard only.
    fn default() -> AlertSettings {
        AlertSettings {
            check_every: Duration::from_secs(DEFAULT_ALERT_CHECK_S),
            email: None,
            webhook: None,
            dashboard_url: None,
        }
    }
}

fn alert_settings(
    raw: &RawAlerts,
    invalid: &impl Fn(&'static str, String) -> ConfigError,
) -> Result<AlertSettings, ConfigError> {
    let check_every_s = raw.check_every_s.unwrap_or(DEFAULT_ALERT_CHECK_S);
    if !(1..=86_400).contains(&check_every_s) {
        return Err(invalid(
            "alerts.check_every_s",
            format!("{check_every_s} is outside 1-86400 seconds"),
        ));
    }
    let mailbox = |key, text: &str| {
        text.parse::<Mailbox>().map_err(|e| {
            invalid(
                key,
                format!(
                    "{text:?} is not an e-mail address such as \"Ocena <ocena@plock.eu>\" ({e})"
                ),
            )
        })
    };
    let email = raw
        .email
        .as_ref()
        .map(|email| {
            if email.smtp_host.trim().is_empty() {
                return Err(invalid(
                    "alerts.email.smtp_host",
                    "must not be empty".into(),
                ));
            }
            let security = match email.security.as_deref().unwrap_or("starttls") {
                "starttls" => SmtpSecurity::StartTls,
                "tls" => SmtpSecurity::Tls,
                "none" => SmtpSecurity::None,
                other => {
                    return Err(invalid(
                        "alerts.email.security",
                        format!("{other:?} is not one of starttls, tls, none"),
                    ));
                }
            };
            let default_port = match security {
                SmtpSecurity::Tls => 465,
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::None => 25,
            };
            if email.to.is_empty() {
                return Err(invalid(
                    "alerts.email.to",
                    "name at least one recipient".into(),
                ));
            }
            Ok(EmailSettings {
                smtp_host: email.smtp_host.trim().to_owned(),
                smtp_port: email.smtp_port.unwrap_or(default_port),
                security,
                username: email.username.clone(),
                password: None,
                from: mailbox("alerts.email.from", &email.from)?,
                to: email
                    .to
                    .iter()
                    .map(|to| mailbox("alerts.email.to", to))
                    .collect::<Result<_, _>>()?,
            })
        })
        .transpose()?;
    let webhook = raw
        .webhook
        .as_ref()
        .map(|webhook| {
            let url = reqwest::Url::parse(&webhook.url).map_err(|e| {
                invalid(
                    "alerts.webhook.url",
                    format!("{:?} is not a URL ({e})", webhook.url),
                )
            })?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(invalid(
                    "alerts.webhook.url",
                    format!("{:?} must be an http(s) URL", webhook.url),
                ));
            }
            Ok(WebhookSettings { url, secret: None })
        })
        .transpose()?;
    let dashboard_url = raw
        .dashboard_url
        .as_deref()
        .map(|text| {
            let url = reqwest::Url::parse(text).map_err(|e| {
                invalid(
                    "alerts.dashboard_url",
                    format!("{text:?} is not a URL ({e})"),
                )
            })?;
            if !matches!(url.scheme(), "https" | "http") || url.cannot_be_a_base() {
                return Err(invalid(
                    "alerts.dashboard_url",
                    format!(
                        "{text:?} must be an http(s) address such as \"https://ocena.plock.eu\""
                    ),
                ));
            }
            Ok(url)
        })
        .transpose()?;
    Ok(AlertSettings {
        check_every: Duration::from_secs(check_every_s),
        email,
        webhook,
        dashboard_url,
    })
}

/// The stored form of the admin token from `OCENA_ADMIN_TOKEN`: unset means no admin API; a
/// token that is set must be long enough to resist guessing.
fn admin_token_sha256(token: Option<String>) -> Result<Option<[u8; 32]>, ConfigError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let token = token.trim();
    if let Some(weakness) = admin_token_weakness(token) {
        return Err(ConfigError::InvalidEnvironment {
            variable: ENV_ADMIN_TOKEN,
            message: format!(
                "the admin token {weakness}; use a random one (e.g. `openssl rand -base64 32`), \
                 or unset the variable to disable the admin API"
            ),
        });
    }
    Ok(Some(credentials::sha256(token)))
}

/// Fewest different characters an admin token may have (a random 32-character hex token has
/// about 14, a base64 one about 24).
const MIN_ADMIN_TOKEN_DISTINCT: usize = 10;

/// Why `token` is too weak to guard the admin API, if it is: it must be at least
/// [`MIN_ADMIN_TOKEN_CHARS`] printable characters without spaces, and not obviously made by
/// hand: too few different characters, a repeated pattern (`passwordpassword…`), or mostly runs
/// such as `aaaa` or `abcd`.
fn admin_token_weakness(token: &str) -> Option<String> {
    let chars: Vec<char> = token.chars().collect();
    if chars.len() < MIN_ADMIN_TOKEN_CHARS {
        return Some(format!(
            "has {} characters, fewer than {MIN_ADMIN_TOKEN_CHARS}",
            chars.len()
        ));
    }
    if chars.iter().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("contains spaces or control characters".to_owned());
    }
    let distinct = chars.iter().collect::<std::collections::HashSet<_>>().len();
    if distinct < MIN_ADMIN_TOKEN_DISTINCT {
        return Some(format!(
            "has only {distinct} different characters (at least {MIN_ADMIN_TOKEN_DISTINCT})"
        ));
    }
    let repeats = (1..=chars.len() / 2)
        .find(|&period| chars.iter().zip(&chars[period..]).all(|(a, b)| a == b));
    if let Some(period) = repeats {
        return Some(format!(
            "repeats the same {period} characters over and over"
        ));
    }
    let runs = chars
        .windows(2)
        .filter(|pair| (i64::from(u32::from(pair[1])) - i64::from(u32::from(pair[0]))).abs() <= 1)
        .count();
    if runs * 2 > chars.len() - 1 {
        return Some(
            "is mostly runs of equal or consecutive characters (like aaaa or abcd)".into(),
        );
    }
    None
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
    fn rate_limits_have_defaults_and_precise_errors() {
        let s = parse("database = \"x.db\"").expect("valid");
        assert_eq!(s.rate_limit, RateLimits::default());
        assert_eq!(s.dashboard, DashboardSettings::default());
        assert!(!s.secure_cookies(), "the example listens on loopback");
        let s = parse("database = \"x.db\"\n[rate_limit.enroll]\nburst = 2\n").expect("valid");
        assert_eq!(s.rate_limit.enroll.burst, 2);
        assert_eq!(s.rate_limit.enroll.per_minute, 6.0, "the default is kept");
        for (text, key) in [
            (
                "[rate_limit.enroll]\nburst = 0",
                "`rate_limit.enroll.burst`",
            ),
            (
                "[rate_limit.kiosk]\nper_minute = 0.0",
                "`rate_limit.kiosk.per_minute`",
            ),
            (
                "[rate_limit.bad_token]\nper_minute = nan",
                "`rate_limit.bad_token.per_minute`",
            ),
            (
                "[rate_limit.login_ip]\nper_minute = 1e-300",
                "`rate_limit.login_ip.per_minute`",
            ),
            (
                "[rate_limit.login_user]\nper_minute = 0.0001",
                "`rate_limit.login_user.per_minute`",
            ),
            (
                "[rate_limit.enroll]\nper_minute = inf",
                "`rate_limit.enroll.per_minute`",
            ),
            (
                "[rate_limit.bad_token]\nburst = 100001",
                "`rate_limit.bad_token.burst`",
            ),
        ] {
            let err = parse(&format!("database = \"x.db\"\n{text}")).expect_err(text);
            let message = err.to_string();
            assert!(
                message.contains(key) && message.contains("server.toml"),
                "{message}"
            );
        }
        for (text, key) in [
            ("idle_timeout_s = 0", "`dashboard.idle_timeout_s`"),
            (
                "idle_timeout_s = 600\nabsolute_timeout_s = 60",
                "`dashboard.absolute_timeout_s`",
            ),
        ] {
            let err = parse(&format!("database = \"x.db\"\n[dashboard]\n{text}")).expect_err(text);
            assert!(err.to_string().contains(key), "{err}");
        }
        let err = parse("database = \"x.db\"\n[rate_limit.enrol]\nburst = 2").expect_err("typo");
        assert!(err.to_string().contains("enrol"), "{err}");
    }

    #[test]
    fn limits_and_proxies_have_defaults_and_precise_errors() {
        let s = parse("database = \"x.db\"").expect("valid");
        assert_eq!(s.limits, Limits::default());
        assert_eq!(s.proxies, TrustedProxies::default());
        let s = parse(
            "database = \"x.db\"\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n\
             forwarded_header = \"forwarded\"\n[limits]\nmax_wait_ms = 250\n\
             [rate_limit]\nmemory_kib = 1024\n",
        )
        .expect("valid");
        assert_eq!(s.proxies.networks.len(), 2);
        assert_eq!(s.proxies.header, ForwardedHeader::Forwarded);
        assert_eq!(s.limits.max_wait, Duration::from_millis(250));
        assert_eq!(s.rate_limit.max_bytes_per_limiter, 1024 * 1024);
        for (text, key) in [
            ("[limits]\nmax_connections = 0", "`limits.max_connections`"),
            (
                "[limits]\nheader_read_timeout_s = 0",
                "`limits.header_read_timeout_s`",
            ),
            (
                "[limits]\nbody_read_timeout_s = 86400",
                "`limits.body_read_timeout_s`",
            ),
            ("[limits]\nsend_timeout_s = 0", "`limits.send_timeout_s`"),
            ("[limits]\nmax_wait_ms = 0", "`limits.max_wait_ms`"),
            (
                "[limits]\nconcurrent_exports = 0",
                "`limits.concurrent_exports`",
            ),
            (
                "[limits]\nexport_timeout_s = 0",
                "`limits.export_timeout_s`",
            ),
            (
                "[limits]\nconcurrent_password_hashes = 1000",
                "`limits.concurrent_password_hashes`",
            ),
            ("[rate_limit]\nmemory_kib = 1", "`rate_limit.memory_kib`"),
            (
                "[rate_limit.login_slow_down]\nburst = 0",
                "`rate_limit.login_slow_down.burst`",
            ),
            ("trusted_proxies = [\"10.0.0.1/8\"]", "`trusted_proxies`"),
            ("trusted_proxies = [\"proxy.local\"]", "`trusted_proxies`"),
            ("forwarded_header = \"x-real-ip\"", "`forwarded_header`"),
        ] {
            let err = parse(&format!("database = \"x.db\"\n{text}")).expect_err(text);
            let message = err.to_string();
            assert!(
                message.contains(key) && message.contains("server.toml"),
                "{message}"
            );
        }
    }

    #[test]
    fn the_dashboard_url_for_e_mail_links_is_an_http_address() {
        let s = parse("database = \"x.db\"\n[alerts]\ndashboard_url = \"https://ocena.plock.eu\"")
            .expect("valid");
        assert_eq!(
            s.alerts.dashboard_url.as_ref().map(reqwest::Url::as_str),
            Some("https://ocena.plock.eu/")
        );
        assert_eq!(
            parse("database = \"x.db\"")
                .expect("valid")
                .alerts
                .dashboard_url,
            None
        );
        for bad in [
            "ocena.plock.eu",
            "mailto:wo@plock.eu",
            "ftp://ocena.plock.eu",
        ] {
            let err = parse(&format!(
                "database = \"x.db\"\n[alerts]\ndashboard_url = \"{bad}\""
            ))
            .expect_err(bad);
            assert!(err.to_string().contains("`alerts.dashboard_url`"), "{err}");
        }
    }

    #[test]
    fn the_example_file_is_valid_and_states_the_defaults() {
        let example = include_str!("../sync-server.example.toml");
        let s = Settings::from_toml(example, Path::new("sync-server.example.toml")).expect("valid");
        assert_eq!(s.rate_limit, RateLimits::default());
        assert_eq!(s.limits, Limits::default());
        assert_eq!(s.proxies, TrustedProxies::default());
        assert_eq!(
            s.dashboard,
            DashboardSettings {
                behind_tls_proxy: true,
                ..DashboardSettings::default()
            }
        );
        assert!(
            s.dashboard.behind_tls_proxy && s.secure_cookies(),
            "the example is for production, behind the TLS proxy: its cookie is Secure"
        );
        assert_eq!(s.admin_token_sha256, None, "never from the file");
    }

    #[test]
    fn the_admin_token_must_be_long_and_is_kept_only_as_a_hash() {
        assert_eq!(admin_token_sha256(None).expect("unset is fine"), None);
        let err = admin_token_sha256(Some("short".into())).expect_err("too short");
        assert!(err.to_string().contains(ENV_ADMIN_TOKEN), "{err}");
        // `openssl rand -base64 32` and `openssl rand -hex 16`.
        for token in [
            "q9Zr1CKjP0Hc3+Yk8wG2xF/7uTnVbLm5aE6sDdR4oWi=",
            "8c1f2e9b07a4d3665f0e1b2c9d8a7f34",
        ] {
            assert_eq!(
                admin_token_sha256(Some(token.to_owned())).expect("random enough"),
                Some(credentials::sha256(token))
            );
        }
        for (weak, why) in [
            ("a".repeat(MIN_ADMIN_TOKEN_CHARS), "different characters"),
            ("Password123!".repeat(3), "repeats the same 12 characters"),
            (
                "0123456789abcdef".repeat(2),
                "repeats the same 16 characters",
            ),
            ("abcdefghijklmnopqrstuvwxyz012345".to_owned(), "runs"),
            ("correct horse battery staple xyzzy".to_owned(), "spaces"),
        ] {
            let err = admin_token_sha256(Some(weak.clone())).expect_err(&weak);
            let text = err.to_string();
            assert!(
                text.contains(ENV_ADMIN_TOKEN) && text.contains(why),
                "{weak}: {text}"
            );
        }
    }

    #[test]
    fn a_database_is_an_sqlite_file_or_a_postgres_url_without_its_password() {
        let db = |text: &str| Database::parse(text);
        assert_eq!(db("x.db"), Ok(Database::Sqlite("x.db".into())));
        assert_eq!(
            db("sqlite:/var/lib/ocena/server.db"),
            Ok(Database::Sqlite("/var/lib/ocena/server.db".into()))
        );
        assert_eq!(
            db("postgres://ocena@db.example:5432/ocena"),
            Ok(Database::Postgres {
                url: "postgres://ocena@db.example:5432/ocena".into(),
                password: None
            })
        );
        let problems = [
            (
                "postgres://ocena:hunter2@db.example/ocena",
                ENV_DATABASE_PASSWORD,
            ),
            (
                "postgres://ocena@db.example/ocena?sslmode=require&password=hunter2",
                ENV_DATABASE_PASSWORD,
            ),
            (
                "mysql://db.example/ocena",
                "unknown database kind \"mysql\"",
            ),
            ("postgres:///ocena", "names no PostgreSQL host"),
            ("sqlite:", "names no file"),
            ("", "must not be empty"),
        ];
        for (text, why) in problems {
            let message = db(text).expect_err(text);
            assert!(message.contains(why), "{text}: {message}");
            assert!(
                !message.contains("hunter2"),
                "the password is never repeated: {message}"
            );
        }
        let debug = format!(
            "{:?}",
            Database::Postgres {
                url: "postgres://ocena@h/o".into(),
                password: Some("hunter2".into())
            }
        );
        assert!(!debug.contains("hunter2"), "{debug}");
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
        assert_eq!(s.database, Database::Sqlite(PathBuf::from("env.db")));
        assert_eq!(s.listen.port(), 0);
    }
}
