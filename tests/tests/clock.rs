//! Whole-system event-time test: kiosks without a real-time clock — one whose clock reads 1970 at
//! every boot, one running three days ahead — record answers across reboots with the real kiosk
//! store, then sync with the real sync client to the real `sync-server` binary. Every answer from
//! a boot the server can anchor (NTP synchronised at some point, or reached the server) must be
//! placed within ±2 min of the truth; the others flagged approximate, with bounds that hold the
//! truth; none in the future or before enrollment. On SQLite and on PostgreSQL.

use std::path::Path;

use kiosk::clock::Clock;
use kiosk::store::{Answer, Store};
use kiosk::sync::{SyncClient, push_backlog};
use model::wire::EnrollRequest;
use model::{
    DeskId, InputKind, LanguageTag, Question, RecordId, RecordedTime, Score, StandardId, VisitId,
};
use tests::server::{Engine, Server};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const TOLERANCE: i64 = 2 * MINUTE;

tests::test_on_both_engines!(fn event_times_are_corrected_across_reboots_for_clocks_at_1970_and_three_days_ahead);

fn event_times_are_corrected_across_reboots_for_clocks_at_1970_and_three_days_ahead(
    engine: Engine,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let desks = ["plock-wso-01", "plock-wso-02"];
    let mut server = Server::set_up_on(engine, dir.path(), &desks, "")?;
    server.start()?;
    let now = real_now();

    // Kiosk A: no RTC and no fake-hwclock, so every boot starts at 1970.
    let mut a = TestKiosk::enroll(&server, dir.path(), desks[0], "a0")?;
    // Boot 1: unsynchronised for an hour, then NTP succeeds; unplugged five hours ago.
    let a1 = Boot::new("a1", now - 6 * HOUR, Wall::Epoch);
    a.record(&a1, now - 5 * HOUR - 50 * MINUTE, 5, &Expect::Exact)?;
    let a1 = a1.synchronised_from(now - 5 * HOUR);
    a.record(&a1, now - 4 * HOUR - 30 * MINUTE, 5, &Expect::Exact)?;
    // Boot 2: no network, never synchronised: the server can only bound these.
    let a2 = Boot::new("a2", now - 3 * HOUR, Wall::Epoch);
    // Its bounds: after boot 1's last answer (by the kiosk's numbering), before boot 3 began.
    let a2_bounds = (now - 4 * HOUR - 26 * MINUTE)..=(now - HOUR);
    a.record(
        &a2,
        now - 2 * HOUR - 40 * MINUTE,
        5,
        &Expect::Approximate(a2_bounds),
    )?;
    // Boot 3: still 1970, never synchronised, but the network is back: its sync anchors it.
    let a3 = Boot::new("a3", now - HOUR, Wall::Epoch);
    a.record(&a3, now - 30 * MINUTE, 5, &Expect::Exact)?;

    // Kiosk B: its clock runs three days ahead and fake-hwclock carries that across reboots.
    let mut b = TestKiosk::enroll(&server, dir.path(), desks[1], "b0")?;
    let b1 = Boot::new("b1", now - 8 * HOUR, Wall::Ahead(3 * DAY));
    // Nothing before it but the enrollment; before boot 2 began.
    let b1_bounds = (now - DAY)..=(now - 2 * HOUR);
    b.record(&b1, now - 7 * HOUR, 5, &Expect::Approximate(b1_bounds))?;
    let b2 = Boot::new("b2", now - 2 * HOUR, Wall::Ahead(3 * DAY));
    b.record(&b2, now - 90 * MINUTE, 5, &Expect::Exact)?;

    // Both were installed yesterday. The server's clock cannot be moved back, so the enrollment
    // is backdated in its database instead.
    server.kill()?;
    server.execute(&format!("UPDATE kiosks SET enrolled_at_ms = {}", now - DAY))?;
    server.start()?;

    a.sync(&server, &a3)?;
    b.sync(&server, &b2)?;
    let synced_at = real_now();

    let mut checked = 0;
    for kiosk in [&a, &b] {
        for answer in &kiosk.answers {
            let rows = server.integers(
                "SELECT event_utc_ms, event_approximate, event_earliest_ms, event_latest_ms
                 FROM answers WHERE id = $1",
                &[&answer.id.to_string()],
            )?;
            let [row] = rows.as_slice() else {
                anyhow::bail!("{} answer {} stored {rows:?}", kiosk.desk, answer.id);
            };
            let &[utc, approximate, earliest, latest] = row.as_slice() else {
                anyhow::bail!("{} answer {}: {row:?}", kiosk.desk, answer.id);
            };
            let approximate = approximate != 0;
            let what = format!(
                "{} answer at {} (boot {})",
                kiosk.desk,
                rfc3339(answer.truth_ms),
                answer.boot
            );
            anyhow::ensure!(
                utc <= synced_at,
                "{what} placed in the future: {}",
                rfc3339(utc)
            );
            anyhow::ensure!(utc >= now - DAY, "{what} placed before enrollment");
            match answer.expect {
                Expect::Exact => {
                    anyhow::ensure!(!approximate, "{what} flagged approximate");
                    anyhow::ensure!(
                        (utc - answer.truth_ms).abs() <= TOLERANCE,
                        "{what} placed at {}, off by {} s",
                        rfc3339(utc),
                        (utc - answer.truth_ms) / 1000
                    );
                }
                Expect::Approximate(ref proven) => {
                    anyhow::ensure!(approximate, "{what} not flagged approximate");
                    anyhow::ensure!(
                        (earliest - proven.start()).abs() <= TOLERANCE
                            && (latest - proven.end()).abs() <= TOLERANCE,
                        "{what}: bounds {}..{}, expected {}..{}",
                        rfc3339(earliest),
                        rfc3339(latest),
                        rfc3339(*proven.start()),
                        rfc3339(*proven.end())
                    );
                    anyhow::ensure!(
                        earliest <= answer.truth_ms && answer.truth_ms <= latest,
                        "{what}: the truth is outside the bounds {}..{}",
                        rfc3339(earliest),
                        rfc3339(latest)
                    );
                    anyhow::ensure!(
                        earliest <= utc && utc <= latest,
                        "{what} outside its bounds"
                    );
                }
            }
            checked += 1;
        }
    }
    println!("{engine:?}: {checked} answers from 5 boots of 2 kiosks placed as expected");
    Ok(())
}

fn real_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_else(|| format!("{ms} ms"))
}

/// What a kiosk's wall clock shows during a boot.
#[derive(Debug, Clone, Copy)]
enum Wall {
    /// Starts at 1970-01-01 at boot and counts up.
    Epoch,
    /// The truth plus a constant error.
    Ahead(i64),
}

/// One boot of a kiosk: its id, when it truly began, its wall clock, and from when (if ever) NTP
/// had synchronised that clock.
#[derive(Debug, Clone)]
struct Boot {
    id: String,
    started_ms: i64,
    wall: Wall,
    synchronised_from: Option<i64>,
}

impl Boot {
    fn new(id: &str, started_ms: i64, wall: Wall) -> Boot {
        Boot {
            id: id.to_owned(),
            started_ms,
            wall,
            synchronised_from: None,
        }
    }

    fn synchronised_from(mut self, at_ms: i64) -> Boot {
        self.synchronised_from = Some(at_ms);
        self
    }

    /// The kiosk's clocks, as `kiosk::clock::SystemClock` would read them, at a true moment.
    fn reading_at(&self, truth_ms: i64) -> RecordedTime {
        let synchronised = self.synchronised_from.is_some_and(|from| truth_ms >= from);
        let boottime_ms = truth_ms - self.started_ms;
        let wall_clock_ms = match (synchronised, self.wall) {
            (true, _) => truth_ms,
            (false, Wall::Epoch) => boottime_ms,
            (false, Wall::Ahead(error)) => truth_ms + error,
        };
        RecordedTime {
            wall_clock_ms,
            boot_id: self.id.clone(),
            boottime_ns: u64::try_from(boottime_ms).expect("after boot") * 1_000_000,
            clock_synchronized: synchronised,
        }
    }
}

#[derive(Debug, Clone)]
enum Expect {
    /// Within ±2 min of the truth.
    Exact,
    /// Flagged approximate, with these bounds (±2 min) that the server can prove.
    Approximate(std::ops::RangeInclusive<i64>),
}

struct RecordedAnswer {
    id: RecordId,
    truth_ms: i64,
    boot: String,
    expect: Expect,
}

/// A kiosk's real store and sync client, driven with boots and clocks the test chooses.
struct TestKiosk {
    desk: String,
    store: Store,
    token: String,
    answers: Vec<RecordedAnswer>,
}

impl TestKiosk {
    /// Enrolls from an installation boot `boot_id` (its clock correct, not synchronised).
    fn enroll(server: &Server, dir: &Path, desk: &str, boot_id: &str) -> anyhow::Result<TestKiosk> {
        let data_dir = dir.join(desk);
        std::fs::create_dir_all(&data_dir)?;
        let installer = Boot::new(boot_id, real_now() - HOUR, Wall::Ahead(0));
        let response =
            SyncClient::new(&server.url(), &Default::default())?.enroll(&EnrollRequest {
                code: server.enrollment_code(desk)?,
                kiosk_version: "0.1.0-clock-test".into(),
                clock: installer.reading_at(real_now()),
            })?;
        Ok(TestKiosk {
            desk: desk.to_owned(),
            store: Store::open(&data_dir)?.store,
            token: response.token,
            answers: Vec::new(),
        })
    }

    /// Records `visits` overall answers a minute apart from `first_ms` on, as the recorder would.
    fn record(
        &mut self,
        boot: &Boot,
        first_ms: i64,
        visits: i64,
        expect: &Expect,
    ) -> anyhow::Result<()> {
        for visit in 0..visits {
            let truth_ms = first_ms + visit * MINUTE;
            let answer = Answer {
                visit_id: VisitId::new_random(),
                desk_id: self.desk.parse::<DeskId>()?,
                question: if visit % 2 == 0 {
                    Question::Overall
                } else {
                    Question::Standard(StandardId::IV)
                },
                answer: Score::GOOD.into(),
                reasons: vec![],
                language: LanguageTag::polish(),
                larger_text: false,
                input: InputKind::Touch,
                supersedes: None,
            };
            let record = self.store.record(answer, boot.reading_at(truth_ms))?;
            self.answers.push(RecordedAnswer {
                id: record.id,
                truth_ms,
                boot: boot.id.clone(),
                expect: expect.clone(),
            });
        }
        Ok(())
    }

    /// Heartbeat and push the whole backlog from `boot`, running now.
    fn sync(&mut self, server: &Server, boot: &Boot) -> anyhow::Result<()> {
        let live = LiveBoot(boot.clone());
        let client = SyncClient::new(&server.url(), &Default::default())?.with_token(&self.token);
        client.heartbeat(&kiosk::sync::heartbeat(self.store.status()?, &live))?;
        let report = push_backlog(&mut self.store, &client, &live)?;
        anyhow::ensure!(
            report.settled == self.answers.len() && report.rejected == 0,
            "{}: {report:?} for {} answers",
            self.desk,
            self.answers.len()
        );
        Ok(())
    }
}

/// A boot's clocks running in real time, for the requests the server receives now.
struct LiveBoot(Boot);

impl Clock for LiveBoot {
    fn now(&self) -> RecordedTime {
        self.0.reading_at(real_now())
    }
}
