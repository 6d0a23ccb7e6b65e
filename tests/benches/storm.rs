//! Fleet storm for BENCHMARKS.md: N kiosks, each holding a backlog written while the aggregator
//! was down, all come back at the same instant and drain through the real sync client
//! (`push_backlog`, `Backoff::for_sync`, Retry-After, a heartbeat as the sync thread sends it)
//! into the real `sync-server` process on loopback, on SQLite or on PostgreSQL (one or several
//! processes on one database, the kiosks spread across them). It measures the time to drain,
//! answers per second, the share of 429 and 503 answers, the server's memory over time, and
//! checks against the aggregator's database that every record is stored exactly once.
//!
//! `cargo bench -p tests --bench storm -- --kiosks 10000 --records 20 --workers 512
//! --time-limit-s 600 [--engine sqlite|postgres] [--processes N]` runs it in full
//! (BENCHMARKS.md, "Fleet storm", for the recorded commands; without `--engine` it storms each
//! engine in turn; PostgreSQL is a throwaway cluster that flushes every commit, as SQLite's
//! `synchronous=FULL`); under `cargo test` it runs a 50-kiosk smoke pass on SQLite and on two
//! processes on PostgreSQL that fails on any loss, duplicate or unexpected error. With more
//! `--workers` than the server's `[limits] max_connections`, the connection cap's early 503 can
//! reach the kiosk as a broken connection and fail the run.

#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use kiosk::clock::{Clock, SystemClock};
use kiosk::store::{Answer, Store};
use kiosk::sync::{BATCH_SIZE, Backoff, SyncClient, SyncError, heartbeat, push_backlog};
use model::{DeskId, InputKind, LanguageTag, Question, ReasonCode, Score, StandardId, VisitId};
use sync_server::credentials;
use sync_server::storage::{Connections, NewDesk, NewKiosk, Storage};
use tests::engine::Engine;
use tests::server::Server;

/// How often an idle kiosk looks for new answers (`kiosk::sync::service`'s poll interval).
const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// What one run does; every figure is bounded.
#[derive(Debug, Clone)]
struct Plan {
    kiosks: usize,
    records_per_kiosk: usize,
    /// Threads that play the kiosks' sync threads (each kiosk is one at a time in one of them).
    workers: usize,
    /// The storm is abandoned with an error after this long.
    time_limit: Duration,
    /// Aggregator processes on one PostgreSQL database (SQLite takes one).
    postgres_processes: usize,
}

impl Plan {
    const MAX_KIOSKS: usize = 100_000;
    const MAX_RECORDS: usize = 10_000;
    const MAX_WORKERS: usize = 4_096;
    const MAX_PROCESSES: usize = 8;

    /// The smoke pass under `cargo test`, or `--bench` with `--kiosks N --records R --workers W
    /// --time-limit-s S --processes P` (P: processes on PostgreSQL).
    fn from_args(args: &[String]) -> anyhow::Result<Plan> {
        let full = args.iter().any(|a| a == "--bench");
        let mut plan = if full {
            Plan {
                kiosks: 10_000,
                records_per_kiosk: 20,
                workers: 512,
                time_limit: Duration::from_secs(600),
                postgres_processes: 1,
            }
        } else {
            Plan {
                kiosks: 50,
                records_per_kiosk: 20,
                workers: 16,
                time_limit: Duration::from_secs(120),
                postgres_processes: 2,
            }
        };
        let number = |name: &str, max: usize| -> anyhow::Result<Option<usize>> {
            let Some(at) = args.iter().position(|a| a == name) else {
                return Ok(None);
            };
            let value = args
                .get(at + 1)
                .with_context(|| format!("{name} needs a number"))?;
            let n: usize = value
                .parse()
                .with_context(|| format!("{name} {value:?} is not a number"))?;
            anyhow::ensure!((1..=max).contains(&n), "{name} must be 1-{max}, not {n}");
            Ok(Some(n))
        };
        if let Some(n) = number("--kiosks", Plan::MAX_KIOSKS)? {
            plan.kiosks = n;
        }
        if let Some(n) = number("--records", Plan::MAX_RECORDS)? {
            plan.records_per_kiosk = n;
        }
        if let Some(n) = number("--workers", Plan::MAX_WORKERS)? {
            plan.workers = n;
        }
        if let Some(n) = number("--processes", Plan::MAX_PROCESSES)? {
            plan.postgres_processes = n;
        }
        if let Some(n) = number("--time-limit-s", 3_600)? {
            plan.time_limit = Duration::from_secs(n as u64);
        }
        Ok(plan)
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let plan = Plan::from_args(&args)?;
    let engines = Engine::from_args(&args)?;
    if args.iter().any(|a| a == "--processes") {
        anyhow::ensure!(
            engines == [Engine::Postgres],
            "--processes is for PostgreSQL: add --engine postgres (SQLite runs in one process)"
        );
    }
    for engine in engines {
        storm(engine, &plan)?;
    }
    Ok(())
}

/// One storm against the aggregator on `engine`: set up, drain, verify, report.
fn storm(engine: Engine, plan: &Plan) -> anyhow::Result<()> {
    let started = Instant::now();
    let server_dir = tempfile::Builder::new().prefix("ocena-storm-").tempdir()?;
    // Kiosk stores on tmpfs: thousands of small SQLite files whose fsyncs would otherwise
    // measure this machine's disk, not the aggregator.
    let kiosk_root = if Path::new("/dev/shm").is_dir() {
        tempfile::Builder::new()
            .prefix("ocena-storm-kiosks-")
            .tempdir_in("/dev/shm")?
    } else {
        tempfile::Builder::new()
            .prefix("ocena-storm-kiosks-")
            .tempdir()?
    };
    let mut aggregator = Aggregator::set_up(engine, plan, server_dir.path())?;

    // The outage: the aggregator is down while kiosks are enrolled (straight into its
    // database) and their answers pile up in their own stores.
    let desks: Vec<DeskId> = (0..plan.kiosks)
        .map(|i| format!("storm-{i:06}").parse())
        .collect::<Result<_, _>>()?;
    let (tokens, generated) = std::thread::scope(|scope| {
        let filling = scope.spawn(|| fill_backlogs(kiosk_root.path(), &desks, plan));
        let tokens = aggregator.enroll(&desks);
        let generated = filling
            .join()
            .map_err(|_| anyhow::anyhow!("filling the backlogs panicked"))?;
        anyhow::Ok((tokens?, generated?))
    })?;
    let set_up = started.elapsed();

    aggregator.start()?;
    let urls = aggregator.urls();
    // One HTTP client (one connection pool and runtime thread) per aggregator process serves
    // all the kiosks that talk to it; kiosks alternate among the processes.
    let clients = urls
        .iter()
        .map(|url| SyncClient::new(url, &Default::default()))
        .collect::<Result<Vec<_>, _>>()?;
    let kiosks: Vec<Mutex<KioskSync>> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let client = clients[i % clients.len()].clone().with_token(token);
            Mutex::new(KioskSync {
                dir: kiosk_dir(kiosk_root.path(), i),
                client,
                backoff: Backoff::for_sync(),
                heartbeat_at: None,
                not_before: None,
                moved_records: false,
            })
        })
        .collect();
    let storm = Storm::new(kiosks, aggregator.pids());
    let load_before = load_average();
    let result = storm.run(plan);
    let load = format!("{load_before} before, {} after", load_average());
    let verified = aggregator.verify(&generated);

    print_report(plan, &storm, set_up, &result, &verified, &aggregator, &load);
    drop(aggregator);
    result?;
    let verified = verified?;
    let counts = storm.counts();
    anyhow::ensure!(
        counts.other_errors == 0,
        "{} answers were neither a receipt nor 429/503, first: {:?}",
        counts.other_errors,
        storm.first_errors()
    );
    anyhow::ensure!(
        verified.lost == 0 && verified.extra == 0 && verified.duplicated == 0,
        "the aggregator's database does not hold each record exactly once: {verified:?}"
    );
    anyhow::ensure!(
        verified.counted == verified.rolled_up,
        "rollups count {} answers, the answers table {}",
        verified.rolled_up,
        verified.counted
    );
    anyhow::ensure!(
        counts.early_retries == 0,
        "{} retries came before the server's Retry-After",
        counts.early_retries
    );
    Ok(())
}

/// The aggregator under test: `sync-server` processes started here on one database, set up
/// through its CLI and its storage API. SQLite takes one process; PostgreSQL one or more on one
/// database, the kiosks alternating among them.
struct Aggregator {
    servers: Vec<Server>,
    /// The `database` setting, as the CLI reads it.
    setting: String,
    engine: Engine,
    /// Last: the PostgreSQL database is dropped after its servers have stopped.
    postgres: Option<throwaway_postgres::TestDatabase>,
}

impl Aggregator {
    /// The aggregator on `engine` (with as many processes as `plan` gives PostgreSQL), the
    /// partner offices and the department `plock/wso` seeded, not started yet.
    fn set_up(engine: Engine, plan: &Plan, dir: &Path) -> anyhow::Result<Aggregator> {
        match engine {
            Engine::Sqlite => {
                let server = Server::set_up(dir, &[])?;
                Ok(Aggregator {
                    setting: server.database.display().to_string(),
                    servers: vec![server],
                    engine,
                    postgres: None,
                })
            }
            Engine::Postgres => {
                let database = throwaway_postgres::fresh_durable_database()?;
                let process_dir = |n: usize| -> anyhow::Result<PathBuf> {
                    let path = dir.join(format!("process-{n}"));
                    std::fs::create_dir_all(&path)?;
                    Ok(path)
                };
                let first = Server::set_up_on_postgres(&process_dir(0)?, &database.url(), &[], "")?;
                let mut servers = Vec::with_capacity(plan.postgres_processes);
                for n in 1..plan.postgres_processes {
                    servers.push(first.another_process(&process_dir(n)?)?);
                }
                servers.insert(0, first);
                Ok(Aggregator {
                    servers,
                    setting: database.url(),
                    engine,
                    postgres: Some(database),
                })
            }
        }
    }

    /// The engine and the number of processes, in words.
    fn described(&self) -> String {
        match self.servers.len() {
            1 => format!("{}, one process", self.engine),
            n => format!("{}, {n} processes on one database", self.engine),
        }
    }

    /// The storage API on the aggregator's database, as the CLI opens it.
    fn storage(&self, runtime: &tokio::runtime::Runtime) -> anyhow::Result<Storage> {
        let database = sync_server::config::Database::from_argument(&self.setting)
            .map_err(|message| anyhow::anyhow!("{message}"))?;
        Ok(runtime.block_on(Storage::open(&database, Connections::default()))?)
    }

    /// Adds one desk per kiosk and enrolls a kiosk at each, with the calls `enroll-code` and
    /// `POST /api/v1/enroll` make (a single-use code, then the code spent for a new kiosk whose
    /// token only the kiosk holds); returns the tokens. The enroll endpoint's per-address rate
    /// limit (10, then one every 10 s) would take a day for 10,000 kiosks from one address.
    fn enroll(&self, desks: &[DeskId]) -> anyhow::Result<Vec<String>> {
        let runtime = tokio::runtime::Runtime::new()?;
        let storage = self.storage(&runtime)?;
        let clock = SystemClock::new();
        runtime.block_on(async {
            let mut tokens = Vec::with_capacity(desks.len());
            for desk in desks {
                storage
                    .add_desk(NewDesk {
                        id: desk.clone(),
                        office_id: "plock".into(),
                        department_id: "wso".into(),
                        name: format!("Stanowisko {desk}"),
                        internal_service: false,
                        standards: vec![StandardId::IV, StandardId::III, StandardId::II],
                        languages: vec![LanguageTag::polish()],
                        default_language: LanguageTag::polish(),
                    })
                    .await?;
                let code = credentials::new_enrollment_code();
                let now = chrono::Utc::now().timestamp_millis();
                storage
                    .add_enrollment_code(
                        credentials::code_hash(&code),
                        desk.clone(),
                        now,
                        now + 3_600_000,
                    )
                    .await?;
                let token = credentials::new_token();
                let kiosk = NewKiosk {
                    id: credentials::new_kiosk_id(),
                    token_sha256: credentials::sha256(&token),
                    version: env!("CARGO_PKG_VERSION").into(),
                    clock: clock.now(),
                };
                if let Err(problem) = storage
                    .enroll(credentials::code_hash(&code), kiosk, now)
                    .await?
                {
                    anyhow::bail!("enrolling a kiosk at {desk}: {problem:?}");
                }
                tokens.push(token);
            }
            Ok(tokens)
        })
    }

    fn start(&mut self) -> anyhow::Result<()> {
        for server in &mut self.servers {
            server.start()?;
        }
        Ok(())
    }

    fn urls(&self) -> Vec<String> {
        self.servers.iter().map(Server::url).collect()
    }

    fn pids(&self) -> Vec<u32> {
        self.servers.iter().filter_map(Server::pid).collect()
    }

    /// Compares the aggregator's answers with the records the kiosks generated.
    fn verify(&self, generated: &HashSet<String>) -> anyhow::Result<Verified> {
        let (stored, rows, (counted, rolled_up)) = match &self.postgres {
            None => {
                let server = &self.servers[0];
                let rows: i64 =
                    server
                        .database()?
                        .query_row("SELECT count(*) FROM answers", [], |r| r.get(0))?;
                (server.answer_ids()?, rows, server.counted_and_rolled_up()?)
            }
            Some(database) => {
                let mut db = database.config().connect(postgres::NoTls)?;
                let rows: i64 = db
                    .query_one("SELECT count(*) FROM answers", &[])?
                    .try_get(0)?;
                (
                    tests::postgres::answer_ids(&mut db)?,
                    rows,
                    tests::postgres::counted_and_rolled_up(&mut db)?,
                )
            }
        };
        Ok(Verified {
            generated: generated.len(),
            stored: stored.len(),
            lost: generated.difference(&stored).count(),
            extra: stored.difference(generated).count(),
            duplicated: usize::try_from(rows)?.saturating_sub(stored.len()),
            counted,
            rolled_up,
        })
    }
}

/// What the aggregator's database holds after the storm.
#[derive(Debug)]
struct Verified {
    generated: usize,
    stored: usize,
    lost: usize,
    extra: usize,
    duplicated: usize,
    counted: i64,
    rolled_up: i64,
}

fn kiosk_dir(root: &Path, index: usize) -> PathBuf {
    root.join(format!("kiosk-{index:06}"))
}

/// Writes each kiosk's backlog into its own store, answer by answer as the recorder does
/// (`Store::record`: one IMMEDIATE transaction, synchronous=FULL), two kiosks at a time;
/// returns every record id written.
fn fill_backlogs(root: &Path, desks: &[DeskId], plan: &Plan) -> anyhow::Result<HashSet<String>> {
    let threads = 2;
    let per_thread = desks.len().div_ceil(threads);
    let parts = std::thread::scope(|scope| {
        let handles: Vec<_> = desks
            .chunks(per_thread.max(1))
            .enumerate()
            .map(|(part, chunk)| {
                scope.spawn(move || -> anyhow::Result<Vec<String>> {
                    let clock = SystemClock::new();
                    let mut ids = Vec::with_capacity(chunk.len() * plan.records_per_kiosk);
                    for (offset, desk) in chunk.iter().enumerate() {
                        let dir = kiosk_dir(root, part * per_thread + offset);
                        let mut store = Store::open(&dir)?.store;
                        for answer in backlog(desk, plan.records_per_kiosk) {
                            ids.push(store.record(answer, clock.now())?.id.to_string());
                        }
                    }
                    Ok(ids)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| anyhow::anyhow!("a filler panicked"))?)
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    Ok(parts.into_iter().flatten().collect())
}

/// A kiosk's answers as clients give them: each visit an overall rating and two standards,
/// a low score on standard IV with a reason.
fn backlog(desk: &DeskId, count: usize) -> Vec<Answer> {
    let mut visit = VisitId::new_random();
    (0..count)
        .map(|i| {
            if i % 3 == 0 {
                visit = VisitId::new_random();
            }
            let score = Score::ALL[(i / 3 + i) % 4];
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
            Answer {
                visit_id: visit,
                desk_id: desk.clone(),
                question,
                answer: score.into(),
                reasons,
                language: LanguageTag::polish(),
                larger_text: i % 7 == 0,
                input: InputKind::Touch,
                supersedes: None,
            }
        })
        .collect()
}

/// One kiosk's sync state between its rounds, as its sync thread keeps it.
struct KioskSync {
    dir: PathBuf,
    client: SyncClient,
    backoff: Backoff,
    heartbeat_at: Option<Instant>,
    /// The earliest instant the server's last Retry-After allows the next try.
    not_before: Option<Instant>,
    /// Whether the last round's push acknowledged records, even if a later batch then failed.
    moved_records: bool,
}

/// How a kiosk's round ended.
enum Round {
    Drained,
    Again(Duration),
}

/// Answers counted during the storm.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    record_batches: u64,
    heartbeats: u64,
    too_many_requests: u64,
    busy: u64,
    with_retry_after: u64,
    other_errors: u64,
    early_retries: u64,
    rejected: u64,
}

impl Counts {
    fn requests(&self) -> u64 {
        self.record_batches
            + self.heartbeats
            + self.too_many_requests
            + self.busy
            + self.other_errors
    }
}

/// The kiosks, the instant each is due next, and the counters.
struct Storm {
    kiosks: Vec<Mutex<KioskSync>>,
    due: Mutex<BinaryHeap<Reverse<(Instant, usize)>>>,
    wake: Condvar,
    drained: AtomicUsize,
    stop: AtomicBool,
    record_batches: AtomicU64,
    heartbeats: AtomicU64,
    too_many_requests: AtomicU64,
    busy: AtomicU64,
    with_retry_after: AtomicU64,
    other_errors: AtomicU64,
    early_retries: AtomicU64,
    rejected: AtomicU64,
    longest_retry_after_s: AtomicU64,
    first_errors: Mutex<Vec<String>>,
    server_pids: Vec<u32>,
    memory: Mutex<Vec<MemorySample>>,
}

/// The aggregator's memory at one moment, in KiB (`/proc/<pid>/status`).
#[derive(Debug, Clone, Copy)]
struct MemorySample {
    at: Duration,
    rss_kib: u64,
    peak_kib: u64,
    /// User and system CPU time so far, in clock ticks (`/proc/<pid>/stat`, 100 per second).
    cpu_ticks: u64,
}

impl Storm {
    fn new(kiosks: Vec<Mutex<KioskSync>>, server_pids: Vec<u32>) -> Storm {
        Storm {
            kiosks,
            due: Mutex::new(BinaryHeap::new()),
            wake: Condvar::new(),
            drained: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            record_batches: AtomicU64::new(0),
            heartbeats: AtomicU64::new(0),
            too_many_requests: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            with_retry_after: AtomicU64::new(0),
            other_errors: AtomicU64::new(0),
            early_retries: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            longest_retry_after_s: AtomicU64::new(0),
            first_errors: Mutex::new(Vec::new()),
            server_pids,
            memory: Mutex::new(Vec::new()),
        }
    }

    /// All kiosks due at the same instant; runs until every store is empty or the time limit.
    /// Returns the drain time.
    fn run(&self, plan: &Plan) -> anyhow::Result<Duration> {
        let start = Instant::now();
        lock(&self.due).extend((0..self.kiosks.len()).map(|i| Reverse((start, i))));
        std::thread::scope(|scope| {
            for _ in 0..plan.workers {
                std::thread::Builder::new()
                    .stack_size(256 * 1024)
                    .spawn_scoped(scope, || self.work())
                    .context("starting a worker")?;
            }
            let mut next_sample = start;
            loop {
                if Instant::now() >= next_sample {
                    self.sample_memory(start.elapsed());
                    next_sample += Duration::from_secs(1);
                }
                if self.drained.load(Ordering::SeqCst) == self.kiosks.len() {
                    break;
                }
                if start.elapsed() > plan.time_limit {
                    self.stop.store(true, Ordering::SeqCst);
                    self.wake.notify_all();
                    anyhow::bail!(
                        "time limit of {} s reached with {} of {} kiosks drained",
                        plan.time_limit.as_secs(),
                        self.drained.load(Ordering::SeqCst),
                        self.kiosks.len()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let took = start.elapsed();
            self.sample_memory(took);
            self.stop.store(true, Ordering::SeqCst);
            self.wake.notify_all();
            Ok(took)
        })
    }

    /// A worker: takes the kiosk due first, waits for its time, runs one round of its sync.
    fn work(&self) {
        let clock = SystemClock::new();
        while let Some(index) = self.next_due() {
            let mut kiosk = lock(&self.kiosks[index]);
            match self.round(&mut kiosk, &clock) {
                Round::Drained => {
                    self.drained.fetch_add(1, Ordering::SeqCst);
                }
                Round::Again(after) => {
                    lock(&self.due).push(Reverse((Instant::now() + after, index)));
                    self.wake.notify_one();
                }
            }
        }
    }

    fn next_due(&self) -> Option<usize> {
        let mut due = lock(&self.due);
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return None;
            }
            let now = Instant::now();
            let wait = match due.peek() {
                Some(Reverse((at, _))) if *at <= now => {
                    return due.pop().map(|Reverse((_, index))| index);
                }
                Some(Reverse((at, _))) => (*at - now).min(Duration::from_millis(200)),
                None => Duration::from_millis(200),
            };
            due = self
                .wake
                .wait_timeout(due, wait)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// One round as the kiosk's sync thread runs it (`kiosk::sync::service`): open the store,
    /// push the backlog, note the attempt, send a heartbeat when one is due; on failure the
    /// kiosk's own backoff, with the server's Retry-After as a floor.
    fn round(&self, kiosk: &mut KioskSync, clock: &dyn Clock) -> Round {
        if kiosk.not_before.is_some_and(|t| Instant::now() < t) {
            self.early_retries.fetch_add(1, Ordering::SeqCst);
        }
        match self.push_and_beat(kiosk, clock) {
            Ok(true) => Round::Drained,
            Ok(false) => {
                kiosk.backoff.reset();
                Round::Again(POLL_INTERVAL)
            }
            Err(e) => {
                let after = e.retry_after();
                kiosk.not_before = after.map(|a| Instant::now() + a);
                Round::Again(kiosk.backoff.after_failure(kiosk.moved_records, after))
            }
        }
    }

    /// Whether the store is now empty, or the error the round ends with.
    fn push_and_beat(&self, kiosk: &mut KioskSync, clock: &dyn Clock) -> Result<bool, SyncError> {
        kiosk.moved_records = false;
        let mut store = Store::open(&kiosk.dir)?.store;
        let waiting_before = store.outbox()?.waiting;
        let pushed = push_backlog(&mut store, &kiosk.client, clock);
        let waiting_after = store.outbox()?.waiting;
        kiosk.moved_records = waiting_after < waiting_before;
        let settled = usize::try_from(waiting_before - waiting_after).unwrap_or(usize::MAX);
        self.record_batches
            .fetch_add(settled.div_ceil(BATCH_SIZE) as u64, Ordering::SeqCst);
        match &pushed {
            Ok(report) => {
                self.rejected
                    .fetch_add(report.rejected as u64, Ordering::SeqCst);
            }
            Err(e) => self.count_error(e),
        }
        let error = pushed.as_ref().err().map(ToString::to_string);
        store.note_sync_attempt(clock.now().wall_clock_ms, error.as_deref())?;
        if matches!(pushed, Err(SyncError::Unauthorized)) {
            return pushed.map(|_| false);
        }
        if kiosk
            .heartbeat_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(60))
        {
            match kiosk.client.heartbeat(&heartbeat(store.status()?, clock)) {
                Ok(_) => {
                    self.heartbeats.fetch_add(1, Ordering::SeqCst);
                    kiosk.heartbeat_at = Some(Instant::now());
                }
                Err(e) => {
                    self.count_error(&e);
                    // The kiosk's sync thread ends its round with this error when the push
                    // did not fail; a drained store is done either way here.
                    if pushed.is_ok() && waiting_after > 0 {
                        return Err(e);
                    }
                }
            }
        }
        pushed.map(|_| waiting_after == 0)
    }

    fn count_error(&self, error: &SyncError) {
        match error {
            SyncError::RetryLater { status, after } => {
                let counter = if *status == 429 {
                    &self.too_many_requests
                } else {
                    &self.busy
                };
                counter.fetch_add(1, Ordering::SeqCst);
                if let Some(after) = after {
                    self.with_retry_after.fetch_add(1, Ordering::SeqCst);
                    self.longest_retry_after_s
                        .fetch_max(after.as_secs(), Ordering::SeqCst);
                }
            }
            other => {
                self.other_errors.fetch_add(1, Ordering::SeqCst);
                let mut first = lock(&self.first_errors);
                if first.len() < 5 {
                    first.push(error_chain(other));
                }
            }
        }
    }

    fn sample_memory(&self, at: Duration) {
        let (mut rss_kib, mut peak_kib, mut cpu_ticks) = (0, 0, 0);
        for pid in &self.server_pids {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            rss_kib += status_kib(&status, "VmRSS:");
            peak_kib += status_kib(&status, "VmHWM:");
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            cpu_ticks += cpu_ticks_of(&stat);
        }
        lock(&self.memory).push(MemorySample {
            at,
            rss_kib,
            peak_kib,
            cpu_ticks,
        });
    }

    fn counts(&self) -> Counts {
        let get = |c: &AtomicU64| c.load(Ordering::SeqCst);
        Counts {
            record_batches: get(&self.record_batches),
            heartbeats: get(&self.heartbeats),
            too_many_requests: get(&self.too_many_requests),
            busy: get(&self.busy),
            with_retry_after: get(&self.with_retry_after),
            other_errors: get(&self.other_errors),
            early_retries: get(&self.early_retries),
            rejected: get(&self.rejected),
        }
    }

    fn first_errors(&self) -> Vec<String> {
        lock(&self.first_errors).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// utime + stime of a `/proc/<pid>/stat` line: fields 14 and 15, counted after the command
/// name's closing parenthesis (the name itself may hold spaces).
fn cpu_ticks_of(stat: &str) -> u64 {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| {
        fields
            .get(n)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // `rest` starts at field 3 (state), so field 14 is at index 11.
    field(11) + field(12)
}

/// The machine's load average over the last minute.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The KiB figure of one `/proc/<pid>/status` line, e.g. `VmRSS:    12345 kB`.
fn status_kib(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn print_report(
    plan: &Plan,
    storm: &Storm,
    set_up: Duration,
    drain: &anyhow::Result<Duration>,
    verified: &anyhow::Result<Verified>,
    aggregator: &Aggregator,
    load: &str,
) {
    let (described, urls) = (aggregator.described(), aggregator.urls());
    let counts = storm.counts();
    let records = plan.kiosks * plan.records_per_kiosk;
    let share = |n: u64| 100.0 * n as f64 / counts.requests().max(1) as f64;
    println!("## Fleet storm: {described}");
    println!();
    println!(
        "{} kiosks × {} records, {} worker threads, aggregator(s) {} ({described}); set-up \
         (enrollment and backlogs) {:.1} s",
        plan.kiosks,
        plan.records_per_kiosk,
        plan.workers,
        urls.join(", "),
        set_up.as_secs_f64()
    );
    println!();
    println!("| figure | value |");
    println!("|---|---|");
    println!("| kiosks | {} |", plan.kiosks);
    println!("| machine load average (1 min) | {load} |");
    println!("| records | {records} |");
    match drain {
        Ok(took) => {
            println!(
                "| time to drain every store | {:.1} s |",
                took.as_secs_f64()
            );
            println!(
                "| answers stored per second | {:.0} |",
                records as f64 / took.as_secs_f64()
            );
            println!(
                "| requests per second | {:.0} |",
                counts.requests() as f64 / took.as_secs_f64()
            );
        }
        Err(e) => println!("| time to drain every store | **failed: {e:#}** |"),
    }
    println!(
        "| requests (record batches + heartbeats + refusals) | {} ({} + {} + {}) |",
        counts.requests(),
        counts.record_batches,
        counts.heartbeats,
        counts.too_many_requests + counts.busy + counts.other_errors
    );
    println!(
        "| 429 Too Many Requests | {} ({:.1}%) |",
        counts.too_many_requests,
        share(counts.too_many_requests)
    );
    println!(
        "| 503 Service Unavailable | {} ({:.1}%) |",
        counts.busy,
        share(counts.busy)
    );
    println!(
        "| 429/503 with Retry-After (longest); retries before it | {} ({} s); {} |",
        counts.with_retry_after,
        storm.longest_retry_after_s.load(Ordering::SeqCst),
        counts.early_retries
    );
    println!(
        "| any other error; records rejected | {}; {} |",
        counts.other_errors, counts.rejected
    );
    let memory = lock(&storm.memory).clone();
    if let (Some(first), Some(last)) = (memory.first(), memory.last()) {
        let peak = memory.iter().map(|m| m.peak_kib).max().unwrap_or(0);
        println!(
            "| server RSS: start, peak (VmHWM), end | {} MiB, {} MiB, {} MiB |",
            first.rss_kib / 1024,
            peak / 1024,
            last.rss_kib / 1024
        );
        let cpu_s = last.cpu_ticks.saturating_sub(first.cpu_ticks) as f64 / 100.0;
        let wall_s = (last.at - first.at).as_secs_f64().max(0.001);
        println!(
            "| server CPU during the storm | {cpu_s:.1} s ({:.0}% of one core) |",
            100.0 * cpu_s / wall_s
        );
        let step = memory.len().div_ceil(12).max(1);
        let series: Vec<String> = memory
            .iter()
            .step_by(step)
            .chain(std::iter::once(last))
            .map(|m| format!("{:.0} s: {}", m.at.as_secs_f64(), m.rss_kib / 1024))
            .collect();
        println!("| server RSS over time (MiB) | {} |", series.join(", "));
    }
    match verified {
        Ok(v) => {
            println!(
                "| generated / stored distinct ids | {} / {} |",
                v.generated, v.stored
            );
            println!(
                "| lost / duplicated / not generated | {} / {} / {} |",
                v.lost, v.duplicated, v.extra
            );
            println!(
                "| counted answers / rollup total | {} / {} |",
                v.counted, v.rolled_up
            );
        }
        Err(e) => println!("| verification | **failed: {e:#}** |"),
    }
    if counts.other_errors > 0 {
        println!();
        println!("First other errors: {:?}", storm.first_errors());
    }
}
