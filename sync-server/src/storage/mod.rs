//! The storage seam: everything the HTTP layer and the CLI ask of the database, behind the
//! blocking [`Backend`] trait, run off the async runtime by [`Storage`]. Two backends: SQLite
//! (`sqlite/`, the default) and PostgreSQL (`postgres/`); `http/` and the dashboard know neither.

pub mod accounts;
#[cfg(test)]
pub mod conformance;
mod disclosed;
pub mod postgres;
pub mod sqlite;
pub mod transfer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use model::wire::{BatchReceipt, DeskSurvey, Heartbeat, RecordBatch};
use model::{DeskId, LanguageTag, RecordedTime, StandardId};

use crate::access::Scope;
use crate::alerts::delivery::Channel;
use crate::alerts::{AlertEvent, AlertRecord, AlertRule, Change, OpenAlert, Reading, RuleKind};
use crate::analytics::{
    Counts, DeskCounts, DeskDay, Disclosure, ExportRow, Filter, Group, HeatCell, Level, Node,
    Places, ReasonCount, TrendPoint, Usage,
};
use crate::busy::Busy;
use crate::lang::Lang;
pub use crate::offices::Office;
use crate::survey::{DeskSurveyEdit, SurveyError};
pub use accounts::{ActiveSession, FleetKiosk, NewSession, NewUser, User, UserCredentials};
pub use disclosed::DecisionMemo;
use disclosed::{Reads, place, withheld_by_question};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error")]
    Database(#[source] EngineError),
    #[error("cannot open database {path}")]
    Open {
        path: String,
        #[source]
        source: EngineError,
    },
    #[error("cannot create database file {path}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the storage task stopped unexpectedly")]
    TaskFailed(#[from] tokio::task::JoinError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A newer server migrated the database past the schema this one knows: refused, not
    /// misread (the kiosk's batch is retried; nothing is lost).
    #[error(
        "database {path} is at schema v{found}; this sync-server knows up to v{known}: run the \
         newer sync-server"
    )]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },
    /// A caller's mistake (unknown office, duplicate id…): the message names it.
    #[error("{0}")]
    Invalid(String),
    /// No connection (or export slot) was free within the wait.
    #[error(transparent)]
    Busy(#[from] Busy),
}

impl StorageError {
    /// The [`Busy`] this error amounts to: no connection free in time, or SQLite itself busy
    /// (another process held the database past the busy timeout).
    pub fn busy(&self) -> Option<Busy> {
        match self {
            StorageError::Busy(busy) => Some(*busy),
            StorageError::Database(e) if e.busy => Some(Busy { what: "database" }),
            _ => None,
        }
    }
}

/// What the database engine reported, in its own words, with no engine's type: a backend turns
/// its errors into this, so nothing above the seam depends on the engine it uses.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    /// The engine's message, with the messages of the errors beneath it.
    pub message: String,
    /// Whether another connection or process held the database past the engine's own wait.
    pub busy: bool,
}

/// The database connections a server opens and how long a request waits for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connections {
    /// Reader connections shared by every request.
    pub readers: usize,
    /// Connections only exports use: also the number of exports streamed at once.
    pub exports: usize,
    /// The longest a request waits for a connection or an export slot before [`Busy`].
    pub max_wait: Duration,
}

impl Default for Connections {
    /// One of each, as the command-line tools need.
    fn default() -> Connections {
        Connections {
            readers: 1,
            exports: 1,
            max_wait: crate::config::Limits::default().max_wait,
        }
    }
}

impl From<SurveyError> for StorageError {
    /// A survey that breaks a rule is the caller's mistake; the message names the flag.
    fn from(problem: SurveyError) -> StorageError {
        StorageError::Invalid(problem.to_string())
    }
}

/// Why an enrollment code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    Unknown,
    AlreadyUsed,
    Expired,
}

/// The kiosk a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub id: String,
    pub desk_id: DeskId,
    pub enrolled_at_ms: i64,
}

/// The result of looking a token up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenLookup {
    Valid(Kiosk),
    Revoked,
    Unknown,
}

/// A new kiosk as enrollment creates it.
#[derive(Debug, Clone)]
pub struct NewKiosk {
    pub id: String,
    pub token_sha256: [u8; 32],
    pub version: String,
    pub clock: RecordedTime,
}

/// A desk to add, with its survey settings.
#[derive(Debug, Clone)]
pub struct NewDesk {
    pub id: DeskId,
    pub office_id: String,
    pub department_id: String,
    pub name: String,
    pub internal_service: bool,
    pub standards: Vec<StandardId>,
    pub languages: Vec<LanguageTag>,
    pub default_language: LanguageTag,
}

/// A desk as listed for staff: where it is and the survey its kiosks show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desk {
    pub office_id: String,
    pub department_id: String,
    pub survey: DeskSurvey,
}

/// What `desk set` did: the survey as it is now, and whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeskEditOutcome {
    /// Stored with the revision increased by one.
    Changed(DeskSurvey),
    /// The values given are the ones the desk already had; nothing was written.
    Unchanged(DeskSurvey),
}

/// One kiosk's fleet-health row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskStatus {
    pub id: String,
    pub desk_id: String,
    pub enrolled_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    pub last_seen_ms: Option<i64>,
    pub version: String,
    pub backlog: Option<i64>,
    pub oldest_unsynced_ms: Option<i64>,
    pub last_error: Option<String>,
    /// The kiosk's wall clock at its last request minus the server's time then (`last_seen_ms`).
    pub clock_drift_ms: Option<i64>,
    /// Whether the kiosk's clock was NTP-synchronised at its last request.
    pub clock_synchronized: Option<bool>,
}

/// Counted answers of one desk, question, day, language and text size (bursts included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub desk_id: String,
    pub question: String,
    pub day: String,
    pub language: String,
    pub larger_text: bool,
    /// Counts of scores 1, 2, 3 and 4.
    pub scores: [i64; 4],
    /// Counted answers that named at least one reason.
    pub reasons: i64,
    /// Counted "does not apply" answers (never among the scores).
    pub not_applicable: i64,
}

/// How much a database holds: `demo` wants none of it, and reports what it stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Contents {
    pub offices: i64,
    pub departments: i64,
    pub desks: i64,
    pub kiosks: i64,
    pub answers: i64,
}

/// An alert with the state of its notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertListing {
    pub alert: AlertRecord,
    pub deliveries: Vec<DeliveryState>,
}

/// Where one notification of an alert stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryState {
    pub event: AlertEvent,
    pub channel: Channel,
    pub attempts: i64,
    pub delivered_at_ms: Option<i64>,
    pub last_error: Option<String>,
}

/// A notification due to be sent.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingDelivery {
    pub alert: AlertRecord,
    pub event: AlertEvent,
    pub channel: Channel,
    /// Attempts made so far.
    pub attempts: i64,
}

/// A department report e-mail claimed for sending: who receives which month's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDelivery {
    pub user_id: i64,
    pub username: String,
    pub email: String,
    pub lang: Lang,
    pub office_id: String,
    pub department_id: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// How many times an admin has sent it again (each time a new message).
    pub resends: i64,
}

/// Where one department report e-mail stands, for the alerts and notifications page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDeliveryState {
    pub user_id: i64,
    pub username: String,
    pub office_id: String,
    pub department_id: String,
    pub month: String,
    pub attempts: i64,
    pub delivered_at_ms: Option<i64>,
    /// A round holds it until then (it is being sent, or its round stopped mid-way).
    pub claimed_until_ms: Option<i64>,
    /// When it is tried next; `None` once delivered or given up.
    pub next_attempt_ms: Option<i64>,
    pub last_error: Option<String>,
    /// The admin who asked for it to be sent again, if one did.
    pub resent_by: Option<String>,
    /// Whether the recipient's account is disabled (no round sends to it).
    pub recipient_disabled: bool,
}

/// What a retention purge deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeSummary {
    /// Answers placed before this Europe/Warsaw day were deleted.
    pub before_day: String,
    pub answers: usize,
    pub conflicts: usize,
}

/// A database the aggregator can run on. Methods block; [`Storage`] calls them off the runtime.
pub trait Backend: Send + Sync + 'static {
    /// Every office, by id.
    fn offices(&self) -> Result<Vec<Office>, StorageError>;
    /// Adds an office; `false` (and nothing changed) when its id is already taken.
    fn add_office(&self, office: &Office) -> Result<bool, StorageError>;
    /// Gives an office a new name; `false` when there is no such office.
    fn rename_office(&self, id: &str, name: &str) -> Result<bool, StorageError>;
    fn add_department(&self, office: &str, id: &str, name: &str) -> Result<(), StorageError>;
    /// Adds a desk; its survey is checked by [`crate::survey::check`].
    fn add_desk(&self, desk: &NewDesk) -> Result<(), StorageError>;
    /// Every desk, by office, department and id.
    fn desks(&self) -> Result<Vec<Desk>, StorageError>;
    fn desk(&self, id: &DeskId) -> Result<Option<Desk>, StorageError>;
    /// Applies `edit` to a desk's survey, checks the result by [`crate::survey::check`] and, if
    /// anything changed, stores it with the revision increased by one, all in one transaction.
    fn edit_desk(
        &self,
        id: &DeskId,
        edit: &DeskSurveyEdit,
    ) -> Result<DeskEditOutcome, StorageError>;
    /// Stores a single-use enrollment code's hash, bound to `desk`, valid until `expires_at_ms`.
    fn add_enrollment_code(
        &self,
        code_sha256: [u8; 32],
        desk: &DeskId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<(), StorageError>;
    /// Spends a code (once) and creates the kiosk; returns its desk's survey.
    fn enroll(
        &self,
        code_sha256: [u8; 32],
        kiosk: &NewKiosk,
        now_ms: i64,
    ) -> Result<Result<DeskSurvey, CodeProblem>, StorageError>;
    fn kiosk_by_token(&self, token_sha256: [u8; 32]) -> Result<TokenLookup, StorageError>;
    /// Stores a batch in one transaction, with one outcome per record in the batch's order.
    fn ingest(
        &self,
        kiosk: &Kiosk,
        batch: &RecordBatch,
        received_ms: i64,
    ) -> Result<BatchReceipt, StorageError>;
    fn heartbeat(
        &self,
        kiosk: &Kiosk,
        heartbeat: &Heartbeat,
        now_ms: i64,
    ) -> Result<DeskSurvey, StorageError>;
    fn kiosks(&self) -> Result<Vec<KioskStatus>, StorageError>;
    /// Revokes a kiosk's token; false if there is no such kiosk.
    fn revoke(&self, kiosk_id: &str, now_ms: i64) -> Result<bool, StorageError>;
    fn answer_count(&self) -> Result<i64, StorageError>;
    fn conflict_count(&self) -> Result<i64, StorageError>;
    fn rollups(&self, desk: &DeskId) -> Result<Vec<Rollup>, StorageError>;
    /// How many offices, departments, desks, kiosks and answers are stored.
    fn contents(&self) -> Result<Contents, StorageError>;

    // The dashboard's reads: each for a viewer's scope, filtered in the query itself.

    /// The offices, departments and desks `scope` may read.
    fn places(&self, scope: &Scope) -> Result<Places, StorageError>;
    /// Counted answers per office, department, desk or question.
    fn breakdown(
        &self,
        filter: &Filter,
        scope: &Scope,
        level: Level,
    ) -> Result<Vec<Group>, StorageError>;
    /// Counted answers per week or month (the filter's step).
    fn trend(&self, filter: &Filter, scope: &Scope) -> Result<Vec<TrendPoint>, StorageError>;
    /// The most chosen reasons after low scores, at most `limit`.
    fn top_reasons(
        &self,
        filter: &Filter,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<ReasonCount>, StorageError>;
    /// Counted answers per weekday and hour.
    fn heatmap(&self, filter: &Filter, scope: &Scope) -> Result<Vec<HeatCell>, StorageError>;
    /// Counted answers per language chosen and text size.
    fn usage(&self, filter: &Filter, scope: &Scope) -> Result<Usage, StorageError>;
    /// Calls `each` with every counted answer the filter selects, one at a time, until it
    /// returns false.
    fn export_answers(
        &self,
        filter: &Filter,
        scope: &Scope,
        each: &mut dyn FnMut(&ExportRow) -> bool,
    ) -> Result<(), StorageError>;
    /// Counted answers per desk of every office with its question, for disclosure control: the
    /// filter's period, language and bursts (not its places), its question or every question.
    fn desk_counts(
        &self,
        filter: &Filter,
        every_question: bool,
    ) -> Result<Vec<(String, DeskCounts)>, StorageError>;
    /// As [`Backend::desk_counts`], per language, whatever the filter's language.
    fn desk_language_counts(
        &self,
        filter: &Filter,
        every_question: bool,
    ) -> Result<Vec<(String, String, DeskCounts)>, StorageError>;
    /// Counted answers per desk and day.
    fn desk_days(&self, filter: &Filter, scope: &Scope) -> Result<Vec<DeskDay>, StorageError>;
    /// Deletes the answers placed on a day before `before_day` (`YYYY-MM-DD`, Europe/Warsaw),
    /// keeping the rollups and a tombstone of each id, and conflict logs received before
    /// `before_ms`.
    fn purge_answers(&self, before_day: &str, before_ms: i64)
    -> Result<PurgeSummary, StorageError>;
    // Alerts (crate::alerts).
    /// Adds an enabled rule; `office` `None` watches every office.
    /// The rule's numbers are checked against `disclosure`'s `k`.
    fn add_alert_rule(
        &self,
        disclosure: Disclosure,
        kind: RuleKind,
        office: Option<&str>,
        now_ms: i64,
    ) -> Result<AlertRule, StorageError>;
    fn alert_rules(&self) -> Result<Vec<AlertRule>, StorageError>;
    /// Enables or disables a rule; false if there is no such rule.
    fn set_alert_rule_enabled(&self, rule_id: i64, enabled: bool) -> Result<bool, StorageError>;
    /// What evaluating `rule` at `now_ms` needs: one reading per desk or kiosk it watches.
    /// A CSAT window narrower than `disclosure`'s `k` is read as `k` responses.
    fn alert_readings(
        &self,
        rule: &AlertRule,
        now_ms: i64,
        disclosure: Disclosure,
    ) -> Result<Vec<Reading>, StorageError>;
    fn open_alerts(&self) -> Result<Vec<OpenAlert>, StorageError>;
    /// Applies raises and clears in one transaction, queueing a notification per channel.
    fn apply_alert_changes(
        &self,
        changes: &[Change],
        channels: &[Channel],
        now_ms: i64,
    ) -> Result<usize, StorageError>;
    /// Alerts (open first, then newest) within `scope`: of its office, and for a department
    /// scope only those about its desks and their kiosks.
    fn alert_listing(&self, scope: &Scope, limit: usize)
    -> Result<Vec<AlertListing>, StorageError>;
    /// Notifications due at `now_ms`, oldest first, claimed for the caller's round until its
    /// attempt is recorded (or `alerts::delivery::CLAIM_LEASE_MS` passes), so several
    /// processes on one database send each once.
    fn pending_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, StorageError>;
    fn record_delivery(
        &self,
        alert_id: i64,
        event: AlertEvent,
        channel: Channel,
        outcome: &Result<(), String>,
        now_ms: i64,
    ) -> Result<(), StorageError>;
    // Department reports' e-mail (crate::department_reports::delivery).
    /// Queues `month`'s report for every enabled head of department with an address, once per
    /// recipient and month however often it is called; returns the rows added.
    fn queue_department_reports(&self, month: &str, now_ms: i64) -> Result<usize, StorageError>;
    /// Claims the oldest due report e-mail until `now_ms + lease_ms`, committed before it is
    /// sent.
    fn claim_department_report(
        &self,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ReportDelivery>, StorageError>;
    /// Records one attempt of a claimed e-mail and ends its claim.
    fn record_department_report(
        &self,
        user_id: i64,
        month: &str,
        outcome: &Result<(), String>,
        now_ms: i64,
    ) -> Result<(), StorageError>;
    /// The report e-mails within `scope`, newest month first.
    fn department_report_deliveries(
        &self,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<ReportDeliveryState>, StorageError>;
    /// Makes a recipient's e-mail of `month` due again (an admin's "send again"); false when
    /// there is none or a round is sending it now.
    fn resend_department_report(
        &self,
        user_id: i64,
        month: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError>;
    /// Adds a dashboard user; a taken username or an unknown office is [`StorageError::Invalid`].
    fn add_user(&self, user: &NewUser, now_ms: i64) -> Result<i64, StorageError>;
    /// Every dashboard user, by username.
    fn users(&self) -> Result<Vec<User>, StorageError>;
    fn user_credentials(&self, username: &str) -> Result<Option<UserCredentials>, StorageError>;
    /// Disables a user and ends its sessions; false if there is no such user.
    fn disable_user(&self, username: &str, now_ms: i64) -> Result<bool, StorageError>;
    /// Replaces a user's password hash and ends its sessions; false if there is no such user.
    fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StorageError>;
    /// Stores a new session (dropping the one it replaces and every expired one).
    fn create_session(&self, session: &NewSession) -> Result<(), StorageError>;
    /// The live session with this id: not past `expires_at`, used within `idle_ms`, its user
    /// enabled. Marks it used now.
    fn session(
        &self,
        id_sha256: [u8; 32],
        now_ms: i64,
        idle_ms: i64,
    ) -> Result<Option<ActiveSession>, StorageError>;
    fn set_session_lang(&self, id_sha256: [u8; 32], lang: Lang) -> Result<(), StorageError>;
    fn delete_session(&self, id_sha256: [u8; 32]) -> Result<(), StorageError>;
    /// Every kiosk with its office and desk, only `office`'s (and `department`'s) when given
    /// (the viewer's scope).
    fn fleet(
        &self,
        office: Option<&str>,
        department: Option<&str>,
    ) -> Result<Vec<FleetKiosk>, StorageError>;
}

/// The storage the server and the CLI use: cheap to clone, async, never blocks the runtime.
/// Every aggregate it hands out has been through [`Disclosure`]: the raw counts never leave.
#[derive(Clone)]
pub struct Storage {
    backend: Arc<dyn Backend>,
    /// One permit per export connection: an export starts only with one.
    export_slots: Arc<tokio::sync::Semaphore>,
    max_wait: Duration,
    disclosure: Disclosure,
    /// What disclosure control has read for the page this storage serves (see
    /// [`Storage::for_one_page`]); remembers nothing in the server's shared storage.
    memo: DecisionMemo,
}

macro_rules! off_runtime {
    ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty = |$b:ident| $call:expr) => {
        $(#[$doc])*
        pub async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, StorageError> {
            let $b = Arc::clone(&self.backend);
            tokio::task::spawn_blocking(move || $call).await?
        }
    };
}

impl Storage {
    /// Storage on `backend`, which has `connections.exports` export connections.
    pub fn new(backend: impl Backend, connections: Connections) -> Storage {
        Storage {
            backend: Arc::new(backend),
            export_slots: Arc::new(tokio::sync::Semaphore::new(connections.exports.max(1))),
            max_wait: connections.max_wait,
            disclosure: Disclosure::default(),
            memo: DecisionMemo::default(),
        }
    }

    /// This storage for one page, report, API response or e-mail: disclosure control reads the
    /// desk counts behind its decisions once per period, language and bursts, however many
    /// figures the page shows (a page reads them once instead of about ten times). Drop it with
    /// the page: it does not see answers stored after its first read.
    pub fn for_one_page(&self) -> Storage {
        Storage {
            memo: DecisionMemo::remembering(),
            ..self.clone()
        }
    }

    /// This storage with `disclosure`'s `k` (from `[privacy] min_responses`).
    pub fn with_disclosure(self, disclosure: Disclosure) -> Storage {
        Storage { disclosure, ..self }
    }

    pub fn disclosure(&self) -> Disclosure {
        self.disclosure
    }

    /// Opens (creating and migrating if needed) the SQLite database at `path`.
    pub async fn open_sqlite(
        path: std::path::PathBuf,
        connections: Connections,
    ) -> Result<Storage, StorageError> {
        let backend =
            tokio::task::spawn_blocking(move || sqlite::SqliteBackend::open(&path, &connections))
                .await??;
        Ok(Storage::new(backend, connections))
    }

    /// Opens the existing SQLite database at `path` for reading only: nothing done through
    /// this storage can change the file (see [`sqlite::SqliteBackend::open_read_only`]).
    pub async fn open_sqlite_read_only(
        path: std::path::PathBuf,
        connections: Connections,
    ) -> Result<Storage, StorageError> {
        let backend = tokio::task::spawn_blocking(move || {
            sqlite::SqliteBackend::open_read_only(&path, &connections)
        })
        .await??;
        Ok(Storage::new(backend, connections))
    }

    /// Opens (creating and migrating if needed) the database `database` names.
    pub async fn open(
        database: &crate::config::Database,
        connections: Connections,
    ) -> Result<Storage, StorageError> {
        match database {
            crate::config::Database::Sqlite(path) => {
                Storage::open_sqlite(path.clone(), connections).await
            }
            crate::config::Database::Postgres { url, password } => {
                let (url, password) = (url.clone(), password.clone());
                let backend = tokio::task::spawn_blocking(move || {
                    self::postgres::PostgresBackend::open_url(
                        &url,
                        password.as_deref(),
                        &connections,
                    )
                })
                .await??;
                Ok(Storage::new(backend, connections))
            }
        }
    }

    /// Adds the partner offices that are not there yet (an office already there keeps its
    /// name) and says how many were added: what `seed-offices` and `demo` do.
    pub async fn seed_partner_offices(&self) -> Result<usize, StorageError> {
        let mut added = 0;
        for office in crate::offices::partner_offices() {
            if self.add_office(office).await? {
                added += 1;
            }
        }
        Ok(added)
    }

    off_runtime!(fn offices() -> Vec<Office> = |b| b.offices());
    off_runtime!(fn add_office(office: Office) -> bool = |b| b.add_office(&office));
    off_runtime!(fn rename_office(id: String, name: String) -> bool
        = |b| b.rename_office(&id, &name));
    off_runtime!(fn add_department(office: String, id: String, name: String) -> ()
        = |b| b.add_department(&office, &id, &name));
    off_runtime!(fn add_desk(desk: NewDesk) -> () = |b| b.add_desk(&desk));
    off_runtime!(fn desks() -> Vec<Desk> = |b| b.desks());
    off_runtime!(fn desk(id: DeskId) -> Option<Desk> = |b| b.desk(&id));
    off_runtime!(fn edit_desk(id: DeskId, edit: DeskSurveyEdit) -> DeskEditOutcome
        = |b| b.edit_desk(&id, &edit));
    off_runtime!(fn add_enrollment_code(code_sha256: [u8; 32], desk: DeskId, now_ms: i64, expires_at_ms: i64) -> ()
        = |b| b.add_enrollment_code(code_sha256, &desk, now_ms, expires_at_ms));
    off_runtime!(fn enroll(code_sha256: [u8; 32], kiosk: NewKiosk, now_ms: i64) -> Result<DeskSurvey, CodeProblem>
        = |b| b.enroll(code_sha256, &kiosk, now_ms));
    off_runtime!(fn kiosk_by_token(token_sha256: [u8; 32]) -> TokenLookup = |b| b.kiosk_by_token(token_sha256));
    off_runtime!(fn ingest(kiosk: Kiosk, batch: RecordBatch, received_ms: i64) -> BatchReceipt
        = |b| b.ingest(&kiosk, &batch, received_ms));
    off_runtime!(fn heartbeat(kiosk: Kiosk, heartbeat: Heartbeat, now_ms: i64) -> DeskSurvey
        = |b| b.heartbeat(&kiosk, &heartbeat, now_ms));
    off_runtime!(fn kiosks() -> Vec<KioskStatus> = |b| b.kiosks());
    off_runtime!(fn revoke(kiosk_id: String, now_ms: i64) -> bool = |b| b.revoke(&kiosk_id, now_ms));
    off_runtime!(fn answer_count() -> i64 = |b| b.answer_count());
    off_runtime!(fn conflict_count() -> i64 = |b| b.conflict_count());
    off_runtime!(fn rollups(desk: DeskId) -> Vec<Rollup> = |b| b.rollups(&desk));
    off_runtime!(fn contents() -> Contents = |b| b.contents());
    off_runtime!(fn places(scope: Scope) -> Places = |b| b.places(&scope));

    /// Runs `read` off the runtime with the backend and this storage's disclosure control.
    async fn disclosed<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Reads<'_>, Disclosure) -> Result<T, StorageError> + Send + 'static,
    ) -> Result<T, StorageError> {
        let backend = Arc::clone(&self.backend);
        let memo = self.memo.clone();
        let disclosure = self.disclosure;
        tokio::task::spawn_blocking(move || {
            let reads = Reads {
                backend: backend.as_ref(),
                memo: &memo,
            };
            read(&reads, disclosure)
        })
        .await?
    }

    /// Counts per office, department, desk or question, each withheld as disclosure control
    /// decides for its place (and, by question, for that question's places).
    pub async fn breakdown(
        &self,
        filter: Filter,
        scope: Scope,
        level: Level,
    ) -> Result<Vec<Group>, StorageError> {
        self.disclosed(move |b, disclosure| {
            let mut groups = b.backend.breakdown(&filter, &scope, level)?;
            let every_question = level == Level::Question;
            let withheld = withheld_by_question(b, disclosure, &filter, every_question)?;
            let here = Node::of(&filter, &scope);
            for group in &mut groups {
                let (question, node) = match level {
                    Level::Question => (group.id.clone(), here.clone()),
                    Level::Office => (filter.question.to_string(), Node::Office(group.id.clone())),
                    Level::Department => (
                        filter.question.to_string(),
                        Node::Department {
                            office: group.office_id.clone().unwrap_or_default(),
                            department: group.id.clone(),
                        },
                    ),
                    Level::Desk => (filter.question.to_string(), Node::Desk(group.id.clone())),
                };
                // Grouped above the place the filter (or a department scope) narrows to, a
                // group holds only that place's answers and is withheld as it is.
                let node = node.or_narrower(&here);
                group.counts.withheld |= withheld
                    .iter()
                    .find(|(q, _)| *q == question)
                    .is_some_and(|(_, w)| w.contains(&node))
                    || disclosure.too_few(&group.counts);
            }
            Ok(groups)
        })
        .await
    }

    /// The counts of the place the filter is about, withheld as its place is.
    pub async fn total(&self, filter: Filter, scope: Scope) -> Result<Counts, StorageError> {
        self.disclosed(move |b, disclosure| place(b, disclosure, &filter, &scope))
            .await
    }

    /// Counts per week or month: withheld entirely when their place is, and otherwise as parts
    /// of its shown total.
    pub async fn trend(
        &self,
        filter: Filter,
        scope: Scope,
    ) -> Result<Vec<TrendPoint>, StorageError> {
        self.disclosed(move |b, disclosure| {
            let mut points = b.backend.trend(&filter, &scope)?;
            let place_withheld = place(b, disclosure, &filter, &scope)?.is_withheld();
            disclosure.protect_parts(place_withheld, &mut points, |p| &mut p.counts);
            Ok(points)
        })
        .await
    }

    /// The most chosen reasons, or `None` when the figures they explain are withheld or there
    /// are none. A reason is shown only when chosen at least `k` times and when its standard's
    /// figures for the place are shown (under the overall filter the reasons come from every
    /// standard, each with its own decision).
    pub async fn top_reasons(
        &self,
        filter: Filter,
        scope: Scope,
        limit: usize,
    ) -> Result<Option<Vec<ReasonCount>>, StorageError> {
        self.disclosed(move |b, disclosure| {
            let here = place(b, disclosure, &filter, &scope)?;
            if here.figures().is_none() {
                return Ok(None);
            }
            let mut standard_shown: HashMap<String, bool> = HashMap::new();
            let mut shown = Vec::new();
            for reason in b.backend.top_reasons(&filter, &scope, usize::MAX)? {
                if shown.len() == limit {
                    break;
                }
                if reason.chosen < disclosure.min_responses() {
                    continue;
                }
                let standard_is_shown = match standard_shown.get(&reason.question) {
                    Some(known) => *known,
                    None => {
                        let known = match reason.question.parse::<model::Question>() {
                            Ok(question) if question == filter.question => true,
                            Ok(question) => {
                                let standard = Filter {
                                    question,
                                    ..filter.clone()
                                };
                                place(b, disclosure, &standard, &scope)?.figures().is_some()
                            }
                            Err(_) => false,
                        };
                        standard_shown.insert(reason.question.clone(), known);
                        known
                    }
                };
                if standard_is_shown {
                    shown.push(reason);
                }
            }
            Ok(Some(shown))
        })
        .await
    }

    /// Counts per weekday and hour, as parts of their place's total.
    pub async fn heatmap(
        &self,
        filter: Filter,
        scope: Scope,
    ) -> Result<Vec<HeatCell>, StorageError> {
        self.disclosed(move |b, disclosure| {
            let mut cells = b.backend.heatmap(&filter, &scope)?;
            let place_withheld = place(b, disclosure, &filter, &scope)?.is_withheld();
            disclosure.protect_parts(place_withheld, &mut cells, |c| &mut c.counts);
            Ok(cells)
        })
        .await
    }

    /// Counts per language and per text size, each set as parts of their place's total.
    pub async fn usage(&self, filter: Filter, scope: Scope) -> Result<Usage, StorageError> {
        self.disclosed(move |b, disclosure| {
            let mut usage = b.backend.usage(&filter, &scope)?;
            let place_withheld = place(b, disclosure, &filter, &scope)?.is_withheld();
            disclosure.protect_parts(place_withheld, &mut usage.languages, |(_, c)| c);
            let mut sizes = [usage.normal_text, usage.larger_text];
            disclosure.protect_parts(place_withheld, &mut sizes, |c| c);
            [usage.normal_text, usage.larger_text] = sizes;
            Ok(usage)
        })
        .await
    }

    /// Deletes the answers older than `retention_months` before `today` (Europe/Warsaw), and the
    /// conflict logs received before then; rollups stay (see `sqlite/retention.rs`).
    pub async fn purge(
        &self,
        retention_months: u32,
        today: chrono::NaiveDate,
    ) -> Result<PurgeSummary, StorageError> {
        let cutoff = today
            .checked_sub_months(chrono::Months::new(retention_months))
            .unwrap_or(chrono::NaiveDate::MIN);
        let before_ms = cutoff
            .and_hms_opt(0, 0, 0)
            .map_or(i64::MIN, |t| t.and_utc().timestamp_millis());
        let before_day = cutoff.to_string();
        let backend = Arc::clone(&self.backend);
        tokio::task::spawn_blocking(move || backend.purge_answers(&before_day, before_ms)).await?
    }

    /// Counts per desk and day for the aggregate export: a desk's days are parts of the desk's
    /// total, all withheld when the desk is.
    pub async fn desk_days(
        &self,
        filter: Filter,
        scope: Scope,
    ) -> Result<Vec<DeskDay>, StorageError> {
        self.disclosed(move |b, disclosure| {
            let mut days = b.backend.desk_days(&filter, &scope)?;
            let withheld = withheld_by_question(b, disclosure, &filter, false)?;
            let withheld = withheld.first().map(|(_, w)| w.clone()).unwrap_or_default();
            for desk_days in days.chunk_by_mut(|a, b| a.desk_id == b.desk_id) {
                let desk = Node::Desk(desk_days[0].desk_id.clone());
                let mut total = Counts::default();
                for d in desk_days.iter() {
                    total.add(d.counts);
                }
                let desk_withheld = withheld.contains(&desk) || disclosure.too_few(&total);
                disclosure.protect_parts(desk_withheld, desk_days, |d| &mut d.counts);
            }
            Ok(days)
        })
        .await
    }

    /// Streams the export of `filter` for `scope`: a blocking reader formats rows with `format`
    /// into chunks of about [`EXPORT_CHUNK_BYTES`] and hands them over a bounded channel, so at
    /// most a few chunks are in memory however large the export. An export needs one of the
    /// export slots (waiting at most `max_wait`, else [`Busy`]); it stops, freeing its slot and
    /// connection, when the receiver is dropped (the client went away) or does not take a chunk
    /// within `send_timeout` (the client stopped reading).
    pub async fn export_chunks(
        &self,
        filter: Filter,
        scope: Scope,
        header: Vec<u8>,
        send_timeout: Duration,
        mut format: impl FnMut(&ExportRow, &mut Vec<u8>) + Send + 'static,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<Vec<u8>, StorageError>>, StorageError> {
        let busy = Busy {
            what: "export slot",
        };
        let slot = tokio::time::timeout(
            self.max_wait,
            Arc::clone(&self.export_slots).acquire_owned(),
        )
        .await
        .map_err(|_| busy)?
        .map_err(|_| busy)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(EXPORT_CHUNKS_IN_FLIGHT);
        let backend = Arc::clone(&self.backend);
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            let send = |chunk| {
                let sent = runtime.block_on(tokio::time::timeout(send_timeout, sender.send(chunk)));
                if sent.is_err() {
                    tracing::warn!(
                        ?send_timeout,
                        "export stopped: the client took no data within the send timeout"
                    );
                }
                matches!(sent, Ok(Ok(())))
            };
            let mut chunk = header;
            let mut open = true;
            let result = backend.export_answers(&filter, &scope, &mut |row| {
                format(row, &mut chunk);
                if chunk.len() >= EXPORT_CHUNK_BYTES {
                    let full = std::mem::replace(
                        &mut chunk,
                        Vec::with_capacity(EXPORT_CHUNK_BYTES + 1024),
                    );
                    open = send(Ok(full));
                }
                open
            });
            if !open {
                return;
            }
            let last = match result {
                Ok(()) if chunk.is_empty() => return,
                Ok(()) => Ok(chunk),
                Err(e) => Err(e),
            };
            send(last);
        });
        Ok(receiver)
    }
    pub async fn add_alert_rule(
        &self,
        kind: RuleKind,
        office: Option<String>,
        now_ms: i64,
    ) -> Result<AlertRule, StorageError> {
        self.disclosed(move |b, disclosure| {
            b.backend
                .add_alert_rule(disclosure, kind, office.as_deref(), now_ms)
        })
        .await
    }
    off_runtime!(fn alert_rules() -> Vec<AlertRule> = |b| b.alert_rules());
    off_runtime!(fn set_alert_rule_enabled(rule_id: i64, enabled: bool) -> bool
        = |b| b.set_alert_rule_enabled(rule_id, enabled));
    pub async fn alert_readings(
        &self,
        rule: AlertRule,
        now_ms: i64,
    ) -> Result<Vec<Reading>, StorageError> {
        self.disclosed(move |b, disclosure| b.backend.alert_readings(&rule, now_ms, disclosure))
            .await
    }
    off_runtime!(fn open_alerts() -> Vec<OpenAlert> = |b| b.open_alerts());
    off_runtime!(fn apply_alert_changes(changes: Vec<Change>, channels: Vec<Channel>, now_ms: i64) -> usize
        = |b| b.apply_alert_changes(&changes, &channels, now_ms));
    off_runtime!(fn alert_listing(scope: Scope, limit: usize) -> Vec<AlertListing>
        = |b| b.alert_listing(&scope, limit));
    off_runtime!(fn pending_deliveries(now_ms: i64, limit: usize) -> Vec<PendingDelivery>
        = |b| b.pending_deliveries(now_ms, limit));
    off_runtime!(fn record_delivery(alert_id: i64, event: AlertEvent, channel: Channel, outcome: Result<(), String>, now_ms: i64) -> ()
        = |b| b.record_delivery(alert_id, event, channel, &outcome, now_ms));
    off_runtime!(fn queue_department_reports(month: String, now_ms: i64) -> usize
        = |b| b.queue_department_reports(&month, now_ms));
    off_runtime!(fn claim_department_report(now_ms: i64, lease_ms: i64) -> Option<ReportDelivery>
        = |b| b.claim_department_report(now_ms, lease_ms));
    off_runtime!(fn record_department_report(user_id: i64, month: String, outcome: Result<(), String>, now_ms: i64) -> ()
        = |b| b.record_department_report(user_id, &month, &outcome, now_ms));
    off_runtime!(fn department_report_deliveries(scope: Scope, limit: usize) -> Vec<ReportDeliveryState>
        = |b| b.department_report_deliveries(&scope, limit));
    off_runtime!(fn resend_department_report(user_id: i64, month: String, by: String, now_ms: i64) -> bool
        = |b| b.resend_department_report(user_id, &month, &by, now_ms));
    off_runtime!(fn add_user(user: NewUser, now_ms: i64) -> i64 = |b| b.add_user(&user, now_ms));
    off_runtime!(fn users() -> Vec<User> = |b| b.users());
    off_runtime!(fn user_credentials(username: String) -> Option<UserCredentials>
        = |b| b.user_credentials(&username));
    off_runtime!(fn disable_user(username: String, now_ms: i64) -> bool
        = |b| b.disable_user(&username, now_ms));
    off_runtime!(fn set_password(username: String, password_hash: String) -> bool
        = |b| b.set_password(&username, &password_hash));
    off_runtime!(fn create_session(session: NewSession) -> () = |b| b.create_session(&session));
    off_runtime!(fn session(id_sha256: [u8; 32], now_ms: i64, idle_ms: i64) -> Option<ActiveSession>
        = |b| b.session(id_sha256, now_ms, idle_ms));
    off_runtime!(fn set_session_lang(id_sha256: [u8; 32], lang: Lang) -> ()
        = |b| b.set_session_lang(id_sha256, lang));
    off_runtime!(fn delete_session(id_sha256: [u8; 32]) -> () = |b| b.delete_session(id_sha256));
    off_runtime!(fn fleet(office: Option<String>, department: Option<String>) -> Vec<FleetKiosk>
        = |b| b.fleet(office.as_deref(), department.as_deref()));
}

/// The size an export chunk grows to before it is sent.
pub const EXPORT_CHUNK_BYTES: usize = 64 * 1024;

/// How many export chunks may wait for the client at once.
const EXPORT_CHUNKS_IN_FLIGHT: usize = 4;
