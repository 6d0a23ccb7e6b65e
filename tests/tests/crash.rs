//! Crash test: a kiosk recording visits is killed with SIGKILL at random moments, over and over;
//! every answer it reported durable must be in the database afterwards, and the file intact.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ROUNDS: usize = 120;

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_answer() -> anyhow::Result<()> {
    let kiosk = tests::binary("kiosk")?;
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().join("data");
    let config = tests::kiosk_config(dir.path(), &data_dir)?;
    let seed: u64 = rand::random();
    println!("crash test seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);

    let mut acknowledged = HashSet::new();
    let mut rounds_with_progress = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(&kiosk)
            .arg("--config")
            .arg(&config)
            .args(["simulate", "--visits", "1000000", "--seed"])
            .arg(round.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let reader = std::thread::spawn(move || {
            // Only complete lines count: a line cut by the kill was never fully reported.
            let mut ids = Vec::new();
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            while reader
                .read_until(b'\n', &mut line)
                .map(|n| n > 0)
                .unwrap_or(false)
            {
                if line.ends_with(b"\n") {
                    ids.push(String::from_utf8_lossy(&line).trim().to_owned());
                }
                line.clear();
            }
            ids
        });
        // The kill moment is the experiment: anywhere from start-up to well into recording.
        std::thread::sleep(Duration::from_millis(rng.random_range(2..120)));
        child.kill()?; // SIGKILL on Unix
        child.wait()?;
        let ids = reader
            .join()
            .map_err(|_| anyhow::anyhow!("reader panicked"))?;
        if !ids.is_empty() {
            rounds_with_progress += 1;
        }
        for id in ids {
            anyhow::ensure!(
                uuid_like(&id),
                "round {round}: kiosk printed {id:?}, not a record id"
            );
            acknowledged.insert(id);
        }
    }

    let db = rusqlite::Connection::open(data_dir.join("kiosk.db"))?;
    let integrity: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    assert_eq!(integrity, "ok");
    let mut stored = HashSet::new();
    let mut select = db.prepare("SELECT id FROM answers")?;
    for id in select.query_map([], |r| r.get::<_, String>(0))? {
        stored.insert(id?);
    }
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    println!(
        "{ROUNDS} kills, {rounds_with_progress} with progress; {} acknowledged, {} stored, {} lost",
        acknowledged.len(),
        stored.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert!(
        rounds_with_progress >= ROUNDS / 2,
        "too few rounds recorded anything"
    );
    assert!(
        acknowledged.len() >= 500,
        "the test recorded too little to mean much"
    );
    Ok(())
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}
