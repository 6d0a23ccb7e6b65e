//! The running kiosk's sync thread: drains the outbox whenever answers wait, sends a heartbeat now
//! and then, retries with backoff for as long as needed, and never touches the UI thread.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{
    Backoff, Enrollment, EnrollmentState, OnStatus, SyncClient, SyncError, SyncStatus,
    push_backlog, survey,
};
use crate::clock::Clock;
use crate::config::Config;
use crate::report::error_chain;
use crate::store::Store;

/// How often an idle kiosk looks for new answers to send.
const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// How often the kiosk tells the aggregator it is alive.
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(60);

/// Receives a new, validated configuration from the aggregator's survey (on the sync thread).
pub type OnConfig = Box<dyn Fn(Config) + Send>;

/// Handle to the sync thread; dropping it stops the thread.
pub struct SyncService {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncService {
    /// Starts syncing the store in `local.data_dir`. A kiosk that is not enrolled keeps checking
    /// for an enrollment file, so `kiosk enroll` takes effect without a restart. When the
    /// aggregator sends a new revision of the desk's survey, it is checked against `local` (the
    /// config file), cached, and handed to `on_config`. After every round, `on_status` hears
    /// whether the kiosk is enrolled and how many answers wait.
    pub fn start(
        local: Config,
        clock: Arc<dyn Clock>,
        on_config: OnConfig,
        on_status: OnStatus,
    ) -> SyncService {
        let (stop, stopped) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sync".into())
            .spawn(move || run(&local, clock.as_ref(), &on_config, &on_status, &stopped))
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

fn run(
    local: &Config,
    clock: &dyn Clock,
    on_config: &OnConfig,
    on_status: &OnStatus,
    stopped: &mpsc::Receiver<()>,
) {
    let mut backoff = Backoff::for_sync();
    let mut round = Round {
        local,
        clock,
        on_config,
        on_status,
        last_heartbeat: None,
        survey_revision: survey::load(&local.data_dir).map(|s| s.revision),
        moved_records: false,
    };
    loop {
        let wait = match round.step() {
            Ok(()) => {
                backoff.reset();
                POLL_INTERVAL
            }
            Err(e) => {
                let delay = backoff.after_failure(round.moved_records, e.retry_after());
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

/// The sync thread's state between rounds.
struct Round<'a> {
    local: &'a Config,
    clock: &'a dyn Clock,
    on_config: &'a OnConfig,
    on_status: &'a OnStatus,
    last_heartbeat: Option<Instant>,
    survey_revision: Option<u64>,
    /// Whether the last round's push acknowledged records, even if a later batch then failed.
    moved_records: bool,
}

impl Round<'_> {
    /// Push what waits, and a heartbeat when due (its answer carries the desk's survey); then
    /// report the kiosk's standing and its outbox.
    fn step(&mut self) -> Result<(), SyncError> {
        self.moved_records = false;
        let data_dir = &self.local.data_dir;
        let enrollment = match Enrollment::load(data_dir) {
            Ok(Some(enrollment)) => enrollment,
            Ok(None) => {
                // Not enrolled: the kiosk runs on its local config, and its answers stay here.
                self.report(EnrollmentState::NotEnrolled, None);
                return Ok(());
            }
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "cannot read the enrollment");
                self.report(EnrollmentState::NotEnrolled, None);
                return Ok(());
            }
        };
        let client = match SyncClient::new(&enrollment.server, &self.local.sync) {
            Ok(client) => client.with_token(&enrollment.token),
            Err(e) => {
                // An enrollment naming a server that cannot be used is no enrollment.
                self.report(EnrollmentState::NotEnrolled, None);
                return Err(e);
            }
        };
        let mut store = Store::open(data_dir)?.store;
        let result = self.push_and_beat(&mut store, &client);
        let standing = if matches!(result, Err(SyncError::Unauthorized)) {
            EnrollmentState::Refused
        } else {
            EnrollmentState::Enrolled
        };
        self.report(standing, Some(&store));
        result
    }

    /// Tells `on_status` the kiosk's standing and, if the store can be read, its outbox.
    fn report(&self, enrollment: EnrollmentState, store: Option<&Store>) {
        let outbox = store.and_then(|store| match store.outbox() {
            Ok(outbox) => Some(outbox),
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "cannot count the outbox");
                None
            }
        });
        (self.on_status)(SyncStatus { enrollment, outbox });
    }

    fn push_and_beat(&mut self, store: &mut Store, client: &SyncClient) -> Result<(), SyncError> {
        let waiting = store.status()?.unsynced;
        let result = push_backlog(store, client, self.clock);
        self.moved_records = store.status()?.unsynced < waiting;
        let now_ms = self.clock.now().wall_clock_ms;
        let error = result.as_ref().err().map(|e| error_chain(e));
        store.note_sync_attempt(now_ms, error.as_deref())?;
        if let Ok(report) = &result
            && report.settled > 0
        {
            tracing::info!(settled = report.settled, batches = report.batches, "synced");
        }
        if matches!(result, Err(SyncError::Unauthorized)) {
            return result.map(drop); // a heartbeat with the same token would be refused too
        }
        if self
            .last_heartbeat
            .is_none_or(|at| at.elapsed() >= HEARTBEAT_INTERVAL)
        {
            let survey = client.heartbeat(&super::heartbeat(store.status()?, self.clock))?;
            self.last_heartbeat = Some(Instant::now());
            self.consider(&survey);
        }
        result.map(drop)
    }

    /// A survey from the aggregator: a new revision that validates is cached and applied.
    fn consider(&mut self, survey: &model::wire::DeskSurvey) {
        if self.survey_revision == Some(survey.revision) {
            return;
        }
        match self.local.with_survey(survey) {
            Ok(config) => {
                if let Err(e) = survey::save(&self.local.data_dir, survey) {
                    tracing::error!(%e, "cannot cache the desk's survey");
                }
                tracing::info!(
                    revision = survey.revision,
                    "new desk survey from the aggregator"
                );
                self.survey_revision = Some(survey.revision);
                (self.on_config)(config);
            }
            Err(e) => {
                tracing::error!(error = %error_chain(&e), "the aggregator sent a survey this kiosk cannot use; keeping the current one");
                self.survey_revision = Some(survey.revision);
            }
        }
    }
}
