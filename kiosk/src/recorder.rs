//! The one thread that writes answers: the UI hands it an answer and moves on only when the answer
//! is durable, so no frame ever waits on disk. If the disk is full or unwritable the answer is kept
//! in memory and retried until it is stored, and the kiosk reports itself out of service meanwhile.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use model::{RatingRecord, RecordedTime};

use crate::clock::Clock;
use crate::report::error_chain;
use crate::store::{Answer, Store, StoreError};

/// Whether the kiosk can take answers right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ready,
    /// Answers cannot be stored.
    OutOfService(Fault),
}

/// Why answers cannot be stored: a code the screen shows and the technical text for staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// [`StoreError::screen_code`]: the only part of the fault a client sees.
    pub code: &'static str,
    /// Names the file and the fault; logged and never shown to clients.
    pub detail: String,
}

impl Fault {
    pub fn of(error: &StoreError) -> Fault {
        Fault {
            code: error.screen_code(),
            detail: error_chain(error),
        }
    }
}

/// Called on the recorder thread once an answer is durable.
pub type OnStored = Box<dyn FnOnce(RatingRecord) + Send>;

/// Called on the recorder thread whenever [`Health`] changes.
pub type OnHealth = Box<dyn Fn(Health) + Send>;

/// How often an unavailable store is tried again.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(3);

enum Command {
    Record {
        answer: Answer,
        recorded: RecordedTime,
        on_stored: OnStored,
    },
}

/// Handle to the recorder thread. Dropping it stores what is still queued (if it can) and stops.
pub struct Recorder {
    commands: Option<mpsc::Sender<Command>>,
    clock: Arc<dyn Clock>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Starts the thread; it opens the store in `data_dir` and reports its health at once.
    pub fn start(data_dir: PathBuf, clock: Arc<dyn Clock>, on_health: OnHealth) -> Recorder {
        let (commands, inbox) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || Worker::new(data_dir, on_health).run(&inbox))
            .unwrap_or_else(|e| panic!("cannot start the recorder thread: {e}"));
        Recorder {
            commands: Some(commands),
            clock,
            thread: Some(thread),
        }
    }

    /// Queues an answer, stamped with the time now; `on_stored` runs once it is durable.
    pub fn record(&self, answer: Answer, on_stored: OnStored) {
        let recorded = self.clock.now();
        let command = Command::Record {
            answer,
            recorded,
            on_stored,
        };
        if let Some(commands) = &self.commands
            && commands.send(command).is_err()
        {
            tracing::error!("the recorder thread has stopped; an answer could not be queued");
        }
    }

    /// Stores an answer through the same path as a tap and waits until it is durable.
    pub fn record_and_wait(&self, answer: Answer) -> Option<RatingRecord> {
        let (done, stored) = mpsc::sync_channel(1);
        self.record(
            answer,
            Box::new(move |record| {
                let _ = done.send(record);
            }),
        );
        stored.recv().ok()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.commands.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the recorder thread panicked");
        }
    }
}

struct Worker {
    data_dir: PathBuf,
    store: Option<Store>,
    queue: VecDeque<(Answer, RecordedTime, OnStored)>,
    health: Option<Health>,
    on_health: OnHealth,
}

impl Worker {
    fn new(data_dir: PathBuf, on_health: OnHealth) -> Worker {
        Worker {
            data_dir,
            store: None,
            queue: VecDeque::new(),
            health: None,
            on_health,
        }
    }

    fn run(mut self, inbox: &mpsc::Receiver<Command>) {
        self.flush();
        loop {
            let command = if self.health == Some(Health::Ready) {
                inbox.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                inbox.recv_timeout(RETRY_INTERVAL)
            };
            match command {
                Ok(Command::Record {
                    answer,
                    recorded,
                    on_stored,
                }) => {
                    self.queue.push_back((answer, recorded, on_stored));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.flush();
        }
        self.flush();
        for (answer, recorded, _) in self.queue.drain(..) {
            // The process is ending with storage unavailable: leave the answer in the log at least.
            tracing::error!(
                ?answer,
                ?recorded,
                "shutting down with an answer that could not be stored"
            );
        }
    }

    /// Stores queued answers in order; on any failure keeps them and reports out of service.
    fn flush(&mut self) {
        let mut store = match self.store.take() {
            Some(store) => store,
            None => match Store::open(&self.data_dir) {
                Ok(opened) => opened.store,
                Err(e) => return self.set_health(Health::OutOfService(Fault::of(&e))),
            },
        };
        // A failed write drops `store`, so the next try reopens: that also moves a database
        // corrupted under us aside.
        while let Some((answer, recorded, _)) = self.queue.front() {
            match store.record(answer.clone(), recorded.clone()) {
                Ok(record) => {
                    if let Some((_, _, on_stored)) = self.queue.pop_front() {
                        on_stored(record);
                    }
                }
                Err(e) => return self.set_health(Health::OutOfService(Fault::of(&e))),
            }
        }
        if self.health != Some(Health::Ready)
            && let Err(e) = store.probe_writable()
        {
            return self.set_health(Health::OutOfService(Fault::of(&e)));
        }
        self.store = Some(store);
        self.set_health(Health::Ready);
    }

    fn set_health(&mut self, health: Health) {
        if self.health.as_ref() == Some(&health) {
            return;
        }
        match &health {
            Health::Ready => tracing::info!(data_dir = %self.data_dir.display(), "storage ready"),
            Health::OutOfService(fault) => {
                tracing::error!(data_dir = %self.data_dir.display(), code = fault.code, why = %fault.detail, queued = self.queue.len(), "out of service: answers cannot be stored");
            }
        }
        self.health = Some(health.clone());
        (self.on_health)(health);
    }
}
