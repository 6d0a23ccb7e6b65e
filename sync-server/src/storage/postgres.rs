//! The PostgreSQL backend: the blocking `postgres` client (a thin wrapper over tokio-postgres,
//! called only from `Storage`'s blocking threads) with r2d2 pools: writers, readers and export
//! connections apart, so a slow export never holds one that sign-in or ingest needs, and every
//! wait for a connection bounded. Every write transaction first takes one transaction-level
//! advisory lock: what SQLite's single writer gave for free (a correction, a burst or a
//! re-placement reads what earlier writes left), here across connections and processes alike;
//! exactly-once itself rests on the primary keys (`INSERT … ON CONFLICT DO NOTHING`).

use model::wire::{BatchReceipt, DeskSurvey, Heartbeat, RecordBatch};
use model::{DeskId, LanguageTag, RecordedTime, StandardId};
use postgres::{GenericClient, NoTls, Row, Transaction};
use r2d2_postgres::PostgresConnectionManager;

mod accounts;
mod alerts;
mod analytics;
mod department_reports;
mod engine_error;
mod event_times;
mod ingest;
mod retention;
pub mod schema;
mod tally;
pub mod transfer;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod tests;

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
    DeskCounts, DeskDay, Disclosure, ExportRow, Filter, Group, HeatCell, Level, Place, Places,
    ReasonCount, TrendPoint, Usage,
};
use crate::busy::Busy;
use crate::lang::Lang;
use crate::survey::{self, DeskSurveyEdit};

/// How long a write transaction may sit idle before PostgreSQL ends it (a frozen holder of the
/// write lock); a write never waits on its client inside a transaction.
const IDLE_IN_TRANSACTION: std::time::Duration = std::time::Duration::from_secs(60);

/// How long connecting may take when the URL names no `connect_timeout`.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Writer connections per process: more than one, so concurrent writes really meet in the
/// database (the advisory lock orders them), as they do from several processes.
const WRITERS: u32 = 2;

/// The advisory lock every write transaction takes first ("ocena_wr").
const WRITE_LOCK: i64 = 0x6f63_656e_615f_7772;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// PostgreSQL behind the [`Backend`] seam.
pub struct PostgresBackend {
    /// Always there until dropped (see `Drop`).
    pools: Option<Pools>,
    /// The database, for messages (never its password).
    described: String,
}

struct Pools {
    writers: Pool,
    readers: Pool,
    exports: Pool,
}

impl Drop for PostgresBackend {
    /// A `postgres` client closes its connection by blocking on a runtime of its own, which
    /// panics on a thread of an async runtime (where the last `Storage` is often dropped): the
    /// pools are closed on a thread of their own.
    fn drop(&mut self) {
        if let Some(pools) = self.pools.take() {
            let closing = std::thread::spawn(move || drop(pools));
            if closing.join().is_err() {
                tracing::warn!("closing the PostgreSQL connections failed");
            }
        }
    }
}

impl PostgresBackend {
    /// Connects to the database `config` names, migrates it, and opens the reader and export
    /// connections `connections` asks for (at least one each).
    pub fn open(
        config: &postgres::Config,
        connections: &Connections,
    ) -> Result<PostgresBackend, StorageError> {
        let described = describe(config);
        let open_err = |source: StorageError| match source {
            StorageError::Database(source) => StorageError::Open {
                path: described.clone(),
                source,
            },
            other => other,
        };
        let mut client = config.connect(NoTls).map_err(|e| open_err(e.into()))?;
        let mut tx = client.transaction().map_err(|e| open_err(e.into()))?;
        schema::migrate(&mut tx).map_err(open_err)?;
        tx.commit().map_err(|e| open_err(e.into()))?;
        drop(client);
        // A writer waits for the write lock no longer than for a connection (then 503 and the
        // kiosk retries), and a transaction left idle by a frozen holder ends, freeing the lock.
        let mut writer_config = config.clone();
        let mut options = config.get_options().unwrap_or_default().to_owned();
        options.push_str(&format!(
            " -c lock_timeout={} -c idle_in_transaction_session_timeout={}",
            connections.max_wait.as_millis().max(1),
            IDLE_IN_TRANSACTION.as_millis()
        ));
        writer_config.options(options.trim());
        let pool = |size: usize, config: &postgres::Config| -> Result<Pool, StorageError> {
            r2d2::Pool::builder()
                .max_size(u32::try_from(size.max(1)).unwrap_or(u32::MAX))
                .min_idle(Some(0))
                .connection_timeout(connections.max_wait)
                .build(PostgresConnectionManager::new(config.clone(), NoTls))
                .map_err(|e| StorageError::Open {
                    path: described.clone(),
                    source: crate::storage::EngineError {
                        message: e.to_string(),
                        busy: false,
                    },
                })
        };
        let pools = Pools {
            writers: pool(WRITERS as usize, &writer_config)?,
            readers: pool(connections.readers, config)?,
            exports: pool(connections.exports, config)?,
        };
        Ok(PostgresBackend {
            described,
            pools: Some(pools),
        })
    }

    /// Connects to the database a `postgres://` URL names, with `password` (from the
    /// environment: never in the URL), as [`PostgresBackend::open`].
    pub fn open_url(
        url: &str,
        password: Option<&str>,
        connections: &Connections,
    ) -> Result<PostgresBackend, StorageError> {
        PostgresBackend::open(&config_from_url(url, password)?, connections)
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = lend(self.pools.as_ref().map(|p| &p.writers), "database writer")?;
        // Read committed whatever the database's default: each statement after the lock must
        // see what the writer before committed (a repeatable-read snapshot predates the lock).
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::ReadCommitted)
            .start()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
        // A newer server may have migrated the database since this one opened it: this code
        // would misread its tables, so it writes nothing (the kiosk retries; nothing is lost).
        let found: i64 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .try_get(0)?;
        let known = schema::latest_version();
        if found > known {
            return Err(StorageError::NewerSchema {
                path: self.described.clone(),
                found,
                known,
            });
        }
        let value = f(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        f(&mut *lend(
            self.pools.as_ref().map(|p| &p.readers),
            "database reader",
        )?)
    }
}

/// The client configuration a `postgres://` URL names, with `password` (never in the URL).
fn config_from_url(url: &str, password: Option<&str>) -> Result<postgres::Config, StorageError> {
    let mut config: postgres::Config = url.parse().map_err(|e| {
        StorageError::Invalid(format!(
            "the database URL {url:?} is not a PostgreSQL connection URL: {e}"
        ))
    })?;
    if let Some(password) = password {
        config.password(password);
    }
    // An unreachable host whose packets are dropped would hold `serve` for minutes, silent.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    Ok(config)
}

/// A connection from `pool` within its wait, or [`Busy`] naming `what`.
fn lend(
    pool: Option<&Pool>,
    what: &'static str,
) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, StorageError> {
    let pool = pool.ok_or(StorageError::Busy(Busy { what }))?;
    pool.get().map_err(|e| {
        tracing::warn!(error = %e, "no {what} free");
        StorageError::Busy(Busy { what })
    })
}

/// The database a configuration names, for messages (never its password).
fn describe(config: &postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    format!(
        "postgres database {} on {}",
        config.get_dbname().unwrap_or("(default)"),
        hosts.join(",")
    )
}

fn survey(conn: &mut impl GenericClient, desk: &str) -> Result<DeskSurvey, StorageError> {
    let row = conn
        .query_opt(
            "SELECT d.revision, d.id, d.name, o.name, d.internal_service, d.standards, d.languages,
                    d.default_language, d.idle_prompt_after_s, d.idle_countdown_s,
                    d.change_answer_window_s, d.thank_you_s
             FROM desks d JOIN offices o ON o.id = d.office_id WHERE d.id = $1",
            &[&desk],
        )?
        .ok_or_else(|| StorageError::Corrupt(format!("desk {desk:?} is missing")))?;
    let corrupt = |e: model::ParseError| StorageError::Corrupt(format!("desk {desk:?}: {e}"));
    let seconds = |i: usize| -> Result<u32, StorageError> {
        u32::try_from(row.try_get::<_, i64>(i)?)
            .map_err(|e| StorageError::Corrupt(format!("desk {desk:?}: {e}")))
    };
    Ok(DeskSurvey {
        revision: u64::try_from(row.try_get::<_, i64>(0)?).unwrap_or_default(),
        desk_id: row.try_get::<_, String>(1)?.parse().map_err(corrupt)?,
        desk_name: row.try_get(2)?,
        office: row.try_get(3)?,
        internal_service: row.try_get(4)?,
        standards: split(&row.try_get::<_, String>(5)?)
            .map(str::parse::<StandardId>)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        languages: split(&row.try_get::<_, String>(6)?)
            .map(str::parse::<LanguageTag>)
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        default_language: row.try_get::<_, String>(7)?.parse().map_err(corrupt)?,
        idle_prompt_after_s: seconds(8)?,
        idle_countdown_s: seconds(9)?,
        change_answer_window_s: seconds(10)?,
        thank_you_s: seconds(11)?,
    })
}

/// The columns of the `kiosks` table a fleet row is made of.
const KIOSK_STATUS_COLUMNS: &str = "k.id, k.desk_id, k.enrolled_at_ms, k.revoked_at_ms, \
    k.last_seen_ms, k.version, k.backlog, k.oldest_unsynced_ms, k.last_error, k.last_clock";

fn kiosk_status(r: &Row) -> Result<KioskStatus, StorageError> {
    let last_seen_ms: Option<i64> = r.try_get(4)?;
    let last_clock: Option<RecordedTime> = r
        .try_get::<_, Option<String>>(9)?
        .and_then(|json| serde_json::from_str(&json).ok());
    Ok(KioskStatus {
        id: r.try_get(0)?,
        desk_id: r.try_get(1)?,
        enrolled_at_ms: r.try_get(2)?,
        revoked_at_ms: r.try_get(3)?,
        last_seen_ms,
        version: r.try_get(5)?,
        backlog: r.try_get(6)?,
        oldest_unsynced_ms: r.try_get(7)?,
        last_error: r.try_get(8)?,
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

fn exists(
    conn: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<bool, StorageError> {
    Ok(conn.query_opt(sql, params)?.is_some())
}

/// Refuses an office id that names no office, listing the ones there are.
fn known_office(conn: &mut impl GenericClient, office: &str) -> Result<(), StorageError> {
    if exists(conn, "SELECT 1 FROM offices WHERE id = $1", &[&office])? {
        return Ok(());
    }
    let known: Vec<String> = conn
        .query("SELECT id FROM offices ORDER BY id", &[])?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
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

/// Notes that `desk`'s survey offers `standards` (a standard once noted stays).
fn note_offered(
    conn: &mut impl GenericClient,
    desk: &str,
    standards: &[StandardId],
) -> Result<(), StorageError> {
    for standard in standards {
        conn.execute(
            "INSERT INTO desk_standards_offered (desk_id, standard) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&desk, &standard.roman()],
        )?;
    }
    Ok(())
}

/// The offices, departments and desks `scope` may read.
fn places(conn: &mut impl GenericClient, scope: &Scope) -> Result<Places, StorageError> {
    let own = scope.office();
    let own_department = scope.department();
    let offices = conn
        .query(
            "SELECT id, name FROM offices WHERE $1::text IS NULL OR id = $1 ORDER BY added",
            &[&own],
        )?
        .iter()
        .map(|r| {
            Ok(Place {
                office_id: r.try_get(0)?,
                department_id: None,
                desk_id: None,
                name: r.try_get(1)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    let departments = conn
        .query(
            "SELECT office_id, id, name FROM departments
             WHERE ($1::text IS NULL OR office_id = $1) AND ($2::text IS NULL OR id = $2)
             ORDER BY office_id, id",
            &[&own, &own_department],
        )?
        .iter()
        .map(|r| {
            Ok(Place {
                office_id: r.try_get(0)?,
                department_id: Some(r.try_get(1)?),
                desk_id: None,
                name: r.try_get(2)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    let desks = conn
        .query(
            "SELECT office_id, department_id, id, name FROM desks
             WHERE ($1::text IS NULL OR office_id = $1) AND ($2::text IS NULL OR department_id = $2)
             ORDER BY office_id, department_id, id",
            &[&own, &own_department],
        )?
        .iter()
        .map(|r| {
            Ok(Place {
                office_id: r.try_get(0)?,
                department_id: Some(r.try_get(1)?),
                desk_id: Some(r.try_get(2)?),
                name: r.try_get(3)?,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    Ok(Places {
        offices,
        departments,
        desks,
    })
}

impl Backend for PostgresBackend {
    fn places(&self, scope: &Scope) -> Result<Places, StorageError> {
        self.read(|conn| places(conn, scope))
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

    /// Desk by desk in id order, each desk's by day and then by content (never by time);
    /// rows are read through a portal in chunks, so memory stays flat however many there are.
    fn export_answers(
        &self,
        filter: &Filter,
        scope: &Scope,
        each: &mut dyn FnMut(&ExportRow) -> bool,
    ) -> Result<(), StorageError> {
        let mut conn = lend(self.pools.as_ref().map(|p| &p.exports), "export connection")?;
        let desks: Vec<Place> = places(&mut *conn, scope)?
            .desks
            .into_iter()
            .filter(|d| filter.office.as_deref().is_none_or(|o| o == d.office_id))
            .filter(|d| {
                filter
                    .department
                    .as_deref()
                    .is_none_or(|dep| d.department_id.as_deref() == Some(dep))
            })
            .filter(|d| {
                filter
                    .desk
                    .as_ref()
                    .is_none_or(|id| d.desk_id.as_deref() == Some(id.as_str()))
            })
            .collect();
        let mut sql = String::from(
            "SELECT local_day, question, score, reasons, burst, not_applicable
             FROM answers
             WHERE desk_id = $1 AND local_day >= $2 AND local_day <= $3 AND counted
               AND question = $4 AND ($5::text IS NULL OR language = $5)",
        );
        if !filter.include_bursts {
            sql.push_str(" AND NOT burst");
        }
        sql.push_str(" ORDER BY local_day, score, reasons, burst");
        let mut tx = conn.transaction()?;
        let statement = tx.prepare(&sql)?;
        let (from, to) = (filter.from.to_string(), filter.to.to_string());
        let question = filter.question.to_string();
        let language = filter.language.as_ref().map(ToString::to_string);
        for desk in desks {
            let desk_id = desk.desk_id.unwrap_or_default();
            let department_id = desk.department_id.unwrap_or_default();
            let portal = tx.bind(&statement, &[&desk_id, &from, &to, &question, &language])?;
            loop {
                let rows = tx.query_portal(&portal, 1000)?;
                for r in &rows {
                    let row = ExportRow {
                        local_day: r.try_get(0)?,
                        office_id: desk.office_id.clone(),
                        department_id: department_id.clone(),
                        desk_id: desk_id.clone(),
                        question: r.try_get(1)?,
                        score: r.try_get(2)?,
                        reasons: r.try_get(3)?,
                        burst: r.try_get(4)?,
                        not_applicable: r.try_get(5)?,
                    };
                    if !each(&row) {
                        return Ok(());
                    }
                }
                if rows.len() < 1000 {
                    break;
                }
            }
        }
        tx.commit()?;
        Ok(())
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
        Ok(PurgeSummary {
            before_day: before_day.to_owned(),
            answers,
            conflicts,
        })
    }

    fn offices(&self) -> Result<Vec<Office>, StorageError> {
        self.read(|conn| {
            conn.query("SELECT id, name FROM offices ORDER BY id", &[])?
                .iter()
                .map(|r| {
                    Ok(Office {
                        id: r.try_get(0)?,
                        name: r.try_get(1)?,
                    })
                })
                .collect()
        })
    }

    fn add_office(&self, office: &Office) -> Result<bool, StorageError> {
        self.write(|tx| {
            let added = tx.execute(
                "INSERT INTO offices (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                &[&office.id, &office.name],
            )?;
            Ok(added == 1)
        })
    }

    fn rename_office(&self, id: &str, name: &str) -> Result<bool, StorageError> {
        self.write(|tx| {
            let renamed =
                tx.execute("UPDATE offices SET name = $2 WHERE id = $1", &[&id, &name])?;
            Ok(renamed == 1)
        })
    }

    fn add_department(&self, office: &str, id: &str, name: &str) -> Result<(), StorageError> {
        self.write(|tx| {
            known_office(tx, office)?;
            let added = tx.execute(
                "INSERT INTO departments (office_id, id, name) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&office, &id, &name],
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
        let timings = survey::NEW_DESK_TIMINGS_S;
        self.write(|tx| {
            known_office(tx, &desk.office_id)?;
            if !exists(
                tx,
                "SELECT 1 FROM departments WHERE office_id = $1 AND id = $2",
                &[&desk.office_id, &desk.department_id],
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
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1)
                 ON CONFLICT (id) DO NOTHING",
                &[
                    &desk.id.as_str(),
                    &desk.office_id,
                    &desk.department_id,
                    &desk.name,
                    &desk.internal_service,
                    &join(&desk.standards),
                    &join(&desk.languages),
                    &desk.default_language.as_str(),
                    &i64::from(timings[0]),
                    &i64::from(timings[1]),
                    &i64::from(timings[2]),
                    &i64::from(timings[3]),
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
            note_offered(tx, desk.id.as_str(), &desk.standards)
        })
    }

    fn desks(&self) -> Result<Vec<Desk>, StorageError> {
        self.read(|conn| {
            let places: Vec<(String, String, String)> = conn
                .query(
                    "SELECT id, office_id, department_id FROM desks
                     ORDER BY office_id, department_id, id",
                    &[],
                )?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect::<Result<_, StorageError>>()?;
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
            let place = conn.query_opt(
                "SELECT office_id, department_id FROM desks WHERE id = $1",
                &[&id.as_str()],
            )?;
            place
                .map(|r| {
                    Ok(Desk {
                        office_id: r.try_get(0)?,
                        department_id: r.try_get(1)?,
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
            if !exists(tx, "SELECT 1 FROM desks WHERE id = $1", &[&id.as_str()])? {
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
                "UPDATE desks SET name = $2, internal_service = $3, standards = $4, languages = $5,
                     default_language = $6, idle_prompt_after_s = $7, idle_countdown_s = $8,
                     change_answer_window_s = $9, thank_you_s = $10, revision = revision + 1
                 WHERE id = $1",
                &[
                    &id.as_str(),
                    &edited.desk_name,
                    &edited.internal_service,
                    &join(&edited.standards),
                    &join(&edited.languages),
                    &edited.default_language.as_str(),
                    &i64::from(edited.idle_prompt_after_s),
                    &i64::from(edited.idle_countdown_s),
                    &i64::from(edited.change_answer_window_s),
                    &i64::from(edited.thank_you_s),
                ],
            )?;
            note_offered(tx, id.as_str(), &edited.standards)?;
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
            if !exists(tx, "SELECT 1 FROM desks WHERE id = $1", &[&desk.as_str()])? {
                return Err(StorageError::Invalid(format!(
                    "unknown desk {:?}",
                    desk.as_str()
                )));
            }
            tx.execute(
                "INSERT INTO enrollment_codes (code_sha256, desk_id, created_at_ms, expires_at_ms)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &code_sha256.as_slice(),
                    &desk.as_str(),
                    &now_ms,
                    &expires_at_ms,
                ],
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
            let code = tx.query_opt(
                "SELECT desk_id, expires_at_ms, used_at_ms FROM enrollment_codes
                 WHERE code_sha256 = $1",
                &[&code_sha256.as_slice()],
            )?;
            let desk: String = match code {
                None => return Ok(Err(CodeProblem::Unknown)),
                Some(r) => {
                    let used: Option<i64> = r.try_get(2)?;
                    let expires: i64 = r.try_get(1)?;
                    if used.is_some() {
                        return Ok(Err(CodeProblem::AlreadyUsed));
                    }
                    if expires <= now_ms {
                        return Ok(Err(CodeProblem::Expired));
                    }
                    r.try_get(0)?
                }
            };
            tx.execute(
                "UPDATE enrollment_codes SET used_at_ms = $2, used_by = $3 WHERE code_sha256 = $1",
                &[&code_sha256.as_slice(), &now_ms, &kiosk.id],
            )?;
            let clock = serde_json::to_string(&kiosk.clock).unwrap_or_default();
            tx.execute(
                "INSERT INTO kiosks (id, desk_id, token_sha256, enrolled_at_ms, last_seen_ms,
                     version, last_clock) VALUES ($1, $2, $3, $4, $4, $5, $6)",
                &[
                    &kiosk.id,
                    &desk,
                    &kiosk.token_sha256.as_slice(),
                    &now_ms,
                    &kiosk.version,
                    &clock,
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
            let row = conn.query_opt(
                "SELECT id, desk_id, enrolled_at_ms, revoked_at_ms FROM kiosks
                 WHERE token_sha256 = $1",
                &[&token_sha256.as_slice()],
            )?;
            let Some(r) = row else {
                return Ok(TokenLookup::Unknown);
            };
            if r.try_get::<_, Option<i64>>(3)?.is_some() {
                return Ok(TokenLookup::Revoked);
            }
            Ok(TokenLookup::Valid(Kiosk {
                id: r.try_get(0)?,
                desk_id: r
                    .try_get::<_, String>(1)?
                    .parse()
                    .map_err(|e| StorageError::Corrupt(format!("kiosk desk: {e}")))?,
                enrolled_at_ms: r.try_get(2)?,
            }))
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
                "UPDATE kiosks SET last_seen_ms = $2, version = $3, backlog = $4,
                     oldest_unsynced_ms = $5, last_error = $6, last_clock = $7 WHERE id = $1",
                &[
                    &kiosk.id,
                    &now_ms,
                    &heartbeat.kiosk_version,
                    &i64::try_from(heartbeat.backlog).unwrap_or(i64::MAX),
                    &heartbeat.oldest_unsynced_ms,
                    &heartbeat.last_error,
                    &serde_json::to_string(&heartbeat.clock).unwrap_or_default(),
                ],
            )?;
            event_times::record_reading_anchors(tx, kiosk, &heartbeat.clock, now_ms)?;
            survey(tx, kiosk.desk_id.as_str())
        })
    }

    fn kiosks(&self) -> Result<Vec<KioskStatus>, StorageError> {
        self.read(|conn| {
            conn.query(
                &format!("SELECT {KIOSK_STATUS_COLUMNS} FROM kiosks k ORDER BY k.desk_id, k.id"),
                &[],
            )?
            .iter()
            .map(kiosk_status)
            .collect()
        })
    }

    fn revoke(&self, kiosk_id: &str, now_ms: i64) -> Result<bool, StorageError> {
        self.write(|tx| {
            if !exists(tx, "SELECT 1 FROM kiosks WHERE id = $1", &[&kiosk_id])? {
                return Ok(false);
            }
            tx.execute(
                "UPDATE kiosks SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL",
                &[&kiosk_id, &now_ms],
            )?;
            Ok(true)
        })
    }

    fn answer_count(&self) -> Result<i64, StorageError> {
        self.read(|c| {
            Ok(c.query_one("SELECT count(*) FROM answers", &[])?
                .try_get(0)?)
        })
    }

    fn conflict_count(&self) -> Result<i64, StorageError> {
        self.read(|c| {
            Ok(c.query_one("SELECT count(*) FROM conflicts", &[])?
                .try_get(0)?)
        })
    }

    fn rollups(&self, desk: &DeskId) -> Result<Vec<Rollup>, StorageError> {
        self.read(|conn| {
            conn.query(
                "SELECT desk_id, question, day, language, larger_text, sum(score_1)::bigint,
                        sum(score_2)::bigint, sum(score_3)::bigint, sum(score_4)::bigint,
                        sum(reasons)::bigint, sum(not_applicable)::bigint
                 FROM rollups WHERE desk_id = $1
                 GROUP BY desk_id, question, day, language, larger_text
                 ORDER BY question, day, language, larger_text",
                &[&desk.as_str()],
            )?
            .iter()
            .map(|r| {
                Ok(Rollup {
                    desk_id: r.try_get(0)?,
                    question: r.try_get(1)?,
                    day: r.try_get(2)?,
                    language: r.try_get(3)?,
                    larger_text: r.try_get(4)?,
                    scores: [r.try_get(5)?, r.try_get(6)?, r.try_get(7)?, r.try_get(8)?],
                    reasons: r.try_get(9)?,
                    not_applicable: r.try_get(10)?,
                })
            })
            .collect()
        })
    }

    fn contents(&self) -> Result<Contents, StorageError> {
        self.read(|conn| {
            let row = conn.query_one(
                "SELECT (SELECT count(*) FROM offices), (SELECT count(*) FROM departments),
                        (SELECT count(*) FROM desks), (SELECT count(*) FROM kiosks),
                        (SELECT count(*) FROM answers)",
                &[],
            )?;
            Ok(Contents {
                offices: row.try_get(0)?,
                departments: row.try_get(1)?,
                desks: row.try_get(2)?,
                kiosks: row.try_get(3)?,
                answers: row.try_get(4)?,
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
            conn.query(
                &format!(
                    "SELECT {KIOSK_STATUS_COLUMNS}, d.office_id, o.name, d.department_id, d.name
                     FROM kiosks k JOIN desks d ON d.id = k.desk_id
                     JOIN offices o ON o.id = d.office_id
                     WHERE ($1::text IS NULL OR d.office_id = $1)
                       AND ($2::text IS NULL OR d.department_id = $2)
                     ORDER BY d.office_id, d.department_id, k.desk_id, k.id"
                ),
                &[&office, &department],
            )?
            .iter()
            .map(|r| {
                Ok(FleetKiosk {
                    status: kiosk_status(r)?,
                    office_id: r.try_get(10)?,
                    office_name: r.try_get(11)?,
                    department_id: r.try_get(12)?,
                    desk_name: r.try_get(13)?,
                })
            })
            .collect()
        })
    }
}
