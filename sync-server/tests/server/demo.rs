//! `sync-server demo` run as a binary on a temporary database: what it stores is what production
//! would have stored (rollups equal the counted answers, event times exact), only while the
//! offices are open, and it refuses a database that already holds data.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use chrono::{Datelike, Weekday};
use rusqlite::Connection;
use sync_server::demo::calendar::utc_ms_to_warsaw;
use sync_server::demo::layout::office_hours;
use sync_server::holidays::is_public_holiday;

struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    fn new() -> Demo {
        Demo {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sync-server"))
            .arg("--config")
            .arg(self.dir.path().join("absent.toml"))
            .args(args)
            .env("OCENA_SERVER_DATABASE", self.dir.path().join("server.db"))
            .output()
            .expect("sync-server runs")
    }

    fn db(&self) -> Connection {
        Connection::open(self.dir.path().join("server.db")).expect("open the database")
    }
}

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Per rollup cell (desk, question, day, language, larger text): counts of scores 1-4 and of
/// "does not apply" (the fifth), and of answers with reasons.
type Cells = BTreeMap<(String, String, String, String, bool), ([i64; 5], i64)>;

fn rollups(db: &Connection) -> Cells {
    let mut stmt = db
        .prepare(
            "SELECT desk_id, question, day, language, larger_text, score_1, score_2, score_3,
                    score_4, not_applicable, reasons FROM rollups",
        )
        .expect("rollups");
    let mut cells = Cells::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                (
                    [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?],
                    r.get(10)?,
                ),
            ))
        })
        .expect("rows");
    // A cell's ordinary and burst rows (the burst flag is a rollup dimension) add up.
    for row in rows {
        let (key, value): (_, ([i64; 5], i64)) = row.expect("row");
        let cell = cells.entry(key).or_default();
        for (total, n) in cell.0.iter_mut().zip(value.0) {
            *total += n;
        }
        cell.1 += value.1;
    }
    cells.retain(|_, value| value.0.iter().sum::<i64>() > 0);
    cells
}

fn counted_answers(db: &Connection) -> Cells {
    let mut stmt = db
        .prepare(
            "SELECT desk_id, question, local_day, language, larger_text,
                    coalesce(score, 5), reasons <> ''
             FROM answers WHERE counted = 1",
        )
        .expect("answers");
    let mut cells = Cells::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?),
                r.get::<_, u8>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })
        .expect("rows");
    for row in rows {
        // Scores 1-4, and "does not apply" (no score) as the fifth count.
        let (key, score, has_reasons) = row.expect("row");
        let cell = cells.entry(key).or_default();
        cell.0[usize::from(score) - 1] += 1;
        cell.1 += i64::from(has_reasons);
    }
    cells
}

#[test]
fn two_weeks_of_demo_data_look_like_production_and_a_second_run_refuses() {
    let demo = Demo::new();
    let out = demo.run(&["demo", "--days", "14", "--seed", "7"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = demo.db();

    let desks = count(&db, "SELECT count(*) FROM desks");
    let answers = count(&db, "SELECT count(*) FROM answers");
    assert_eq!(count(&db, "SELECT count(*) FROM offices"), 5);
    assert!(count(&db, "SELECT count(*) FROM departments") >= 12);
    assert!((25..=35).contains(&desks), "{desks} desks");
    assert_eq!(count(&db, "SELECT count(*) FROM kiosks"), desks);
    assert_eq!(
        count(&db, "SELECT count(*) FROM desks WHERE id = 'plock-wso-03'"),
        1,
        "the desk the kiosk's example configuration names"
    );
    assert!(answers > 5_000, "{answers} answers");
    assert!(
        stdout.contains(&format!("{desks} desks"))
            && stdout.contains(&format!("{answers} answers")),
        "summary: {stdout}"
    );
    assert!(stdout.contains("14 days"), "{stdout}");

    // Every kiosk spent its own enrollment code, stored hashed.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM enrollment_codes WHERE used_by IS NOT NULL"
        ),
        desks
    );

    // Rollups count exactly the counted answers; corrections were un-counted.
    assert_eq!(rollups(&db), counted_answers(&db));
    // The dashboard's hourly and reason rollups count the same answers, bursts under their flag.
    assert_eq!(
        count(
            &db,
            "SELECT sum(score_1 + score_2 + score_3 + score_4 + not_applicable) FROM rollup_hours"
        ),
        count(&db, "SELECT count(*) FROM answers WHERE counted = 1")
    );
    assert_eq!(
        count(
            &db,
            "SELECT coalesce(sum(score_1 + score_2 + score_3 + score_4), 0) FROM rollup_hours WHERE burst = 1"
        ),
        count(
            &db,
            "SELECT count(*) FROM answers WHERE counted = 1 AND burst = 1"
        )
    );
    assert_eq!(
        count(&db, "SELECT coalesce(sum(chosen), 0) FROM rollup_reasons"),
        count(
            &db,
            "SELECT coalesce(sum(length(reasons) - length(replace(reasons, ',', '')) + 1), 0)
             FROM answers WHERE counted = 1 AND reasons <> ''"
        )
    );
    let corrections = count(
        &db,
        "SELECT count(*) FROM answers WHERE supersedes IS NOT NULL",
    );
    assert!(corrections > 100, "{corrections} corrections");
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM answers WHERE superseded_by IS NOT NULL"
        ),
        corrections
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM answers WHERE superseded_by IS NOT NULL AND counted = 1"
        ),
        0
    );
    assert!(
        count(
            &db,
            "SELECT count(*) FROM answers WHERE reasons <> '' AND question = 'overall'"
        ) == 0
    );
    assert!(count(&db, "SELECT count(DISTINCT language) FROM answers") == 4);
    // Some standards did not apply to the visit: counted as such, never as a score.
    let not_applicable = count(&db, "SELECT count(*) FROM answers WHERE not_applicable = 1");
    assert!(
        not_applicable > 50,
        "{not_applicable} not-applicable answers"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM answers WHERE not_applicable = 1
             AND (score IS NOT NULL OR reasons <> '' OR question = 'overall')"
        ),
        0
    );

    // Event times are exact: placed from the synchronised clocks, not estimated.
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM answers WHERE event_approximate = 1"
        ),
        0
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM answers WHERE event_utc_ms <> wall_clock_ms"
        ),
        0
    );

    // Nobody answered while an office was closed, in Warsaw time.
    let mut stmt = db
        .prepare(
            "SELECT a.id, d.office_id, a.event_utc_ms, a.local_day, a.local_hour
             FROM answers a JOIN desks d ON d.id = a.desk_id",
        )
        .expect("answers");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u32>(4)?,
            ))
        })
        .expect("rows");
    for row in rows {
        let (id, office, utc_ms, local_day, local_hour) = row.expect("row");
        let local = utc_ms_to_warsaw(utc_ms).expect("valid time");
        assert_eq!(local.date().to_string(), local_day, "{id}");
        assert!(
            !matches!(local.weekday(), Weekday::Sat | Weekday::Sun),
            "{id} on a weekend: {local}"
        );
        assert!(
            !is_public_holiday(local.date()),
            "{id} on a holiday: {local}"
        );
        assert!((7..18).contains(&local_hour), "{id} at {local}");
        assert!(
            office_hours(&office).is_open_at(local.date(), local.time()),
            "{id} at {office} while closed: {local}"
        );
    }

    // The fleet shows an offline kiosk, a stuck one and one with its clock ahead.
    let fleet = demo.run(&["kiosks", "--json"]);
    let fleet: serde_json::Value = serde_json::from_slice(&fleet.stdout).expect("fleet JSON");
    let kiosk = |desk: &str| {
        fleet
            .as_array()
            .expect("list")
            .iter()
            .find(|k| k["desk_id"] == desk)
            .unwrap_or_else(|| panic!("no kiosk at {desk}"))
            .clone()
    };
    let newest = fleet
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|k| k["last_seen_ms"].as_i64())
        .max()
        .expect("seen");
    let offline = kiosk("stara-biala-rso-02")["last_seen_ms"]
        .as_i64()
        .expect("seen");
    assert!(newest - offline > 2 * 86_400_000, "not seen for two days");
    let stuck = kiosk("gabin-fin-01");
    assert!(stuck["backlog"].as_i64().expect("backlog") > 0, "{stuck}");
    assert!(stuck["last_error"].is_string(), "{stuck}");
    let ahead = kiosk("powiat-gostyninski-geo-01")["clock_drift_ms"]
        .as_i64()
        .expect("drift");
    assert!((ahead - 3 * 86_400_000).abs() < 60_000, "{ahead}");
    assert_eq!(kiosk("plock-wso-03")["backlog"], 0);

    // A second run refuses and changes nothing.
    let again = demo.run(&["demo", "--days", "14", "--seed", "7"]);
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("demo wants an empty database"), "{err}");
    assert_eq!(count(&db, "SELECT count(*) FROM answers"), answers);
}
