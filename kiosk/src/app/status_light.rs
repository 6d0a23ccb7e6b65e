//! The status LED's state, derived from what the kiosk knows: out of service (storage problem,
//! not enrolled or refused by the aggregator), records waiting, or all synced. Pure; the app
//! feeds it the recorder's health, each sync round's status and the answers stored since.

use hardware::LedState;

use crate::recorder::Health;
use crate::sync::{EnrollmentState, SyncStatus};

/// Everything the LED depends on.
#[derive(Debug, Clone, Default)]
pub struct StatusLight {
    storage_out_of_service: bool,
    /// The last sync round's findings; `None` until the first round has run.
    sync: Option<SyncStatus>,
    /// The newest record stored through this app, by sequence number.
    newest_stored: Option<u64>,
}

impl StatusLight {
    pub fn new() -> StatusLight {
        StatusLight::default()
    }

    /// The recorder's health: out of service means the app shows its out-of-service page.
    pub fn health(&mut self, health: &Health) {
        self.storage_out_of_service = matches!(health, Health::OutOfService(_));
    }

    /// A sync round's status.
    pub fn sync(&mut self, status: SyncStatus) {
        self.sync = Some(status);
    }

    /// An answer became durable with this sequence number: it waits until a sync round counts it.
    pub fn stored(&mut self, sequence: u64) {
        self.newest_stored = Some(self.newest_stored.map_or(sequence, |n| n.max(sequence)));
    }

    /// What the LED shows now.
    pub fn state(&self) -> LedState {
        if self.storage_out_of_service {
            return LedState::OutOfService;
        }
        let Some(sync) = self.sync else {
            // Before the first sync round nothing is known to be synced.
            return LedState::RecordsWaiting;
        };
        match sync.enrollment {
            EnrollmentState::NotEnrolled | EnrollmentState::Refused => LedState::OutOfService,
            EnrollmentState::Enrolled => match sync.outbox {
                None => LedState::RecordsWaiting,
                Some(outbox) => {
                    // A record stored after the round read the outbox is not in its count.
                    let stored_since = self.newest_stored > outbox.newest_sequence;
                    if outbox.waiting > 0 || stored_since {
                        LedState::RecordsWaiting
                    } else {
                        LedState::AllSynced
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Outbox;

    fn enrolled(waiting: u64, newest_sequence: Option<u64>) -> SyncStatus {
        SyncStatus {
            enrollment: EnrollmentState::Enrolled,
            outbox: Some(Outbox {
                waiting,
                newest_sequence,
            }),
        }
    }

    #[test]
    fn an_enrolled_kiosk_with_an_empty_outbox_is_all_synced() {
        let mut light = StatusLight::new();
        assert_eq!(light.state(), LedState::RecordsWaiting, "unknown at first");
        light.sync(enrolled(0, Some(7)));
        assert_eq!(light.state(), LedState::AllSynced);
        light.sync(enrolled(3, Some(10)));
        assert_eq!(light.state(), LedState::RecordsWaiting);
        light.sync(enrolled(0, None));
        assert_eq!(light.state(), LedState::AllSynced);
    }

    #[test]
    fn a_record_stored_after_the_round_waits_until_a_round_counts_it() {
        let mut light = StatusLight::new();
        light.sync(enrolled(0, Some(7)));
        light.stored(8);
        assert_eq!(light.state(), LedState::RecordsWaiting);
        // A round that read the outbox before record 8 was written still says "empty".
        light.sync(enrolled(0, Some(7)));
        assert_eq!(light.state(), LedState::RecordsWaiting);
        light.sync(enrolled(1, Some(8)));
        assert_eq!(light.state(), LedState::RecordsWaiting);
        light.sync(enrolled(0, Some(8)));
        assert_eq!(light.state(), LedState::AllSynced);
        light.stored(5); // an older sequence never moves the mark back
        assert_eq!(light.state(), LedState::AllSynced);
    }

    #[test]
    fn storage_and_enrollment_problems_put_the_kiosk_out_of_service() {
        let mut light = StatusLight::new();
        light.sync(enrolled(0, Some(1)));
        light.health(&Health::OutOfService(crate::recorder::Fault {
            code: "S1",
            detail: "disk full".into(),
        }));
        assert_eq!(light.state(), LedState::OutOfService);
        light.health(&Health::Ready);
        assert_eq!(light.state(), LedState::AllSynced);

        for enrollment in [EnrollmentState::NotEnrolled, EnrollmentState::Refused] {
            light.sync(SyncStatus {
                enrollment,
                outbox: None,
            });
            assert_eq!(light.state(), LedState::OutOfService, "{enrollment:?}");
        }
    }

    #[test]
    fn an_unreadable_outbox_is_not_called_synced() {
        let mut light = StatusLight::new();
        light.sync(SyncStatus {
            enrollment: EnrollmentState::Enrolled,
            outbox: None,
        });
        assert_eq!(light.state(), LedState::RecordsWaiting);
    }
}
