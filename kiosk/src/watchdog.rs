//! The systemd service watchdog (the `sd_notify` datagram protocol, std only): `READY=1` once the
//! app's event loop runs, then `WATCHDOG=1` at half of `WatchdogSec` only while the UI event loop
//! keeps ticking and the database still answers a read. A hang in either stops the pings and
//! systemd restarts the kiosk; an error (disk full, say) does not, because the app itself shows
//! "out of service" and keeps unstored answers in memory, which a restart would lose.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::store::Store;

/// How often the UI thread proves it is alive, and how often the watchdog thread looks.
const TICK: Duration = Duration::from_secs(1);

/// A connection to the service manager's notification socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    address: SocketAddr,
}

impl Notifier {
    /// The socket systemd names in `$NOTIFY_SOCKET`; `None` when not run by systemd with
    /// `Type=notify` (a desktop, a test, a shell).
    pub fn from_env() -> Option<io::Result<Notifier>> {
        let socket = std::env::var_os("NOTIFY_SOCKET")?;
        Some(Notifier::connect(&socket.to_string_lossy()))
    }

    /// A notifier for `address`: a path, or `@name` for the abstract namespace.
    pub fn connect(address: &str) -> io::Result<Notifier> {
        let address = match address.strip_prefix('@') {
            Some(name) => {
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name.as_bytes())?
            }
            None => SocketAddr::from_pathname(address)?,
        };
        Ok(Notifier {
            socket: UnixDatagram::unbound()?,
            address,
        })
    }

    /// Sends one notification, e.g. `READY=1`.
    pub fn notify(&self, message: &str) -> io::Result<()> {
        self.socket
            .send_to_addr(message.as_bytes(), &self.address)
            .map(drop)
    }
}

/// How often systemd wants `WATCHDOG=1`, from this process's environment.
pub fn ping_interval_from_env() -> Option<Duration> {
    ping_interval(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
    )
}

/// Half of `WATCHDOG_USEC`, if the watchdog is on and meant for process `our_pid` (systemd sets
/// `WATCHDOG_PID` to the main process; a child that inherited the variables must not ping).
pub fn ping_interval(
    watchdog_usec: Option<&str>,
    watchdog_pid: Option<&str>,
    our_pid: u32,
) -> Option<Duration> {
    let usec = watchdog_usec?.trim().parse::<u64>().ok()?;
    if let Some(pid) = watchdog_pid
        && pid.trim().parse::<u32>().ok() != Some(our_pid)
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec) / 2)
}

/// When the UI thread last proved it runs, shared with the watchdog thread.
#[derive(Debug)]
pub struct Liveness {
    origin: Instant,
    /// Milliseconds since `origin` plus one at the last beat; 0 for never.
    last_beat: AtomicU64,
}

impl Liveness {
    pub fn new() -> Liveness {
        Liveness {
            origin: Instant::now(),
            last_beat: AtomicU64::new(0),
        }
    }

    /// Called on the UI thread by its timer.
    pub fn beat(&self) {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        self.last_beat.store(ms + 1, Ordering::Relaxed);
    }

    /// How long ago the last beat was; `None` before the first.
    pub fn since_last_beat(&self) -> Option<Duration> {
        let beat = self.last_beat.load(Ordering::Relaxed).checked_sub(1)?;
        Some(
            self.origin
                .elapsed()
                .saturating_sub(Duration::from_millis(beat)),
        )
    }
}

impl Default for Liveness {
    fn default() -> Liveness {
        Liveness::new()
    }
}

/// The rules of one supervision loop; the times are parameters so tests run in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Supervision {
    /// How often the loop looks.
    pub tick: Duration,
    /// `WATCHDOG=1` this often; none if systemd's watchdog is off (then only `READY=1`).
    pub ping_every: Option<Duration>,
    /// A UI beat older than this means the event loop is stuck.
    pub ui_stale_after: Duration,
}

/// Notifies `READY=1` once the UI has beaten and the store has been probed, then pings while
/// the UI beats and `probe_store` returns (an `Err` is reported in `STATUS=`, not withheld),
/// until `stop` is dropped or sent to; then `STOPPING=1`.
pub fn supervise(
    notifier: &Notifier,
    liveness: &Liveness,
    mut probe_store: impl FnMut() -> Result<(), String>,
    rules: Supervision,
    stop: &mpsc::Receiver<()>,
) {
    let mut ready = false;
    let mut last_ping: Option<Instant> = None;
    let mut reported_stall = false;
    let mut status = String::new();
    // Until told to stop (a message, or the sender dropped).
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(rules.tick) {
        let ui_alive = liveness
            .since_last_beat()
            .is_some_and(|age| age <= rules.ui_stale_after);
        let due =
            last_ping.is_none_or(|at| rules.ping_every.is_some_and(|every| at.elapsed() >= every));
        if !ui_alive {
            if ready && !reported_stall {
                reported_stall = true;
                tracing::error!("the UI event loop has stopped; withholding the watchdog ping");
            }
            continue;
        }
        reported_stall = false;
        if ready && !due {
            continue;
        }
        // A probe that hangs keeps us here: no ping, and systemd restarts the kiosk.
        let now_status = match probe_store() {
            Ok(()) => "running, database readable".to_owned(),
            Err(e) => format!("database check failed: {e}"),
        };
        let mut message = String::new();
        if !ready {
            message.push_str("READY=1\n");
        }
        if ready && rules.ping_every.is_some() {
            message.push_str("WATCHDOG=1\n");
        }
        if now_status != status {
            message.push_str(&format!("STATUS={now_status}\n"));
            status = now_status;
        }
        if let Err(e) = notifier.notify(message.trim_end()) {
            tracing::warn!(error = %e, "cannot notify systemd");
        }
        ready = true;
        last_ping = Some(Instant::now());
    }
    let _ = notifier.notify("STOPPING=1");
}

/// The running watchdog: a UI-thread timer and the thread that notifies systemd. Keep it alive
/// while the app runs; dropping it says `STOPPING=1`.
pub struct Watchdog {
    _ui_beat: slint::Timer,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the watchdog for the app about to run (call on the UI thread, before the event loop);
/// `None` outside systemd. The store is probed in `data_dir`.
pub fn start(data_dir: &Path) -> Option<Watchdog> {
    let notifier = match Notifier::from_env()? {
        Ok(notifier) => notifier,
        Err(e) => {
            tracing::error!(error = %e, "cannot open $NOTIFY_SOCKET; systemd will not see the kiosk start");
            return None;
        }
    };
    let ping_every = ping_interval_from_env();
    let rules = Supervision {
        tick: TICK,
        ping_every,
        // Generous for a busy UI thread, yet well inside WatchdogSec (twice the ping interval).
        ui_stale_after: ping_every.map_or(TICK * 10, |every| every.max(TICK * 3)),
    };
    let liveness = Arc::new(Liveness::new());
    let ui_beat = slint::Timer::default();
    let beats = liveness.clone();
    ui_beat.start(slint::TimerMode::Repeated, TICK, move || beats.beat());
    let data_dir: PathBuf = data_dir.to_owned();
    let (stop, stopped) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("watchdog".into())
        .spawn(move || {
            let probe = || {
                Store::probe_readable(&data_dir)
                    .map(drop)
                    .map_err(|e| crate::report::error_chain(&e))
            };
            supervise(&notifier, &liveness, probe, rules, &stopped);
        });
    let thread = match thread {
        Ok(thread) => thread,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the watchdog thread");
            return None;
        }
    };
    tracing::info!(?ping_every, "systemd notification on");
    Some(Watchdog {
        _ui_beat: ui_beat,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the watchdog thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;

    const RULES: Supervision = Supervision {
        tick: Duration::from_millis(5),
        ping_every: Some(Duration::from_millis(20)),
        ui_stale_after: Duration::from_millis(100),
    };

    /// A socket standing in for systemd's, and a notifier aimed at it.
    fn systemd() -> (tempfile::TempDir, UnixDatagram, Notifier) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify");
        let socket = UnixDatagram::bind(&path).expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let notifier = Notifier::connect(&path.to_string_lossy()).expect("connect");
        (dir, socket, notifier)
    }

    fn receive(socket: &UnixDatagram) -> String {
        let mut buffer = [0u8; 512];
        let n = socket
            .recv(&mut buffer)
            .expect("a notification within 10 s");
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    }

    #[test]
    fn notifications_reach_a_path_socket_and_an_abstract_one() {
        let (_dir, socket, notifier) = systemd();
        notifier.notify("READY=1").expect("send");
        assert_eq!(receive(&socket), "READY=1");

        let name = format!("ocena-watchdog-test-{}", std::process::id());
        let address = {
            use std::os::linux::net::SocketAddrExt;
            SocketAddr::from_abstract_name(name.as_bytes()).expect("abstract")
        };
        let abstract_socket = UnixDatagram::bind_addr(&address).expect("bind abstract");
        Notifier::connect(&format!("@{name}"))
            .expect("connect")
            .notify("WATCHDOG=1")
            .expect("send");
        assert_eq!(receive(&abstract_socket), "WATCHDOG=1");
    }

    #[test]
    fn ready_then_pings_while_the_ui_beats_and_silence_when_it_stops() {
        let (_dir, socket, notifier) = systemd();
        let liveness = Arc::new(Liveness::new());
        let beating = Arc::new(AtomicBool::new(true));
        let (stop, stopped) = mpsc::channel();
        let supervisor = {
            let liveness = liveness.clone();
            std::thread::spawn(move || {
                supervise(&notifier, &liveness, || Ok(()), RULES, &stopped);
            })
        };
        // The UI thread's timer, stood in for by a thread that beats while told to.
        let ui = {
            let beating = beating.clone();
            std::thread::spawn(move || {
                while beating.load(Ordering::Relaxed) {
                    liveness.beat();
                    std::thread::sleep(Duration::from_millis(2));
                }
            })
        };
        assert_eq!(
            receive(&socket),
            "READY=1\nSTATUS=running, database readable"
        );
        assert_eq!(receive(&socket), "WATCHDOG=1");
        assert_eq!(receive(&socket), "WATCHDOG=1");

        beating.store(false, Ordering::Relaxed);
        ui.join().expect("ui");
        // Pings already due may still arrive until the last beat is older than the limit.
        socket
            .set_read_timeout(Some(RULES.ui_stale_after * 3))
            .expect("timeout");
        let mut buffer = [0u8; 64];
        let mut late_pings = 0;
        while socket.recv(&mut buffer).is_ok() {
            late_pings += 1;
            assert!(late_pings < 20, "still pinging with a stopped UI");
        }
        drop(stop);
        supervisor.join().expect("supervisor");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        assert_eq!(receive(&socket), "STOPPING=1");
    }

    #[test]
    fn a_store_error_is_reported_in_the_status_but_a_hanging_store_stops_the_pings() {
        let (_dir, socket, notifier) = systemd();
        let liveness = Liveness::new();
        liveness.beat();
        let rules = Supervision {
            ui_stale_after: Duration::from_secs(3_600),
            ..RULES
        };
        let (probes_tx, probes) = mpsc::channel::<Result<(), String>>();
        let (stop, stopped) = mpsc::channel();
        let supervisor = std::thread::spawn(move || {
            // Each probe takes the next scripted answer; with none queued, it hangs.
            let probe = || probes.recv().unwrap_or(Ok(()));
            supervise(&notifier, &liveness, probe, rules, &stopped);
        });
        probes_tx.send(Ok(())).expect("script");
        assert_eq!(
            receive(&socket),
            "READY=1\nSTATUS=running, database readable"
        );
        probes_tx.send(Err("disk full".into())).expect("script");
        assert_eq!(
            receive(&socket),
            "WATCHDOG=1\nSTATUS=database check failed: disk full"
        );
        // Now the probe hangs (nothing queued): no ping arrives while it does.
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let mut buffer = [0u8; 64];
        assert!(
            socket.recv(&mut buffer).is_err(),
            "pinged while the store hung"
        );
        probes_tx.send(Ok(())).expect("recovers");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        assert_eq!(
            receive(&socket),
            "WATCHDOG=1\nSTATUS=running, database readable"
        );
        drop(stop);
        drop(probes_tx);
        supervisor.join().expect("supervisor");
    }

    #[test]
    fn the_ping_interval_is_half_of_watchdog_usec_and_only_for_the_main_process() {
        let half = Some(Duration::from_secs(15));
        assert_eq!(ping_interval(Some("30000000"), None, 7), half);
        assert_eq!(ping_interval(Some("30000000"), Some("7"), 7), half);
        assert_eq!(
            ping_interval(Some("30000000"), Some("8"), 7),
            None,
            "not ours"
        );
        assert_eq!(ping_interval(None, Some("7"), 7), None, "watchdog off");
        assert_eq!(ping_interval(Some("0"), None, 7), None);
        assert_eq!(ping_interval(Some("soon"), None, 7), None);
    }

    #[test]
    fn liveness_knows_no_beat_until_the_first() {
        let liveness = Liveness::new();
        assert_eq!(liveness.since_last_beat(), None);
        liveness.beat();
        assert!(
            liveness
                .since_last_beat()
                .is_some_and(|age| age < Duration::from_secs(5))
        );
    }
}
