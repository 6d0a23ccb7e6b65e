//! The kiosk's durable buffer of answers: SQLite in WAL mode with synchronous=FULL, one IMMEDIATE
//! transaction per answer. The `answers` table is also the outbox that sync drains.
//!
//! Only this module touches SQLite. Records are never edited or deleted here: a correction is a
//! new record that supersedes the old one, and deleting belongs to sync, after the aggregator
//! acknowledged a record.

mod migrations;
mod open;

use std::io::Write;
use std::path::{Path, PathBuf};

use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, ReasonCode, RecordId, RecordedTime,
    Score, VisitId,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

pub use open::Opened;

/// The database file inside the kiosk's data directory.
pub const DATABASE_FILE: &str = "kiosk.db";

/// An answer the flow wants stored; the store gives it its id and sequence number, the recorder
/// the time it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub visit_id: VisitId,
    pub desk_id: DeskId,
    pub question: Question,
    /// A score, or "does not apply" (a standard's question only, never with reasons).
    pub answer: model::Answer,
    pub reasons: Vec<ReasonCode>,
    pub language: LanguageTag,
    pub larger_text: bool,
    pub input: InputKind,
    pub supersedes: Option<RecordId>,
}

impl Answer {
    /// The record this answer becomes once stored with this id, sequence number and time.
    pub fn into_record(self, id: RecordId, sequence: u64, recorded: RecordedTime) -> RatingRecord {
        RatingRecord {
            id,
            visit_id: self.visit_id,
            sequence,
            desk_id: self.desk_id,
            question: self.question,
            answer: self.answer,
            reasons: self.reasons,
            language: self.language,
            larger_text: self.larger_text,
            input: self.input,
            supersedes: self.supersedes,
            recorded,
        }
    }
}

/// Why the store cannot do what was asked. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("disk full: cannot write {path}")]
    DiskFull {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("data directory not writable: {path}: {reason}")]
    NotWritable { path: PathBuf, reason: String },
    #[error("database {path} is corrupt ({reason}) and could not be moved aside")]
    CorruptAndStuck {
        path: PathBuf,
        reason: String,
        source: std::io::Error,
    },
    #[error("database {path} failed")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path} holds a record that does not parse (sequence {sequence}): {problem}")]
    BadRow {
        path: PathBuf,
        sequence: i64,
        problem: String,
    },
    #[error("database {path} has schema version {found}, newer than this kiosk knows ({known})")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
}

impl StoreError {
    /// True when the fault lies with the disk or directory and may go away by itself (space freed,
    /// a mount made writable): the kiosk shows "out of service" and keeps trying.
    pub fn is_storage_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::DiskFull { .. } | StoreError::NotWritable { .. }
        )
    }

    /// The short code the out-of-service screen shows instead of this technical text, so staff can
    /// look the fault up (INSTALL.md, "Codes on the out-of-service screen"); the text itself goes to
    /// the log and to `kiosk status`.
    pub fn screen_code(&self) -> &'static str {
        match self {
            StoreError::DiskFull { .. } => "S1",
            StoreError::NotWritable { .. } => "S2",
            StoreError::CorruptAndStuck { .. } => "S3",
            StoreError::Sqlite { .. } | StoreError::BadRow { .. } => "S4",
            StoreError::TooNew { .. } => "S5",
        }
    }

    pub(crate) fn from_sqlite(path: &Path, source: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match source.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::DiskFull {
                path: path.to_owned(),
                source,
            },
            Some(
                ErrorCode::ReadOnly
                | ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::SystemIoFailure,
            ) => StoreError::NotWritable {
                path: path.to_owned(),
                reason: source.to_string(),
            },
            _ => StoreError::Sqlite {
                path: path.to_owned(),
                source,
            },
        }
    }
}

/// What `kiosk status` reports about the buffer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreStatus {
    pub path: PathBuf,
    pub schema_version: i64,
    pub records: u64,
    pub unsynced: u64,
    /// The oldest record the aggregator has not acknowledged yet.
    pub oldest_unsynced: Option<OldestUnsynced>,
    /// `PRAGMA quick_check`: "ok" when the file is healthy.
    pub integrity: String,
    pub file_bytes: u64,
    pub last_sync_attempt_ms: Option<i64>,
    pub last_sync_success_ms: Option<i64>,
    pub last_sync_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OldestUnsynced {
    pub sequence: u64,
    pub id: RecordId,
    pub wall_clock_ms: i64,
    pub clock_synchronized: bool,
}

/// The outbox at a glance, cheap enough to read every few seconds (for the status LED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outbox {
    /// Records still to be sent (neither acknowledged nor set aside as rejected).
    pub waiting: u64,
    /// The newest record's sequence number in the file, if any; a record stored later has a
    /// higher one, so a reader can tell whether this count already includes it.
    pub newest_sequence: Option<u64>,
}

/// An open, migrated kiosk database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

const INSERT_ANSWER: &str = "INSERT INTO answers (id, visit_id, desk_id, question, score, reasons, \
     language, larger_text, input, supersedes, wall_clock_ms, boot_id, boottime_ns, \
     clock_synchronized, not_applicable) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

const SELECT_ANSWER: &str = "SELECT sequence, id, visit_id, desk_id, question, score, reasons, \
     language, larger_text, input, supersedes, wall_clock_ms, boot_id, boottime_ns, \
     clock_synchronized, not_applicable FROM answers";

impl Store {
    /// Opens (creating if needed) the database in `data_dir`, moving a corrupt file aside.
    pub fn open(data_dir: &Path) -> Result<Opened, StoreError> {
        open::open(data_dir)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores one answer durably: when this returns Ok, the record survives power loss.
    pub fn record(
        &mut self,
        answer: Answer,
        recorded: RecordedTime,
    ) -> Result<RatingRecord, StoreError> {
        let id = RecordId::new_random();
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let reasons = reasons_to_text(&answer.reasons);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.prepare_cached(INSERT_ANSWER)
            .and_then(|mut insert| {
                insert.execute(params![
                    id.to_string(),
                    answer.visit_id.to_string(),
                    answer.desk_id.as_str(),
                    answer.question.to_string(),
                    answer.answer.score().map(Score::value),
                    reasons,
                    answer.language.as_str(),
                    answer.larger_text,
                    answer.input.as_str(),
                    answer.supersedes.map(|s| s.to_string()),
                    recorded.wall_clock_ms,
                    recorded.boot_id,
                    boottime_to_sql(recorded.boottime_ns),
                    recorded.clock_synchronized,
                    answer.answer.is_not_applicable(),
                ])
            })
            .map_err(err)?;
        let sequence = tx.last_insert_rowid();
        tx.commit().map_err(err)?;
        Ok(answer.into_record(id, u64::try_from(sequence).unwrap_or_default(), recorded))
    }

    /// Commits a tiny write to learn whether the disk takes writes again (after "disk full").
    pub fn probe_writable(&mut self) -> Result<(), StoreError> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        self.conn
            .execute(
                "INSERT INTO health (id, last_write_ms) VALUES (1, ?1) \
                 ON CONFLICT (id) DO UPDATE SET last_write_ms = excluded.last_write_ms",
                [now_ms],
            )
            .map(drop)
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Reads the newest record's sequence number (0 for none) through a read-only connection of
    /// its own, without migrating or creating anything: the service watchdog's proof that the
    /// database still answers. It waits behind a writer at most the usual busy timeout.
    pub fn probe_readable(data_dir: &Path) -> Result<u64, StoreError> {
        let path = data_dir.join(DATABASE_FILE);
        let err = |e| StoreError::from_sqlite(&path, e);
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        let newest: Option<i64> = conn
            .query_row("SELECT max(sequence) FROM answers", [], |row| row.get(0))
            .map_err(err)?;
        Ok(newest.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
    }

    /// Every record, oldest first, visited one at a time (the buffer may be large).
    pub fn for_each_record(
        &self,
        mut visit: impl FnMut(RatingRecord) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let err = |e| StoreError::from_sqlite(&self.path, e);
        let mut select = self
            .conn
            .prepare(&format!("{SELECT_ANSWER} ORDER BY sequence"))
            .map_err(err)?;
        let mut rows = select.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            visit(self.record_from_row(row)?)?;
        }
        Ok(())
    }

    /// Writes every record as one JSON object per line (`kiosk export`); returns how many.
    pub fn export_json_lines(&self, out: &mut impl Write) -> Result<u64, ExportError> {
        let mut count = 0;
        let mut write_error = None;
        self.for_each_record(|record| {
            let line = serde_json::to_string(&record).map_err(|e| StoreError::BadRow {
                path: self.path.clone(),
                sequence: record.sequence as i64,
                problem: e.to_string(),
            })?;
            if let Err(e) = writeln!(out, "{line}") {
                write_error = Some(e);
                return Err(StoreError::NotWritable {
                    path: PathBuf::from("<export output>"),
                    reason: "write failed".into(),
                });
            }
            count += 1;
            Ok(())
        })
        .map_err(|e| match write_error.take() {
            Some(io) => ExportError::Output(io),
            None => ExportError::Store(e),
        })?;
        Ok(count)
    }

    /// The records not yet acknowledged by the aggregator, oldest first, at most `limit`.
    pub fn unsynced(&self, limit: usize) -> Result<Vec<RatingRecord>, StoreError> {
        let err = |e| StoreError::from_sqlite(&self.path, e);
        let mut select = self
            .conn
            .prepare_cached(&format!(
                "{SELECT_ANSWER} WHERE synced_at_ms IS NULL AND rejected_reason IS NULL \
                 ORDER BY sequence LIMIT ?1"
            ))
            .map_err(err)?;
        let mut rows = select
            .query([i64::try_from(limit).unwrap_or(i64::MAX)])
            .map_err(err)?;
        let mut records = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            records.push(self.record_from_row(row)?);
        }
        Ok(records)
    }

    /// Marks records as acknowledged by the aggregator (it holds them for good); returns how many
    /// were newly marked. Records stay in the file: pruning acknowledged ones is a later decision.
    pub fn acknowledge(&mut self, ids: &[RecordId], at_ms: i64) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut marked = 0;
        {
            let mut update = tx
                .prepare_cached(
                    "UPDATE answers SET synced_at_ms = ?2 WHERE id = ?1 AND synced_at_ms IS NULL",
                )
                .map_err(err)?;
            for id in ids {
                marked += update
                    .execute(params![id.to_string(), at_ms])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(marked)
    }

    /// Sets aside a record the aggregator refused, with its reason: kept, but not sent again.
    pub fn set_aside_rejected(&mut self, id: RecordId, reason: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE answers SET rejected_reason = ?2 WHERE id = ?1",
                params![id.to_string(), reason],
            )
            .map(drop)
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// Records how the last sync attempt went (`error: None` for success).
    pub fn note_sync_attempt(&mut self, at_ms: i64, error: Option<&str>) -> Result<(), StoreError> {
        let sql = match error {
            None => {
                "UPDATE sync_state SET last_attempt_ms = ?1, last_success_ms = ?1, last_error = ?2"
            }
            Some(_) => "UPDATE sync_state SET last_attempt_ms = ?1, last_error = ?2",
        };
        self.conn
            .execute(sql, params![at_ms, error])
            .map(drop)
            .map_err(|e| StoreError::from_sqlite(&self.path, e))
    }

    /// How many records wait to be sent, and the newest sequence number the count covers.
    pub fn outbox(&self) -> Result<Outbox, StoreError> {
        let (waiting, newest): (i64, Option<i64>) = self
            .conn
            .query_row(
                "SELECT count(*) FILTER (WHERE synced_at_ms IS NULL AND rejected_reason IS NULL), \
                 max(sequence) FROM answers",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(|e| StoreError::from_sqlite(&self.path, e))?;
        Ok(Outbox {
            waiting: u64::try_from(waiting).unwrap_or_default(),
            newest_sequence: newest.and_then(|n| u64::try_from(n).ok()),
        })
    }

    /// Counts, oldest unsynced record and file health for `kiosk status`.
    pub fn status(&self) -> Result<StoreStatus, StoreError> {
        let err = |e| StoreError::from_sqlite(&self.path, e);
        let (records, unsynced): (i64, i64) = self
            .conn
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE synced_at_ms IS NULL) FROM answers",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(err)?;
        let oldest_unsynced = self
            .conn
            .query_row(
                "SELECT sequence, id, wall_clock_ms, clock_synchronized FROM answers \
                 WHERE synced_at_ms IS NULL ORDER BY sequence LIMIT 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, bool>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        let oldest_unsynced = match oldest_unsynced {
            None => None,
            Some((sequence, id, wall_clock_ms, clock_synchronized)) => Some(OldestUnsynced {
                sequence: u64::try_from(sequence).unwrap_or_default(),
                id: id
                    .parse()
                    .map_err(|e: model::ParseError| StoreError::BadRow {
                        path: self.path.clone(),
                        sequence,
                        problem: e.to_string(),
                    })?,
                wall_clock_ms,
                clock_synchronized,
            }),
        };
        let integrity: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(err)?;
        let (last_sync_attempt_ms, last_sync_success_ms, last_sync_error) = self
            .conn
            .query_row(
                "SELECT last_attempt_ms, last_success_ms, last_error FROM sync_state",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .map_err(err)?;
        Ok(StoreStatus {
            path: self.path.clone(),
            schema_version: migrations::current_version(&self.conn).map_err(err)?,
            records: u64::try_from(records).unwrap_or_default(),
            unsynced: u64::try_from(unsynced).unwrap_or_default(),
            oldest_unsynced,
            integrity,
            file_bytes: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
            last_sync_attempt_ms,
            last_sync_success_ms,
            last_sync_error,
        })
    }

    fn record_from_row(&self, row: &rusqlite::Row<'_>) -> Result<RatingRecord, StoreError> {
        let sequence: i64 = row
            .get(0)
            .map_err(|e| StoreError::from_sqlite(&self.path, e))?;
        let bad = |problem: String| StoreError::BadRow {
            path: self.path.clone(),
            sequence,
            problem,
        };
        parse_row(row, sequence).map_err(bad)
    }
}

/// Failure of `kiosk export`: reading the store, or writing the output.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Output(std::io::Error),
}

fn parse_row(row: &rusqlite::Row<'_>, sequence: i64) -> Result<RatingRecord, String> {
    fn text(row: &rusqlite::Row<'_>, i: usize) -> Result<String, String> {
        row.get::<_, String>(i).map_err(|e| e.to_string())
    }
    let get_i64 = |i: usize| row.get::<_, i64>(i).map_err(|e| e.to_string());
    let get_bool = |i: usize| row.get::<_, bool>(i).map_err(|e| e.to_string());
    let s = |e: model::ParseError| e.to_string();
    Ok(RatingRecord {
        id: text(row, 1)?.parse().map_err(s)?,
        visit_id: text(row, 2)?.parse().map_err(s)?,
        sequence: u64::try_from(sequence).map_err(|e| e.to_string())?,
        desk_id: text(row, 3)?.parse().map_err(s)?,
        question: text(row, 4)?.parse().map_err(s)?,
        answer: match (
            row.get::<_, Option<i64>>(5).map_err(|e| e.to_string())?,
            get_bool(15)?,
        ) {
            (Some(score), false) => model::Answer::Score(Score::try_from(score).map_err(s)?),
            (None, true) => model::Answer::NotApplicable,
            (score, not_applicable) => {
                return Err(format!(
                    "score {score:?} with not_applicable {not_applicable}: one or the other"
                ));
            }
        },
        reasons: reasons_from_text(&text(row, 6)?)?,
        language: text(row, 7)?.parse().map_err(s)?,
        larger_text: get_bool(8)?,
        input: text(row, 9)?.parse::<InputKind>().map_err(s)?,
        supersedes: row
            .get::<_, Option<String>>(10)
            .map_err(|e| e.to_string())?
            .map(|id| id.parse::<RecordId>())
            .transpose()
            .map_err(s)?,
        recorded: RecordedTime {
            wall_clock_ms: get_i64(11)?,
            boot_id: text(row, 12)?,
            boottime_ns: u64::try_from(get_i64(13)?).map_err(|e| e.to_string())?,
            clock_synchronized: get_bool(14)?,
        },
    })
}

/// Reason codes are slugs (no spaces), so a space-separated list is unambiguous and readable.
fn reasons_to_text(reasons: &[ReasonCode]) -> String {
    reasons
        .iter()
        .map(ReasonCode::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn reasons_from_text(text: &str) -> Result<Vec<ReasonCode>, String> {
    text.split_whitespace()
        .map(|code| code.parse().map_err(|e: model::ParseError| e.to_string()))
        .collect()
}

/// SQLite integers are signed: boottime above i64::MAX (292 years of uptime) is clamped.
fn boottime_to_sql(ns: u64) -> i64 {
    i64::try_from(ns).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests;
