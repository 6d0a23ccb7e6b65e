//! Storing a batch of answers in its one transaction: an outcome per record (stored, duplicate,
//! conflict, rejected: another desk's, not admitted by `crate::admission`, or closing a cycle of
//! corrections) decided by `INSERT … ON CONFLICT DO NOTHING`, never by check-then-insert (an id
//! purged for retention stays taken: the insert is conditional on its absence there);
//! event-time placement; corrections; and rollups changed only for rows actually inserted.

use model::wire::{BatchReceipt, RecordBatch, RecordOutcome, RecordReceipt};
use model::{Question, RatingRecord, RecordId, RecordedTime};
use rusqlite::{OptionalExtension, Transaction, params};

use super::bursts;
use super::event_times::{self, Placer};
use super::join;
use super::offered;
use super::tally::{load_counted, stored_answer, write_tally};
use crate::counting::bursts::spans;
use crate::counting::outcome;
use crate::counting::tally::{Counted, Tally};
use crate::storage::{Kiosk, StorageError};

/// Stores `batch` from `kiosk`, received at `received_ms`, inside `tx`.
pub(super) fn batch(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    batch: &RecordBatch,
    received_ms: i64,
) -> Result<BatchReceipt, StorageError> {
    event_times::record_batch_anchors(tx, kiosk, batch, received_ms)?;
    let mut placer = Placer::new(kiosk, batch, received_ms);
    let offered = offered::for_batch(tx, kiosk.desk_id.as_str(), batch)?;
    let mut tally = Tally::default();
    // The event times of the overall ratings this batch stored: bursts are looked for around
    // them, once per stretch of nearby ones (`spans`) rather than once per rating.
    let mut overall_times = Vec::new();
    let results = batch
        .records
        .iter()
        .map(|record| {
            let chain = corrected_chain(tx, kiosk, record)?;
            let refused = match outcome::refusal(&kiosk.desk_id, record, &offered) {
                Some(reason) => Some(reason),
                None => outcome::cycle_refusal(record, &chain),
            };
            let outcome = match refused {
                Some(reason) => RecordOutcome::Rejected { reason },
                None => one(
                    tx,
                    kiosk,
                    batch,
                    (record, &chain),
                    &mut placer,
                    &mut tally,
                    &mut overall_times,
                )?,
            };
            Ok(RecordReceipt {
                id: record.id,
                outcome,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    for (first, last) in spans(&overall_times) {
        bursts::flag_between(tx, &kiosk.id, first, last, &mut tally)?;
    }
    write_tally(tally, tx)?;
    tx.prepare_cached("UPDATE kiosks SET last_seen_ms = ?2, last_clock = ?3 WHERE id = ?1")?
        .execute(params![
            kiosk.id,
            received_ms,
            serde_json::to_string(&batch.sent).unwrap_or_default()
        ])?;
    Ok(BatchReceipt { results })
}

/// The newest answer of the kiosk that supersedes `?1`. (Named index: otherwise SQLite may walk
/// the kiosk's answers by sequence to satisfy ORDER BY.)
pub(super) const SUPERSEDED_BY: &str = "SELECT id FROM answers INDEXED BY answers_supersedes
     WHERE supersedes = ?1 AND kiosk_id = ?2 AND id <> ?1
     ORDER BY sequence DESC LIMIT 1";

/// The answers `record`'s `supersedes` target corrects, those correct in turn and so on, among
/// this kiosk's stored answers (empty for a record that corrects nothing, or whose target is
/// not stored). `UNION` ends the walk even on a cycle stored before cycles were refused.
fn corrected_chain(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    record: &RatingRecord,
) -> Result<Vec<RecordId>, StorageError> {
    let Some(target) = record.supersedes else {
        return Ok(Vec::new());
    };
    let ids = tx
        .prepare_cached(
            "WITH RECURSIVE corrected (id) AS (
                 SELECT supersedes FROM answers
                 WHERE id = ?1 AND kiosk_id = ?2 AND supersedes IS NOT NULL
                 UNION
                 SELECT a.supersedes FROM corrected c JOIN answers a ON a.id = c.id
                 WHERE a.kiosk_id = ?2 AND a.supersedes IS NOT NULL
             )
             SELECT id FROM corrected",
        )?
        .query_map(params![target.to_string(), kiosk.id], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    ids.iter()
        .map(|id| {
            id.parse()
                .map_err(|e| StorageError::Corrupt(format!("answer {target}, supersedes: {e}")))
        })
        .collect()
}

/// Stores one admitted record of a batch, with the answers it corrects in turn
/// ([`corrected_chain`]), and returns its outcome.
fn one(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    batch: &RecordBatch,
    (record, chain): (&RatingRecord, &[RecordId]),
    placer: &mut Placer<'_>,
    tally: &mut Tally,
    overall_times: &mut Vec<i64>,
) -> Result<RecordOutcome, StorageError> {
    let (content, hash) = outcome::fingerprint(record).map_err(StorageError::Corrupt)?;
    let id = record.id.to_string();
    let placed = placer.place(tx, record)?;

    // A record that arrives after the record superseding it is kept but not counted.
    let superseded_by: Option<String> = tx
        .prepare_cached(SUPERSEDED_BY)?
        .query_row(params![id, kiosk.id], |r| r.get(0))
        .optional()?;
    // The same, and a correction of an answer already purged for retention: the purged one stays
    // counted in the rollups, so this one is kept but not counted (never both).
    let superseded_by = match superseded_by {
        Some(newer) => Some(newer),
        None => tx
            .prepare_cached(
                "SELECT id FROM purged_answers INDEXED BY purged_answers_supersedes
                 WHERE supersedes = ?1 AND kiosk_id = ?2 AND id <> ?1 LIMIT 1",
            )?
            .query_row(params![id, kiosk.id], |r| r.get(0))
            .optional()?,
    };
    let mut corrects_purged = false;
    for old in record.supersedes.iter().chain(chain) {
        corrects_purged |= tx
            .prepare_cached("SELECT 1 FROM purged_answers WHERE id = ?1 AND kiosk_id = ?2")?
            .query_row(params![old.to_string(), kiosk.id], |_| Ok(()))
            .optional()?
            .is_some();
    }
    let counted = outcome::counts_when_stored(superseded_by.is_some(), corrects_purged);

    let sent = &batch.sent;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO answers (id, kiosk_id, desk_id, visit_id, sequence, question, score,
                 reasons, language, larger_text, input, supersedes, wall_clock_ms, boot_id,
                 boottime_ns, clock_synchronized, content_sha256, received_at_ms,
                 sent_wall_clock_ms, sent_boot_id, sent_boottime_ns, sent_clock_synchronized,
                 superseded_by, counted, event_utc_ms, event_earliest_ms, event_latest_ms,
                 event_approximate, local_day, local_hour, not_applicable)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31
             WHERE NOT EXISTS (SELECT 1 FROM purged_answers WHERE id = ?1)
             ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            id,
            kiosk.id,
            record.desk_id.as_str(),
            record.visit_id.to_string(),
            i64::try_from(record.sequence).unwrap_or(i64::MAX),
            record.question.to_string(),
            record.answer.score().map(model::Score::value),
            join(&record.reasons),
            record.language.as_str(),
            record.larger_text,
            record.input.as_str(),
            record.supersedes.map(|s| s.to_string()),
            record.recorded.wall_clock_ms,
            record.recorded.boot_id,
            i64::try_from(record.recorded.boottime_ns).unwrap_or(i64::MAX),
            record.recorded.clock_synchronized,
            hash.as_slice(),
            placer.received_ms(),
            sent.wall_clock_ms,
            sent.boot_id,
            i64::try_from(sent.boottime_ns).unwrap_or(i64::MAX),
            sent.clock_synchronized,
            superseded_by,
            counted,
            placed.utc_ms,
            placed.earliest_ms,
            placed.latest_ms,
            placed.approximate,
            placed.local_day,
            placed.local_hour,
            record.answer.is_not_applicable(),
        ])?;
    if inserted == 0 {
        return settle_existing(tx, kiosk, &id, &hash, &content, placer.received_ms());
    }
    if counted {
        let answer = Counted {
            desk: record.desk_id.to_string(),
            question: record.question.to_string(),
            day: placed.local_day,
            hour: i64::from(placed.local_hour),
            language: record.language.to_string(),
            larger_text: record.larger_text,
            burst: false,
            answer: record.answer,
            reasons: join(&record.reasons),
        };
        tally.add(&answer, 1).map_err(StorageError::Corrupt)?;
    }
    if record.question == Question::Overall {
        overall_times.push(placed.utc_ms);
    }
    if let Some(old) = record.supersedes {
        uncount_superseded(tx, kiosk, &old.to_string(), &id, tally)?;
    }
    if corrects_purged {
        uncount_corrections_of(tx, kiosk, &id, tally)?;
    }
    Ok(RecordOutcome::Stored)
}

/// Un-counts every stored answer that corrects `id`, directly or in turn: `id`'s chain reaches
/// an answer purged for retention, which stays counted. `UNION` ends the walk on a stored cycle.
fn uncount_corrections_of(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    id: &str,
    tally: &mut Tally,
) -> Result<(), StorageError> {
    let corrections = tx
        .prepare_cached(
            "WITH RECURSIVE correcting (id) AS (
                 SELECT id FROM answers INDEXED BY answers_supersedes
                 WHERE supersedes = ?1 AND kiosk_id = ?2
                 UNION
                 SELECT a.id FROM correcting c JOIN answers a ON a.supersedes = c.id
                 WHERE a.kiosk_id = ?2
             )
             SELECT id FROM correcting",
        )?
        .query_map(params![id, kiosk.id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for correction in corrections {
        if let Some((answer, true)) = load_counted(tx, &correction)? {
            tx.prepare_cached("UPDATE answers SET counted = 0 WHERE id = ?1")?
                .execute([&correction])?;
            tally.add(&answer, -1).map_err(StorageError::Corrupt)?;
        }
    }
    Ok(())
}

/// What a conflict log keeps as the first content of an answer purged for retention.
const PURGED_CONTENT: &str = "(purged: older than the answers' retention)";

/// The id is already stored, or was and has been purged: a duplicate if the content is the
/// same, else a conflict (the first is kept, the second logged). Only a conflict rebuilds the
/// first record's JSON for the log; a duplicate compares fingerprints alone.
fn settle_existing(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    id: &str,
    hash: &[u8; 32],
    content: &str,
    received_ms: i64,
) -> Result<RecordOutcome, StorageError> {
    let stored: Option<Vec<u8>> = tx
        .prepare_cached("SELECT content_sha256 FROM answers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let first_hash = match stored {
        Some(stored) => stored,
        None => tx
            .prepare_cached("SELECT content_sha256 FROM purged_answers WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?,
    };
    let settled = outcome::settle_taken(&first_hash, hash);
    if settled == RecordOutcome::Conflict {
        let first_content = tx
            .prepare_cached(
                "SELECT id, visit_id, sequence, desk_id, question, score, not_applicable, reasons,
                        language, larger_text, input, supersedes, wall_clock_ms, boot_id,
                        boottime_ns, clock_synchronized
                 FROM answers WHERE id = ?1",
            )?
            .query_row([id], stored_content)
            .optional()?
            .unwrap_or_else(|| PURGED_CONTENT.to_owned());
        tx.execute(
            "INSERT INTO conflicts (record_id, kiosk_id, received_at_ms, first_content,
                 second_content) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, kiosk.id, received_ms, first_content, content],
        )?;
        tracing::warn!(record = %id, kiosk = %kiosk.id, "same record id with different content: first kept");
    }
    Ok(settled)
}

/// The JSON of the record a row of `answers` holds (columns as `settle_existing` selects
/// them), as ingest hashed it: the same fields give the same text.
fn stored_content(r: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
    fn parsed<T: std::str::FromStr>(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        r.get::<_, String>(i)?.parse().map_err(|e: T::Err| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        })
    }
    let unsigned = |i: usize| -> rusqlite::Result<u64> {
        u64::try_from(r.get::<_, i64>(i)?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, e.into())
        })
    };
    let reasons: String = r.get(7)?;
    let record = RatingRecord {
        id: parsed(r, 0)?,
        visit_id: parsed(r, 1)?,
        sequence: unsigned(2)?,
        desk_id: parsed(r, 3)?,
        question: parsed(r, 4)?,
        answer: stored_answer(r.get(5)?, r.get(6)?).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Integer, e.into())
        })?,
        reasons: reasons
            .split(',')
            .filter(|code| !code.is_empty())
            .map(|code| {
                code.parse().map_err(|e: model::ParseError| {
                    rusqlite::Error::FromSqlConversionFailure(
                        7,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })
            })
            .collect::<rusqlite::Result<_>>()?,
        language: parsed(r, 8)?,
        larger_text: r.get(9)?,
        input: parsed(r, 10)?,
        supersedes: r
            .get::<_, Option<String>>(11)?
            .map(|id| {
                id.parse().map_err(|e: model::ParseError| {
                    rusqlite::Error::FromSqlConversionFailure(
                        11,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })
            })
            .transpose()?,
        recorded: RecordedTime {
            wall_clock_ms: r.get(12)?,
            boot_id: r.get(13)?,
            boottime_ns: unsigned(14)?,
            clock_synchronized: r.get(15)?,
        },
    };
    serde_json::to_string(&record).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A correction un-counts the answer it replaces (only the same kiosk's, only once).
fn uncount_superseded(
    tx: &Transaction<'_>,
    kiosk: &Kiosk,
    old: &str,
    new: &str,
    tally: &mut Tally,
) -> Result<(), StorageError> {
    let previous_is_live: Option<()> = tx
        .prepare_cached(
            "SELECT 1 FROM answers WHERE id = ?1 AND kiosk_id = ?2 AND superseded_by IS NULL",
        )?
        .query_row(params![old, kiosk.id], |_| Ok(()))
        .optional()?;
    if previous_is_live.is_none() {
        return Ok(());
    }
    let Some((previous, counted)) = load_counted(tx, old)? else {
        return Ok(());
    };
    tx.prepare_cached("UPDATE answers SET superseded_by = ?2, counted = 0 WHERE id = ?1")?
        .execute(params![old, new])?;
    if counted {
        tally.add(&previous, -1).map_err(StorageError::Corrupt)?;
    }
    Ok(())
}
