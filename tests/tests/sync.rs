//! Whole-system sync tests, on SQLite and on PostgreSQL: the real `sync-server` binary on loopback
//! with its own database, real `kiosk` binaries with their own buffers, and faults between them — the server killed at
//! random moments mid-ingest, and a proxy that drops, delays and cuts connections. Afterwards the
//! server must hold every kiosk record exactly once, and its rollups must count each once.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tests::kiosk::Kiosk;
use tests::proxy::{FaultRates, FaultyProxy};
use tests::server::{Engine, Server};

const DESKS: [&str; 3] = ["plock-wso-01", "plock-wso-02", "plock-wso-03"];

tests::test_on_both_engines!(fn three_kiosks_arrive_exactly_once_through_server_kills_and_a_hostile_network);

fn three_kiosks_arrive_exactly_once_through_server_kills_and_a_hostile_network(
    engine: Engine,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir()?;
    let mut server = Server::set_up_on(engine, dir.path(), &DESKS, "")?;
    server.start()?;
    let seed: u64 = rand::random();
    println!("sync test on {engine:?}, seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    // Three kiosks with a backlog each, built offline (≈ 2.2 records per visit).
    let mut kiosks = Vec::new();
    for (i, desk) in DESKS.iter().enumerate() {
        let kiosk = Kiosk::set_up(dir.path(), desk)?;
        let printed = kiosk.simulate(2300, i as u64)?;
        anyhow::ensure!(
            printed.len() >= 4000,
            "kiosk {desk} recorded only {}",
            printed.len()
        );
        kiosk.enroll(&server.url(), &server.enrollment_code(desk)?)?;
        kiosks.push(kiosk);
    }

    // Kiosk 0 syncs while the server is killed at random moments: each round adds records,
    // starts a sync, kills the server a few milliseconds in, restarts it, and the sync must drain.
    let mut kills = 0;
    let mut round = 0;
    while kills < 20 {
        anyhow::ensure!(
            round < 60,
            "only {kills} kills hit a running sync in {round} rounds"
        );
        kiosks[0].simulate(100, 1000 + round)?;
        let mut sync = kiosks[0].start_sync(120)?;
        std::thread::sleep(Duration::from_millis(rng.random_range(5..80))); // the kill moment
        let mid_sync = sync.try_wait()?.is_none();
        server.kill()?;
        server.start()?;
        if mid_sync {
            kills += 1;
        }
        anyhow::ensure!(
            sync.wait()?.success(),
            "kiosk 0 did not drain after round {round}"
        );
        round += 1;
    }
    println!("server killed {kills} times mid-sync in {round} rounds");

    // Kiosk 1 syncs through a hostile network, in rounds (each sync is a new process with new
    // connections, and faults strike per connection); kiosk 2 directly.
    let proxy = FaultyProxy::start(server.address(), FaultRates::hostile(), seed)?;
    let through_proxy = format!("http://{}", proxy.address());
    let faults = proxy.counts();
    let load = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    let damaging =
        || load(&faults.dropped) + load(&faults.cut_requests) + load(&faults.cut_responses);
    // Rounds until the network has really bitten: at least 8 connections dropped or cut.
    let mut round = 0;
    while damaging() < 8 {
        anyhow::ensure!(
            round < 80,
            "the proxy damaged only {} connections in 80 rounds",
            damaging()
        );
        kiosks[1].simulate(40, 2000 + round)?;
        anyhow::ensure!(
            kiosks[1].sync_once(&through_proxy, 300)?,
            "kiosk 1 never drained through the proxy (round {round})"
        );
        round += 1;
    }
    println!("proxy after {round} rounds: {faults:?}");
    anyhow::ensure!(
        kiosks[2].sync_once(&server.url(), 120)?,
        "kiosk 2 never drained"
    );
    // A second sync of everything changes nothing.
    for kiosk in &kiosks {
        anyhow::ensure!(
            kiosk.sync_once(&server.url(), 60)?,
            "a repeated sync failed"
        );
    }

    server.kill()?;
    let on_server = server.answer_ids()?;
    let records = tests::kiosk::held_exactly_once(&kiosks, &on_server)?;
    let (counted, rolled_up) = server.counted_and_rolled_up()?;
    anyhow::ensure!(
        counted == rolled_up,
        "{counted} counted answers but {rolled_up} in rollups"
    );
    println!(
        "{engine:?}: {} records from 3 kiosks: lost 0, duplicated 0; {counted} counted in rollups; {kills} server kills; \
         proxy dropped {}, cut {} requests and {} responses; {:.1} s",
        records,
        faults.dropped.load(std::sync::atomic::Ordering::Relaxed),
        faults
            .cut_requests
            .load(std::sync::atomic::Ordering::Relaxed),
        faults
            .cut_responses
            .load(std::sync::atomic::Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
