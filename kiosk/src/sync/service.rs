//! The running kiosk's sync thread: drains the outbox whenever answers wait, sends a heartbeat now
//! and then, retries with backoff for as long as needed, and never touches the UI thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{Backoff, Enrollment, SyncClient, SyncError, push_backlog};
use crate::clock::Clock;
use crate::report::error_chain;
use crate::store::Store;

/// How often an idle kiosk looks for new answers to send.
const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// How often the kiosk tells the aggregator it is alive.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(60);

/// Handle to the sync thread; dropping it stops the thread.
pub struct SyncService {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncService {
    /// Starts syncing the store in `data_dir`. A kiosk that is not enrolled keeps checking for an
    /// enrollment file, so `kiosk enroll` takes effect without a restart.
    pub fn start(data_dir: PathBuf, clock: Arc<dyn Clock>) -> SyncService {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || run(&data_dir, clock.as_ref(), &stopped))
            .unwrap_or_else(|e| panic!("cannot start the sync thread: {e}"));
        SyncService {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for SyncService {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the sync thread panicked");
        }
    }
}

fn run(data_dir: &std::path::Path, clock: &dyn Clock, stopped: &mpsc::Receiver<()>) {
    let mut backoff = Backoff::for_sync();
    let mut last_heartbeat: Option<Instant> = None;
    loop {
        let wait = match step(data_dir, clock, &mut last_heartbeat) {
            Ok(()) => {
                backoff.reset();
                POLL_INTERVAL
            }
            Err(e) => {
                let delay = backoff.next_delay(e.retry_after());
                tracing::warn!(error = %error_chain(&e), retry_in_s = delay.as_secs(), "sync failed");
                delay
            }
        };
        match stopped.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// One round: push what waits, and a heartbeat when due.
fn step(
    data_dir: &std::path::Path,
    clock: &dyn Clock,
    last_heartbeat: &mut Option<Instant>,
) -> Result<(), SyncError> {
    let enrollment = match Enrollment::load(data_dir) {
        Ok(Some(enrollment)) => enrollment,
        Ok(None) => return Ok(()), // not enrolled: the kiosk runs on its local config
        Err(e) => {
            tracing::error!(error = %error_chain(&e), "cannot read the enrollment");
            return Ok(());
        }
    };
    let client = SyncClient::new(&enrollment.server)?.with_token(&enrollment.token);
    let mut store = Store::open(data_dir)?.store;
    let result = push_backlog(&mut store, &client, clock);
    let now_ms = clock.now().wall_clock_ms;
    let error = result.as_ref().err().map(|e| error_chain(e));
    store.note_sync_attempt(now_ms, error.as_deref())?;
    if let Ok(report) = &result
        && report.settled > 0
    {
        tracing::info!(settled = report.settled, batches = report.batches, "synced");
    }
    if last_heartbeat.is_none_or(|at| at.elapsed() >= HEARTBEAT_INTERVAL) {
        client.heartbeat(&super::heartbeat(store.status()?, clock))?;
        *last_heartbeat = Some(Instant::now());
    }
    result.map(drop)
}
