//! The SQLite backend: WAL + synchronous=FULL, one writer connection (used only from blocking
//! threads) with IMMEDIATE transactions, a small pool of reader connections, and separate
//! connections for exports, so a slow export never holds one that sign-in or ingest needs. Every
//! wait for a connection is bounded (see [`pool`]).

use std::path::Path;

use model::wire::{BatchReceipt, DeskSurvey, Heartbeat, RecordBatch};
use model::{DeskId, LanguageTag, RecordedTime, StandardId};
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};

mod accounts;
mod alerts;
mod analytics;
pub mod bursts;
#[cfg(test)]
mod conformance;
mod department_reports;
mod engine_error;
mod event_times;
mod ingest;
mod offered;
mod pool;
mod private_file;
mod retention;
pub mod schema;
pub mod snapshot;
mod tally;

use super::{
    ActiveSession, AlertListing, Backend, CodeProblem, Connections, Contents, Desk,
    DeskEditOutcome, FleetKiosk, Kiosk, KioskStatus, NewDesk, NewKiosk, NewSession, NewUser,
    Office, PendingDelivery, PurgeSummary, ReportDelivery, ReportDeliveryState, Rollup,
    StorageError, TokenLookup, User, UserCredentials,
};
use crate::access::Scope;
use crate::alerts::delivery::Channel;
use crate::alerts::{AlertEvent, AlertRule, Change, OpenAlert, Reading, RuleKind};
use crate::analytics::{
    DeskCounts, DeskDay, Disclosure, ExportRow, Filter, Group, HeatCell, Level, Places,
    ReasonCount, TrendPoint, Usage,
};
use crate::lang::Lang;
use crate::survey::{self, DeskSurveyEdit};

/// The writer's page cache, in KiB (a negative `cache_size` counts KiB): 64 MiB.
const WRITER_CACHE_KIB: i64 = -64 * 1024;

/// SQLite behind the [`Backend`] seam.
pub struct SqliteBackend {
    writer: pool::Pool,
    readers: pool::Pool,
    exports: pool::Pool,
}

/// The writer's settings. `secure_delete = FAST` zeroes a row's old bytes in its page whenever
/// it is updated or deleted (at no extra IO), so an answer's earlier copies do not linger in a
/// page's unused space to survive its purge (which turns it fully on: `retention.rs`).
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "secure_delete", "FAST")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    // Plans that never depend on bound values: otherwise a query that may use a partial index
    // (`supersedes = ?1` for `answers_supersedes`) is planned again for every value bound, at
    // every execution of the cached statement — a sixth of ingest's time.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
}

impl SqliteBackend {
    /// Opens or creates the database at `path`, migrates it, and opens the reader and export
    /// connections `connections` asks for (at least one each).
    pub fn open(path: &Path, connections: &Connections) -> Result<SqliteBackend, StorageError> {
        let open_err = |source: rusqlite::Error| StorageError::Open {
            path: path.display().to_string(),
            source: source.into(),
        };
        private_file::create_private(path).map_err(|source| StorageError::Create {
            path: path.display().to_string(),
            source,
        })?;
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer).map_err(open_err)?;
        // Ingest, enrollment and heartbeat together use more statements than the default 16.
        writer.set_prepared_statement_cache_capacity(64);
        // Record ids are random, so inserts land all over the primary-key index: keep it in
        // memory rather than re-reading pages (SQLite's default cache is 2 MiB).
        writer
            .pragma_update(None, "cache_size", WRITER_CACHE_KIB)
            .map_err(open_err)?;
        schema::migrate(&mut writer).map_err(|e| match e {
            StorageError::Database(source) => StorageError::Open {
                path: path.display().to_string(),
                source,
            },
            other => other,
        })?;
        let read_only = |count: usize| {
            (0..count.max(1))
                .map(|_| {
                    let conn = Connection::open_with_flags(
                        path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )?;
                    conn.busy_timeout(std::time::Duration::from_secs(5))?;
                    Ok(conn)
                })
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(open_err)
        };
        let wait = connections.max_wait;
        Ok(SqliteBackend {
            writer: pool::Pool::new(vec![writer], wait, "database writer"),
            readers: pool::Pool::new(read_only(connections.readers)?, wait, "database reader"),
            exports: pool::Pool::new(read_only(connections.exports)?, wait, "export connection"),
        })
    }

    /// Opens the existing database at `path` with read-only connections only (its "writer"
    /// too, so any write fails): for reading a database that must stay as it is, such as the
    /// source of `sync-server migrate`. Its schema must be this sync-server's.
    pub fn open_read_only(
        path: &Path,
        connections: &Connections,
    ) -> Result<SqliteBackend, StorageError> {
        let open = |count: usize| {
            (0..count.max(1))
                .map(|_| snapshot::open_read_only(path))
                .collect::<Result<Vec<_>, _>>()
        };
        let wait = connections.max_wait;
        Ok(SqliteBackend {
            writer: pool::Pool::new(open(1)?, wait, "database writer"),
            readers: pool::Pool::new(open(connections.readers)?, wait, "database reader"),
            exports: pool::Pool::new(open(connections.exports)?, wait, "export connection"),
        })
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        // A panic while the writer was lent left it usable: SQLite rolled back.
        let mut conn = self.writer.lend()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        schema::refuse_newer(&tx)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        f(&*self.readers.lend()?)
    }
}

fn survey(conn: &Connection, desk: &str) -> Result<DeskSurvey, StorageError> {
    let row = conn
        .query_row(
            "SELECT d.revision, d.id, d.name, o.name, d.internal_service, d.standards, d.languages,
                    d.default_language, d.idle_prompt_after_s, d.idle_countdown_s,
                    d.change_answer_window_s, d.thank_you_s
             FROM desks d JOIN offices o ON o.id = d.office_id WHERE d.id = ?1",
            [desk],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    [
                        r.get::<_, u32>(8)?,
                        r.get::<_, u32>(9)?,
                        r.get::<_, u32>(10)?,
                        r.get::<_, u32>(11)?,
                    ],
                ))
            },
        )
        .optional()?
        .ok_or_else(|| StorageError::Corrupt(format!("desk {desk:?} is missing")))?;
    let (revision, id, name, office, internal, standards, languages, default_language, t) = row;
    let corrupt = |e: model::ParseError| StorageError::Corrupt(format!("desk {desk:?}: {e}"));
    Ok(DeskSurvey {
        revision: u64::try_from(revision).unwrap_or_default(),
        desk_id: id.parse().map_err(corrupt)?,
        desk_name: name,
        office,
        internal_service: internal,
        standards: split(&standards)
            .map(str::parse::<StandardId>)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        languages: split(&languages)
            .map(str::parse::<LanguageTag>)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        default_language: default_language.parse().map_err(corrupt)?,
        idle_prompt_after_s: t[0],
        idle_countdown_s: t[1],
        change_answer_window_s: t[2],
        thank_you_s: t[3],
    })
}

/// The columns of the `kiosks` table a fleet row is made of, for queries that list kiosks.
const KIOSK_STATUS_COLUMNS: &str = "k.id, k.desk_id, k.enrolled_at_ms, k.revoked_at_ms, \
    k.last_seen_ms, k.version, k.backlog, k.oldest_unsynced_ms, k.last_error, k.last_clock";

/// A kiosk's health from [`KIOSK_STATUS_COLUMNS`] starting at column `at`.
fn kiosk_status(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<KioskStatus> {
    let last_seen_ms: Option<i64> = r.get(at + 4)?;
    // The kiosk's clock when last seen, as ingest and heartbeat store it.
    let last_clock: Option<RecordedTime> = r
        .get::<_, Option<String>>(at + 9)?
        .and_then(|json| serde_json::from_str(&json).ok());
    Ok(KioskStatus {
        id: r.get(at)?,
        desk_id: r.get(at + 1)?,
        enrolled_at_ms: r.get(at + 2)?,
        revoked_at_ms: r.get(at + 3)?,
        last_seen_ms,
        version: r.get(at + 5)?,
        backlog: r.get(at + 6)?,
        oldest_unsynced_ms: r.get(at + 7)?,
        last_error: r.get(at + 8)?,
        clock_drift_ms: last_clock
            .as_ref()
            .zip(last_seen_ms)
            .map(|(clock, seen_ms)| clock.wall_clock_ms.saturating_sub(seen_ms)),
        clock_synchronized: last_clock.map(|clock| clock.clock_synchronized),
    })
}

fn split(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|s| !s.is_empty())
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn exists(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<bool> {
    conn.query_row(sql, params, |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// Refuses an office id that names no office, listing the ones there are.
fn known_office(conn: &Connection, office: &str) -> Result<(), StorageError> {
    if exists(conn, "SELECT 1 FROM offices WHERE id = ?1", [office])? {
        return Ok(());
    }
    let mut stmt = conn.prepare("SELECT id FROM offices ORDER BY id")?;
    let known = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let known = if known.is_empty() {
        "none yet: add one with `sync-server office add` or the partner offices with `seed-offices`"
            .to_owned()
    } else {
        known.join(", ")
    };
    Err(StorageError::Invalid(format!(
        "unknown office {office:?} (known offices: {known})"
    )))
}

impl Backend for SqliteBackend {
    fn places(&self, scope: &Scope) -> Result<Places, StorageError> {
        self.read(|conn| analytics::places(conn, scope))
    }

    fn breakdown(
        &self,
        filter: &Filter,
        scope: &Scope,
        level: Level,
    ) -> Result<Vec<Group>, StorageError> {
        self.read(|conn| analytics::breakdown(conn, filter, scope, level))
    }

    fn trend(&self, filter: &Filter, scope: &Scope) -> Result<Vec<TrendPoint>, StorageError> {
        self.read(|conn| analytics::trend(conn, filter, scope))
    }

    fn top_reasons(
        &self,
        filter: &Filter,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<ReasonCount>, StorageError> {
        self.read(|conn| analytics::reasons(conn, filter, scope, limit))
    }

    fn heatmap(&self, filter: &Filter, scope: &Scope) -> Result<Vec<HeatCell>, StorageError> {
        self.read(|conn| analytics::heatmap(conn, filter, scope))
    }

    fn usage(&self, filter: &Filter, scope: &Scope) -> Result<Usage, StorageError> {
        self.read(|conn| analytics::usage(conn, filter, scope))
    }

    fn export_answers(
        &self,
        filter: &Filter,
        scope: &Scope,
        each: &mut dyn FnMut(&ExportRow) -> bool,
    ) -> Result<(), StorageError> {
        analytics::export(&*self.exports.lend()?, filter, scope, each)
    }

    fn desk_counts(
        &self,
        filter: &Filter,
        every_question: bool,
    ) -> Result<Vec<(String, DeskCounts)>, StorageError> {
        self.read(|conn| analytics::desk_counts(conn, filter, every_question))
    }

    fn desk_days(&self, filter: &Filter, scope: &Scope) -> Result<Vec<DeskDay>, StorageError> {
        self.read(|conn| analytics::desk_days(conn, filter, scope))
    }

    fn desk_language_counts(
        &self,
        filter: &Filter,
        every_question: bool,
    ) -> Result<Vec<(String, String, DeskCounts)>, StorageError> {
        self.read(|conn| analytics::desk_language_counts(conn, filter, every_question))
    }

    fn purge_answers(
        &self,
        before_day: &str,
        before_ms: i64,
    ) -> Result<PurgeSummary, StorageError> {
        let desks = self.read(|conn| retention::desks_with_old_answers(conn, before_day))?;
        let mut answers = 0;
        for desk in desks {
            loop {
                let deleted = self.write(|tx| retention::purge_chunk(tx, &desk, before_day))?;
                answers += deleted;
                if deleted < retention::PURGE_CHUNK {
                    break;
                }
            }
        }
        let conflicts = self.write(|tx| retention::purge_conflicts(tx, before_ms))?;
        if answers > 0 || conflicts > 0 {
            retention::empty_write_ahead_log(&*self.writer.lend()?)?;
        }
        Ok(PurgeSummary {
            before_day: before_day.to_owned(),
            answers,
            conflicts,
        })
    }

    fn offices(&self) -> Result<Vec<Office>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn.prepare("SELECT id, name FROM offices ORDER BY id")?;
            let offices = stmt
                .query_map([], |r| {
                    Ok(Office {
                        id: r.get(0)?,
                        name: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(offices)
        })
    }

    fn add_office(&self, office: &Office) -> Result<bool, StorageError> {
        self.write(|tx| {
            let added = tx.execute(
                "INSERT INTO offices (id, name) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                [&office.id, &office.name],
            )?;
            Ok(added == 1)
        })
    }

    fn rename_office(&self, id: &str, name: &str) -> Result<bool, StorageError> {
        self.write(|tx| {
            let renamed = tx.execute("UPDATE offices SET name = ?2 WHERE id = ?1", [id, name])?;
            Ok(renamed == 1)
        })
    }

    fn add_department(&self, office: &str, id: &str, name: &str) -> Result<(), StorageError> {
        self.write(|tx| {
            known_office(tx, office)?;
            let added = tx.execute(
                "INSERT INTO departments (office_id, id, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
                [office, id, name],
            )?;
            if added == 0 {
                return Err(StorageError::Invalid(format!(
                    "department {id:?} already exists in office {office:?}"
                )));
            }
            Ok(())
        })
    }

    fn add_desk(&self, desk: &NewDesk) -> Result<(), StorageError> {
        self.write(|tx| {
            known_office(tx, &desk.office_id)?;
            if !exists(
                tx,
                "SELECT 1 FROM departments WHERE office_id = ?1 AND id = ?2",
                [&desk.office_id, &desk.department_id],
            )? {
                return Err(StorageError::Invalid(format!(
                    "unknown department {:?} in office {:?}",
                    desk.department_id, desk.office_id
                )));
            }
            let added = tx.execute(
                "INSERT INTO desks (id, office_id, department_id, name, internal_service,
                     standards, languages, default_language, idle_prompt_after_s,
                     idle_countdown_s, change_answer_window_s, thank_you_s, revision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1)
                 ON CONFLICT (id) DO NOTHING",
                params![
                    desk.id.as_str(),
                    desk.office_id,
                    desk.department_id,
                    desk.name,
                    desk.internal_service,
                    join(&desk.standards),
                    join(&desk.languages),
                    desk.default_language.as_str(),
                    survey::NEW_DESK_TIMINGS_S[0],
                    survey::NEW_DESK_TIMINGS_S[1],
                    survey::NEW_DESK_TIMINGS_S[2],
                    survey::NEW_DESK_TIMINGS_S[3],
                ],
            )?;
            if added == 0 {
                return Err(StorageError::Invalid(format!(
                    "desk {:?} already exists",
                    desk.id.as_str()
                )));
            }
            // Checked as stored, exactly what kiosks will receive; an error rolls the insert back.
            survey::check(&survey(tx, desk.id.as_str())?)?;
            offered::note(tx, desk.id.as_str(), &desk.standards)
        })
    }

    fn desks(&self) -> Result<Vec<Desk>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, office_id, department_id FROM desks
                 ORDER BY office_id, department_id, id",
            )?;
            let places = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<Vec<(String, String, String)>>>()?;
            places
                .into_iter()
                .map(|(id, office_id, department_id)| {
                    Ok(Desk {
                        office_id,
                        department_id,
                        survey: survey(conn, &id)?,
                    })
                })
                .collect()
        })
    }

    fn desk(&self, id: &DeskId) -> Result<Option<Desk>, StorageError> {
        self.read(|conn| {
            let place: Option<(String, String)> = conn
                .query_row(
                    "SELECT office_id, department_id FROM desks WHERE id = ?1",
                    [id.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            place
                .map(|(office_id, department_id)| {
                    Ok(Desk {
                        office_id,
                        department_id,
                        survey: survey(conn, id.as_str())?,
                    })
                })
                .transpose()
        })
    }

    fn edit_desk(
        &self,
        id: &DeskId,
        edit: &DeskSurveyEdit,
    ) -> Result<DeskEditOutcome, StorageError> {
        self.write(|tx| {
            if !exists(tx, "SELECT 1 FROM desks WHERE id = ?1", [id.as_str()])? {
                return Err(StorageError::Invalid(format!(
                    "unknown desk {:?} (see `sync-server desks`)",
                    id.as_str()
                )));
            }
            let current = survey(tx, id.as_str())?;
            let edited = edit.apply(&current);
            survey::check(&edited)?;
            if edited == current {
                return Ok(DeskEditOutcome::Unchanged(current));
            }
            tx.execute(
                "UPDATE desks SET name = ?2, internal_service = ?3, standards = ?4, languages = ?5,
                     default_language = ?6, idle_prompt_after_s = ?7, idle_countdown_s = ?8,
                     change_answer_window_s = ?9, thank_you_s = ?10, revision = revision + 1
                 WHERE id = ?1",
                params![
                    id.as_str(),
                    edited.desk_name,
                    edited.internal_service,
                    join(&edited.standards),
                    join(&edited.languages),
                    edited.default_language.as_str(),
                    edited.idle_prompt_after_s,
                    edited.idle_countdown_s,
                    edited.change_answer_window_s,
                    edited.thank_you_s,
                ],
            )?;
            offered::note(tx, id.as_str(), &edited.standards)?;
            Ok(DeskEditOutcome::Changed(survey(tx, id.as_str())?))
        })
    }

    fn add_enrollment_code(
        &self,
        code_sha256: [u8; 32],
        desk: &DeskId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> Result<(), StorageError> {
        self.write(|tx| {
            if !exists(tx, "SELECT 1 FROM desks WHERE id = ?1", [desk.as_str()])? {
                return Err(StorageError::Invalid(format!(
                    "unknown desk {:?}",
                    desk.as_str()
                )));
            }
            tx.execute(
                "INSERT INTO enrollment_codes (code_sha256, desk_id, created_at_ms, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![code_sha256.as_slice(), desk.as_str(), now_ms, expires_at_ms],
            )?;
            Ok(())
        })
    }

    fn enroll(
        &self,
        code_sha256: [u8; 32],
        kiosk: &NewKiosk,
        now_ms: i64,
    ) -> Result<Result<DeskSurvey, CodeProblem>, StorageError> {
        self.write(|tx| {
            let code: Option<(String, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT desk_id, expires_at_ms, used_at_ms FROM enrollment_codes
                     WHERE code_sha256 = ?1",
                    [code_sha256.as_slice()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let desk = match code {
                None => return Ok(Err(CodeProblem::Unknown)),
                Some((_, _, Some(_))) => return Ok(Err(CodeProblem::AlreadyUsed)),
                Some((_, expires, None)) if expires <= now_ms => {
                    return Ok(Err(CodeProblem::Expired));
                }
                Some((desk, _, None)) => desk,
            };
            tx.execute(
                "UPDATE enrollment_codes SET used_at_ms = ?2, used_by = ?3 WHERE code_sha256 = ?1",
                params![code_sha256.as_slice(), now_ms, kiosk.id],
            )?;
            let clock = serde_json::to_string(&kiosk.clock).unwrap_or_default();
            tx.execute(
                "INSERT INTO kiosks (id, desk_id, token_sha256, enrolled_at_ms, last_seen_ms,
                     version, last_clock) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)",
                params![
                    kiosk.id,
                    desk,
                    kiosk.token_sha256.as_slice(),
                    now_ms,
                    kiosk.version,
                    clock
                ],
            )?;
            let desk_id = desk
                .parse()
                .map_err(|e| StorageError::Corrupt(format!("desk {desk:?}: {e}")))?;
            let enrolled = Kiosk {
                id: kiosk.id.clone(),
                desk_id,
                enrolled_at_ms: now_ms,
            };
            event_times::record_reading_anchors(tx, &enrolled, &kiosk.clock, now_ms)?;
            survey(tx, &desk).map(Ok)
        })
    }

    fn kiosk_by_token(&self, token_sha256: [u8; 32]) -> Result<TokenLookup, StorageError> {
        self.read(|conn| {
            let row: Option<(String, String, i64, Option<i64>)> = conn
                .query_row(
                    "SELECT id, desk_id, enrolled_at_ms, revoked_at_ms FROM kiosks
                     WHERE token_sha256 = ?1",
                    [token_sha256.as_slice()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            Ok(match row {
                None => TokenLookup::Unknown,
                Some((_, _, _, Some(_))) => TokenLookup::Revoked,
                Some((id, desk, enrolled_at_ms, None)) => TokenLookup::Valid(Kiosk {
                    id,
                    desk_id: desk
                        .parse()
                        .map_err(|e| StorageError::Corrupt(format!("kiosk desk: {e}")))?,
                    enrolled_at_ms,
                }),
            })
        })
    }

    fn ingest(
        &self,
        kiosk: &Kiosk,
        batch: &RecordBatch,
        received_ms: i64,
    ) -> Result<BatchReceipt, StorageError> {
        self.write(|tx| ingest::batch(tx, kiosk, batch, received_ms))
    }

    fn heartbeat(
        &self,
        kiosk: &Kiosk,
        heartbeat: &Heartbeat,
        now_ms: i64,
    ) -> Result<DeskSurvey, StorageError> {
        self.write(|tx| {
            tx.execute(
                "UPDATE kiosks SET last_seen_ms = ?2, version = ?3, backlog = ?4,
                     oldest_unsynced_ms = ?5, last_error = ?6, last_clock = ?7 WHERE id = ?1",
                params![
                    kiosk.id,
                    now_ms,
                    heartbeat.kiosk_version,
                    i64::try_from(heartbeat.backlog).unwrap_or(i64::MAX),
                    heartbeat.oldest_unsynced_ms,
                    heartbeat.last_error,
                    serde_json::to_string(&heartbeat.clock).unwrap_or_default()
                ],
            )?;
            event_times::record_reading_anchors(tx, kiosk, &heartbeat.clock, now_ms)?;
            survey(tx, kiosk.desk_id.as_str())
        })
    }

    fn kiosks(&self) -> Result<Vec<KioskStatus>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {KIOSK_STATUS_COLUMNS} FROM kiosks k ORDER BY k.desk_id, k.id"
            ))?;
            let rows = stmt
                .query_map([], |r| kiosk_status(r, 0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
    }

    fn revoke(&self, kiosk_id: &str, now_ms: i64) -> Result<bool, StorageError> {
        self.write(|tx| {
            if !exists(tx, "SELECT 1 FROM kiosks WHERE id = ?1", [kiosk_id])? {
                return Ok(false);
            }
            tx.execute(
                "UPDATE kiosks SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
                params![kiosk_id, now_ms],
            )?;
            Ok(true)
        })
    }

    fn answer_count(&self) -> Result<i64, StorageError> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM answers", [], |r| r.get(0))?))
    }

    fn conflict_count(&self) -> Result<i64, StorageError> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM conflicts", [], |r| r.get(0))?))
    }

    fn rollups(&self, desk: &DeskId) -> Result<Vec<Rollup>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT desk_id, question, day, language, larger_text, score_1, score_2, score_3,
                        score_4, reasons, not_applicable
                 FROM (SELECT desk_id, question, day, language, larger_text,
                              sum(score_1) AS score_1, sum(score_2) AS score_2,
                              sum(score_3) AS score_3, sum(score_4) AS score_4,
                              sum(reasons) AS reasons, sum(not_applicable) AS not_applicable
                       FROM rollups WHERE desk_id = ?1
                       GROUP BY question, day, language, larger_text)
                 ORDER BY question, day, language, larger_text",
            )?;
            let rows = stmt
                .query_map([desk.as_str()], |r| {
                    Ok(Rollup {
                        desk_id: r.get(0)?,
                        question: r.get(1)?,
                        day: r.get(2)?,
                        language: r.get(3)?,
                        larger_text: r.get(4)?,
                        scores: [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?],
                        reasons: r.get(9)?,
                        not_applicable: r.get(10)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
    }

    fn contents(&self) -> Result<Contents, StorageError> {
        self.read(|conn| {
            let count = |table: &str| -> rusqlite::Result<i64> {
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            };
            Ok(Contents {
                offices: count("offices")?,
                departments: count("departments")?,
                desks: count("desks")?,
                kiosks: count("kiosks")?,
                answers: count("answers")?,
            })
        })
    }

    fn add_alert_rule(
        &self,
        disclosure: Disclosure,
        kind: RuleKind,
        office: Option<&str>,
        now_ms: i64,
    ) -> Result<AlertRule, StorageError> {
        self.write(|tx| alerts::add_rule(tx, disclosure, kind, office, now_ms))
    }

    fn alert_rules(&self) -> Result<Vec<AlertRule>, StorageError> {
        self.read(alerts::rules)
    }

    fn set_alert_rule_enabled(&self, rule_id: i64, enabled: bool) -> Result<bool, StorageError> {
        self.write(|tx| alerts::set_rule_enabled(tx, rule_id, enabled))
    }

    fn alert_readings(
        &self,
        rule: &AlertRule,
        now_ms: i64,
        disclosure: Disclosure,
    ) -> Result<Vec<Reading>, StorageError> {
        self.read(|conn| alerts::readings(conn, rule, now_ms, disclosure))
    }

    fn open_alerts(&self) -> Result<Vec<OpenAlert>, StorageError> {
        self.read(alerts::open_alerts)
    }

    fn apply_alert_changes(
        &self,
        changes: &[Change],
        channels: &[Channel],
        now_ms: i64,
    ) -> Result<usize, StorageError> {
        self.write(|tx| alerts::apply_changes(tx, changes, channels, now_ms))
    }

    fn alert_listing(
        &self,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<AlertListing>, StorageError> {
        self.read(|conn| alerts::listing(conn, scope, limit))
    }

    fn pending_deliveries(
        &self,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<PendingDelivery>, StorageError> {
        self.write(|tx| alerts::pending_deliveries(tx, now_ms, limit))
    }

    fn record_delivery(
        &self,
        alert_id: i64,
        event: AlertEvent,
        channel: Channel,
        outcome: &Result<(), String>,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        self.write(|tx| alerts::record_delivery(tx, alert_id, event, channel, outcome, now_ms))
    }

    fn queue_department_reports(&self, month: &str, now_ms: i64) -> Result<usize, StorageError> {
        self.write(|tx| department_reports::queue(tx, month, now_ms))
    }

    fn claim_department_report(
        &self,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<ReportDelivery>, StorageError> {
        self.write(|tx| department_reports::claim(tx, now_ms, lease_ms))
    }

    fn record_department_report(
        &self,
        user_id: i64,
        month: &str,
        outcome: &Result<(), String>,
        now_ms: i64,
    ) -> Result<(), StorageError> {
        self.write(|tx| department_reports::record(tx, user_id, month, outcome, now_ms))
    }

    fn department_report_deliveries(
        &self,
        scope: &Scope,
        limit: usize,
    ) -> Result<Vec<ReportDeliveryState>, StorageError> {
        self.read(|conn| department_reports::listing(conn, scope, limit))
    }

    fn resend_department_report(
        &self,
        user_id: i64,
        month: &str,
        by: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError> {
        self.write(|tx| department_reports::resend(tx, user_id, month, by, now_ms))
    }

    fn add_user(&self, user: &NewUser, now_ms: i64) -> Result<i64, StorageError> {
        self.write(|tx| accounts::add_user(tx, user, now_ms))
    }

    fn users(&self) -> Result<Vec<User>, StorageError> {
        self.read(accounts::users)
    }

    fn user_credentials(&self, username: &str) -> Result<Option<UserCredentials>, StorageError> {
        self.read(|conn| accounts::user_credentials(conn, username))
    }

    fn disable_user(&self, username: &str, now_ms: i64) -> Result<bool, StorageError> {
        self.write(|tx| accounts::disable_user(tx, username, now_ms))
    }

    fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StorageError> {
        self.write(|tx| accounts::set_password(tx, username, password_hash))
    }

    fn create_session(&self, session: &NewSession) -> Result<(), StorageError> {
        self.write(|tx| accounts::create_session(tx, session))
    }

    fn session(
        &self,
        id_sha256: [u8; 32],
        now_ms: i64,
        idle_ms: i64,
    ) -> Result<Option<ActiveSession>, StorageError> {
        let found = self.read(|conn| accounts::session(conn, id_sha256, now_ms, idle_ms))?;
        let Some((session, last_seen_ms)) = found else {
            return Ok(None);
        };
        if super::accounts::worth_marking_used(now_ms, last_seen_ms, idle_ms) {
            self.write(|tx| accounts::touch_session(tx, id_sha256, now_ms))?;
        }
        Ok(Some(session))
    }

    fn set_session_lang(&self, id_sha256: [u8; 32], lang: Lang) -> Result<(), StorageError> {
        self.write(|tx| accounts::set_session_lang(tx, id_sha256, lang))
    }

    fn delete_session(&self, id_sha256: [u8; 32]) -> Result<(), StorageError> {
        self.write(|tx| accounts::delete_session(tx, id_sha256))
    }

    fn fleet(
        &self,
        office: Option<&str>,
        department: Option<&str>,
    ) -> Result<Vec<FleetKiosk>, StorageError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {KIOSK_STATUS_COLUMNS}, d.office_id, o.name, d.department_id, d.name
                 FROM kiosks k JOIN desks d ON d.id = k.desk_id JOIN offices o ON o.id = d.office_id
                 WHERE (?1 IS NULL OR d.office_id = ?1) AND (?2 IS NULL OR d.department_id = ?2)
                 ORDER BY d.office_id, d.department_id, k.desk_id, k.id"
            ))?;
            let rows = stmt
                .query_map([office, department], |r| {
                    Ok(FleetKiosk {
                        status: kiosk_status(r, 0)?,
                        office_id: r.get(10)?,
                        office_name: r.get(11)?,
                        department_id: r.get(12)?,
                        desk_name: r.get(13)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use model::wire::RecordOutcome;
    use model::{InputKind, Question, RatingRecord, RecordId, Score, VisitId};

    use super::*;

    const DESK: &str = "plock-wso-03";

    fn open() -> (tempfile::TempDir, SqliteBackend) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db =
            SqliteBackend::open(&dir.path().join("s.db"), &Connections::default()).expect("open");
        for office in crate::offices::partner_offices() {
            assert!(db.add_office(&office).expect("add office"));
        }
        db.add_department("plock", "wso", "Wydział Spraw Obywatelskich")
            .expect("department");
        db.add_desk(&NewDesk {
            id: DESK.parse().expect("desk"),
            office_id: "plock".into(),
            department_id: "wso".into(),
            name: "Stanowisko 3".into(),
            internal_service: false,
            standards: vec![StandardId::IV, StandardId::IX, StandardId::V],
            languages: vec![LanguageTag::polish()],
            default_language: LanguageTag::polish(),
        })
        .expect("desk");
        (dir, db)
    }

    fn clock() -> RecordedTime {
        RecordedTime {
            wall_clock_ms: 1_795_428_000_000,
            boot_id: "b".into(),
            boottime_ns: 1,
            clock_synchronized: true,
        }
    }

    fn enroll(db: &SqliteBackend, token: u8) -> Kiosk {
        let code = [token; 32];
        let desk: DeskId = DESK.parse().expect("desk");
        db.add_enrollment_code(code, &desk, 0, 1_000).expect("code");
        let kiosk = NewKiosk {
            id: format!("k{token}"),
            token_sha256: [token.wrapping_add(100); 32],
            version: "0.1.0".into(),
            clock: clock(),
        };
        let survey = db
            .enroll(code, &kiosk, 10)
            .expect("db")
            .expect("code valid");
        assert_eq!(survey.office, "Urząd Miasta Płocka");
        assert_eq!(
            db.enroll(code, &kiosk, 11).expect("db"),
            Err(CodeProblem::AlreadyUsed)
        );
        match db.kiosk_by_token(kiosk.token_sha256).expect("lookup") {
            TokenLookup::Valid(k) => k,
            other => panic!("expected a valid kiosk, got {other:?}"),
        }
    }

    /// SQLite plans a statement again when its plan may depend on a bound value (a partial
    /// index, `supersedes = ?1` for `answers_supersedes`): at every execution, unless the
    /// connection asks for stable plans. Ingest ran each record's correction lookup through the
    /// parser and planner again, a sixth of its time.
    #[test]
    fn ingest_plans_its_statements_once() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        for round in 0..3 {
            let records: Vec<RatingRecord> = (0..50u64)
                .map(|i| RatingRecord {
                    sequence: round * 100 + i + 1,
                    ..record(Score::ALL[usize::try_from(i % 4).expect("small")])
                })
                .collect();
            let batch = RecordBatch {
                sent: clock(),
                records,
            };
            db.ingest(&kiosk, &batch, 20).expect("ingest");
        }
        let writer = db.writer.lend().expect("writer");
        let lookup = writer
            .prepare_cached(ingest::SUPERSEDED_BY)
            .expect("cached");
        assert_eq!(
            lookup.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "the correction lookup was planned again after its first of 150 runs"
        );
    }

    fn record(score: Score) -> RatingRecord {
        RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: 1,
            desk_id: DESK.parse().expect("desk"),
            question: Question::Overall,
            answer: score.into(),
            reasons: vec![],
            language: LanguageTag::polish(),
            larger_text: true,
            input: InputKind::Button,
            supersedes: None,
            recorded: clock(),
        }
    }

    fn ingest(db: &SqliteBackend, kiosk: &Kiosk, records: &[RatingRecord]) -> Vec<RecordOutcome> {
        let batch = RecordBatch {
            sent: clock(),
            records: records.to_vec(),
        };
        db.ingest(kiosk, &batch, 20)
            .expect("ingest")
            .results
            .into_iter()
            .map(|r| r.outcome)
            .collect()
    }

    #[test]
    fn a_conflict_logs_the_first_record_as_it_arrived_though_its_json_is_not_stored() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let first = RatingRecord {
            reasons: vec!["v-slow-answer".parse().expect("reason")],
            supersedes: Some(RecordId::new_random()),
            sequence: 7,
            ..standard_record(model::Answer::Score(Score::VERY_BAD))
        };
        let second = RatingRecord {
            answer: Score::GOOD.into(),
            reasons: vec![],
            ..first.clone()
        };
        assert_eq!(
            ingest(&db, &kiosk, std::slice::from_ref(&first)),
            [RecordOutcome::Stored]
        );
        assert_eq!(
            ingest(&db, &kiosk, std::slice::from_ref(&first)),
            [RecordOutcome::Duplicate]
        );
        assert_eq!(
            ingest(&db, &kiosk, std::slice::from_ref(&second)),
            [RecordOutcome::Conflict]
        );
        let logged: (String, String) = db
            .read(|conn| {
                Ok(conn.query_row(
                    "SELECT first_content, second_content FROM conflicts",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .expect("the conflict");
        let json = |r: &RatingRecord| serde_json::to_string(r).expect("json");
        assert_eq!(logged, (json(&first), json(&second)));
    }

    fn counted(db: &SqliteBackend) -> [i64; 4] {
        db.rollups(&DESK.parse().expect("desk"))
            .expect("rollups")
            .iter()
            .fold([0; 4], |mut acc, r| {
                for (a, n) in acc.iter_mut().zip(r.scores) {
                    *a += n;
                }
                acc
            })
    }

    /// An answer's stored (UTC event time, approximate?, Warsaw day).
    fn placed(db: &SqliteBackend, id: RecordId) -> (i64, bool, String) {
        db.read(|conn| {
            Ok(conn.query_row(
                "SELECT event_utc_ms, event_approximate, local_day FROM answers WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?)
        })
        .expect("placed")
    }

    /// Per burst flag (0, 1): counted answers in `rollups`, in `rollup_hours`, and flagged answers.
    fn burst_split(db: &SqliteBackend) -> [[i64; 3]; 2] {
        db.read(|conn| {
            let mut split = [[0; 3]; 2];
            for (column, sql) in [
                "SELECT burst, sum(score_1 + score_2 + score_3 + score_4) FROM rollups GROUP BY burst",
                "SELECT burst, sum(score_1 + score_2 + score_3 + score_4) FROM rollup_hours GROUP BY burst",
                "SELECT burst, count(*) FROM answers WHERE counted = 1 GROUP BY burst",
            ]
            .into_iter()
            .enumerate()
            {
                let mut stmt = conn.prepare(sql)?;
                let rows = stmt.query_map([], |r| Ok((r.get::<_, bool>(0)?, r.get::<_, i64>(1)?)))?;
                for row in rows {
                    let (burst, n) = row?;
                    split[usize::from(burst)][column] = n;
                }
            }
            Ok(split)
        })
        .expect("burst split")
    }

    #[test]
    fn three_visits_rated_within_ten_seconds_are_flagged_as_a_burst_even_across_batches() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let at = |offset_ms: i64, question: Question| RatingRecord {
            question,
            recorded: RecordedTime {
                wall_clock_ms: clock().wall_clock_ms + offset_ms,
                boottime_ns: u64::try_from(offset_ms).expect("offset") * 1_000_000 + 1,
                ..clock()
            },
            ..record(Score::VERY_GOOD)
        };
        let received = clock().wall_clock_ms + 3_600_000;
        let send = |records: Vec<RatingRecord>| {
            let batch = RecordBatch {
                sent: clock(),
                records,
            };
            db.ingest(&kiosk, &batch, received).expect("ingest");
        };
        // Two presses 3 s apart, a standard rated in between, and an ordinary visit later.
        send(vec![
            at(0, Question::Overall),
            at(1_000, Question::Standard(StandardId::IV)),
            at(3_000, Question::Overall),
            at(120_000, Question::Overall),
        ]);
        assert_eq!(burst_split(&db), [[4, 4, 4], [0, 0, 0]], "no burst yet");
        // A third press 9 s after the first arrives in a later batch: all three become a burst.
        send(vec![at(9_000, Question::Overall)]);
        assert_eq!(
            burst_split(&db),
            [[2, 2, 2], [3, 3, 3]],
            "the standard's answer and the visit two minutes later stay ordinary"
        );
    }

    #[test]
    fn a_batch_with_ratings_an_hour_apart_finds_the_burst_at_each_end() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        const HOUR: i64 = 3_600_000;
        let overall_at = |offset_ms: i64| RatingRecord {
            recorded: RecordedTime {
                wall_clock_ms: clock().wall_clock_ms + offset_ms,
                boottime_ns: u64::try_from(offset_ms).expect("offset") * 1_000_000 + 1,
                ..clock()
            },
            ..record(Score::VERY_GOOD)
        };
        let send = |records: Vec<RatingRecord>| {
            let batch = RecordBatch {
                sent: clock(),
                records,
            };
            db.ingest(&kiosk, &batch, clock().wall_clock_ms + 2 * HOUR)
                .expect("ingest");
        };
        // Two presses at the start of the hour, two at its end, one in the middle.
        send(
            [0, 2_000, HOUR / 2, HOUR, HOUR + 2_000]
                .map(overall_at)
                .to_vec(),
        );
        assert_eq!(burst_split(&db), [[5, 5, 5], [0, 0, 0]], "no burst yet");
        // One batch, a third press at each end: two stretches looked at, both bursts found, the
        // press in the middle (in neither stretch) left ordinary.
        send(vec![overall_at(HOUR + 4_000), overall_at(4_000)]);
        assert_eq!(burst_split(&db), [[1, 1, 1], [6, 6, 6]]);
    }

    #[test]
    fn an_approximate_answer_is_re_placed_and_re_counted_when_its_boot_gets_an_anchor() {
        const MINUTE: i64 = 60_000;
        const DAY: i64 = 24 * 60 * MINUTE;
        let truth = 1_795_420_800_000; // 2026-11-23 08:00 UTC, 09:00 in Warsaw
        let (_dir, db) = open();
        let desk: DeskId = DESK.parse().expect("desk");
        db.add_enrollment_code([1; 32], &desk, 0, i64::MAX)
            .expect("code");
        let new_kiosk = NewKiosk {
            id: "k".into(),
            token_sha256: [2; 32],
            version: "0.1.0".into(),
            clock: clock(),
        };
        db.enroll([1; 32], &new_kiosk, truth - 30 * DAY)
            .expect("db")
            .expect("code");
        let TokenLookup::Valid(kiosk) = db.kiosk_by_token([2; 32]).expect("lookup") else {
            panic!("kiosk not found");
        };
        let boot_a = truth - 60 * MINUTE;
        let reading = |boot: &str, started: i64, at: i64, wall: i64, synced: bool| RecordedTime {
            wall_clock_ms: wall,
            boot_id: boot.into(),
            boottime_ns: u64::try_from(at - started).expect("after boot") * 1_000_000,
            clock_synchronized: synced,
        };
        // Boot a never synchronised at first and its clock reads three days ahead; its answers
        // only leave in boot b, two days later.
        let mut early = record(Score::BAD);
        early.recorded = reading("a", boot_a, truth, truth + 3 * DAY, false);
        let mut late = record(Score::GOOD);
        late.recorded = reading("a", boot_a, truth + 10 * MINUTE, truth + 10 * MINUTE, true);
        let boot_b = truth + 2 * DAY;
        let send = |records: Vec<RatingRecord>, at: i64| {
            let batch = RecordBatch {
                sent: reading("b", boot_b, at, at, false),
                records,
            };
            db.ingest(&kiosk, &batch, at).expect("ingest");
        };

        send(vec![early.clone()], boot_b + 2 * MINUTE);
        let (utc, approximate, day) = placed(&db, early.id);
        assert!(approximate, "no anchor for boot a yet");
        assert!(utc <= boot_b, "before the delivering boot began");
        assert_eq!(day, "2026-11-25");

        // The next batch carries boot a's synchronised reading: the early answer moves to the truth.
        send(vec![late.clone()], boot_b + 3 * MINUTE);
        assert_eq!(
            placed(&db, early.id),
            (truth, false, "2026-11-23".to_owned())
        );
        assert_eq!(
            placed(&db, late.id),
            (truth + 10 * MINUTE, false, "2026-11-23".to_owned())
        );
        let rollups = db.rollups(&desk).expect("rollups");
        let per_day = |day: &str| {
            rollups
                .iter()
                .filter(|r| r.day == day)
                .map(|r| r.scores.iter().sum::<i64>())
                .sum::<i64>()
        };
        assert_eq!((per_day("2026-11-23"), per_day("2026-11-25")), (2, 0));
    }

    #[test]
    fn ingest_lookups_use_indexes_not_scans() {
        let (_dir, db) = open();
        let plan = |sql: &str| -> String {
            db.read(|conn| {
                let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let rows = stmt
                    .query_map(params!["x", "k", 1], |r| r.get::<_, String>(3))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows.join("; "))
            })
            .expect("plan")
        };
        // The superseder lookup runs once per stored record: a scan would make ingest quadratic.
        let superseder = plan(
            "SELECT id FROM answers INDEXED BY answers_supersedes
             WHERE supersedes = ?1 AND kiosk_id = ?2 AND id <> ?1 ORDER BY sequence DESC LIMIT ?3",
        );
        assert!(superseder.contains("answers_supersedes"), "{superseder}");
        // …and orders by the index, without a temporary b-tree for every record.
        assert!(!superseder.contains("TEMP B-TREE"), "{superseder}");
        // The neighbour lookups for event-time bounds walk the index and stop at the first hit.
        let neighbour = plan(
            "SELECT event_utc_ms FROM answers
             WHERE kiosk_id = ?2 AND sequence < ?3 AND event_approximate = 0 AND ?1 = ?1
             ORDER BY sequence DESC LIMIT 1",
        );
        assert!(neighbour.contains("answers_kiosk_sequence"), "{neighbour}");
        assert!(!neighbour.contains("TEMP B-TREE"), "{neighbour}");
    }

    #[test]
    fn offices_are_added_once_renamed_and_listed_by_id() {
        let (_dir, db) = open();
        let kutno = Office {
            id: "kutno".into(),
            name: "Urząd Miasta Kutno".into(),
        };
        assert!(db.add_office(&kutno).expect("add"));
        let again = Office {
            name: "Another name".into(),
            ..kutno
        };
        assert!(
            !db.add_office(&again).expect("add again"),
            "an id is taken once"
        );
        assert!(
            db.rename_office("kutno", "Urząd Miasta Kutna")
                .expect("rename")
        );
        assert!(!db.rename_office("warszawa", "X").expect("rename unknown"));
        let offices = db.offices().expect("offices");
        let ids: Vec<&str> = offices.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "gabin",
                "gostynin",
                "kutno",
                "plock",
                "powiat-gostyninski",
                "stara-biala"
            ]
        );
        assert_eq!(offices[2].name, "Urząd Miasta Kutna");
    }

    #[test]
    fn unknown_offices_departments_and_desks_are_named() {
        let (_dir, db) = open();
        let err = db
            .add_department("warszawa", "x", "X")
            .expect_err("unknown");
        assert!(
            err.to_string().contains("unknown office \"warszawa\""),
            "{err}"
        );
        assert!(
            err.to_string().contains("plock"),
            "the known offices: {err}"
        );
        let err = db
            .add_desk(&NewDesk {
                id: "warszawa-wso-01".parse().expect("desk"),
                office_id: "warszawa".into(),
                department_id: "wso".into(),
                name: "Stanowisko 1".into(),
                internal_service: false,
                standards: vec![StandardId::II],
                languages: vec![LanguageTag::polish()],
                default_language: LanguageTag::polish(),
            })
            .expect_err("desk in an unknown office");
        assert!(
            err.to_string().contains("unknown office \"warszawa\""),
            "{err}"
        );
        let err = db
            .add_department("plock", "wso", "again")
            .expect_err("duplicate");
        assert!(err.to_string().contains("already exists"), "{err}");
        let err = db
            .add_enrollment_code([0; 32], &"nowhere".parse().expect("desk"), 0, 1)
            .expect_err("unknown desk");
        assert!(err.to_string().contains("nowhere"), "{err}");
    }

    #[test]
    fn codes_expire_and_unknown_codes_are_told_apart() {
        let (_dir, db) = open();
        let kiosk = NewKiosk {
            id: "k".into(),
            token_sha256: [1; 32],
            version: "0".into(),
            clock: clock(),
        };
        db.add_enrollment_code([7; 32], &DESK.parse().expect("desk"), 0, 100)
            .expect("code");
        assert_eq!(
            db.enroll([7; 32], &kiosk, 100).expect("db"),
            Err(CodeProblem::Expired)
        );
        assert_eq!(
            db.enroll([8; 32], &kiosk, 1).expect("db"),
            Err(CodeProblem::Unknown)
        );
        assert!(db.kiosks().expect("kiosks").is_empty());
    }

    #[test]
    fn outcomes_stored_duplicate_conflict_and_rejected() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let first = record(Score::GOOD);
        let mut changed = first.clone();
        changed.answer = Score::BAD.into();
        let mut self_superseding = record(Score::GOOD);
        self_superseding.supersedes = Some(self_superseding.id);
        let outcomes = ingest(
            &db,
            &kiosk,
            &[first.clone(), first, changed, self_superseding],
        );
        assert_eq!(outcomes[0], RecordOutcome::Stored);
        assert_eq!(outcomes[1], RecordOutcome::Duplicate);
        assert_eq!(outcomes[2], RecordOutcome::Conflict);
        assert!(matches!(outcomes[3], RecordOutcome::Rejected { .. }));
        assert_eq!(db.answer_count().expect("count"), 1);
        assert_eq!(db.conflict_count().expect("count"), 1);
        assert_eq!(counted(&db), [0, 0, 1, 0]);
    }

    #[test]
    fn a_chain_of_corrections_counts_only_the_last() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let a = record(Score::VERY_BAD);
        let mut b = record(Score::BAD);
        b.supersedes = Some(a.id);
        let mut c = record(Score::VERY_GOOD);
        c.supersedes = Some(b.id);
        // c arrives first, then a, then b: whatever the order, only c counts.
        ingest(&db, &kiosk, std::slice::from_ref(&c));
        ingest(&db, &kiosk, std::slice::from_ref(&a));
        assert_eq!(counted(&db), [1, 0, 0, 1]);
        ingest(&db, &kiosk, std::slice::from_ref(&b));
        assert_eq!(counted(&db), [0, 0, 0, 1]);
    }

    /// A standard's answer: a score or "does not apply".
    fn standard_record(answer: model::Answer) -> RatingRecord {
        RatingRecord {
            question: Question::Standard(model::StandardId::V),
            answer,
            ..record(Score::GOOD)
        }
    }

    /// Counted answers by rollups (scores 1-4, not applicable) and by the answers table itself,
    /// daily and hourly: all three must agree.
    fn counted_three_ways(db: &SqliteBackend) -> ([i64; 5], [i64; 5], [i64; 5]) {
        db.read(|conn| {
            let five = |sql: &str| -> rusqlite::Result<[i64; 5]> {
                conn.query_row(sql, [], |r| {
                    Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
                })
            };
            Ok((
                five(
                    "SELECT coalesce(sum(score_1), 0), coalesce(sum(score_2), 0),
                            coalesce(sum(score_3), 0), coalesce(sum(score_4), 0),
                            coalesce(sum(not_applicable), 0) FROM rollups",
                )?,
                five(
                    "SELECT coalesce(sum(score_1), 0), coalesce(sum(score_2), 0),
                            coalesce(sum(score_3), 0), coalesce(sum(score_4), 0),
                            coalesce(sum(not_applicable), 0) FROM rollup_hours",
                )?,
                five(
                    "SELECT coalesce(sum(score = 1), 0), coalesce(sum(score = 2), 0),
                            coalesce(sum(score = 3), 0), coalesce(sum(score = 4), 0),
                            coalesce(sum(not_applicable), 0) FROM answers WHERE counted = 1",
                )?,
            ))
        })
        .expect("counts")
    }

    #[test]
    fn a_score_replaced_by_not_applicable_and_back_keeps_rollups_equal_to_counted_answers() {
        use model::Answer;
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let a = standard_record(Answer::Score(Score::VERY_BAD));
        let mut b = standard_record(Answer::NotApplicable);
        b.supersedes = Some(a.id);
        let mut c = standard_record(Answer::Score(Score::GOOD));
        c.supersedes = Some(b.id);
        let mut d = standard_record(Answer::NotApplicable);
        d.supersedes = Some(c.id);
        let agree = |expected: [i64; 5]| {
            let (days, hours, answers) = counted_three_ways(&db);
            assert_eq!((days, hours, answers), (expected, expected, expected));
        };
        ingest(&db, &kiosk, std::slice::from_ref(&a));
        agree([1, 0, 0, 0, 0]);
        ingest(&db, &kiosk, std::slice::from_ref(&b));
        agree([0, 0, 0, 0, 1]);
        ingest(&db, &kiosk, std::slice::from_ref(&c));
        agree([0, 0, 1, 0, 0]);
        // Again, exactly once: a resent batch changes nothing.
        assert_eq!(
            ingest(&db, &kiosk, &[a.clone(), b.clone(), c.clone()]),
            vec![
                RecordOutcome::Duplicate,
                RecordOutcome::Duplicate,
                RecordOutcome::Duplicate
            ]
        );
        agree([0, 0, 1, 0, 0]);
        // Out of order: d's predecessor arrives after it; only d counts.
        let (_dir2, other) = open();
        let kiosk = enroll(&other, 1);
        ingest(&other, &kiosk, std::slice::from_ref(&d));
        ingest(&other, &kiosk, std::slice::from_ref(&c));
        ingest(&other, &kiosk, &[a, b]);
        let (days, hours, answers) = counted_three_ways(&other);
        assert_eq!(
            (days, hours, answers),
            ([0, 0, 0, 0, 1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 1])
        );
        let rollups = other
            .rollups(&DESK.parse().expect("desk"))
            .expect("rollups");
        assert_eq!(rollups.iter().map(|r| r.not_applicable).sum::<i64>(), 1);
        assert_eq!(rollups.iter().map(|r| r.reasons).sum::<i64>(), 0);
    }

    /// Every non-empty rollup cell (daily, hourly, per reason; and the same by month), and the
    /// same cells recounted from the counted answers: they must be equal cell by cell, not only
    /// in sum.
    fn rollups_and_recount(db: &SqliteBackend) -> (Vec<String>, Vec<String>) {
        db.read(|conn| {
            let rows = |sql: &str| -> rusqlite::Result<Vec<String>> {
                conn.prepare(sql)?
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect()
            };
            let stored = [
                "SELECT 'd|' || desk_id || '|' || question || '|' || day || '|' || language || '|'
                        || larger_text || '|' || burst || '|' || score_1 || ',' || score_2 || ','
                        || score_3 || ',' || score_4 || ',' || not_applicable || '|' || reasons
                 FROM rollups WHERE score_1 + score_2 + score_3 + score_4 + not_applicable
                     + reasons <> 0",
                "SELECT 'h|' || desk_id || '|' || question || '|' || day || '|' || hour || '|'
                        || language || '|' || burst || '|' || score_1 || ',' || score_2 || ','
                        || score_3 || ',' || score_4 || ',' || not_applicable
                 FROM rollup_hours WHERE score_1 + score_2 + score_3 + score_4 + not_applicable
                     <> 0",
                "SELECT 'r|' || desk_id || '|' || question || '|' || day || '|' || language || '|'
                        || burst || '|' || reason || '|' || chosen
                 FROM rollup_reasons WHERE chosen <> 0",
                "SELECT 'm|' || desk_id || '|' || question || '|' || month || '|' || language || '|'
                        || larger_text || '|' || burst || '|' || score_1 || ',' || score_2 || ','
                        || score_3 || ',' || score_4 || ',' || not_applicable || '|' || reasons
                 FROM rollup_months WHERE score_1 + score_2 + score_3 + score_4 + not_applicable
                     + reasons <> 0",
                "SELECT 'mh|' || desk_id || '|' || question || '|' || month || '|' || weekday || '|'
                        || hour || '|' || language || '|' || burst || '|' || score_1 || ','
                        || score_2 || ',' || score_3 || ',' || score_4 || ',' || not_applicable
                 FROM rollup_month_hours
                 WHERE score_1 + score_2 + score_3 + score_4 + not_applicable <> 0",
                "SELECT 'mr|' || desk_id || '|' || question || '|' || month || '|' || language
                        || '|' || burst || '|' || reason || '|' || chosen
                 FROM rollup_month_reasons WHERE chosen <> 0",
            ];
            let recounted = [
                "SELECT 'd|' || desk_id || '|' || question || '|' || local_day || '|' || language
                        || '|' || larger_text || '|' || burst || '|' || total(score IS 1) || ','
                        || total(score IS 2) || ',' || total(score IS 3) || ','
                        || total(score IS 4) || ',' || total(not_applicable) || '|'
                        || total(reasons <> '')
                 FROM answers WHERE counted = 1
                 GROUP BY desk_id, question, local_day, language, larger_text, burst",
                "SELECT 'h|' || desk_id || '|' || question || '|' || local_day || '|' || local_hour
                        || '|' || language || '|' || burst || '|' || total(score IS 1) || ','
                        || total(score IS 2) || ',' || total(score IS 3) || ','
                        || total(score IS 4) || ',' || total(not_applicable)
                 FROM answers WHERE counted = 1
                 GROUP BY desk_id, question, local_day, local_hour, language, burst",
                "SELECT 'r|' || desk_id || '|' || question || '|' || local_day || '|' || language
                        || '|' || burst || '|' || reasons || '|' || count(*)
                 FROM answers WHERE counted = 1 AND reasons <> ''
                 GROUP BY desk_id, question, local_day, language, burst, reasons",
                "SELECT 'm|' || desk_id || '|' || question || '|' || substr(local_day, 1, 7)
                        || '-01|' || language || '|' || larger_text || '|' || burst || '|'
                        || total(score IS 1) || ',' || total(score IS 2) || ','
                        || total(score IS 3) || ',' || total(score IS 4) || ','
                        || total(not_applicable) || '|' || total(reasons <> '')
                 FROM answers WHERE counted = 1
                 GROUP BY desk_id, question, substr(local_day, 1, 7), language, larger_text,
                     burst",
                "SELECT 'mh|' || desk_id || '|' || question || '|' || substr(local_day, 1, 7)
                        || '-01|' || ((CAST(strftime('%w', local_day) AS INTEGER) + 6) % 7)
                        || '|' || local_hour || '|' || language || '|' || burst || '|'
                        || total(score IS 1) || ',' || total(score IS 2) || ','
                        || total(score IS 3) || ',' || total(score IS 4) || ','
                        || total(not_applicable)
                 FROM answers WHERE counted = 1
                 GROUP BY desk_id, question, substr(local_day, 1, 7),
                     strftime('%w', local_day), local_hour, language, burst",
                "SELECT 'mr|' || desk_id || '|' || question || '|' || substr(local_day, 1, 7)
                        || '-01|' || language || '|' || burst || '|' || reasons || '|' || count(*)
                 FROM answers WHERE counted = 1 AND reasons <> ''
                 GROUP BY desk_id, question, substr(local_day, 1, 7), language, burst, reasons",
            ];
            let mut all = (Vec::new(), Vec::new());
            for sql in stored {
                all.0.extend(rows(sql)?);
            }
            for sql in recounted {
                // total() is a float: "1.0" is the rollups' "1".
                all.1
                    .extend(rows(sql)?.into_iter().map(|r| r.replace(".0", "")));
            }
            all.0.sort();
            all.1.sort();
            Ok(all)
        })
        .expect("rollups and recount")
    }

    #[test]
    fn rollups_equal_a_recount_of_answers_cell_by_cell_whatever_order_corrections_arrive_in() {
        use model::Answer;
        let reason = |code: &str| vec![code.parse().expect("reason")];
        // A low score, its reasons, then "does not apply", then a score with another reason:
        // each correcting the one before, as a kiosk's or an admin tool's corrections may.
        let a = standard_record(Answer::Score(Score::VERY_BAD));
        let mut b = RatingRecord {
            reasons: reason("v-slow-answer"),
            supersedes: Some(a.id),
            ..standard_record(Answer::Score(Score::VERY_BAD))
        };
        b.sequence = 2;
        let mut c = standard_record(Answer::NotApplicable);
        c.supersedes = Some(b.id);
        c.sequence = 3;
        let mut d = RatingRecord {
            reasons: reason("v-no-callback"),
            supersedes: Some(c.id),
            ..standard_record(Answer::Score(Score::BAD))
        };
        d.sequence = 4;
        let chain = [a, b, c, d];
        let orders: [[usize; 4]; 8] = [
            [0, 1, 2, 3],
            [3, 2, 1, 0],
            [0, 3, 1, 2],
            [2, 0, 3, 1],
            [1, 3, 0, 2],
            [0, 2, 1, 3],
            [3, 0, 2, 1],
            [1, 2, 3, 0],
        ];
        for order in orders {
            let (_dir, db) = open();
            let kiosk = enroll(&db, 1);
            for i in order {
                ingest(&db, &kiosk, std::slice::from_ref(&chain[i]));
                let (stored, recounted) = rollups_and_recount(&db);
                assert_eq!(stored, recounted, "arrival order {order:?}, after {i}");
            }
            let (stored, _) = rollups_and_recount(&db);
            assert!(
                stored
                    .iter()
                    .any(|c| c.starts_with("r|") && c.contains("v-no-callback|1")),
                "only the last answer counts: {stored:?}"
            );
            assert_eq!(
                stored.iter().filter(|c| c.starts_with("r|")).count(),
                1,
                "{stored:?}"
            );
        }
    }

    #[test]
    fn another_kiosk_cannot_uncount_an_answer() {
        let (_dir, db) = open();
        let one = enroll(&db, 1);
        let two = enroll(&db, 2);
        let a = record(Score::GOOD);
        let mut b = record(Score::BAD);
        b.supersedes = Some(a.id);
        ingest(&db, &one, &[a]);
        ingest(&db, &two, &[b]);
        assert_eq!(counted(&db), [0, 1, 1, 0]);
    }

    #[test]
    fn a_revoked_token_is_told_apart_from_an_unknown_one() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        assert!(db.revoke(&kiosk.id, 30).expect("revoke"));
        assert!(!db.revoke("nobody", 30).expect("revoke"));
        assert_eq!(
            db.kiosk_by_token([101; 32]).expect("lookup"),
            TokenLookup::Revoked
        );
        assert_eq!(
            db.kiosk_by_token([0; 32]).expect("lookup"),
            TokenLookup::Unknown
        );
        let listed = db.kiosks().expect("kiosks");
        assert_eq!(listed[0].revoked_at_ms, Some(30));
    }

    #[test]
    fn an_edit_bumps_the_revision_once_and_a_no_op_or_a_refusal_not_at_all() {
        let (_dir, db) = open();
        let desk: DeskId = DESK.parse().expect("desk");
        let before = db.desk(&desk).expect("read").expect("desk exists").survey;
        assert_eq!(before.revision, 1);
        let edit = DeskSurveyEdit {
            standards: Some(vec![StandardId::II, StandardId::IV]),
            ..DeskSurveyEdit::default()
        };
        let DeskEditOutcome::Changed(after) = db.edit_desk(&desk, &edit).expect("edit") else {
            panic!("expected a change");
        };
        assert_eq!(after.revision, 2);
        assert_eq!(after.standards, vec![StandardId::II, StandardId::IV]);
        assert_eq!(
            db.edit_desk(&desk, &edit).expect("same again"),
            DeskEditOutcome::Unchanged(after.clone())
        );
        let bad = DeskSurveyEdit {
            standards: Some(vec![StandardId::X]),
            ..DeskSurveyEdit::default()
        };
        let err = db.edit_desk(&desk, &bad).expect_err("X is never rated");
        assert!(err.to_string().contains("standard X "), "{err}");
        assert_eq!(db.desk(&desk).expect("read").expect("desk").survey, after);
        let err = db
            .edit_desk(&"nowhere".parse().expect("desk"), &edit)
            .expect_err("unknown");
        assert!(
            err.to_string().contains("unknown desk \"nowhere\""),
            "{err}"
        );
        assert_eq!(db.desks().expect("desks").len(), 1);
    }

    #[test]
    fn a_desk_that_breaks_a_survey_rule_is_not_added() {
        let (_dir, db) = open();
        let err = db
            .add_desk(&NewDesk {
                id: "plock-wso-09".parse().expect("desk"),
                office_id: "plock".into(),
                department_id: "wso".into(),
                name: "Stanowisko 9".into(),
                internal_service: false,
                standards: vec![StandardId::XI],
                languages: vec![LanguageTag::polish()],
                default_language: LanguageTag::polish(),
            })
            .expect_err("XI outside an internal desk");
        assert!(err.to_string().contains("--internal-service"), "{err}");
        assert_eq!(db.desks().expect("desks").len(), 1);
    }

    #[test]
    fn fleet_health_shows_the_clock_drift_at_the_last_contact() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let ahead = RecordedTime {
            wall_clock_ms: 20 + 259_200_000,
            clock_synchronized: false,
            ..clock()
        };
        let batch = RecordBatch {
            sent: ahead,
            records: vec![],
        };
        db.ingest(&kiosk, &batch, 20).expect("ingest");
        let status = &db.kiosks().expect("kiosks")[0];
        assert_eq!(status.clock_drift_ms, Some(259_200_000));
        assert_eq!(status.clock_synchronized, Some(false));
    }

    #[test]
    fn a_department_scope_lists_only_the_alerts_about_its_desks_and_their_kiosks() {
        let (_dir, db) = open();
        enroll(&db, 1);
        db.add_department("plock", "wgk", "Wydział Gospodarki Komunalnej")
            .expect("department");
        db.add_desk(&NewDesk {
            id: "plock-wgk-01".parse().expect("desk"),
            office_id: "plock".into(),
            department_id: "wgk".into(),
            name: "Stanowisko 1".into(),
            internal_service: false,
            standards: vec![StandardId::IV],
            languages: vec![LanguageTag::polish()],
            default_language: LanguageTag::polish(),
        })
        .expect("desk");
        let rule = db
            .add_alert_rule(
                Disclosure::default(),
                RuleKind::KioskSilent { hours: 4 },
                None,
                0,
            )
            .expect("rule");
        let raise = |subject: &str| Change::Raise {
            rule_id: rule.id,
            subject: subject.into(),
            office_id: "plock".into(),
            value: 5.0,
            responses: None,
        };
        let changes = [raise("k1"), raise(DESK), raise("plock-wgk-01")];
        assert_eq!(db.apply_alert_changes(&changes, &[], 1).expect("raise"), 3);
        let subjects = |scope: Scope| {
            let mut found: Vec<String> = db
                .alert_listing(&scope, 10)
                .expect("listing")
                .into_iter()
                .map(|l| l.alert.subject)
                .collect();
            found.sort();
            found
        };
        let department = |department: &str| Scope::Department {
            office: "plock".into(),
            department: department.into(),
        };
        assert_eq!(subjects(department("wso")), ["k1", DESK]);
        assert_eq!(subjects(department("wgk")), ["plock-wgk-01"]);
        assert_eq!(subjects(Scope::Office("plock".into())).len(), 3);
        assert!(subjects(Scope::Office("gabin".into())).is_empty());
        assert_eq!(subjects(Scope::AllOffices).len(), 3);
    }

    /// Every non-empty monthly rollup cell, and the same cells summed from the daily rollups:
    /// they must be equal cell by cell, whatever happened to the answers (even a purge).
    fn months_and_summed_days(db: &SqliteBackend) -> (Vec<String>, Vec<String>) {
        db.read(|conn| {
            let rows = |sql: &str| -> rusqlite::Result<Vec<String>> {
                let mut rows = conn
                    .prepare(sql)?
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                rows.sort();
                Ok(rows)
            };
            let months = [
                "SELECT 'm|' || desk_id || '|' || question || '|' || month || '|' || language || '|'
                        || larger_text || '|' || burst || '|' || score_1 || ',' || score_2 || ','
                        || score_3 || ',' || score_4 || ',' || not_applicable || '|' || reasons
                 FROM rollup_months WHERE score_1 + score_2 + score_3 + score_4 + not_applicable
                     + reasons <> 0",
                "SELECT 'mh|' || desk_id || '|' || question || '|' || month || '|' || weekday || '|'
                        || hour || '|' || language || '|' || burst || '|' || score_1 || ','
                        || score_2 || ',' || score_3 || ',' || score_4 || ',' || not_applicable
                 FROM rollup_month_hours
                 WHERE score_1 + score_2 + score_3 + score_4 + not_applicable <> 0",
                "SELECT 'mr|' || desk_id || '|' || question || '|' || month || '|' || language
                        || '|' || burst || '|' || reason || '|' || chosen
                 FROM rollup_month_reasons WHERE chosen <> 0",
            ];
            let days = [
                "SELECT 'm|' || desk_id || '|' || question || '|' || substr(day, 1, 7) || '-01|'
                        || language || '|' || larger_text || '|' || burst || '|' || sum(score_1)
                        || ',' || sum(score_2) || ',' || sum(score_3) || ',' || sum(score_4) || ','
                        || sum(not_applicable) || '|' || sum(reasons)
                 FROM rollups GROUP BY desk_id, question, substr(day, 1, 7), language,
                     larger_text, burst
                 HAVING sum(score_1 + score_2 + score_3 + score_4 + not_applicable + reasons)
                     <> 0",
                "SELECT 'mh|' || desk_id || '|' || question || '|' || substr(day, 1, 7) || '-01|'
                        || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || '|' || hour || '|'
                        || language || '|' || burst || '|' || sum(score_1) || ',' || sum(score_2)
                        || ',' || sum(score_3) || ',' || sum(score_4) || ',' || sum(not_applicable)
                 FROM rollup_hours GROUP BY desk_id, question, substr(day, 1, 7),
                     strftime('%w', day), hour, language, burst
                 HAVING sum(score_1 + score_2 + score_3 + score_4 + not_applicable) <> 0",
                "SELECT 'mr|' || desk_id || '|' || question || '|' || substr(day, 1, 7) || '-01|'
                        || language || '|' || burst || '|' || reason || '|' || sum(chosen)
                 FROM rollup_reasons GROUP BY desk_id, question, substr(day, 1, 7), language,
                     burst, reason
                 HAVING sum(chosen) <> 0",
            ];
            let mut all = (Vec::new(), Vec::new());
            for sql in months {
                all.0.extend(rows(sql)?);
            }
            for sql in days {
                all.1.extend(rows(sql)?);
            }
            Ok(all)
        })
        .expect("months and days")
    }

    #[test]
    fn monthly_rollups_stay_equal_to_the_daily_ones_across_a_month_boundary_and_a_purge() {
        use model::Answer;
        const MINUTE: i64 = 60_000;
        const DAY: i64 = 24 * 60 * MINUTE;
        // 2026-12-01 00:00 in Warsaw, 23:00 UTC the day before.
        const DECEMBER: i64 = 1_796_079_600_000;
        let (_dir, db) = open();
        let reading = |boot: &str, started: i64, at: i64, wall: i64, synced: bool| RecordedTime {
            wall_clock_ms: wall,
            boot_id: boot.into(),
            boottime_ns: u64::try_from(at - started).expect("after boot") * 1_000_000,
            clock_synchronized: synced,
        };
        let send = |kiosk: &Kiosk, records: Vec<RatingRecord>, sent: RecordedTime, at: i64| {
            db.ingest(kiosk, &RecordBatch { sent, records }, at)
                .expect("ingest")
        };
        let all_equal = |when: &str| {
            let (stored, recounted) = rollups_and_recount(&db);
            assert_eq!(stored, recounted, "rollups and answers, {when}");
            let (months, days) = months_and_summed_days(&db);
            assert_eq!(months, days, "months and days, {when}");
        };

        // A low score with its reason at 23:59 on 30 November, corrected two minutes later, on
        // 1 December: the correction moves the count (and the reason's) to another month.
        let corrector = enroll(&db, 1);
        let boot = DECEMBER - DAY;
        let at = |ms: i64| reading("s", boot, ms, ms, true);
        let low = RatingRecord {
            reasons: vec!["v-slow-answer".parse().expect("reason")],
            sequence: 1,
            recorded: at(DECEMBER - MINUTE),
            ..standard_record(Answer::Score(Score::VERY_BAD))
        };
        let corrected = RatingRecord {
            sequence: 2,
            supersedes: Some(low.id),
            recorded: at(DECEMBER + MINUTE),
            ..standard_record(Answer::Score(Score::GOOD))
        };
        let sent = DECEMBER + 10 * MINUTE;
        send(&corrector, vec![low.clone()], at(sent), sent);
        all_equal("the low score");
        send(&corrector, vec![corrected.clone()], at(sent), sent);
        assert_eq!(placed(&db, low.id).2, "2026-11-30");
        assert_eq!(placed(&db, corrected.id).2, "2026-12-01");
        all_equal("its correction in the next month");

        // Boot a never synchronised at first and reads three days ahead: its answer of 30
        // November, 23:30 is placed in December until boot a's synchronised reading arrives.
        let replaced = enroll(&db, 2);
        let boot_a = DECEMBER - 2 * 60 * MINUTE;
        let truth = DECEMBER - 30 * MINUTE;
        let early = RatingRecord {
            sequence: 1,
            recorded: reading("a", boot_a, truth, truth + 3 * DAY, false),
            ..record(Score::BAD)
        };
        let late = RatingRecord {
            sequence: 2,
            recorded: reading("a", boot_a, truth + 10 * MINUTE, truth + 10 * MINUTE, true),
            ..record(Score::VERY_GOOD)
        };
        let boot_b = DECEMBER + 2 * DAY;
        let from_b = |ms: i64| reading("b", boot_b, ms, ms, false);
        send(
            &replaced,
            vec![early.clone()],
            from_b(boot_b + MINUTE),
            boot_b + MINUTE,
        );
        let (_, approximate, day) = placed(&db, early.id);
        assert!(approximate && day.starts_with("2026-12"), "placed {day}");
        all_equal("an answer placed approximately in December");
        send(
            &replaced,
            vec![late],
            from_b(boot_b + 2 * MINUTE),
            boot_b + 2 * MINUTE,
        );
        assert_eq!(
            placed(&db, early.id),
            (truth, false, "2026-11-30".to_owned())
        );
        all_equal("re-placed in November");

        // Retention deletes November's answers; every rollup stays as it was.
        let (before, _) = rollups_and_recount(&db);
        let purged = db.purge_answers("2026-12-01", 0).expect("purge");
        assert_eq!(purged.answers, 3, "the low score and boot a's two answers");
        assert_eq!(rollups_and_recount(&db).0, before, "rollups kept");
        let (months, days) = months_and_summed_days(&db);
        assert_eq!(months, days, "months and days after the purge");
        assert!(
            months.iter().any(|m| m.contains("|2026-11-01|")),
            "November still counted: {months:?}"
        );
    }

    #[test]
    fn a_newer_server_migrating_under_a_running_one_fails_its_writes_by_name() {
        let (dir, db) = open();
        let kiosk = enroll(&db, 1);
        let newer = schema::known_version() + 1;
        Connection::open(dir.path().join("s.db"))
            .expect("a newer server's connection")
            .pragma_update(None, "user_version", newer)
            .expect("its migration");
        let batch = RecordBatch {
            sent: clock(),
            records: vec![record(Score::GOOD)],
        };
        let err = db.ingest(&kiosk, &batch, 20).expect_err("refused");
        let known = newer - 1;
        assert!(
            matches!(err, StorageError::NewerSchema { found, known: k, .. }
                if found == newer && k == known),
            "{err:?}"
        );
        assert!(
            err.to_string().contains(&format!(
                "s.db is at schema v{newer}; this sync-server knows up to v{known}"
            )),
            "{err}"
        );
        assert_eq!(counted(&db), [0; 4], "nothing written");
        drop(db);
        let Err(err) = SqliteBackend::open(&dir.path().join("s.db"), &Connections::default())
        else {
            panic!("a database from a newer server opened");
        };
        assert!(
            matches!(err, StorageError::NewerSchema { .. }),
            "refused at open: {err:?}"
        );
    }

    #[test]
    fn a_cycle_of_corrections_leaves_one_answer_counted() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let mut a = record(Score::VERY_BAD);
        let mut b = record(Score::VERY_GOOD);
        a.supersedes = Some(b.id);
        b.supersedes = Some(a.id);
        let outcomes = ingest(&db, &kiosk, &[a, b.clone()]);
        assert_eq!(outcomes[0], RecordOutcome::Stored);
        assert!(
            matches!(&outcomes[1], RecordOutcome::Rejected { reason }
                if reason.contains(&format!("record {} supersedes", b.id))
                    && reason.contains("cycle")),
            "{outcomes:?}"
        );
        assert_eq!(counted(&db), [1, 0, 0, 0], "the first of the pair counts");
        // Three, one batch each: C supersedes D, D supersedes E, E supersedes C.
        let [mut c, mut d, mut e] = [Score::BAD, Score::GOOD, Score::VERY_GOOD].map(record);
        c.supersedes = Some(d.id);
        d.supersedes = Some(e.id);
        e.supersedes = Some(c.id);
        assert_eq!(ingest(&db, &kiosk, &[c]), [RecordOutcome::Stored]);
        assert_eq!(ingest(&db, &kiosk, &[d]), [RecordOutcome::Stored]);
        assert!(matches!(
            ingest(&db, &kiosk, &[e])[..],
            [RecordOutcome::Rejected { .. }]
        ));
        assert_eq!(counted(&db), [1, 1, 0, 0], "C counts; D is superseded by C");
    }

    #[test]
    fn a_conflict_logs_the_first_record_as_it_arrived_whatever_its_sequence() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let largest = u64::try_from(i64::MAX).expect("fits");
        // Above what the server stores, a sequence or boot time would be kept altered (clamped)
        // and the conflict log would show another first record: such a record is not admitted.
        for (field, unstorable) in [
            (
                "sequence",
                RatingRecord {
                    sequence: u64::MAX,
                    ..record(Score::GOOD)
                },
            ),
            ("recorded.boottime_ns", {
                let mut r = record(Score::GOOD);
                r.recorded.boottime_ns = largest + 1;
                r
            }),
        ] {
            let outcomes = ingest(&db, &kiosk, &[unstorable]);
            assert!(
                matches!(&outcomes[..], [RecordOutcome::Rejected { reason }]
                    if reason.starts_with(field) && reason.contains("the largest the server stores")),
                "{outcomes:?}"
            );
        }
        // Up to it, the log holds the first record exactly as it arrived.
        let mut first = RatingRecord {
            sequence: largest,
            ..record(Score::GOOD)
        };
        first.recorded.boottime_ns = largest;
        let second = RatingRecord {
            answer: Score::BAD.into(),
            ..first.clone()
        };
        ingest(&db, &kiosk, std::slice::from_ref(&first));
        assert_eq!(
            ingest(&db, &kiosk, std::slice::from_ref(&second)),
            [RecordOutcome::Conflict]
        );
        let logged: String = db
            .read(|conn| {
                Ok(conn.query_row("SELECT first_content FROM conflicts", [], |r| r.get(0))?)
            })
            .expect("the conflict");
        assert_eq!(logged, serde_json::to_string(&first).expect("json"));
    }

    #[test]
    fn a_purged_record_sent_again_is_a_duplicate_and_changed_a_conflict_logged_as_purged() {
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let first = record(Score::GOOD);
        ingest(&db, &kiosk, std::slice::from_ref(&first));
        // clock() places every answer on 23 November 2026.
        assert_eq!(db.purge_answers("2026-11-24", 0).expect("purge").answers, 1);
        assert_eq!(
            ingest(&db, &kiosk, std::slice::from_ref(&first)),
            [RecordOutcome::Duplicate]
        );
        let changed = RatingRecord {
            answer: Score::BAD.into(),
            ..first
        };
        assert_eq!(
            ingest(&db, &kiosk, std::slice::from_ref(&changed)),
            [RecordOutcome::Conflict]
        );
        let logged: String = db
            .read(|conn| {
                Ok(conn.query_row("SELECT first_content FROM conflicts", [], |r| r.get(0))?)
            })
            .expect("the conflict");
        assert_eq!(logged, "(purged: older than the answers' retention)");
    }

    #[test]
    fn a_purged_answer_leaves_no_copy_in_the_database_file() {
        let (dir, db) = open();
        let kiosk = enroll(&db, 1);
        let records: Vec<RatingRecord> = (1..=300)
            .map(|sequence| RatingRecord {
                sequence,
                ..record(Score::GOOD)
            })
            .collect();
        for chunk in records.chunks(100) {
            ingest(&db, &kiosk, chunk);
        }
        // clock() places every answer on 23 November 2026.
        let purged = db.purge_answers("2026-11-24", 0).expect("purge");
        assert_eq!(purged.answers, 300);
        // The purge copied everything into the database file and emptied the write-ahead log,
        // which held the pages as they were before it. (Read while open: closing the last
        // connection would checkpoint and delete the log anyway.)
        let wal = std::fs::metadata(dir.path().join("s.db-wal")).expect("the log");
        assert_eq!(wal.len(), 0, "the write-ahead log is emptied after a purge");
        let mut bytes = Vec::new();
        for file in ["s.db", "s.db-wal"] {
            bytes.extend(std::fs::read(dir.path().join(file)).unwrap_or_default());
        }
        // A visit id is kept nowhere but in its answer (tombstones keep the record id).
        let left = records
            .iter()
            .filter(|r| {
                let visit = r.visit_id.to_string();
                bytes.windows(visit.len()).any(|w| w == visit.as_bytes())
            })
            .count();
        assert_eq!(left, 0, "visit ids of purged answers still in the file");
    }

    #[test]
    #[ignore = "finding 8: a kiosk whose corrupt database was moved aside numbers its answers \
                from 1 again, and the neighbour rule bounds a new answer by old ones"]
    fn a_kiosk_that_starts_a_fresh_database_does_not_have_new_answers_bounded_by_old_ones() {
        const MINUTE: i64 = 60_000;
        const DAY: i64 = 24 * 60 * MINUTE;
        // 2026-12-01 00:00 in Warsaw, 23:00 UTC the day before.
        const DECEMBER: i64 = 1_796_079_600_000;
        let (_dir, db) = open();
        let kiosk = enroll(&db, 1);
        let reading = |boot: &str, started: i64, at: i64, wall: i64, synced: bool| RecordedTime {
            wall_clock_ms: wall,
            boot_id: boot.into(),
            boottime_ns: u64::try_from(at - started).expect("after boot") * 1_000_000,
            clock_synchronized: synced,
        };
        let send = |records: Vec<RatingRecord>, sent: RecordedTime, at: i64| {
            db.ingest(&kiosk, &RecordBatch { sent, records }, at)
                .expect("ingest")
        };
        // Three answers a month earlier, numbered 1-3, placed exactly.
        let november = DECEMBER - 29 * DAY;
        let old: Vec<RatingRecord> = (1..=3)
            .map(|sequence| RatingRecord {
                sequence,
                recorded: reading("s", november - DAY, november, november, true),
                ..record(Score::GOOD)
            })
            .collect();
        send(
            old,
            reading("s", november - DAY, november, november, true),
            november,
        );
        // The kiosk's database was corrupt and started again: its next answer is number 2 again,
        // given in a boot that never synchronised (its clock reads 1970) and sent from the next.
        let boot_a = DECEMBER - 60 * MINUTE;
        let fresh = RatingRecord {
            sequence: 2,
            recorded: reading("a", boot_a, DECEMBER + MINUTE, MINUTE, false),
            ..record(Score::BAD)
        };
        let boot_b = DECEMBER + DAY;
        let sent = boot_b + MINUTE;
        send(
            vec![fresh.clone()],
            reading("b", boot_b, sent, MINUTE, false),
            sent,
        );
        let (utc, approximate, day) = placed(&db, fresh.id);
        assert!(approximate);
        assert!(
            utc >= DECEMBER,
            "placed on {day}, among the old database's answers, a month before it was given"
        );
    }
}
