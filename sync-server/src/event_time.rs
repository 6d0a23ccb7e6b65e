//! Event time without a real-time clock: places each answer in UTC from what the kiosk recorded
//! (wall clock, boot id, CLOCK_BOOTTIME, NTP flag) and what the server knows for sure (when it
//! received a batch, and the kiosk's boot clock at that moment).
//!
//! An *anchor* ties one boot's CLOCK_BOOTTIME to UTC: `utc = boottime + offset`. Anchors come from
//! the server's own clock (a batch or heartbeat received at `R` while the kiosk's boottime read
//! `t`: offset = R − t, good to the request's latency) or from an NTP-synchronised kiosk clock
//! (offset = wall − boottime). An answer from an anchored boot is placed exactly; one from a boot
//! that never synchronised and never reached the server is placed approximately, between bounds
//! the server can prove. Nothing is ever placed in the future or before the kiosk was enrolled.

use model::RecordedTime;

/// Ties a boot's CLOCK_BOOTTIME to UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub boot_id: String,
    /// UTC milliseconds minus boottime milliseconds.
    pub offset_ms: i64,
    pub source: AnchorSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AnchorSource {
    /// The kiosk's wall clock while NTP-synchronised.
    SynchronisedClock,
    /// The server's clock when a request from this boot arrived.
    ServerReceipt,
}

impl AnchorSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AnchorSource::SynchronisedClock => "synchronised_clock",
            AnchorSource::ServerReceipt => "server_receipt",
        }
    }

    pub fn parse(text: &str) -> Option<AnchorSource> {
        [AnchorSource::SynchronisedClock, AnchorSource::ServerReceipt]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The time zone every report uses: the offices are in Poland.
pub const REPORT_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::Warsaw;

/// The Europe/Warsaw calendar day (`YYYY-MM-DD`) and hour (0–23) of a UTC instant, daylight
/// saving included.
pub fn local_day_and_hour(utc_ms: i64) -> (String, u32) {
    use chrono::Timelike;
    match chrono::DateTime::from_timestamp_millis(utc_ms) {
        Some(utc) => {
            let local = utc.with_timezone(&REPORT_TIME_ZONE);
            (local.date_naive().to_string(), local.hour())
        }
        // Only for instants beyond year ±262,000, which placement never produces.
        None => ("invalid".to_owned(), 0),
    }
}

impl Anchor {
    /// From a request received at `received_ms` (server UTC) whose body says the kiosk's clocks
    /// read `sent` when it was sent (stamped at each attempt).
    pub fn from_receipt(sent: &RecordedTime, received_ms: i64) -> Anchor {
        Anchor {
            boot_id: sent.boot_id.clone(),
            offset_ms: received_ms.saturating_sub(boottime_ms(sent)),
            source: AnchorSource::ServerReceipt,
        }
    }

    /// From any reading taken while the kiosk's clock was NTP-synchronised.
    pub fn from_synchronised(reading: &RecordedTime) -> Option<Anchor> {
        reading.clock_synchronized.then(|| Anchor {
            boot_id: reading.boot_id.clone(),
            offset_ms: reading.wall_clock_ms.saturating_sub(boottime_ms(reading)),
            source: AnchorSource::SynchronisedClock,
        })
    }

    /// When the boot began, in UTC.
    pub fn boot_started_ms(&self) -> i64 {
        self.offset_ms
    }
}

/// Where an answer sits in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// From an anchor of the answer's own boot.
    Exact { utc_ms: i64 },
    /// No anchor for its boot: a best estimate between proven bounds.
    Approximate {
        utc_ms: i64,
        earliest_ms: i64,
        latest_ms: i64,
    },
}

impl Placement {
    pub fn utc_ms(&self) -> i64 {
        match *self {
            Placement::Exact { utc_ms } | Placement::Approximate { utc_ms, .. } => utc_ms,
        }
    }

    pub fn is_approximate(&self) -> bool {
        matches!(self, Placement::Approximate { .. })
    }
}

/// What the server can prove about when an answer could have been given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// Nothing is placed earlier: the kiosk's enrollment, or a later proven moment (e.g. the
    /// placed time of an answer the kiosk recorded before this one, by sequence number).
    pub earliest_ms: i64,
    /// Nothing is placed later: when the answer reached the server, or the start of a boot known
    /// to come after the answer's boot.
    pub latest_ms: i64,
}

impl Bounds {
    /// The bounds for an answer that arrived in a batch: after enrollment, and before receipt; if
    /// the batch was sent from another boot than the answer's, that boot began after the answer.
    pub fn for_batch(
        enrolled_ms: i64,
        received_ms: i64,
        answer: &RecordedTime,
        sent: &RecordedTime,
    ) -> Bounds {
        let delivering_boot_started = Anchor::from_receipt(sent, received_ms).boot_started_ms();
        let latest_ms = if answer.boot_id == sent.boot_id {
            received_ms
        } else {
            // A delivering boot that claims to have begun before enrollment proves nothing
            // earlier than enrollment.
            received_ms.min(delivering_boot_started.max(enrolled_ms))
        };
        Bounds {
            earliest_ms: enrolled_ms.min(latest_ms),
            latest_ms,
        }
    }
}

/// The best anchor of `boot_id` among `anchors`: a synchronised clock beats a server receipt,
/// which carries network latency.
pub fn best_anchor<'a>(boot_id: &str, anchors: &'a [Anchor]) -> Option<&'a Anchor> {
    anchors
        .iter()
        .filter(|a| a.boot_id == boot_id)
        .min_by_key(|a| a.source)
}

/// Places one answer: exactly from an anchor of its own boot, else approximately between the
/// bounds, believing its wall clock only when that falls inside them (else the latest moment).
pub fn place(recorded: &RecordedTime, anchors: &[Anchor], bounds: Bounds) -> Placement {
    let (earliest, latest) = (bounds.earliest_ms, bounds.latest_ms.max(bounds.earliest_ms));
    if let Some(anchor) = best_anchor(&recorded.boot_id, anchors) {
        let utc_ms = boottime_ms(recorded)
            .saturating_add(anchor.offset_ms)
            .clamp(earliest, latest);
        return Placement::Exact { utc_ms };
    }
    let utc_ms = if (earliest..=latest).contains(&recorded.wall_clock_ms) {
        recorded.wall_clock_ms
    } else {
        latest
    };
    Placement::Approximate {
        utc_ms,
        earliest_ms: earliest,
        latest_ms: latest,
    }
}

fn boottime_ms(reading: &RecordedTime) -> i64 {
    i64::try_from(reading.boottime_ns / 1_000_000).unwrap_or(i64::MAX)
}

/// Where an answer was placed, as every backend stores it with the answer.
pub struct Placed {
    pub utc_ms: i64,
    pub earliest_ms: i64,
    pub latest_ms: i64,
    pub approximate: bool,
    pub local_day: String,
    pub local_hour: u32,
}

impl Placed {
    /// The placement, with the bounds it was made within, and its Europe/Warsaw day and hour.
    pub fn new(placement: Placement, bounds: Bounds) -> Placed {
        let (earliest_ms, latest_ms) = match placement {
            Placement::Exact { .. } => (bounds.earliest_ms, bounds.latest_ms),
            Placement::Approximate {
                earliest_ms,
                latest_ms,
                ..
            } => (earliest_ms, latest_ms),
        };
        let (local_day, local_hour) = local_day_and_hour(placement.utc_ms());
        Placed {
            utc_ms: placement.utc_ms(),
            earliest_ms,
            latest_ms,
            approximate: placement.is_approximate(),
            local_day,
            local_hour,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MINUTE;
    /// 2026-11-23 08:00 UTC, the true time of the first test event.
    const T0: i64 = 1_795_420_800_000;

    fn reading(
        boot: &str,
        boot_started_true_ms: i64,
        true_ms: i64,
        wall_error_ms: i64,
        synced: bool,
    ) -> RecordedTime {
        RecordedTime {
            wall_clock_ms: true_ms + wall_error_ms,
            boot_id: boot.into(),
            boottime_ns: u64::try_from(true_ms - boot_started_true_ms).expect("after boot")
                * 1_000_000,
            clock_synchronized: synced,
        }
    }

    const ENROLLED: i64 = T0 - 30 * DAY;

    #[test]
    fn a_kiosk_reading_1970_is_placed_by_the_servers_receipt() {
        let boot_start = T0 - 2 * 60 * MINUTE;
        let wall_error = -T0; // the clock reads 1970
        let event = reading("b1", boot_start, T0, wall_error, false);
        // Sent three hours later in the same boot; the server received it 150 ms after sending.
        let sent = reading("b1", boot_start, T0 + 180 * MINUTE, wall_error, false);
        let received = T0 + 180 * MINUTE + 150;
        let anchors = [Anchor::from_receipt(&sent, received)];
        let placed = place(
            &event,
            &anchors,
            Bounds::for_batch(ENROLLED, received, &event, &sent),
        );
        assert!(!placed.is_approximate());
        assert!((placed.utc_ms() - T0).abs() < 2 * MINUTE, "{placed:?}");
    }

    #[test]
    fn a_kiosk_three_days_ahead_is_corrected() {
        let boot_start = T0 - MINUTE;
        let event = reading("b1", boot_start, T0, 3 * DAY, false);
        let sent = reading("b1", boot_start, T0 + 10 * MINUTE, 3 * DAY, false);
        let received = T0 + 10 * MINUTE + 80;
        let bounds = Bounds::for_batch(ENROLLED, received, &event, &sent);
        let placed = place(&event, &[Anchor::from_receipt(&sent, received)], bounds);
        assert!((placed.utc_ms() - T0).abs() < 2 * MINUTE, "{placed:?}");
        assert!(placed.utc_ms() <= received, "never in the future");
    }

    #[test]
    fn a_synchronised_boot_anchors_itself_even_if_sent_from_a_later_boot() {
        let boot_a = T0 - 60 * MINUTE;
        let event = reading("a", boot_a, T0, 0, true);
        // Unplugged; the next boot sends it with a clock a day behind (fake-hwclock).
        let boot_b = T0 + 5 * 60 * MINUTE;
        let sent = reading("b", boot_b, boot_b + 2 * MINUTE, -DAY, false);
        let received = boot_b + 2 * MINUTE + 200;
        let anchors = [
            Anchor::from_receipt(&sent, received),
            Anchor::from_synchronised(&event).expect("synchronised"),
        ];
        let placed = place(
            &event,
            &anchors,
            Bounds::for_batch(ENROLLED, received, &event, &sent),
        );
        assert_eq!(placed, Placement::Exact { utc_ms: T0 });
    }

    #[test]
    fn an_unanchored_boot_is_approximate_within_proven_bounds_never_in_the_future() {
        let boot_a = T0 - 60 * MINUTE;
        // Boot a never synchronised and never reached the server; its clock reads 3 days ahead.
        let event = reading("a", boot_a, T0, 3 * DAY, false);
        let boot_b = T0 + 5 * 60 * MINUTE;
        let sent = reading("b", boot_b, boot_b + 2 * MINUTE, 0, false);
        let received = boot_b + 2 * MINUTE + 200;
        let anchors = [Anchor::from_receipt(&sent, received)];
        let placed = place(
            &event,
            &anchors,
            Bounds::for_batch(ENROLLED, received, &event, &sent),
        );
        let Placement::Approximate {
            utc_ms,
            earliest_ms,
            latest_ms,
        } = placed
        else {
            panic!("expected approximate, got {placed:?}");
        };
        assert!(
            (latest_ms - boot_b).abs() < 1_000,
            "before the delivering boot began"
        );
        assert_eq!(earliest_ms, ENROLLED);
        assert!((earliest_ms..=latest_ms).contains(&utc_ms) && utc_ms <= received);
        assert!(
            (earliest_ms..=latest_ms).contains(&T0),
            "the truth lies within the bounds"
        );
    }

    #[test]
    fn an_unanchored_wall_clock_inside_the_bounds_is_believed() {
        let boot_a = T0 - 60 * MINUTE;
        let event = reading("a", boot_a, T0, 40_000, false); // 40 s off, plausible
        let boot_b = T0 + 60 * MINUTE;
        let sent = reading("b", boot_b, boot_b + MINUTE, 0, false);
        let received = boot_b + MINUTE;
        let anchors = [Anchor::from_receipt(&sent, received)];
        let placed = place(
            &event,
            &anchors,
            Bounds::for_batch(ENROLLED, received, &event, &sent),
        );
        assert_eq!(placed.utc_ms(), T0 + 40_000);
        assert!(placed.is_approximate());
    }

    #[test]
    fn an_anchored_earlier_boot_does_not_bound_a_later_unanchored_one() {
        // Boot z (anchored, long before) says nothing about when boot a's answer happened.
        let boot_z = T0 - 10 * DAY;
        let old = reading("z", boot_z, boot_z + MINUTE, 0, true);
        let boot_a = T0 - 60 * MINUTE;
        let event = reading("a", boot_a, T0, 0, false);
        let sent = reading("a", boot_a, T0 + 5 * MINUTE, 0, false);
        let received = T0 + 5 * MINUTE;
        // Boot a itself reached the server, so its own receipt anchors it exactly.
        let anchors = [
            Anchor::from_synchronised(&old).expect("sync"),
            Anchor::from_receipt(&sent, received),
        ];
        let placed = place(
            &event,
            &anchors,
            Bounds::for_batch(ENROLLED, received, &event, &sent),
        );
        assert_eq!(placed, Placement::Exact { utc_ms: T0 });
    }

    #[test]
    fn local_days_follow_warsaw_time_with_daylight_saving() {
        let utc = |text: &str| {
            chrono::DateTime::parse_from_rfc3339(text)
                .expect("test time")
                .timestamp_millis()
        };
        // Winter, UTC+1: 23:30 UTC is already the next day in Warsaw.
        assert_eq!(
            local_day_and_hour(utc("2026-01-15T23:30:00Z")),
            ("2026-01-16".to_owned(), 0)
        );
        // Summer, UTC+2.
        assert_eq!(
            local_day_and_hour(utc("2026-07-01T21:59:00Z")),
            ("2026-07-01".to_owned(), 23)
        );
        assert_eq!(
            local_day_and_hour(utc("2026-07-01T22:00:00Z")),
            ("2026-07-02".to_owned(), 0)
        );
        // The spring change (29 March 2026, 02:00 → 03:00) and the autumn one (25 October 2026,
        // 03:00 → 02:00, the hour 02 happens twice).
        assert_eq!(local_day_and_hour(utc("2026-03-29T00:59:00Z")).1, 1);
        assert_eq!(local_day_and_hour(utc("2026-03-29T01:00:00Z")).1, 3);
        assert_eq!(local_day_and_hour(utc("2026-10-25T00:30:00Z")).1, 2);
        assert_eq!(local_day_and_hour(utc("2026-10-25T01:30:00Z")).1, 2);
        assert_eq!(local_day_and_hour(utc("2026-10-25T02:30:00Z")).1, 3);
    }

    #[test]
    fn a_delivering_boot_claiming_to_predate_enrollment_places_nothing_before_it() {
        // Boot a never reached the server; boot b delivers its answer and claims (a broken or
        // hostile clock) to have been up for 584 years, since long before the kiosk was enrolled.
        let event = reading("a", T0 - MINUTE, T0, 0, false);
        let received = T0 + 10 * MINUTE;
        let sent = RecordedTime {
            wall_clock_ms: received,
            boot_id: "b".into(),
            boottime_ns: u64::MAX,
            clock_synchronized: false,
        };
        let bounds = Bounds::for_batch(ENROLLED, received, &event, &sent);
        let placed = place(&event, &[Anchor::from_receipt(&sent, received)], bounds);
        assert!(
            (ENROLLED..=received).contains(&placed.utc_ms()),
            "{placed:?} is outside enrollment {ENROLLED} to receipt {received}"
        );
    }

    #[test]
    fn anchor_sources_round_trip_through_their_stored_names() {
        for source in [AnchorSource::SynchronisedClock, AnchorSource::ServerReceipt] {
            assert_eq!(AnchorSource::parse(source.as_str()), Some(source));
        }
        assert_eq!(AnchorSource::parse("guess"), None);
    }

    #[test]
    fn nothing_is_placed_before_enrollment_or_after_receipt() {
        let boot = T0 - MINUTE;
        let event = reading("b1", boot, T0, 0, true);
        let enrolled_late = Bounds {
            earliest_ms: T0 + MINUTE,
            latest_ms: T0 + 2 * MINUTE,
        };
        let anchors = [Anchor::from_synchronised(&event).expect("sync")];
        assert_eq!(place(&event, &anchors, enrolled_late).utc_ms(), T0 + MINUTE);
        let received_early = Bounds {
            earliest_ms: T0 - DAY,
            latest_ms: T0 - MINUTE,
        };
        assert_eq!(
            place(&event, &anchors, received_early).utc_ms(),
            T0 - MINUTE
        );
    }
}
