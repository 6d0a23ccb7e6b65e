//! Sync benchmarks for BENCHMARKS.md: the aggregator's ingest rate over HTTP on loopback beside a
//! raw in-process batched rusqlite insert of the same records in the same run, and the time one
//! kiosk takes to drain a 10,000-record backlog with its real store and sync client.
//!
//! `cargo bench -p tests --bench sync` runs it in full; under `cargo test` it runs a quick smoke
//! pass so the code stays working.

#![forbid(unsafe_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use kiosk::clock::{Clock, SystemClock};
use kiosk::store::{Answer, Store};
use kiosk::sync::{SyncClient, push_backlog};
use model::wire::{EnrollRequest, RecordBatch};
use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, ReasonCode, RecordId, RecordedTime,
    Score, StandardId, VisitId,
};
use sync_server::config::{Rate, Settings};
use sync_server::startup::Application;
use sync_server::storage::NewDesk;

const DESK: &str = "plock-wso-03";
/// What the kiosk sends per request (`kiosk::sync::push::BATCH_SIZE`).
const BATCH: usize = kiosk::sync::BATCH_SIZE;

fn main() -> anyhow::Result<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let (records, rounds, backlog) = if full {
        (20_000, 5, 10_000)
    } else {
        (400, 1, 400)
    };
    let dir = tempfile::tempdir()?;
    let server = InProcessServer::start(&dir.path().join("server"))?;

    println!(
        "## Sync benchmarks ({})",
        if full { "full run" } else { "smoke run" }
    );
    println!();
    println!(
        "Ingest of {records} records in batches of {BATCH} (WAL, synchronous=FULL), {rounds} round(s), median:"
    );
    println!();
    let mut http = Vec::new();
    let mut raw = Vec::new();
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
        }
        http.push(per_second(records, started.elapsed()));
        raw.push(raw_insert(&dir.path().join("raw.db"), &batch)?);
        let boot = Boot::new();
        storage.push(server.storage_ingest(&make_records(records, &boot), &boot)?);
    }
    let (http, raw, storage) = (median(&mut http), median(&mut raw), median(&mut storage));
    println!("| path | records/s |");
    println!("|---|---|");
    println!(
        "| HTTP on loopback: sync-server ingest (gzip JSON, auth, placement, rollups, receipt) | {http:.0} |"
    );
    println!("| the same ingest in-process, without HTTP (`Storage::ingest`) | {storage:.0} |");
    println!("| raw in-process rusqlite insert of the same records | {raw:.0} |");
    println!();
    println!(
        "HTTP ingest = **{:.0}% of raw** (goal ≥ 35%)",
        100.0 * http / raw
    );
    println!();

    let drained = drain_backlog(&server, &dir.path().join("kiosk"), backlog)?;
    println!(
        "Draining a {backlog}-record backlog from one kiosk (real store, `push_backlog`, batches of {BATCH}): \
         **{:.2} s** ({:.0} records/s)",
        drained.as_secs_f64(),
        per_second(backlog, drained)
    );
    Ok(())
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
    database: std::path::PathBuf,
    storage: sync_server::storage::Storage,
    runtime: tokio::runtime::Runtime,
}

impl InProcessServer {
    fn start(dir: &Path) -> anyhow::Result<InProcessServer> {
        std::fs::create_dir_all(dir)?;
        let runtime = tokio::runtime::Runtime::new()?;
        // The defaults, except that this one client may send, and enroll its kiosks, as fast as
        // it can (a run enrolls more than the enrollment limit's burst of ten).
        let mut settings = Settings::from_toml(
            &format!(
                "listen = \"127.0.0.1:0\"\ndatabase = {:?}\n",
                dir.join("server.db")
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
            database: dir.join("server.db"),
            storage,
            runtime,
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
        rusqlite::Connection::open(&self.database)?.execute(
            "UPDATE kiosks SET enrolled_at_ms = enrolled_at_ms - ?1 WHERE id = ?2",
            rusqlite::params![ENROLLED_DAYS_AGO * 86_400_000, response.kiosk_id],
        )?;
        Ok((client.with_token(&response.token), response.token))
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

/// Inserts the same records into a table shaped like the aggregator's, in transactions of
/// `BATCH` rows, with the same durability and cache settings, into one database that grows over
/// the rounds as the aggregator's does; returns records per second.
fn raw_insert(path: &Path, records: &[RatingRecord]) -> anyhow::Result<f64> {
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

/// Fills a kiosk store with `count` answers, then times `push_backlog` until it is empty.
fn drain_backlog(server: &InProcessServer, dir: &Path, count: usize) -> anyhow::Result<Duration> {
    let mut store = Store::open(dir)?.store;
    let clock = SystemClock::new();
    let desk: DeskId = DESK.parse()?;
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
        store.record(answer, clock.now())?;
    }
    let (client, _) = server.enrolled_client()?;
    let started = Instant::now();
    let report = push_backlog(&mut store, &client, &clock)?;
    let took = started.elapsed();
    anyhow::ensure!(report.settled == count, "drained only {report:?}");
    anyhow::ensure!(store.status()?.unsynced == 0, "backlog left");
    Ok(took)
}

fn per_second(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
