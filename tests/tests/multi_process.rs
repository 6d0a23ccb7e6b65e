//! Two aggregator processes on one PostgreSQL database, as behind a load balancer: real `kiosk`
//! binaries alternate between them while one process is SIGKILLed and restarted again and
//! again; afterwards the database holds every kiosk record exactly once and its rollups count each
//! once. A dashboard session made on one process is accepted by the other (a page and a
//! CSRF-checked form), and an alert raised while both run reaches a webhook receiver exactly
//! once, though both processes evaluate and deliver every second.

mod dashboard_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashboard_support::{ADMIN, Session, csrf_token, enroll, set_cookie, sign_in};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN};
use tests::kiosk::Kiosk;
use tests::server::Server;

const DESKS: [&str; 4] = [
    "plock-wso-01",
    "plock-wso-02",
    "plock-wso-03",
    "plock-wso-04",
];
/// A desk whose only kiosk is enrolled and then never heard from: the alert's subject.
const SILENT_DESK: &str = "plock-wso-09";
/// How many times the second process is SIGKILLed while kiosks sync to it.
const KILLS: u32 = 12;
/// How long the webhook receiver holds each request before answering: longer than the alert
/// rounds' interval, so the other process runs a round while a notification is being delivered
/// (the moment a notification handed to both would be sent twice).
const RECEIVER_DELAY: Duration = Duration::from_millis(1500);

#[test]
fn two_processes_on_one_postgres_keep_exactly_once_sessions_and_single_alert_deliveries()
-> anyhow::Result<()> {
    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new()?;
    let postgres = throwaway_postgres::fresh_database()?;
    let receiver = WebhookReceiver::start()?;
    let settings = format!(
        "[alerts]\ncheck_every_s = 1\n[alerts.webhook]\nurl = \"http://{}/hook\"\n",
        receiver.address
    );
    let dir = tempfile::tempdir()?;
    let (dir_a, dir_b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&dir_a)?;
    std::fs::create_dir_all(&dir_b)?;
    let mut all_desks = DESKS.to_vec();
    all_desks.push(SILENT_DESK);
    let mut a = Server::set_up_on_postgres(&dir_a, &postgres.url(), &all_desks, &settings)?;
    a.admin_with_input(
        &["admin", "create", "--username", ADMIN.0],
        &format!("{}\n", ADMIN.1),
    )?;
    let mut b = a.another_process(&dir_b)?;
    a.start()?;
    b.start()?;
    let seed: u64 = rand::random();
    println!("multi-process test seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    // Four kiosks with a backlog each, enrolled on A (half) and on B (half).
    let mut kiosks = Vec::new();
    for (i, desk) in DESKS.iter().enumerate() {
        let kiosk = Kiosk::set_up(dir.path(), desk)?;
        kiosk.simulate(300, i as u64)?;
        let server = if i % 2 == 0 { &a } else { &b };
        kiosk.enroll(&server.url(), &a.enrollment_code(desk)?)?;
        kiosks.push(kiosk);
    }

    // Each round every kiosk records more and syncs to the process the round gives it (kiosk i
    // to A in one round, to B in the next); B is killed a few milliseconds in and restarted, and
    // every sync must still drain (those on B retry until it is back).
    let mut kills_mid_sync = 0;
    for round in 0..KILLS {
        let mut syncs = Vec::new();
        for (i, kiosk) in kiosks.iter().enumerate() {
            kiosk.simulate(60, 1000 + u64::from(round) * 10 + i as u64)?;
            let to_b = (i + round as usize) % 2 == 1;
            let server = if to_b { &b } else { &a };
            kiosk.point_at(&server.url())?;
            syncs.push((to_b, kiosk.start_sync(120)?));
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(5..80))); // the kill moment
        let mut mid_sync = false;
        for (to_b, sync) in &mut syncs {
            mid_sync |= *to_b && sync.try_wait()?.is_none();
        }
        b.kill()?;
        b.start()?;
        if mid_sync {
            kills_mid_sync += 1;
        }
        for (i, (_, mut sync)) in syncs.into_iter().enumerate() {
            anyhow::ensure!(
                sync.wait()?.success(),
                "kiosk {i} did not drain in round {round}"
            );
        }
    }
    println!(
        "process B killed {KILLS} times, {kills_mid_sync} of them while a sync to it was running, after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(
        kills_mid_sync >= KILLS / 2,
        "only {kills_mid_sync} of {KILLS} kills hit a sync to B"
    );

    // Every kiosk record once, nothing else; rollups equal to the counted answers.
    let mut db = postgres.config().connect(postgres::NoTls)?;
    let on_server = tests::postgres::answer_ids(&mut db)?;
    let records = tests::kiosk::held_exactly_once(&kiosks, &on_server)?;
    let (counted, rolled_up) = tests::postgres::counted_and_rolled_up(&mut db)?;
    anyhow::ensure!(
        counted == rolled_up,
        "{counted} counted answers but {rolled_up} in rollups"
    );
    println!(
        "{} records from {} kiosks through both processes: lost 0, duplicated 0; {counted} counted = {rolled_up} in rollups",
        records,
        kiosks.len()
    );

    // A session made by signing in on A is accepted by B, for a page and for a form.
    let (a_url, b_url) = (a.url(), b.url());
    let silent_code = a.enrollment_code(SILENT_DESK)?;
    let silent_kiosk = runtime.block_on(async {
        // Behind a balancer the sign-in form may come from one process and be posted to the
        // other.
        let client = dashboard_support::http();
        let form = client
            .get(format!("{a_url}/dashboard/login"))
            .send()
            .await?;
        let login_cookie = set_cookie(&form, "ocena_login")
            .ok_or_else(|| anyhow::anyhow!("A set no login cookie"))?;
        let token = csrf_token(&form.text().await?)
            .ok_or_else(|| anyhow::anyhow!("A's form has no token"))?;
        let signed_in = client
            .post(format!("{b_url}/dashboard/login"))
            .header(COOKIE, login_cookie)
            .header(ORIGIN, &b_url)
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", ADMIN.0),
                ("password", ADMIN.1),
                ("next", "/dashboard/fleet"),
            ])
            .send()
            .await?;
        anyhow::ensure!(
            signed_in.status() == StatusCode::SEE_OTHER
                && set_cookie(&signed_in, "ocena_session").is_some(),
            "B refused the sign-in form A served: {}",
            signed_in.status()
        );
        let on_a = sign_in(&a_url, ADMIN.0, ADMIN.1).await?;
        let on_b = Session {
            base: b_url.clone(),
            ..on_a
        };
        let page = on_b.get("/dashboard/fleet").await?;
        anyhow::ensure!(
            page.status() == StatusCode::OK,
            "B refused A's session: {}",
            page.status()
        );
        let anonymous = dashboard_support::http()
            .get(format!("{b_url}/dashboard/fleet"))
            .send()
            .await?;
        anyhow::ensure!(
            anonymous.status() != StatusCode::OK,
            "B shows the fleet page without a session"
        );
        // A kiosk silent for an hour raises an alert.
        let added = on_b
            .post(
                "/dashboard/alerts/rules",
                &[
                    ("csat_below", ""),
                    ("last_responses", ""),
                    ("last_days", ""),
                    ("silent_hours", "1"),
                    ("office", ""),
                ],
            )
            .await?;
        anyhow::ensure!(
            added.status() == StatusCode::SEE_OTHER,
            "B refused a form posted with A's session: {}",
            added.status()
        );
        enroll(&a_url, &silent_code).await
    })?;
    println!(
        "a sign-in form from A was accepted by B; a session made on A was accepted by B (a page and the alert-rule form)"
    );

    // The silent desk's kiosk last heard from three hours ago: both processes' next rounds see
    // it; one raises, and the notification goes out once.
    let backdated = db.execute(
        "UPDATE kiosks SET enrolled_at_ms = enrolled_at_ms - 10800000,
                           last_seen_ms = enrolled_at_ms - 10800000
         WHERE id = $1",
        &[&silent_kiosk.id],
    )?;
    anyhow::ensure!(backdated == 1, "the silent kiosk is not in the database");
    let deadline = Instant::now() + Duration::from_secs(30);
    let delivered_at = loop {
        let delivered: Option<i64> = db
            .query_opt(
                "SELECT d.delivered_at_ms FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                 WHERE a.subject = $1 AND d.event = 'raised' AND d.channel = 'webhook'",
                &[&silent_kiosk.id],
            )?
            .and_then(|row| row.get(0));
        if delivered.is_some() {
            break Instant::now();
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the silent kiosk's alert was not delivered within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // A notification handed to both processes would reach the receiver a second time within a
    // round or two of the first (the other process's round while it was delivered, or right
    // after): give both processes three more rounds before counting.
    std::thread::sleep(Duration::from_secs(3).saturating_sub(delivered_at.elapsed()));
    let received = receiver.received();
    let alerts: i64 = db
        .query_one("SELECT count(*) FROM alerts", &[])?
        .try_get(0)?;
    anyhow::ensure!(alerts == 1, "{alerts} alerts raised, one expected");
    anyhow::ensure!(
        received.len() == 1 && received.values().all(|&count| count == 1),
        "the webhook received {received:?}: each notification once expected"
    );
    println!(
        "one alert raised while both processes ran; the webhook received {received:?}; \
         {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
    a.kill()?;
    b.kill()?;
    Ok(())
}

/// A webhook receiver on loopback counting requests per (alert id, event); each is answered
/// `200` after [`RECEIVER_DELAY`], on a thread of its own.
struct WebhookReceiver {
    address: SocketAddr,
    counts: Arc<Mutex<BTreeMap<(i64, String), u32>>>,
}

impl WebhookReceiver {
    fn start() -> anyhow::Result<WebhookReceiver> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let shared = Arc::clone(&counts);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counts = Arc::clone(&shared);
                std::thread::spawn(move || {
                    if let Err(error) = answer(&stream, &counts) {
                        eprintln!("webhook receiver: {error}");
                    }
                });
            }
        });
        Ok(WebhookReceiver { address, counts })
    }

    fn received(&self) -> BTreeMap<(i64, String), u32> {
        self.counts.lock().expect("counts").clone()
    }
}

/// Reads one request, counts it, waits, answers `200` and closes.
fn answer(stream: &TcpStream, counts: &Mutex<BTreeMap<(i64, String), u32>>) -> anyhow::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    loop {
        let mut line = String::new();
        anyhow::ensure!(reader.read_line(&mut line)? > 0, "the request ended early");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let payload: serde_json::Value = serde_json::from_slice(&body)?;
    let key = (
        payload["alert_id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("no alert_id in {payload}"))?,
        payload["event"].as_str().unwrap_or_default().to_owned(),
    );
    *counts.lock().expect("counts").entry(key).or_default() += 1;
    std::thread::sleep(RECEIVER_DELAY);
    (&*stream).write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")?;
    Ok(())
}
