//! The dashboard at scale: 10 million answers (5 offices, 100 desks, 2 years) generated through
//! the storage layer's enrollment and ingest, cached under `target/tmp/`, then the server's time
//! for the overview, a desk drill-down and the other views over 30 days, a year and two years
//! (p50/p95), the file's bytes per answer, and the memory growth while streaming one
//! office's month of answers as CSV. `cargo bench -p sync-server --bench dashboard`
//! (`-- generate` only builds the database). Under `cargo test` it runs a small smoke pass.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate, NaiveTime, TimeZone, Weekday};
use model::wire::{RecordBatch, RecordOutcome};
use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::COOKIE;
use sync_server::config::{AlertSettings, DashboardSettings, Limits, PrivacySettings, RateLimits};
use sync_server::dashboard::{Lang, Role};
use sync_server::offices::partner_offices;
use sync_server::proxies::TrustedProxies;
use sync_server::storage::sqlite::SqliteBackend;
use sync_server::storage::{
    Backend, Connections, Kiosk, NewDesk, NewKiosk, NewSession, NewUser, Storage, TokenLookup,
};
use sync_server::{Application, Settings, credentials};

const ADMIN_TOKEN: &str = "bench-admin-token-0123456789-abcdefghij";
/// The analyst's session token the benchmark reads the dashboard with.
const SESSION_TOKEN: &str = "bench session token 0123456789abcdef";
/// The generated data ends on this Warsaw day, so a cached file stays valid.
const LAST_DAY: (i32, u32, u32) = (2026, 11, 20);
const DAYS: u64 = 730;
const DEPARTMENTS_PER_OFFICE: usize = 4;
const DESKS_PER_DEPARTMENT: usize = 5;
/// Visits per desk and working day: each rates overall and two standards, so 64 visits make
/// 192 answers, and 100 desks × 522 working days about 10 million.
const VISITS_PER_DAY: usize = 64;
const STANDARDS: [StandardId; 3] = [StandardId::IV, StandardId::III, StandardId::II];
const SAMPLES: usize = 60;

struct Scale {
    days: u64,
    visits_per_day: usize,
    file: &'static str,
}

fn warsaw_ms(date: NaiveDate, at: NaiveTime) -> i64 {
    chrono_tz::Europe::Warsaw
        .from_local_datetime(&date.and_time(at))
        .earliest()
        .map_or(0, |t| t.timestamp_millis())
}

fn desk_ids() -> Vec<(usize, String, String, String)> {
    let mut desks = Vec::new();
    for (o, office) in partner_offices()
        .iter()
        .map(|office| &office.id)
        .enumerate()
    {
        for d in 1..=DEPARTMENTS_PER_OFFICE {
            for k in 1..=DESKS_PER_DEPARTMENT {
                desks.push((
                    o,
                    (*office).to_owned(),
                    format!("d{d}"),
                    format!("{office}-d{d}-{k:02}"),
                ));
            }
        }
    }
    desks
}

/// A score leaning good, a little worse at some desks.
fn score(rng: &mut StdRng, weak: bool) -> Score {
    let roll: f64 = rng.random();
    let (p1, p2, p3) = if weak {
        (0.12, 0.25, 0.55)
    } else {
        (0.04, 0.10, 0.35)
    };
    let value = if roll < p1 {
        1
    } else if roll < p2 {
        2
    } else if roll < p3 {
        3
    } else {
        4
    };
    Score::try_from(value).unwrap_or(Score::GOOD)
}

fn language(rng: &mut StdRng) -> LanguageTag {
    let roll: f64 = rng.random();
    let code = if roll < 0.9 {
        "pl"
    } else if roll < 0.95 {
        "uk"
    } else if roll < 0.98 {
        "en"
    } else {
        "de"
    };
    code.parse().unwrap_or_else(|_| LanguageTag::polish())
}

fn generate(path: &Path, scale: &Scale) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
    }
    let db = SqliteBackend::open(&partial, &Connections::default())?;
    for office in partner_offices() {
        db.add_office(&office)?;
    }
    let catalogue = model::catalogue::Catalogue::ordinance_4216_2018();
    let last = NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2)
        .ok_or_else(|| anyhow::anyhow!("last day"))?;
    let first = last
        .checked_sub_days(Days::new(scale.days - 1))
        .ok_or_else(|| anyhow::anyhow!("first day"))?;
    let enrolled_ms = warsaw_ms(first, NaiveTime::MIN) - 86_400_000;
    let mut kiosks: Vec<(Kiosk, bool)> = Vec::new();
    for (o, office, department, desk) in desk_ids() {
        if desk.ends_with("-01") {
            db.add_department(&office, &department, &format!("Wydział {department}"))?;
        }
        let id: DeskId = desk.parse()?;
        db.add_desk(&NewDesk {
            id: id.clone(),
            office_id: office.clone(),
            department_id: department.clone(),
            name: format!("Stanowisko {desk}"),
            internal_service: false,
            standards: STANDARDS.to_vec(),
            languages: ["pl", "en", "uk", "de"]
                .iter()
                .map(|l| l.parse())
                .collect::<Result<_, _>>()?,
            default_language: LanguageTag::polish(),
        })?;
        let code = credentials::sha256(&desk);
        db.add_enrollment_code(code, &id, enrolled_ms, enrolled_ms + 1)?;
        let token = credentials::sha256(&format!("token {desk}"));
        let clock = RecordedTime {
            wall_clock_ms: enrolled_ms,
            boot_id: "enroll".into(),
            boottime_ns: 1,
            clock_synchronized: true,
        };
        let new = NewKiosk {
            id: format!("kiosk-{desk}"),
            token_sha256: token,
            version: "bench".into(),
            clock,
        };
        db.enroll(code, &new, enrolled_ms)?
            .map_err(|p| anyhow::anyhow!("enrollment refused: {p:?}"))?;
        let TokenLookup::Valid(kiosk) = db.kiosk_by_token(token)? else {
            anyhow::bail!("kiosk {desk} not enrolled");
        };
        kiosks.push((kiosk, desk.ends_with("-03") && o % 2 == 0));
    }

    let started = Instant::now();
    let mut stored: u64 = 0;
    let mut not_stored: u64 = 0;
    let mut sequence: Vec<u64> = vec![0; kiosks.len()];
    let mut record_counter: u64 = 0;
    let mut rng = StdRng::seed_from_u64(4216);
    let mut date = first;
    while date <= last {
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            date = date.succ_opt().unwrap_or(date);
            continue;
        }
        let opens = warsaw_ms(date, NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default());
        let boot_start = opens - 1_800_000;
        let boot_id = format!("boot-{date}");
        for (index, (kiosk, weak)) in kiosks.iter().enumerate() {
            let mut records = Vec::with_capacity(scale.visits_per_day * 3 + 3);
            let reading = |ms: i64| RecordedTime {
                wall_clock_ms: ms,
                boot_id: boot_id.clone(),
                boottime_ns: u64::try_from(ms - boot_start).unwrap_or(0) * 1_000_000,
                clock_synchronized: true,
            };
            // Visits spread over 8:00-16:00, a little denser in the morning.
            let mut times: Vec<i64> = (0..scale.visits_per_day)
                .map(|_| {
                    let u: f64 = rng.random();
                    opens + (u.powf(1.3) * 8.0 * 3_600_000.0) as i64
                })
                .collect();
            times.sort_unstable();
            // One desk in twenty has a burst of presses that day.
            if rng.random_ratio(1, 20) {
                let at = times[times.len() / 2] + 30_000;
                times.extend([at, at + 2_000, at + 4_000]);
            }
            for at in times {
                let visit = VisitId::new_random();
                let lang = language(&mut rng);
                let larger_text = rng.random_ratio(1, 12);
                let mut answer = |question: Question, score: Score, reasons, at: i64| {
                    sequence[index] += 1;
                    record_counter += 1;
                    records.push(RatingRecord {
                        id: RecordId::from(uuid::Uuid::from_u64_pair(
                            record_counter,
                            u64::try_from(index).unwrap_or(0),
                        )),
                        visit_id: visit,
                        sequence: sequence[index],
                        desk_id: kiosk.desk_id.clone(),
                        question,
                        answer: score.into(),
                        reasons,
                        language: lang.clone(),
                        larger_text,
                        input: InputKind::Touch,
                        supersedes: None,
                        recorded: reading(at),
                    });
                };
                answer(Question::Overall, score(&mut rng, *weak), vec![], at);
                for (n, standard) in STANDARDS.iter().take(2).enumerate() {
                    let s = score(&mut rng, *weak);
                    let reasons = if s.is_low() {
                        let options = catalogue.standard(*standard).reasons;
                        vec![options[rng.random_range(0..options.len())].reason_code()]
                    } else {
                        vec![]
                    };
                    let offset = 5_000 * (i64::try_from(n).unwrap_or(0) + 1);
                    answer(Question::Standard(*standard), s, reasons, at + offset);
                }
            }
            let received = opens + 9 * 3_600_000;
            let batch = RecordBatch {
                sent: reading(received),
                records,
            };
            let receipt = db.ingest(kiosk, &batch, received)?;
            for result in receipt.results {
                match result.outcome {
                    RecordOutcome::Stored => stored += 1,
                    other => {
                        not_stored += 1;
                        if not_stored <= 3 {
                            eprintln!("record {} not stored: {other:?}", result.id);
                        }
                    }
                }
            }
        }
        if date.day() == 1 {
            let rate = stored as f64 / started.elapsed().as_secs_f64();
            eprintln!("{date}: {stored} answers stored ({rate:.0}/s)");
        }
        date = date.succ_opt().unwrap_or(date);
    }
    drop(db);
    // The backend's last connection to close is a read-only one, which cannot checkpoint: move
    // the write-ahead log into the file now, so the file alone holds every answer.
    let conn = rusqlite::Connection::open(&partial)?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    drop(conn);
    std::fs::rename(&partial, path)?;
    eprintln!(
        "generated {stored} answers ({not_stored} not stored) in {:.0} s into {}",
        started.elapsed().as_secs_f64(),
        path.display()
    );
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The month before `day`'s, as report addresses name it (`2026-10`).
fn month_code(day: NaiveDate) -> String {
    let previous = day.with_day(1).and_then(|d| d.pred_opt()).unwrap_or(day);
    format!("{:04}-{:02}", previous.year(), previous.month())
}

async fn measure(path: &Path, samples: usize) -> anyhow::Result<()> {
    let settings = Settings {
        listen: "127.0.0.1:0".parse()?,
        database: sync_server::config::Database::Sqlite(path.to_path_buf()),
        reader_connections: 2,
        admin_token_sha256: Some(credentials::sha256(ADMIN_TOKEN)),
        rate_limit: RateLimits::default(),
        alerts: AlertSettings::default(),
        dashboard: DashboardSettings::default(),
        proxies: TrustedProxies::default(),
        limits: Limits::default(),
        // Kept for ten years: the server's retention round must not purge the data measured.
        privacy: PrivacySettings {
            answer_retention_months: sync_server::config::MAX_ANSWER_RETENTION_MONTHS,
            ..PrivacySettings::default()
        },
    };
    let app = Application::build(settings).await?;
    let base = format!("http://{}", app.address());
    let answers = app.storage().answer_count().await?;
    let cookie = analyst_session(app.storage()).await?;
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let last = NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1, LAST_DAY.2)
        .ok_or_else(|| anyhow::anyhow!("last day"))?;
    let from = last.checked_sub_days(Days::new(29)).unwrap_or(last);
    let period = format!("from={from}&to={last}");
    let first = last.checked_sub_days(Days::new(DAYS - 1)).unwrap_or(last);
    let two_years = format!("from={first}&to={last}");
    let bytes = std::fs::metadata(path)?.len();
    println!(
        "answers in the database: {answers}; file {:.2} GB, {:.0} bytes per answer",
        bytes as f64 / 1e9,
        bytes as f64 / answers.max(1) as f64
    );
    for (what, url) in [
        ("overview, 30 days", format!("{base}/dashboard?{period}")),
        (
            "desk drill-down, 30 days",
            format!("{base}/dashboard?{period}&office=plock&department=d2&desk=plock-d2-03"),
        ),
        (
            "overview, this year",
            format!("{base}/dashboard?from=2026-01-01&to={last}"),
        ),
        (
            "overview, two years",
            format!("{base}/dashboard?{two_years}"),
        ),
        (
            "office, two years, standard IV",
            format!("{base}/dashboard?{two_years}&office=plock&standard=IV"),
        ),
        (
            "desk drill-down, two years",
            format!("{base}/dashboard?{two_years}&office=plock&department=d2&desk=plock-d2-03"),
        ),
        (
            "standards, two years",
            format!("{base}/dashboard/standards?{two_years}"),
        ),
        (
            "patterns (heatmap, languages), two years",
            format!("{base}/dashboard/patterns?{two_years}"),
        ),
        (
            "patterns, 30 days",
            format!("{base}/dashboard/patterns?{period}"),
        ),
        (
            "patterns, two years, Ukrainian answers only",
            format!("{base}/dashboard/patterns?{two_years}&language=uk"),
        ),
        (
            "standards, 30 days",
            format!("{base}/dashboard/standards?{period}"),
        ),
        (
            "monthly report of an office (two months, by standard and department)",
            format!("{base}/dashboard/reports/plock/{}", month_code(last)),
        ),
        (
            "department's monthly report (three months, by standard and desk)",
            format!("{base}/dashboard/reports/plock/d2/{}", month_code(last)),
        ),
    ] {
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples + 3 {
            let started = Instant::now();
            let response = client.get(&url).header(COOKIE, &cookie).send().await?;
            anyhow::ensure!(
                response.status().is_success(),
                "{url}: {}",
                response.status()
            );
            let body = response.bytes().await?;
            times.push(started.elapsed());
            // The overview's rows all have answers; other pages may list a standard no desk
            // here offers.
            let overview = url.contains("/dashboard?");
            anyhow::ensure!(
                body.len() > 1000
                    && !(overview && body.windows(18).any(|w| w == b"data-responses=\"0\"")),
                "{url}: a page of {} bytes without answers",
                body.len()
            );
        }
        let mut times = times.split_off(3);
        times.sort_unstable();
        println!(
            "| {what} | p50 {:.1} ms | p95 {:.1} ms |",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }

    let month_from = NaiveDate::from_ymd_opt(LAST_DAY.0, LAST_DAY.1 - 1, 1).unwrap_or(last);
    let month_to = month_from
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(last);
    for (what, query) in [
        (
            format!("plock, {month_from}..{month_to}"),
            format!("from={month_from}&to={month_to}&office=plock"),
        ),
        (
            format!("every office, 2026-01-01..{last}"),
            format!("from=2026-01-01&to={last}"),
        ),
    ] {
        export(
            &client,
            &cookie,
            &format!("{base}/dashboard/export.csv?{query}"),
            &what,
        )
        .await?;
    }
    Ok(())
}

/// Streams one export, reading the body chunk by chunk, and prints the process's peak resident
/// memory growth meanwhile (the server runs in this process).
async fn export(
    client: &reqwest::Client,
    cookie: &str,
    url: &str,
    what: &str,
) -> anyhow::Result<()> {
    let before = rss_kib();
    let mut peak = before;
    let started = Instant::now();
    let mut response = client.get(url).header(COOKIE, cookie).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    let (mut bytes, mut lines) = (0_usize, 0_usize);
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        peak = peak.max(rss_kib());
    }
    println!(
        "| CSV export, {what} | {lines} lines, {:.1} MB in {:.2} s | RSS before {:.1} MB, peak growth {:.1} MB |",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        before as f64 / 1024.0,
        (peak - before) as f64 / 1024.0
    );
    Ok(())
}

/// Signs in an analyst (once per database) and returns the session's `Cookie` header, for plain
/// http to loopback.
async fn analyst_session(storage: &Storage) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp_millis();
    let user_id = match storage
        .users()
        .await?
        .into_iter()
        .find(|u| u.username == "bench")
    {
        Some(user) => user.id,
        None => {
            storage
                .add_user(
                    NewUser {
                        username: "bench".into(),
                        password_hash: "not used: the session is made directly".into(),
                        role: Role::Analyst,
                        office_id: None,
                        department_id: None,
                        email: None,
                        lang: sync_server::dashboard::Lang::Pl,
                    },
                    now,
                )
                .await?
        }
    };
    let id_sha256 = credentials::sha256(SESSION_TOKEN);
    storage
        .create_session(NewSession {
            id_sha256,
            user_id,
            csrf_token: "bench".into(),
            lang: Lang::Pl,
            now_ms: now,
            expires_at_ms: now + 3_600_000,
            replaces: Some(id_sha256),
        })
        .await?;
    Ok(format!("ocena_session={SESSION_TOKEN}"))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench" || a == "generate");
    let scale = if full {
        Scale {
            days: DAYS,
            visits_per_day: VISITS_PER_DAY,
            file: "dashboard-bench-10m.db",
        }
    } else {
        Scale {
            days: 40,
            visits_per_day: 6,
            file: "dashboard-bench-smoke.db",
        }
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(scale.file);
    if !path.exists() {
        eprintln!("generating {} (cached for later runs)", path.display());
        generate(&path, &scale)?;
    }
    if args.iter().any(|a| a == "generate") {
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(measure(&path, if full { SAMPLES } else { 3 }))
}
