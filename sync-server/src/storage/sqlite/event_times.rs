//! Event times at ingest, inside the batch's transaction: keeps the best anchor of each kiosk boot,
//! places every answer (UTC, bounds, Europe/Warsaw day and hour), and re-places a boot's
//! approximate answers, moving their rollup counts, once an anchor for that boot arrives.

use model::wire::RecordBatch;
use std::collections::HashMap;

use model::{RatingRecord, RecordedTime};
use rusqlite::{OptionalExtension, Transaction, params};

use super::tally::{load_counted, write_tally};
use crate::admission;
use crate::counting::tally::{Counted, Tally};
use crate::event_time::{self, Anchor, AnchorSource, Bounds, Placed};
use crate::storage::{Kiosk, StorageError};

/// Where an answer was placed, as stored with it.
/// Places the answers of one batch, with the anchors stored for its kiosk (record the batch's
/// own anchors first, with [`record_batch_anchors`], so they count).
pub(super) struct Placer<'a> {
    kiosk: &'a Kiosk,
    batch: &'a RecordBatch,
    received_ms: i64,
    /// Each boot's stored anchor, looked up once per batch.
    anchors: HashMap<String, Option<Anchor>>,
}

impl<'a> Placer<'a> {
    pub fn new(kiosk: &'a Kiosk, batch: &'a RecordBatch, received_ms: i64) -> Placer<'a> {
        Placer {
            kiosk,
            batch,
            received_ms,
            anchors: HashMap::new(),
        }
    }

    pub fn received_ms(&self) -> i64 {
        self.received_ms
    }

    pub fn place(
        &mut self,
        tx: &Transaction<'_>,
        record: &RatingRecord,
    ) -> Result<Placed, StorageError> {
        let recorded = &record.recorded;
        let bounds = Bounds::for_batch(
            self.kiosk.enrolled_at_ms,
            self.received_ms,
            recorded,
            &self.batch.sent,
        );
        let anchor = match self.anchors.get(&recorded.boot_id) {
            Some(anchor) => anchor.clone(),
            None => {
                let anchor = stored_anchor(tx, &self.kiosk.id, &recorded.boot_id)?;
                self.anchors
                    .insert(recorded.boot_id.clone(), anchor.clone());
                anchor
            }
        };
        let bounds = match anchor {
            Some(_) => bounds,
            None => tightened_by_neighbours(tx, self.kiosk, record.sequence, bounds)?,
        };
        let placement = event_time::place(recorded, anchor.as_slice(), bounds);
        Ok(Placed::new(placement, bounds))
    }
}

/// The kiosk numbers its answers in the order it recorded them, so an answer lies after the
/// nearest exactly placed answer with a lower number and before the nearest with a higher one.
fn tightened_by_neighbours(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    sequence: u64,
    bounds: Bounds,
) -> Result<Bounds, StorageError> {
    let sequence = i64::try_from(sequence).unwrap_or(i64::MAX);
    // Each walks the (kiosk_id, sequence) index from the answer outwards and stops at the first
    // exact one: only a run of approximate answers is stepped over.
    let after: Option<i64> = tx
        .prepare_cached(
            "SELECT event_utc_ms FROM answers
             WHERE kiosk_id = ?1 AND sequence < ?2 AND event_approximate = 0
             ORDER BY sequence DESC LIMIT 1",
        )?
        .query_row(params![kiosk.id, sequence], |r| r.get(0))
        .optional()?;
    let before: Option<i64> = tx
        .prepare_cached(
            "SELECT event_utc_ms FROM answers
             WHERE kiosk_id = ?1 AND sequence > ?2 AND event_approximate = 0
             ORDER BY sequence ASC LIMIT 1",
        )?
        .query_row(params![kiosk.id, sequence], |r| r.get(0))
        .optional()?;
    let latest_ms = before.map_or(bounds.latest_ms, |b| b.min(bounds.latest_ms));
    let earliest_ms = after
        .map_or(bounds.earliest_ms, |a| a.max(bounds.earliest_ms))
        .min(latest_ms);
    Ok(Bounds {
        earliest_ms,
        latest_ms,
    })
}

/// Stores what a batch proves about its kiosk's boots: the delivering boot's receipt anchor and
/// every NTP-synchronised reading's anchor. Boots anchored for the first time get their earlier
/// approximate answers re-placed.
pub(super) fn record_batch_anchors(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    batch: &RecordBatch,
    received_ms: i64,
) -> Result<(), StorageError> {
    let mut anchors = vec![Anchor::from_receipt(&batch.sent, received_ms)];
    anchors.extend(Anchor::from_synchronised(&batch.sent));
    // One synchronised reading per boot suffices (they agree to NTP's precision). A reading
    // ingest will reject (a malformed boot id, an absurd wall clock or boot time) proves nothing.
    let readable = batch
        .records
        .iter()
        .filter(|r| admission::check_recorded(&r.recorded).is_ok());
    for record in readable {
        if let Some(anchor) = Anchor::from_synchronised(&record.recorded)
            && !anchors
                .iter()
                .any(|a| a.boot_id == anchor.boot_id && a.source == anchor.source)
        {
            anchors.push(anchor);
        }
    }
    record_anchors(tx, kiosk, &anchors, received_ms)
}

/// Stores what a single clock reading received at `received_ms` proves (a heartbeat's, an
/// enrollment's): its boot's receipt anchor, and a synchronised one if so.
pub(super) fn record_reading_anchors(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    clock: &RecordedTime,
    received_ms: i64,
) -> Result<(), StorageError> {
    let mut anchors = vec![Anchor::from_receipt(clock, received_ms)];
    anchors.extend(Anchor::from_synchronised(clock));
    record_anchors(tx, kiosk, &anchors, received_ms)
}

fn record_anchors(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    anchors: &[Anchor],
    now_ms: i64,
) -> Result<(), StorageError> {
    for anchor in anchors {
        let first_for_boot = stored_anchor(tx, &kiosk.id, &anchor.boot_id)?.is_none();
        // A synchronised clock beats a receipt (which carries network latency); of two receipts
        // the smaller offset carries less latency. The first synchronised reading is kept.
        tx.prepare_cached(
            "INSERT INTO boot_anchors (kiosk_id, boot_id, offset_ms, source, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kiosk_id, boot_id) DO UPDATE SET
                 offset_ms = excluded.offset_ms, source = excluded.source,
                 updated_at_ms = excluded.updated_at_ms
             WHERE boot_anchors.source = 'server_receipt'
               AND (excluded.source = 'synchronised_clock'
                    OR excluded.offset_ms < boot_anchors.offset_ms)",
        )?
        .execute(params![
            kiosk.id,
            anchor.boot_id,
            anchor.offset_ms,
            anchor.source.as_str(),
            now_ms
        ])?;
        if first_for_boot {
            replace_approximate_answers(tx, kiosk, anchor)?;
        }
    }
    Ok(())
}

fn stored_anchor(
    tx: &Transaction<'_>,
    kiosk_id: &str,
    boot_id: &str,
) -> Result<Option<Anchor>, StorageError> {
    let mut stmt = tx.prepare_cached(
        "SELECT offset_ms, source FROM boot_anchors WHERE kiosk_id = ?1 AND boot_id = ?2",
    )?;
    let mut rows = stmt.query(params![kiosk_id, boot_id])?;
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    let source: String = row.get(1)?;
    Ok(Some(Anchor {
        boot_id: boot_id.to_owned(),
        offset_ms: row.get(0)?,
        source: AnchorSource::parse(&source).ok_or_else(|| {
            StorageError::Corrupt(format!("boot anchor with unknown source {source:?}"))
        })?,
    }))
}

/// An approximate answer as stored, with what re-placing it needs.
struct StoredApproximate {
    id: String,
    recorded: RecordedTime,
    bounds: Bounds,
}

/// Re-places the answers of `anchor`'s boot that were stored as approximate because no anchor of
/// that boot was known yet, within the bounds proven when they arrived. A counted answer's rollup
/// counts move with its day and hour; its burst flag stays, because re-placing shifts a boot's
/// answers together and keeps the gaps between them.
fn replace_approximate_answers(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    anchor: &Anchor,
) -> Result<(), StorageError> {
    let waiting = {
        let mut stmt = tx.prepare_cached(
            "SELECT id, wall_clock_ms, boottime_ns, clock_synchronized, event_earliest_ms,
                    event_latest_ms
             FROM answers WHERE kiosk_id = ?1 AND boot_id = ?2 AND event_approximate = 1",
        )?;
        stmt.query_map(params![kiosk.id, anchor.boot_id], |r| {
            Ok(StoredApproximate {
                id: r.get(0)?,
                recorded: RecordedTime {
                    wall_clock_ms: r.get(1)?,
                    boot_id: anchor.boot_id.clone(),
                    boottime_ns: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                    clock_synchronized: r.get(3)?,
                },
                bounds: Bounds {
                    earliest_ms: r.get(4)?,
                    latest_ms: r.get(5)?,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
    };
    let mut tally = Tally::default();
    for answer in waiting {
        let placement = event_time::place(
            &answer.recorded,
            std::slice::from_ref(anchor),
            answer.bounds,
        );
        let placed = Placed::new(placement, answer.bounds);
        let before = load_counted(tx, &answer.id)?;
        tx.execute(
            "UPDATE answers SET event_utc_ms = ?2, event_approximate = ?3, local_day = ?4,
                 local_hour = ?5 WHERE id = ?1",
            params![
                answer.id,
                placed.utc_ms,
                placed.approximate,
                placed.local_day,
                placed.local_hour
            ],
        )?;
        if let Some((before, true)) = before {
            let after = Counted {
                day: placed.local_day,
                hour: i64::from(placed.local_hour),
                ..before.clone()
            };
            tally
                .change(&before, &after)
                .map_err(StorageError::Corrupt)?;
        }
    }
    write_tally(tally, tx)
}
