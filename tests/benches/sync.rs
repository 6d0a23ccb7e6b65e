//! Sync benchmarks for BENCHMARKS.md, on each database engine the aggregator runs on: its
//! ingest rate over HTTP on loopback beside a raw batched insert of the same records into the
//! same engine in the same run (bare rusqlite on SQLite; a multi-row `INSERT` and a `COPY` into
//! a copy of the answers table, indexes and all, on PostgreSQL), and the time one kiosk takes to
//! drain a 10,000-record backlog with its real store and sync client. Afterwards the database
//! must hold every record sent exactly once, and the rollups count every counted answer.
//!
//! `cargo bench -p tests --bench sync [-- --engine sqlite|postgres]` runs it in full (both
//! engines when none is named; PostgreSQL is a throwaway cluster that flushes every commit, as
//! SQLite's `synchronous=FULL`); under `cargo test` it runs a quick smoke pass on both engines
//! so the code stays working.

#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiosk::clock::{Clock, SystemClock};
use kiosk::store::{Answer, Store};
use kiosk::sync::{SyncClient, push_backlog};
use model::wire::{EnrollRequest, RecordBatch, RecordOutcome};
use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, ReasonCode, RecordId, RecordedTime,
    Score, StandardId, VisitId,
};
use sync_server::config::{Rate, Settings};
use sync_server::startup::Application;
use sync_server::storage::NewDesk;
use tests::engine::Engine;

const DESK: &str = "plock-wso-03";
/// What the kiosk sends per request (`kiosk::sync::push::BATCH_SIZE`).
const BATCH: usize = kiosk::sync::BATCH_SIZE;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let engines = Engine::from_args(&args)?;
    let plan = if full {
        Plan {
            records: 20_000,
            rounds: 5,
            backlog: 10_000,
        }
    } else {
        Plan {
            records: 400,
            rounds: 1,
            backlog: 400,
        }
    };
    println!(
        "## Sync benchmarks ({})",
        if full { "full run" } else { "smoke run" }
    );
    println!();
    let mut figures = Vec::new();
    for engine in engines {
        figures.push(bench(engine, &plan)?);
    }
    if figures.len() > 1 {
        print_side_by_side(&figures, &plan);
    }
    Ok(())
}

/// How much one engine's run sends.
struct Plan {
    /// Records per round, through each path.
    records: usize,
    rounds: usize,
    /// Records in the one kiosk's backlog drained at the end.
    backlog: usize,
}

/// One engine's medians.
struct Figures {
    engine: Engine,
    http: f64,
    storage: f64,
    /// Each raw baseline's name and records per second.
    raw: Vec<(&'static str, f64)>,
    drained: Duration,
}

/// Runs the ingest rounds and the drain on `engine`, checks the database holds each record
/// exactly once, and prints the engine's table.
fn bench(engine: Engine, plan: &Plan) -> anyhow::Result<Figures> {
    let Plan {
        records,
        rounds,
        backlog,
    } = *plan;
    let dir = tempfile::tempdir()?;
    let server = InProcessServer::start(engine, &dir.path().join("server"))?;
    let mut baseline = Baseline::open(&server.database, dir.path())?;
    let mut sent = HashSet::new();
    let mut http = Vec::new();
    let mut raw: Vec<Vec<f64>> = vec![Vec::new(); baseline.names().len()];
    let mut storage = Vec::new();
    for _ in 0..rounds {
        let (client, _) = server.enrolled_client()?;
        let boot = Boot::new();
        let batch = make_records(records, &boot);
        let started = Instant::now();
        for chunk in batch.chunks(BATCH) {
            let receipt = client.send_batch(&RecordBatch {
                sent: boot.now(),
                records: chunk.to_vec(),
            })?;
            anyhow::ensure!(receipt.results.len() == chunk.len(), "short receipt");
            anyhow::ensure!(
                receipt
                    .results
                    .iter()
                    .all(|r| r.outcome == RecordOutcome::Stored),
                "a record of a new kiosk was not stored: {:?}",
                receipt
                    .results
                    .iter()
                    .find(|r| r.outcome != RecordOutcome::Stored)
            );
        }
        http.push(per_second(records, started.elapsed()));
        sent.extend(batch.iter().map(|r| r.id.to_string()));
        for (rates, rate) in raw.iter_mut().zip(baseline.insert(&batch)?) {
            rates.push(rate);
        }
        let boot = Boot::new();
        let batch = make_records(records, &boot);
        storage.push(server.storage_ingest(&batch, &boot)?);
        sent.extend(batch.iter().map(|r| r.id.to_string()));
    }
    let (drained, backlog_ids) = drain_backlog(&server, &dir.path().join("kiosk"), backlog)?;
    sent.extend(backlog_ids);
    let stored = server.database.stored()?;
    anyhow::ensure!(
        stored.ids == sent && stored.rows == sent.len(),
        "{engine}: {} records sent, {} stored in {} rows ({} lost, {} never sent)",
        sent.len(),
        stored.ids.len(),
        stored.rows,
        sent.difference(&stored.ids).count(),
        stored.ids.difference(&sent).count()
    );
    anyhow::ensure!(
        stored.counted == stored.rolled_up,
        "{engine}: the rollups count {} answers, the answers table {}",
        stored.rolled_up,
        stored.counted
    );

    let figures = Figures {
        engine,
        http: median(&mut http),
        storage: median(&mut storage),
        raw: baseline
            .names()
            .iter()
            .zip(&mut raw)
            .map(|(name, rates)| (*name, median(rates)))
            .collect(),
        drained,
    };
    println!(
        "### {engine}: ingest of {records} records in batches of {BATCH} ({}), {rounds} round(s), median",
        server.database.durability()
    );
    println!();
    println!("| path | records/s |");
    println!("|---|---|");
    println!(
        "| HTTP on loopback: sync-server ingest (gzip JSON, auth, placement, rollups, receipt) | {:.0} |",
        figures.http
    );
    println!(
        "| the same ingest in-process, without HTTP (`Storage::ingest`) | {:.0} |",
        figures.storage
    );
    for (name, rate) in &figures.raw {
        println!("| {name} | {rate:.0} |");
    }
    println!();
    for (name, rate) in &figures.raw {
        println!(
            "HTTP ingest = **{:.0}% of {name}** (goal ≥ {}%)",
            100.0 * figures.http / rate,
            match engine {
                Engine::Sqlite => 35,
                Engine::Postgres => 30,
            }
        );
        println!();
    }
    println!(
        "Draining a {backlog}-record backlog from one kiosk (real store, `push_backlog`, batches of {BATCH}): \
         **{:.2} s** ({:.0} records/s)",
        drained.as_secs_f64(),
        per_second(backlog, drained)
    );
    println!();
    println!(
        "Stored exactly once: {} records sent, {} rows; rollups count {} = {} counted answers",
        sent.len(),
        stored.rows,
        stored.rolled_up,
        stored.counted
    );
    println!();
    Ok(figures)
}

/// The engines' figures in one table, each column from the same run.
fn print_side_by_side(figures: &[Figures], plan: &Plan) {
    let names: Vec<String> = figures.iter().map(|f| f.engine.to_string()).collect();
    println!("### Side by side");
    println!();
    println!("| records/s | {} |", names.join(" | "));
    println!("|---|{}", "---|".repeat(figures.len()));
    let row = |label: &str, cell: &dyn Fn(&Figures) -> String| {
        let cells: Vec<String> = figures.iter().map(cell).collect();
        println!("| {label} | {} |", cells.join(" | "));
    };
    row("ingest over HTTP", &|f| format!("{:.0}", f.http));
    row("ingest in-process (`Storage::ingest`)", &|f| {
        format!("{:.0}", f.storage)
    });
    row("raw batched insert (same engine)", &|f| {
        let list: Vec<String> = f
            .raw
            .iter()
            .map(|(name, rate)| format!("{rate:.0} ({name})"))
            .collect();
        list.join("; ")
    });
    row("HTTP as a share of the fastest raw", &|f| {
        let fastest = f.raw.iter().map(|(_, r)| *r).fold(0.0, f64::max);
        format!("{:.0}%", 100.0 * f.http / fastest)
    });
    row(&format!("drain a {}-record backlog", plan.backlog), &|f| {
        format!("{:.2} s", f.drained.as_secs_f64())
    });
    println!();
}

/// How long before the benchmark its kiosks were enrolled: their backlogs are answers given
/// since, as a kiosk that was offline for days brings them.
const ENROLLED_DAYS_AGO: i64 = 30;
/// A visit's answers (the overall rating and two standards) are this far apart …
const BETWEEN_ANSWERS_MS: i64 = 5_000;
/// … and a new client comes to the desk this often.
const BETWEEN_VISITS_MS: i64 = 45_000;

/// The aggregator on its own Tokio runtime in this process, listening on a loopback port.
struct InProcessServer {
    url: String,
    storage: sync_server::storage::Storage,
    runtime: tokio::runtime::Runtime,
    /// Last: a PostgreSQL database is dropped after the server's connections are.
    database: Database,
}

impl InProcessServer {
    fn start(engine: Engine, dir: &Path) -> anyhow::Result<InProcessServer> {
        std::fs::create_dir_all(dir)?;
        let database = Database::new(engine, dir)?;
        let runtime = tokio::runtime::Runtime::new()?;
        // The defaults, except that this one client may send as fast as it can and enroll the
        // benchmark's eleven kiosks (two a round and the drain's) as fast as it needs: the
        // enrollment limit (10, then one every 10 s) failed a full run that went faster.
        let mut settings = Settings::from_toml(
            &format!(
                "listen = \"127.0.0.1:0\"\ndatabase = {:?}\n",
                database.setting()
            ),
            &dir.join("bench.toml"),
        )?;
        settings.rate_limit.kiosk = Rate {
            burst: 1_000_000,
            per_minute: 60_000_000.0,
        };
        settings.rate_limit.enroll = Rate {
            burst: 1_000,
            per_minute: 60_000.0,
        };
        let app = runtime.block_on(Application::build(settings))?;
        let url = format!("http://{}", app.address());
        let storage = app.storage().clone();
        runtime.block_on(async {
            storage.seed_partner_offices().await?;
            storage
                .add_department(
                    "plock".into(),
                    "wso".into(),
                    "Wydział Spraw Obywatelskich".into(),
                )
                .await?;
            storage
                .add_desk(NewDesk {
                    id: DESK.parse()?,
                    office_id: "plock".into(),
                    department_id: "wso".into(),
                    name: "Stanowisko 3".into(),
                    internal_service: false,
                    standards: vec![StandardId::IV, StandardId::III, StandardId::II],
                    languages: vec![LanguageTag::polish()],
                    default_language: LanguageTag::polish(),
                })
                .await?;
            anyhow::Ok(())
        })?;
        runtime.spawn(app.run_until_stopped());
        Ok(InProcessServer {
            url,
            storage,
            runtime,
            database,
        })
    }

    /// Ingests `records` straight through the storage, as the HTTP handler does after parsing
    /// and authentication; returns records per second.
    fn storage_ingest(&self, records: &[RatingRecord], boot: &Boot) -> anyhow::Result<f64> {
        let (_, token) = self.enrolled_client()?;
        let lookup = self.runtime.block_on(
            self.storage
                .kiosk_by_token(sync_server::credentials::sha256(&token)),
        )?;
        let sync_server::storage::TokenLookup::Valid(kiosk) = lookup else {
            anyhow::bail!("the new kiosk is {lookup:?}");
        };
        let started = Instant::now();
        for chunk in records.chunks(BATCH) {
            let batch = RecordBatch {
                sent: boot.now(),
                records: chunk.to_vec(),
            };
            let received_ms = chrono::Utc::now().timestamp_millis();
            self.runtime
                .block_on(self.storage.ingest(kiosk.clone(), batch, received_ms))?;
        }
        Ok(per_second(records.len(), started.elapsed()))
    }

    /// A new kiosk enrolled at the desk, as `kiosk enroll` does it, then dated back
    /// [`ENROLLED_DAYS_AGO`] (as if enrolled a month ago: answers are never placed before their
    /// kiosk's enrollment); with its token.
    fn enrolled_client(&self) -> anyhow::Result<(SyncClient, String)> {
        let code = sync_server::credentials::new_enrollment_code();
        let now = chrono::Utc::now().timestamp_millis();
        self.runtime.block_on(self.storage.add_enrollment_code(
            sync_server::credentials::code_hash(&code),
            DESK.parse()?,
            now,
            now + 3_600_000,
        ))?;
        let client = SyncClient::new(&self.url, &Default::default())?;
        let response = client.enroll(&EnrollRequest {
            code,
            kiosk_version: "bench".into(),
            clock: SystemClock::new().now(),
        })?;
        self.database
            .backdate_enrollment(&response.kiosk_id, ENROLLED_DAYS_AGO * 86_400_000)?;
        Ok((client.with_token(&response.token), response.token))
    }
}

/// The aggregator's database on one engine: an SQLite file, or a database of its own on this
/// process's throwaway PostgreSQL cluster.
enum Database {
    Sqlite(PathBuf),
    Postgres(throwaway_postgres::TestDatabase),
}

/// What the aggregator's database holds.
struct Stored {
    ids: HashSet<String>,
    rows: usize,
    counted: i64,
    rolled_up: i64,
}

impl Database {
    fn new(engine: Engine, dir: &Path) -> anyhow::Result<Database> {
        Ok(match engine {
            Engine::Sqlite => Database::Sqlite(dir.join("server.db")),
            Engine::Postgres => Database::Postgres(throwaway_postgres::fresh_durable_database()?),
        })
    }

    /// The `database` setting naming it.
    fn setting(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(database) => database.url(),
        }
    }

    /// How its commits reach the disk, in words.
    fn durability(&self) -> &'static str {
        match self {
            Database::Sqlite(_) => "WAL, synchronous=FULL",
            Database::Postgres(_) => {
                "fsync, synchronous_commit and full_page_writes on, shared_buffers 128 MB"
            }
        }
    }

    fn postgres(database: &throwaway_postgres::TestDatabase) -> anyhow::Result<postgres::Client> {
        Ok(database.config().connect(postgres::NoTls)?)
    }

    /// Moves a kiosk's enrollment `by_ms` into the past.
    fn backdate_enrollment(&self, kiosk_id: &str, by_ms: i64) -> anyhow::Result<()> {
        match self {
            Database::Sqlite(path) => {
                rusqlite::Connection::open(path)?.execute(
                    "UPDATE kiosks SET enrolled_at_ms = enrolled_at_ms - ?1 WHERE id = ?2",
                    rusqlite::params![by_ms, kiosk_id],
                )?;
            }
            Database::Postgres(database) => {
                Database::postgres(database)?.execute(
                    "UPDATE kiosks SET enrolled_at_ms = enrolled_at_ms - $1 WHERE id = $2",
                    &[&by_ms, &kiosk_id],
                )?;
            }
        }
        Ok(())
    }

    fn stored(&self) -> anyhow::Result<Stored> {
        match self {
            Database::Sqlite(path) => {
                let db = rusqlite::Connection::open(path)?;
                let ids = tests::sqlite::answer_ids(&db)?;
                let rows: i64 = db.query_row("SELECT count(*) FROM answers", [], |r| r.get(0))?;
                let (counted, rolled_up) = tests::sqlite::counted_and_rolled_up(&db)?;
                Ok(Stored {
                    ids,
                    rows: usize::try_from(rows)?,
                    counted,
                    rolled_up,
                })
            }
            Database::Postgres(database) => {
                let mut db = Database::postgres(database)?;
                let ids = tests::postgres::answer_ids(&mut db)?;
                let rows: i64 = db
                    .query_one("SELECT count(*) FROM answers", &[])?
                    .try_get(0)?;
                let (counted, rolled_up) = tests::postgres::counted_and_rolled_up(&mut db)?;
                Ok(Stored {
                    ids,
                    rows: usize::try_from(rows)?,
                    counted,
                    rolled_up,
                })
            }
        }
    }
}

/// A kiosk's boot that began a week ago (after its enrollment, before its backlog), with a
/// synchronised clock: the times its answers and batches carry.
struct Boot {
    id: String,
    started_ms: i64,
}

impl Boot {
    fn new() -> Boot {
        Boot {
            id: VisitId::new_random().to_string(),
            started_ms: chrono::Utc::now().timestamp_millis() - 7 * 86_400_000,
        }
    }

    /// The kiosk's clock at `wall_clock_ms`, in this boot.
    fn at(&self, wall_clock_ms: i64) -> RecordedTime {
        RecordedTime {
            wall_clock_ms,
            boot_id: self.id.clone(),
            boottime_ns: u64::try_from(wall_clock_ms - self.started_ms).expect("after the boot")
                * 1_000_000,
            clock_synchronized: true,
        }
    }

    fn now(&self) -> RecordedTime {
        self.at(chrono::Utc::now().timestamp_millis())
    }
}

/// Records as a kiosk produces them: a visit is an overall rating and two standards, some low
/// with a reason, [`BETWEEN_ANSWERS_MS`] apart; a visit every [`BETWEEN_VISITS_MS`], the last
/// one a minute ago, all in one boot with a synchronised clock (20,000 answers span about three
/// days). Earlier runs gave all answers the same instant: one kiosk's 20,000 answers in one
/// burst, the burst detector's worst case, which no desk produces.
fn make_records(count: usize, boot: &Boot) -> Vec<RatingRecord> {
    let visits = i64::try_from(count / 3 + 1).expect("small");
    let first_visit_ms = boot.now().wall_clock_ms - 60_000 - visits * BETWEEN_VISITS_MS;
    let desk: DeskId = DESK.parse().expect("desk");
    let mut visit = VisitId::new_random();
    (0..count)
        .map(|i| {
            if i % 3 == 0 {
                visit = VisitId::new_random();
            }
            let score = Score::ALL[i % 4];
            let question = match i % 3 {
                0 => Question::Overall,
                1 => Question::Standard(StandardId::IV),
                _ => Question::Standard(StandardId::III),
            };
            let reasons = if i % 3 == 1 && score.value() <= 2 {
                vec!["iv-unclear-info".parse::<ReasonCode>().expect("reason")]
            } else {
                vec![]
            };
            RatingRecord {
                id: RecordId::new_random(),
                visit_id: visit,
                sequence: u64::try_from(i).expect("small") + 1,
                desk_id: desk.clone(),
                question,
                answer: score.into(),
                reasons,
                language: LanguageTag::polish(),
                larger_text: i % 7 == 0,
                input: InputKind::Touch,
                supersedes: None,
                recorded: {
                    let visit_number = i64::try_from(i / 3).expect("small");
                    let answer_number = i64::try_from(i % 3).expect("small");
                    boot.at(first_visit_ms
                        + visit_number * BETWEEN_VISITS_MS
                        + answer_number * BETWEEN_ANSWERS_MS)
                },
            }
        })
        .collect()
}

/// The yardstick: the same records inserted by bare client code into the same engine, in
/// transactions of `BATCH` rows, into tables that grow over the rounds as the aggregator's does.
enum Baseline {
    /// A table with the same fields (and the record's JSON), same pragmas and page cache, in a
    /// file of its own.
    Sqlite(PathBuf),
    /// Two copies of the aggregator's answers table (`LIKE answers INCLUDING ALL`: its columns,
    /// checks, primary key and five indexes) in the aggregator's own database: one filled by a
    /// multi-row `INSERT` per batch, the other by a binary `COPY` per batch.
    Postgres(Box<postgres::Client>),
}

/// The columns of the PostgreSQL answers table the aggregator writes (all but `burst`, whose
/// default it keeps).
const POSTGRES_COLUMNS: &str = "id, kiosk_id, desk_id, visit_id, sequence, question, score, \
    not_applicable, reasons, language, larger_text, input, supersedes, wall_clock_ms, boot_id, \
    boottime_ns, clock_synchronized, content_sha256, received_at_ms, sent_wall_clock_ms, \
    sent_boot_id, sent_boottime_ns, sent_clock_synchronized, superseded_by, counted, \
    event_utc_ms, event_earliest_ms, event_latest_ms, event_approximate, local_day, local_hour";

impl Baseline {
    fn open(database: &Database, dir: &Path) -> anyhow::Result<Baseline> {
        Ok(match database {
            Database::Sqlite(_) => Baseline::Sqlite(dir.join("raw.db")),
            Database::Postgres(database) => {
                let mut client = Database::postgres(database)?;
                client.batch_execute(
                    "CREATE TABLE raw_insert (LIKE answers INCLUDING ALL);
                     CREATE TABLE raw_copy (LIKE answers INCLUDING ALL);",
                )?;
                Baseline::Postgres(Box::new(client))
            }
        })
    }

    fn names(&self) -> &'static [&'static str] {
        match self {
            Baseline::Sqlite(_) => &["raw in-process rusqlite insert of the same records"],
            Baseline::Postgres(_) => &[
                "raw multi-row INSERT of the same rows into a copy of the answers table",
                "raw binary COPY of the same rows into a copy of the answers table",
            ],
        }
    }

    /// Inserts `records` each way this engine has; records per second, in `names`' order.
    fn insert(&mut self, records: &[RatingRecord]) -> anyhow::Result<Vec<f64>> {
        match self {
            Baseline::Sqlite(path) => Ok(vec![raw_sqlite_insert(path, records)?]),
            Baseline::Postgres(client) => Ok(vec![
                raw_postgres_insert(client, records)?,
                raw_postgres_copy(client, records)?,
            ]),
        }
    }
}

fn raw_sqlite_insert(path: &Path, records: &[RatingRecord]) -> anyhow::Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -64 * 1024)?; // as the aggregator's writer
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, desk_id TEXT NOT NULL, visit_id TEXT NOT NULL,
             sequence INTEGER NOT NULL, question TEXT NOT NULL, score INTEGER NOT NULL,
             reasons TEXT NOT NULL, language TEXT NOT NULL, larger_text INTEGER NOT NULL,
             input TEXT NOT NULL, wall_clock_ms INTEGER NOT NULL, boot_id TEXT NOT NULL,
             boottime_ns INTEGER NOT NULL, clock_synchronized INTEGER NOT NULL,
             content TEXT NOT NULL) STRICT",
    )?;
    let started = Instant::now();
    for chunk in records.chunks(BATCH) {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO answers VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                     ?13, ?14, ?15)",
            )?;
            for r in chunk {
                insert.execute(rusqlite::params![
                    r.id.to_string(),
                    r.desk_id.as_str(),
                    r.visit_id.to_string(),
                    i64::try_from(r.sequence)?,
                    r.question.to_string(),
                    r.answer.score().map(Score::value),
                    r.reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    r.language.as_str(),
                    r.larger_text,
                    r.input.as_str(),
                    r.recorded.wall_clock_ms,
                    r.recorded.boot_id,
                    i64::try_from(r.recorded.boottime_ns)?,
                    r.recorded.clock_synchronized,
                    serde_json::to_string(r)?,
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(per_second(records.len(), started.elapsed()))
}

/// A row of the PostgreSQL answers table as the aggregator fills it for a new record: the
/// record's fields, its fingerprint, the batch's times, the placement (here the kiosk's
/// synchronised clock as is).
struct PostgresRow {
    id: String,
    kiosk_id: String,
    desk_id: String,
    visit_id: String,
    sequence: i64,
    question: String,
    score: Option<i64>,
    not_applicable: bool,
    reasons: String,
    language: String,
    larger_text: bool,
    input: String,
    supersedes: Option<String>,
    wall_clock_ms: i64,
    boot_id: String,
    boottime_ns: i64,
    clock_synchronized: bool,
    content_sha256: Vec<u8>,
    received_at_ms: i64,
    superseded_by: Option<String>,
    counted: bool,
    event_approximate: bool,
    local_day: String,
    local_hour: i64,
}

impl PostgresRow {
    fn new(r: &RatingRecord, received_at_ms: i64) -> anyhow::Result<PostgresRow> {
        let placed = chrono::DateTime::from_timestamp_millis(r.recorded.wall_clock_ms)
            .ok_or_else(|| anyhow::anyhow!("a time out of range"))?;
        Ok(PostgresRow {
            id: r.id.to_string(),
            kiosk_id: "raw-kiosk".into(),
            desk_id: r.desk_id.as_str().to_owned(),
            visit_id: r.visit_id.to_string(),
            sequence: i64::try_from(r.sequence)?,
            question: r.question.to_string(),
            score: r.answer.score().map(|s| i64::from(s.value())),
            not_applicable: r.answer.is_not_applicable(),
            reasons: r
                .reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            language: r.language.as_str().to_owned(),
            larger_text: r.larger_text,
            input: r.input.as_str().to_owned(),
            supersedes: r.supersedes.map(|s| s.to_string()),
            wall_clock_ms: r.recorded.wall_clock_ms,
            boot_id: r.recorded.boot_id.clone(),
            boottime_ns: i64::try_from(r.recorded.boottime_ns)?,
            clock_synchronized: r.recorded.clock_synchronized,
            content_sha256: sync_server::credentials::sha256(&serde_json::to_string(r)?).to_vec(),
            received_at_ms,
            superseded_by: None,
            counted: true,
            event_approximate: false,
            local_day: placed.format("%Y-%m-%d").to_string(),
            local_hour: i64::from(chrono::Timelike::hour(&placed)),
        })
    }

    /// The values in [`POSTGRES_COLUMNS`]' order (the batch's `sent` time is the record's own
    /// here, the event time its wall clock).
    fn values(&self) -> [&(dyn postgres::types::ToSql + Sync); 31] {
        [
            &self.id,
            &self.kiosk_id,
            &self.desk_id,
            &self.visit_id,
            &self.sequence,
            &self.question,
            &self.score,
            &self.not_applicable,
            &self.reasons,
            &self.language,
            &self.larger_text,
            &self.input,
            &self.supersedes,
            &self.wall_clock_ms,
            &self.boot_id,
            &self.boottime_ns,
            &self.clock_synchronized,
            &self.content_sha256,
            &self.received_at_ms,
            &self.wall_clock_ms,
            &self.boot_id,
            &self.boottime_ns,
            &self.clock_synchronized,
            &self.superseded_by,
            &self.counted,
            &self.wall_clock_ms,
            &self.wall_clock_ms,
            &self.wall_clock_ms,
            &self.event_approximate,
            &self.local_day,
            &self.local_hour,
        ]
    }
}

fn postgres_rows(records: &[RatingRecord]) -> anyhow::Result<Vec<PostgresRow>> {
    let received_at_ms = chrono::Utc::now().timestamp_millis();
    records
        .iter()
        .map(|r| PostgresRow::new(r, received_at_ms))
        .collect()
}

/// One `INSERT … VALUES (…), (…), …` of a batch's rows per transaction, its statement
/// prepared once per batch size.
fn raw_postgres_insert(
    client: &mut postgres::Client,
    records: &[RatingRecord],
) -> anyhow::Result<f64> {
    let mut statements = std::collections::HashMap::new();
    let started = Instant::now();
    for chunk in records.chunks(BATCH) {
        if let std::collections::hash_map::Entry::Vacant(entry) = statements.entry(chunk.len()) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|row| {
                    let params: Vec<String> =
                        (1..=31).map(|n| format!("${}", row * 31 + n)).collect();
                    format!("({})", params.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO raw_insert ({POSTGRES_COLUMNS}) VALUES {}",
                rows.join(", ")
            );
            entry.insert(client.prepare(&sql)?);
        }
        let statement = &statements[&chunk.len()];
        let rows = postgres_rows(chunk)?;
        let values: Vec<&(dyn postgres::types::ToSql + Sync)> =
            rows.iter().flat_map(PostgresRow::values).collect();
        let mut tx = client.transaction()?;
        tx.execute(statement, &values)?;
        tx.commit()?;
    }
    Ok(per_second(records.len(), started.elapsed()))
}

/// One binary `COPY raw_copy FROM STDIN` of a batch's rows per transaction.
fn raw_postgres_copy(
    client: &mut postgres::Client,
    records: &[RatingRecord],
) -> anyhow::Result<f64> {
    use postgres::types::Type;
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::INT8,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TEXT,
        Type::INT8,
        Type::BOOL,
        Type::BYTEA,
        Type::INT8,
        Type::INT8,
        Type::TEXT,
        Type::INT8,
        Type::BOOL,
        Type::TEXT,
        Type::BOOL,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::BOOL,
        Type::TEXT,
        Type::INT8,
    ];
    let started = Instant::now();
    for chunk in records.chunks(BATCH) {
        let rows = postgres_rows(chunk)?;
        let mut tx = client.transaction()?;
        let sink = tx.copy_in(&format!(
            "COPY raw_copy ({POSTGRES_COLUMNS}) FROM STDIN (FORMAT binary)"
        ))?;
        let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
        for row in &rows {
            writer.write(&row.values())?;
        }
        writer.finish()?;
        tx.commit()?;
    }
    Ok(per_second(records.len(), started.elapsed()))
}

/// Fills a kiosk store with `count` answers, then times `push_backlog` until it is empty.
/// Returns the time and the records' ids.
fn drain_backlog(
    server: &InProcessServer,
    dir: &Path,
    count: usize,
) -> anyhow::Result<(Duration, Vec<String>)> {
    let mut store = Store::open(dir)?.store;
    let clock = SystemClock::new();
    let desk: DeskId = DESK.parse()?;
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let answer = Answer {
            visit_id: VisitId::new_random(),
            desk_id: desk.clone(),
            question: Question::Overall,
            answer: Score::ALL[i % 4].into(),
            reasons: vec![],
            language: LanguageTag::polish(),
            larger_text: false,
            input: InputKind::Touch,
            supersedes: None,
        };
        ids.push(store.record(answer, clock.now())?.id.to_string());
    }
    let (client, _) = server.enrolled_client()?;
    let started = Instant::now();
    let report = push_backlog(&mut store, &client, &clock)?;
    let took = started.elapsed();
    anyhow::ensure!(report.settled == count, "drained only {report:?}");
    anyhow::ensure!(store.status()?.unsynced == 0, "backlog left");
    Ok((took, ids))
}

fn per_second(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
