//! `sync-server demo`: fills an empty database with months of realistic answers for the five
//! partner offices, through the same storage calls production uses (enrollment with a hashed
//! code, `ingest` in batches, heartbeats), so rollups and event times are exactly what real
//! kiosks would have produced.

pub mod calendar;
pub mod layout;
pub mod visits;

use chrono::NaiveTime;
use model::wire::{Heartbeat, MAX_BATCH_RECORDS, RecordBatch, RecordOutcome};
use model::{DeskId, LanguageTag, RecordedTime};

use crate::credentials;
use crate::storage::{Kiosk, NewDesk, NewKiosk, Storage, StorageError, TokenLookup};
use calendar::warsaw_to_utc_ms;
use visits::{Boot, DeskVisits, KioskDay, Period};

/// A kiosk that has not been seen for two days.
pub const OFFLINE_DESK: &str = "stara-biala-rso-02";
/// A kiosk that cannot send its records: a backlog since its last working day and an error.
pub const BACKLOG_DESK: &str = "gabin-fin-01";
/// A kiosk whose clock runs three days ahead since its last restart.
pub const CLOCK_AHEAD_DESK: &str = "powiat-gostyninski-geo-01";

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What `demo` was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Local days of answers, ending today.
    pub days: u32,
    pub seed: u64,
    /// The present, UTC milliseconds.
    pub now_ms: i64,
}

/// What `demo` stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub offices: i64,
    pub departments: i64,
    pub desks: i64,
    pub kiosks: i64,
    /// Answers stored through ingest, corrections included.
    pub answers: i64,
    pub days: u32,
}

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "demo wants an empty database: this one already holds {offices} offices, {departments} \
         departments, {desks} desks and {kiosks} kiosks; point OCENA_SERVER_DATABASE (or \
         `database` in the settings file) at a new file"
    )]
    NotEmpty {
        offices: i64,
        departments: i64,
        desks: i64,
        kiosks: i64,
    },
    #[error("--days must be 1-730, not {0}")]
    Days(u32),
    #[error("the demo's {what} was refused: {reason}")]
    Refused { what: String, reason: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Seeds `storage`, which must hold no offices, departments, desks or kiosks.
pub async fn run(storage: &Storage, options: Options) -> Result<Summary, DemoError> {
    if !(1..=730).contains(&options.days) {
        return Err(DemoError::Days(options.days));
    }
    let before = storage.contents().await?;
    if before.offices + before.departments + before.desks + before.kiosks > 0 {
        return Err(DemoError::NotEmpty {
            offices: before.offices,
            departments: before.departments,
            desks: before.desks,
            kiosks: before.kiosks,
        });
    }
    let period = Period::ending_at(options.now_ms, options.days, options.seed);
    add_offices(storage).await?;
    let backlog_from = backlog_day(&period);
    for (index, (department, desk)) in layout::desks().enumerate() {
        let kiosk = enroll(storage, &period, index, desk.id).await?;
        let mut visits = DeskVisits::new(index, department, desk);
        let mut unsent: Vec<KioskDay> = Vec::new();
        for date in period.days() {
            let Some(day) = visits.day(&period, date) else {
                continue;
            };
            let offline = desk.id == OFFLINE_DESK && day.received_ms > offline_since(&period);
            let stuck = desk.id == BACKLOG_DESK && backlog_from.is_some_and(|from| date >= from);
            if offline {
                continue;
            }
            if stuck {
                unsent.push(day);
                continue;
            }
            send(storage, &kiosk, day).await?;
        }
        last_contact(storage, &period, index, desk.id, &kiosk, &unsent).await?;
    }
    let after = storage.contents().await?;
    Ok(Summary {
        offices: after.offices,
        departments: after.departments,
        desks: after.desks,
        kiosks: after.kiosks,
        answers: after.answers,
        days: options.days,
    })
}

async fn add_offices(storage: &Storage) -> Result<(), DemoError> {
    storage.seed_partner_offices().await?;
    for department in layout::DEPARTMENTS {
        storage
            .add_department(
                department.office.to_owned(),
                department.id.to_owned(),
                department.name.to_owned(),
            )
            .await?;
        for desk in department.desks {
            let languages = desk
                .languages
                .iter()
                .map(|tag| tag.parse::<LanguageTag>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| refused(format!("desk {}", desk.id), &e))?;
            storage
                .add_desk(NewDesk {
                    id: desk_id(desk.id)?,
                    office_id: department.office.to_owned(),
                    department_id: department.id.to_owned(),
                    name: department.desk_name(desk),
                    internal_service: desk.internal_service,
                    standards: desk.standards.to_vec(),
                    default_language: languages
                        .first()
                        .cloned()
                        .unwrap_or_else(LanguageTag::polish),
                    languages,
                })
                .await?;
        }
    }
    Ok(())
}

/// Enrolls the desk's kiosk a week before the first demo day, as `enroll` does: a single-use
/// code, stored hashed, exchanged for a token.
async fn enroll(
    storage: &Storage,
    period: &Period,
    index: usize,
    desk: &str,
) -> Result<Kiosk, DemoError> {
    let installed = period.first_day - chrono::Duration::days(7);
    let enrolled_ms = warsaw_to_utc_ms(
        installed,
        NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
    );
    let code = credentials::new_enrollment_code();
    let code_hash = credentials::code_hash(&code);
    storage
        .add_enrollment_code(
            code_hash,
            desk_id(desk)?,
            enrolled_ms - 15 * 60_000,
            enrolled_ms + DAY_MS,
        )
        .await?;
    let mut rng = visits::rng_for(period.seed, index, installed, 3);
    let kiosk_id = format!(
        "kiosk-{}",
        uuid::Builder::from_random_bytes(rand::Rng::random(&mut rng)).into_uuid()
    );
    let token_sha256 = credentials::sha256(&credentials::new_token());
    let new_kiosk = NewKiosk {
        id: kiosk_id,
        token_sha256,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        clock: Boot::of(period.seed, index, installed).reading(enrolled_ms),
    };
    if let Err(problem) = storage.enroll(code_hash, new_kiosk, enrolled_ms).await? {
        return Err(refused(
            format!("enrollment of desk {desk}"),
            &format!("{problem:?}"),
        ));
    }
    match storage.kiosk_by_token(token_sha256).await? {
        TokenLookup::Valid(kiosk) => Ok(kiosk),
        other => Err(refused(
            format!("kiosk of desk {desk}"),
            &format!("{other:?}"),
        )),
    }
}

/// Sends one day's records as the kiosk's sync does: oldest first, at most
/// [`MAX_BATCH_RECORDS`] a batch.
async fn send(storage: &Storage, kiosk: &Kiosk, day: KioskDay) -> Result<(), DemoError> {
    for (i, chunk) in (0i64..).zip(day.records.chunks(MAX_BATCH_RECORDS)) {
        let mut sent = day.sent.clone();
        sent.wall_clock_ms += i * 100;
        sent.boottime_ns += u64::try_from(i * 100).unwrap_or(0) * 1_000_000;
        let batch = RecordBatch {
            sent,
            records: chunk.to_vec(),
        };
        let receipt = storage
            .ingest(kiosk.clone(), batch, day.received_ms + i * 100)
            .await?;
        if let Some(bad) = receipt
            .results
            .iter()
            .find(|r| r.outcome != RecordOutcome::Stored)
        {
            return Err(refused(
                format!("record {}", bad.id),
                &format!("{:?}", bad.outcome),
            ));
        }
    }
    Ok(())
}

/// The kiosk's last heartbeat: a few minutes ago for most; two days ago for the offline one;
/// with a backlog and an error for the stuck one; with a clock three days ahead for another.
async fn last_contact(
    storage: &Storage,
    period: &Period,
    index: usize,
    desk: &str,
    kiosk: &Kiosk,
    unsent: &[KioskDay],
) -> Result<(), DemoError> {
    let now = period.now_ms;
    let (at, clock) = match desk {
        OFFLINE_DESK => {
            let at = offline_since(period);
            (at, Boot::at(period.seed, index, at).reading(at))
        }
        CLOCK_AHEAD_DESK => {
            // Restarted 25 minutes ago without reaching NTP; the clock came up 3 days ahead.
            let boot = Boot {
                id: format!("{}-restart", Boot::at(period.seed, index, now).id),
                started_ms: now - 25 * 60_000,
            };
            let at = now - 60_000;
            let clock = RecordedTime {
                wall_clock_ms: at + 3 * DAY_MS,
                clock_synchronized: false,
                ..boot.reading(at)
            };
            (at, clock)
        }
        _ => {
            let at = now - (index as i64 % 5) * 40_000 - 15_000;
            (at, Boot::at(period.seed, index, at).reading(at))
        }
    };
    let backlog = unsent.iter().map(|day| day.records.len()).sum::<usize>();
    let heartbeat = Heartbeat {
        kiosk_version: env!("CARGO_PKG_VERSION").to_owned(),
        backlog: backlog as u64,
        oldest_unsynced_ms: unsent
            .iter()
            .flat_map(|day| day.records.first())
            .map(|record| record.recorded.wall_clock_ms)
            .next(),
        last_error: (desk == BACKLOG_DESK).then(|| {
            "sending records failed: operation timed out after 30 s (POST /api/v1/records)"
                .to_owned()
        }),
        clock,
    };
    storage.heartbeat(kiosk.clone(), heartbeat, at).await?;
    Ok(())
}

/// When the offline kiosk was last seen: two days and an hour ago.
fn offline_since(period: &Period) -> i64 {
    period.now_ms - 2 * DAY_MS - HOUR_MS
}

/// The first day the stuck kiosk has not sent: its last day open before now.
fn backlog_day(period: &Period) -> Option<chrono::NaiveDate> {
    let hours = layout::office_hours("gabin"); // where BACKLOG_DESK is
    period.days().into_iter().rev().find(|&date| {
        hours
            .on(date)
            .is_some_and(|open| warsaw_to_utc_ms(date, open.opens) + 2 * HOUR_MS < period.now_ms)
    })
}

fn desk_id(id: &str) -> Result<DeskId, DemoError> {
    id.parse()
        .map_err(|e| refused(format!("desk id {id:?}"), &e))
}

fn refused(what: String, reason: &dyn std::fmt::Display) -> DemoError {
    DemoError::Refused {
        what,
        reason: reason.to_string(),
    }
}
