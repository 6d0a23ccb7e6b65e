//! What the system test does to the emulated desk, step by step, as facilities staff and clients
//! would: install and enroll, reboot, look at the screen, tap, hang the kiosk, cut the power
//! while answers are recorded, upgrade and purge. Each step asserts what it promises.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail, ensure};
use rand::Rng;

use super::aggregator::{self, Aggregator};
use super::machine::{AGGREGATOR_IN_GUEST, Machine, MachineFiles};
use super::screen::{Expected, Picture};

/// A screendump matches a render when at most this share of its pixels differ (see
/// `screen::CHANNEL_TOLERANCE`). The emulated display and the testing backend run the same
/// software renderer on the same layout, so the share is near zero; a wrong screen, language
/// or text size differs in well over 10% of the pixels.
pub const MATCH_THRESHOLD: f64 = 0.02;
/// The unit's `WatchdogSec` and `RestartSec`, and what a restart under emulation may add.
const WATCHDOG_S: u64 = 30;
const RESTART_S: u64 = 5;
const WATCHDOG_MARGIN_S: u64 = 30;
/// The aggregator must place an answer's time this close to the host's clock.
const EVENT_TIME_TOLERANCE_MS: i64 = 120_000;
/// Generous bounds for an emulated arm64 machine on a busy 2-core host.
const BOOT_TIMEOUT: Duration = Duration::from_secs(300);
const SERVICE_TIMEOUT: Duration = Duration::from_secs(150);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The packages under test, as the guest sees them on its second disk.
pub struct Packages {
    pub install: String,
    pub upgrade: String,
    pub version: String,
    pub upgrade_version: String,
}

/// What the run measured, for the summary and BENCHMARKS.md.
#[derive(Default)]
pub struct Measured {
    pub lines: Vec<String>,
}

impl Measured {
    fn note(&mut self, line: String) {
        println!("  {line}");
        self.lines.push(line);
    }
}

pub struct Scenario<'a> {
    pub files: &'a MachineFiles,
    pub aggregator: &'a Aggregator,
    pub expected: &'a Expected,
    pub packages: &'a Packages,
    pub out: &'a Path,
    pub power_cuts: usize,
    pub measured: Measured,
    boots: usize,
}

impl<'a> Scenario<'a> {
    pub fn new(
        files: &'a MachineFiles,
        aggregator: &'a Aggregator,
        expected: &'a Expected,
        packages: &'a Packages,
        out: &'a Path,
        power_cuts: usize,
    ) -> Self {
        Scenario {
            files,
            aggregator,
            expected,
            packages,
            out,
            power_cuts,
            measured: Measured::default(),
            boots: 0,
        }
    }

    fn boot(&mut self) -> anyhow::Result<Machine> {
        self.boots += 1;
        let mut machine = Machine::start(self.files, self.boots)?;
        machine.shell.wait_ready(BOOT_TIMEOUT).with_context(|| {
            format!(
                "boot {}: see {}",
                self.boots,
                self.out.join("serial-console.log").display()
            )
        })?;
        Ok(machine)
    }

    pub fn run(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut machine = self.boot()?;
        self.measured.note(format!(
            "first boot to the guest's shell: {:.0} s",
            machine.started.elapsed().as_secs_f64()
        ));
        let step = |name: &str| println!("\n== {name} ({:.0} s)", started.elapsed().as_secs_f64());

        step("3. install, enroll, reboot");
        self.install_and_enroll(&mut machine)?;
        let boot_id = guest_boot_id(&mut machine)?;
        let _ = machine
            .shell
            .run("systemctl reboot", Duration::from_secs(5));
        let rebooted = Instant::now();
        wait_for_new_boot(&mut machine, &boot_id)?;
        self.check_service(&mut machine, "after the reboot")?;

        step("4. the screen, and \"Aa\"");
        let frame = wait_for_screen(&mut machine, &self.expected.home, self.out, "home")?;
        self.measured.note(format!(
            "reboot to the first kiosk frame: {:.0} s",
            rebooted.elapsed().as_secs_f64()
        ));
        frame.write_png(&self.out.join("screen-home.png"))?;
        let (x, y) = self.expected.larger_text_switch;
        machine.qmp.tap(x, y)?;
        let larger = wait_for_screen(
            &mut machine,
            &self.expected.larger_text_home,
            self.out,
            "larger-text home (after tapping \"Aa\")",
        )?;
        larger.write_png(&self.out.join("screen-larger-text.png"))?;
        machine.qmp.tap(x, y)?;
        wait_for_screen(&mut machine, &self.expected.home, self.out, "home again")?;

        step("5. a tap reaches the aggregator");
        self.tap_to_aggregator(&mut machine)?;

        step("7. watchdog");
        self.watchdog(&mut machine)?;

        step("6. power cuts");
        self.measure_commits(&mut machine)?;
        let mut machine = self.power_cuts(machine)?;

        step("8. upgrade and purge");
        self.upgrade_and_purge(&mut machine)?;
        self.save_journal(&mut machine)?;
        let _ = machine
            .shell
            .run("systemctl poweroff", Duration::from_secs(5));
        Ok(())
    }

    /// INSTALL.md sections 4 and 5: the package with apt, the desk's configuration, enrollment.
    fn install_and_enroll(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        let shell = &mut machine.shell;
        shell.check(
            "mkdir -p /mnt/packages && mount -o ro LABEL=ocena-pkgs /mnt/packages",
            COMMAND_TIMEOUT,
        )?;
        let installed = shell.check(
            &format!(
                "cd /mnt/packages && DEBIAN_FRONTEND=noninteractive apt-get install -y ./{}",
                self.packages.install
            ),
            Duration::from_secs(300),
        )?;
        println!("{installed}");
        ensure!(
            shell
                .check("systemctl is-enabled ocena-kiosk", COMMAND_TIMEOUT)?
                .trim()
                == "enabled",
            "the package did not enable ocena-kiosk"
        );
        // The emulated machine has no GPIO header (INSTALL.md: what emulation cannot prove), and
        // its aggregator is plain http on QEMU's lab network, which the kiosk refuses unless the
        // configuration allows it (as a lab's would).
        shell.check(
            r#"sed -i 's/^backend = "gpio"/backend = "simulator"/' /etc/ocena/kiosk.toml && grep -q '^backend = "simulator"' /etc/ocena/kiosk.toml"#,
            COMMAND_TIMEOUT,
        )?;
        shell.check(
            r#"sed -i 's/^# allow_insecure_http = true/allow_insecure_http = true/' /etc/ocena/kiosk.toml && grep -q '^allow_insecure_http = true' /etc/ocena/kiosk.toml"#,
            COMMAND_TIMEOUT,
        )?;
        let code = self
            .aggregator
            .admin(&["enroll-code", "--desk", aggregator::DESK_ID])?;
        let enrolled = shell.check(
            &format!(
                "sudo -u ocena kiosk enroll --server http://{AGGREGATOR_IN_GUEST} --code {code}"
            ),
            COMMAND_TIMEOUT,
        )?;
        println!("{}", enrolled.trim());
        ensure!(
            enrolled.contains("enrolled as kiosk"),
            "enrollment did not confirm: {enrolled}"
        );
        Ok(())
    }

    /// The service is active, runs as `ocena`, and logged no error in this boot.
    fn check_service(&mut self, machine: &mut Machine, when: &str) -> anyhow::Result<()> {
        let shell = &mut machine.shell;
        let deadline = Instant::now() + SERVICE_TIMEOUT;
        loop {
            let state = shell.run("systemctl is-active ocena-kiosk", COMMAND_TIMEOUT)?;
            if state.text.trim() == "active" {
                break;
            }
            if Instant::now() > deadline || state.text.trim() == "failed" {
                let status = shell
                    .run(
                        "systemctl status --no-pager -l ocena-kiosk; journalctl -b --no-pager -n 30 -u ocena-kiosk",
                        COMMAND_TIMEOUT,
                    )?
                    .text;
                bail!(
                    "{when}, ocena-kiosk is {:?}, not active:\n{status}",
                    state.text.trim()
                );
            }
            std::thread::sleep(Duration::from_secs(2));
        }
        let user = shell.check(
            "ps -o user= -p \"$(systemctl show -p MainPID --value ocena-kiosk)\"",
            COMMAND_TIMEOUT,
        )?;
        ensure!(
            user.trim() == "ocena",
            "{when}, the kiosk runs as {:?}, not ocena",
            user.trim()
        );
        let errors = shell.run(
            "journalctl -b -u ocena-kiosk -p err --no-pager -q",
            COMMAND_TIMEOUT,
        )?;
        ensure!(
            errors.text.trim().is_empty(),
            "{when}, the kiosk's journal holds errors:\n{}",
            errors.text
        );
        Ok(())
    }

    /// Taps the "very good" face; the answer must reach the aggregator, its time placed near the
    /// host's although the guest's clock is wrong.
    fn tap_to_aggregator(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        // The RTC said 1970 at boot, but systemd never lets the clock read earlier than its
        // own build date; set it back to 1970, as on a Pi that lost its time.
        let booted_clock = machine.shell.check("date -u +%FT%TZ", COMMAND_TIMEOUT)?;
        let guest_clock = machine.shell.check(
            "date -u -s @300 >/dev/null && date -u +%FT%TZ",
            COMMAND_TIMEOUT,
        )?;
        self.measured.note(format!(
            "guest clock: {} after boot (systemd's floor), set to {} for the tap (host: {})",
            booted_clock.trim(),
            guest_clock.trim(),
            host_time_text()
        ));
        let before: HashSet<String> = self.aggregator.answers()?.into_keys().collect();
        let (x, y) = *self.expected.faces.last().context("no faces")?;
        let tapped_ms = now_ms();
        let tapped = Instant::now();
        machine.qmp.tap(x, y)?;
        let deadline = tapped + Duration::from_secs(120);
        let arrived = loop {
            let answers = self.aggregator.answers()?;
            if let Some(answer) = answers
                .iter()
                .filter(|(id, _)| !before.contains(*id))
                .map(|(_, answer)| answer)
                .next()
            {
                break answer.event_utc_ms;
            }
            ensure!(
                Instant::now() < deadline,
                "no answer reached the aggregator within 120 s of tapping a face at ({x}, {y})"
            );
            std::thread::sleep(Duration::from_millis(250));
        };
        let offset_ms = arrived - tapped_ms;
        self.measured.note(format!(
            "tap to the aggregator: {:.1} s; event time placed {:+.1} s from the host's tap time",
            tapped.elapsed().as_secs_f64(),
            offset_ms as f64 / 1000.0
        ));
        ensure!(
            offset_ms.abs() <= EVENT_TIME_TOLERANCE_MS,
            "the aggregator placed the tap {offset_ms} ms from the host's time (allowed ±{EVENT_TIME_TOLERANCE_MS})"
        );
        Ok(())
    }

    /// SIGSTOP the kiosk: systemd's watchdog must restart it.
    fn watchdog(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        let shell = &mut machine.shell;
        let pid = shell.check(
            "systemctl show -p MainPID --value ocena-kiosk",
            COMMAND_TIMEOUT,
        )?;
        let pid = pid.trim().to_owned();
        shell.check(&format!("kill -STOP {pid}"), COMMAND_TIMEOUT)?;
        let stopped = Instant::now();
        let limit = Duration::from_secs(WATCHDOG_S + RESTART_S + WATCHDOG_MARGIN_S);
        loop {
            let now = shell.check(
                "echo $(systemctl show -p MainPID --value ocena-kiosk) $(systemctl is-active ocena-kiosk)",
                COMMAND_TIMEOUT,
            )?;
            let mut parts = now.split_whitespace();
            let (new_pid, state) = (parts.next().unwrap_or("0"), parts.next().unwrap_or(""));
            if new_pid != pid && new_pid != "0" && state == "active" {
                break;
            }
            ensure!(
                stopped.elapsed() < limit,
                "the stopped kiosk was not restarted within {} s (WatchdogSec {WATCHDOG_S} + RestartSec {RESTART_S} + {WATCHDOG_MARGIN_S} s margin)",
                limit.as_secs()
            );
            std::thread::sleep(Duration::from_secs(1));
        }
        let restarted = stopped.elapsed();
        let journal = shell.check(
            "journalctl -b -u ocena-kiosk --no-pager -q | grep -i watchdog || true",
            COMMAND_TIMEOUT,
        )?;
        ensure!(
            journal.contains("Watchdog timeout"),
            "the kiosk restarted, but the journal shows no watchdog timeout:\n{journal}"
        );
        self.measured.note(format!(
            "watchdog: SIGSTOP to running again in {:.0} s (allowed {} s); journal: {}",
            restarted.as_secs_f64(),
            limit.as_secs(),
            journal.lines().next().unwrap_or_default().trim()
        ));
        Ok(())
    }

    /// The durable path in the guest (`kiosk simulate` prints each record once committed: the
    /// median gap between printed ids) beside bare SQLite commits with the same settings (WAL,
    /// synchronous=FULL) by the sqlite3 shell, on the same emulated disk.
    fn measure_commits(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        let mut printed = Vec::new();
        let status = machine.shell.run_streaming(
            "sudo -u ocena kiosk simulate --visits 30 --seed 1 2>/dev/null",
            Duration::from_secs(300),
            |line| {
                if is_record_id(line.trim()) {
                    printed.push(Instant::now());
                }
                true
            },
        )?;
        ensure!(status == 0, "kiosk simulate failed ({status})");
        let mut gaps: Vec<f64> = printed
            .windows(2)
            .map(|pair| (pair[1] - pair[0]).as_secs_f64() * 1000.0)
            .collect();
        ensure!(
            gaps.len() >= 10,
            "kiosk simulate printed only {} ids",
            printed.len()
        );
        gaps.sort_by(f64::total_cmp);
        let record_ms = gaps[gaps.len() / 2];
        let bare = machine.shell.check(
            "d=$(mktemp -d /var/tmp/bare-sqlite.XXXX) && \
             sqlite3 $d/t.db 'PRAGMA journal_mode=WAL; CREATE TABLE t(x);' >/dev/null && \
             s=$(date +%s%N) && \
             sqlite3 $d/t.db \"PRAGMA synchronous=FULL; $(for i in $(seq 1 100); do printf 'INSERT INTO t VALUES (%s);' $i; done)\" && \
             e=$(date +%s%N) && rm -rf $d && echo $(( (e - s) / 1000 ))",
            Duration::from_secs(300),
        )?;
        let bare_us: f64 = bare
            .split_whitespace()
            .last()
            .and_then(|w| w.parse().ok())
            .with_context(|| format!("the bare SQLite measurement printed {bare:?}"))?;
        self.measured.note(format!(
            "in the guest: a record durable every {record_ms:.1} ms (median gap between ids printed by `kiosk simulate`, {} records); \
             a bare SQLite commit (WAL, synchronous=FULL, 100 in one sqlite3 process): {:.1} ms",
            printed.len(),
            bare_us / 1000.0 / 100.0
        ));
        Ok(())
    }

    /// Cuts the power at random moments while `kiosk simulate` records answers and prints each
    /// durable id; boots again each time and checks the service came back by itself. Then
    /// every reported id must be in the kiosk's database, the database intact, and, after the
    /// kiosk's own sync, each id at the aggregator exactly once.
    fn power_cuts(&mut self, machine: Machine) -> anyhow::Result<Machine> {
        let mut machine = machine;
        let mut reported: HashSet<String> = HashSet::new();
        let mut rng = rand::rng();
        let mut boot_to_frame = Vec::new();
        for cut in 1..=self.power_cuts {
            let recording_for = Duration::from_millis(rng.random_range(1_000..8_000));
            let mut first_id: Option<Instant> = None;
            let mut ids_this_time = 0;
            let command =
                format!("sudo -u ocena kiosk simulate --visits 100000 --seed {cut} 2>/dev/null");
            let streamed =
                machine
                    .shell
                    .run_streaming(&command, Duration::from_secs(120), |line| {
                        let line = line.trim();
                        if is_record_id(line) {
                            reported.insert(line.to_owned());
                            ids_this_time += 1;
                            first_id.get_or_insert_with(Instant::now);
                        }
                        first_id.is_none_or(|first| first.elapsed() < recording_for)
                    });
            match streamed {
                Ok(-1) => {}
                Ok(status) => {
                    bail!("kiosk simulate ended by itself ({status}) before power cut {cut}")
                }
                Err(e) => return Err(e.context(format!("recording before power cut {cut}"))),
            }
            machine.power_cut();
            println!(
                "  power cut {cut}/{}: {ids_this_time} ids reported durable before it",
                self.power_cuts
            );
            machine = self.boot()?;
            self.check_service(&mut machine, &format!("after power cut {cut}"))?;
            wait_for_screen(&mut machine, &self.expected.home, self.out, "home")?;
            boot_to_frame.push(machine.started.elapsed().as_secs_f64());
        }
        if !boot_to_frame.is_empty() {
            let n = boot_to_frame.len() as f64;
            let mean = boot_to_frame.iter().sum::<f64>() / n;
            let max = boot_to_frame.iter().copied().fold(0.0, f64::max);
            self.measured.note(format!(
                "power-on to the first kiosk frame: mean {mean:.0} s, max {max:.0} s over {} boots",
                boot_to_frame.len()
            ));
        }

        let exported = export_ids(&mut machine)?;
        let lost: Vec<&String> = reported.difference(&exported).collect();
        ensure!(
            lost.is_empty(),
            "{} ids reported durable are missing from the kiosk's database after the power cuts: {:?}",
            lost.len(),
            lost.iter().take(5).collect::<Vec<_>>()
        );
        let integrity = machine.shell.check(
            "sqlite3 /var/lib/ocena-kiosk/kiosk.db 'PRAGMA integrity_check'",
            COMMAND_TIMEOUT,
        )?;
        ensure!(
            integrity.trim() == "ok",
            "PRAGMA integrity_check after the power cuts: {integrity}"
        );
        // The running kiosk syncs by itself; wait until the aggregator holds everything.
        let deadline = Instant::now() + Duration::from_secs(300);
        let answers = loop {
            let answers = self.aggregator.answers()?;
            let missing = exported
                .iter()
                .filter(|id| !answers.contains_key(*id))
                .count();
            if missing == 0 {
                break answers;
            }
            ensure!(
                Instant::now() < deadline,
                "{missing} of the kiosk's {} records did not reach the aggregator within 300 s",
                exported.len()
            );
            std::thread::sleep(Duration::from_secs(2));
        };
        let duplicated = answers.values().filter(|a| a.copies != 1).count();
        let unknown = answers.keys().filter(|id| !exported.contains(*id)).count();
        ensure!(
            duplicated == 0 && unknown == 0,
            "the aggregator holds {duplicated} duplicated answers and {unknown} the kiosk does not have"
        );
        self.measured.note(format!(
            "power cuts: {}, ids reported durable: {}, records in the kiosk: {}, at the aggregator: {}, lost: 0, duplicated: 0, integrity_check: ok",
            self.power_cuts,
            reported.len(),
            exported.len(),
            answers.len()
        ));
        Ok(machine)
    }

    /// INSTALL.md's upgrade and purge: a newer package over the running one keeps every
    /// record and restarts the service; purge moves the database to /var/backups.
    fn upgrade_and_purge(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        let before = export_ids(machine)?;
        let shell = &mut machine.shell;
        let old_pid = shell.check(
            "systemctl show -p MainPID --value ocena-kiosk",
            COMMAND_TIMEOUT,
        )?;
        // The packages' disk was mounted for the install, before the power cuts' reboots.
        shell.check(
            &format!(
                "(mountpoint -q /mnt/packages || mount -o ro LABEL=ocena-pkgs /mnt/packages) \
                 && cd /mnt/packages && DEBIAN_FRONTEND=noninteractive apt-get install -y ./{}",
                self.packages.upgrade
            ),
            Duration::from_secs(300),
        )?;
        let version = shell.check(
            "dpkg-query -W -f='${Version}\\n' ocena-kiosk",
            COMMAND_TIMEOUT,
        )?;
        ensure!(
            version.trim() == self.packages.upgrade_version,
            "after the upgrade dpkg has ocena-kiosk {}, not {}",
            version.trim(),
            self.packages.upgrade_version
        );
        self.check_service(machine, "after the upgrade")?;
        let new_pid = machine.shell.check(
            "systemctl show -p MainPID --value ocena-kiosk",
            COMMAND_TIMEOUT,
        )?;
        ensure!(
            new_pid.trim() != old_pid.trim(),
            "the upgrade did not restart the kiosk (still pid {})",
            old_pid.trim()
        );
        let after = export_ids(machine)?;
        let lost = before.difference(&after).count();
        ensure!(
            lost == 0,
            "the upgrade lost {lost} of {} records",
            before.len()
        );
        self.measured.note(format!(
            "upgrade {} -> {}: the service restarted, {} records before, {} after, lost 0",
            self.packages.version,
            self.packages.upgrade_version,
            before.len(),
            after.len()
        ));

        let shell = &mut machine.shell;
        shell.check(
            "DEBIAN_FRONTEND=noninteractive apt-get purge -y ocena-kiosk",
            Duration::from_secs(300),
        )?;
        let backup = shell.check(
            "ls -d /var/backups/ocena-kiosk-* && test ! -e /var/lib/ocena-kiosk \
             && sqlite3 /var/backups/ocena-kiosk-*/kiosk.db 'SELECT count(*) FROM answers; PRAGMA integrity_check'",
            COMMAND_TIMEOUT,
        )?;
        let mut lines = backup.lines().map(str::trim);
        let dir = lines.next().unwrap_or_default().to_owned();
        let count: usize = lines.next().unwrap_or_default().parse().unwrap_or(0);
        let integrity = lines.next().unwrap_or_default();
        ensure!(
            count >= after.len() && integrity == "ok",
            "after purge the backup {dir} holds {count} records ({integrity}), expected {}",
            after.len()
        );
        self.measured.note(format!(
            "purge: /var/lib/ocena-kiosk removed, database moved to {dir} with {count} records, integrity ok"
        ));
        Ok(())
    }

    fn save_journal(&mut self, machine: &mut Machine) -> anyhow::Result<()> {
        let journal = machine.shell.run(
            "journalctl --no-pager -o short-monotonic -u ocena-kiosk; journalctl --list-boots --no-pager",
            Duration::from_secs(300),
        )?;
        std::fs::write(self.out.join("guest-journal.log"), journal.text)?;
        Ok(())
    }
}

/// The ids in the kiosk's database, through `kiosk export`.
fn export_ids(machine: &mut Machine) -> anyhow::Result<HashSet<String>> {
    let text = machine.shell.check(
        "sudo -u ocena kiosk export 2>/dev/null",
        Duration::from_secs(300),
    )?;
    text.lines()
        .filter(|line| line.trim_start().starts_with('{'))
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line)
                .with_context(|| format!("kiosk export printed {line:?}"))?;
            record
                .get("id")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .with_context(|| format!("an exported record without an id: {line}"))
        })
        .collect()
}

/// A record id as `kiosk simulate` prints it: a UUID.
fn is_record_id(line: &str) -> bool {
    line.len() == 36
        && line.chars().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn guest_boot_id(machine: &mut Machine) -> anyhow::Result<String> {
    Ok(machine
        .shell
        .check("cat /proc/sys/kernel/random/boot_id", COMMAND_TIMEOUT)?
        .trim()
        .to_owned())
}

/// Waits until the guest's shell answers from a boot other than `previous`.
fn wait_for_new_boot(machine: &mut Machine, previous: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + BOOT_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(out) = machine.shell.run(
            "cat /proc/sys/kernel/random/boot_id",
            Duration::from_secs(3),
        ) && out.status == 0
            && !out.text.trim().is_empty()
            && out.text.trim() != previous
        {
            return Ok(());
        }
        ensure!(machine.is_running(), "QEMU exited during the reboot");
    }
    bail!(
        "the guest did not come back from the reboot within {} s",
        BOOT_TIMEOUT.as_secs()
    )
}

/// Takes screendumps until one matches `expected` (bounded); fails with the last one saved.
fn wait_for_screen(
    machine: &mut Machine,
    expected: &Picture,
    out: &Path,
    what: &str,
) -> anyhow::Result<Picture> {
    let scratch: PathBuf = out.join("screendump.ppm");
    let deadline = Instant::now() + SERVICE_TIMEOUT;
    let mut best = 1.0_f64;
    loop {
        let picture = machine.qmp.screendump(&scratch)?;
        let share = picture.differing_share(expected);
        if share <= MATCH_THRESHOLD {
            println!(
                "  screen matches the {what} render: {:.2}% of pixels differ (allowed {:.0}%)",
                share * 100.0,
                MATCH_THRESHOLD * 100.0
            );
            return Ok(picture);
        }
        best = best.min(share);
        if Instant::now() > deadline {
            let failed = out.join("screen-unexpected.png");
            picture.write_png(&failed)?;
            let expected_path = out.join("screen-expected.png");
            expected.write_png(&expected_path)?;
            bail!(
                "the display never showed the {what} screen: at best {:.1}% of pixels differed (allowed {:.0}%); last screendump {}, render {}",
                best * 100.0,
                MATCH_THRESHOLD * 100.0,
                failed.display(),
                expected_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn host_time_text() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%FT%TZ"])
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}
