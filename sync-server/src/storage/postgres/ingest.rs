//! Storing a batch of answers on PostgreSQL in its one transaction: an outcome per record
//! (`crate::counting::outcome`) decided by `INSERT … ON CONFLICT DO NOTHING` on the primary key,
//! never by check-then-insert (an id purged for retention stays taken); event-time placement;
//! corrections; bursts (`crate::counting::bursts`); and rollups changed only for rows actually
//! inserted. The queries are SQLite's (`sqlite/ingest.rs`) in PostgreSQL's dialect.

use model::wire::{BatchReceipt, RecordBatch, RecordOutcome, RecordReceipt};
use model::{LanguageTag, Question, RatingRecord, RecordId, RecordedTime};
use postgres::{Row, Statement, Transaction};

use super::event_times::{self, Placer};
use super::tally::{load_counted, stored_answer, write_tally};
use super::{join, split};
use crate::admission::Offered;
use crate::counting::bursts::{BURST_WINDOW_MS, Nearby, members, spans};
use crate::counting::outcome;
use crate::counting::tally::{Counted, Tally};
use crate::storage::{Kiosk, StorageError};

/// Stores `batch` from `kiosk`, received at `received_ms`, inside `tx`.
pub(super) fn batch(
    tx: &mut Transaction<'_>,
    kiosk: &Kiosk,
    batch: &RecordBatch,
    received_ms: i64,
) -> Result<BatchReceipt, StorageError> {
    event_times::record_batch_anchors(tx, kiosk, batch, received_ms)?;
    let mut placer = Placer::new(kiosk, batch, received_ms);
    let offered = offered(tx, kiosk.desk_id.as_str(), batch)?;
    let per_record = PerRecord::prepare(tx)?;
    let mut tally = Tally::default();
    // The event times of the overall ratings this batch stored: bursts are looked for around
    // them, once per stretch of nearby ones (`spans`) rather than once per rating.
    let mut overall_times = Vec::new();
    let mut results = Vec::with_capacity(batch.records.len());
    for record in &batch.records {
        let chain = corrected_chain(tx, kiosk, record)?;
        let refused = match outcome::refusal(&kiosk.desk_id, record, &offered) {
            Some(reason) => Some(reason),
            None => outcome::cycle_refusal(record, &chain),
        };
        let outcome = match refused {
            Some(reason) => RecordOutcome::Rejected { reason },
            None => one(
                tx,
                &per_record,
                kiosk,
                batch,
                (record, &chain),
                &mut placer,
                &mut tally,
                &mut overall_times,
            )?,
        };
        results.push(RecordReceipt {
            id: record.id,
            outcome,
        });
    }
    for (first, last) in spans(&overall_times) {
        flag_bursts_between(tx, &kiosk.id, first, last, &mut tally)?;
    }
    write_tally(tally, tx)?;
    tx.execute(
        "UPDATE kiosks SET last_seen_ms = $2, last_clock = $3 WHERE id = $1",
        &[
            &kiosk.id,
            &received_ms,
            &serde_json::to_string(&batch.sent).unwrap_or_default(),
        ],
    )?;
    Ok(BatchReceipt { results })
}

/// What `desk`'s survey has offered, as far as `batch`'s records need to know (as SQLite's
/// `sqlite/offered.rs`): every standard offered now or before, the languages offered now, and any
/// other language of `batch` that the desk has answers in (no table keeps past languages).
fn offered(
    tx: &mut Transaction<'_>,
    desk: &str,
    batch: &RecordBatch,
) -> Result<Offered, StorageError> {
    let corrupt = |e: model::ParseError| StorageError::Corrupt(format!("desk {desk:?}: {e}"));
    let now: String = tx
        .query_one("SELECT languages FROM desks WHERE id = $1", &[&desk])?
        .try_get(0)?;
    let mut languages = split(&now)
        .map(str::parse::<LanguageTag>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    for record in &batch.records {
        if languages.contains(&record.language) {
            continue;
        }
        let answered_in: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM rollups WHERE desk_id = $1 AND language = $2)",
                &[&desk, &record.language.as_str()],
            )?
            .try_get(0)?;
        if answered_in {
            languages.push(record.language.clone());
        }
    }
    Ok(Offered {
        standards: standards_offered(tx, desk)?,
        languages,
    })
}

/// The answers `record`'s `supersedes` target corrects, those correct in turn and so on, among
/// this kiosk's stored answers (as SQLite's): `UNION` ends the walk even on a stored cycle.
fn corrected_chain(
    tx: &mut Transaction<'_>,
    kiosk: &Kiosk,
    record: &RatingRecord,
) -> Result<Vec<RecordId>, StorageError> {
    let Some(target) = record.supersedes else {
        return Ok(Vec::new());
    };
    tx.query(
        "WITH RECURSIVE corrected (id) AS (
             SELECT supersedes FROM answers
             WHERE id = $1 AND kiosk_id = $2 AND supersedes IS NOT NULL
             UNION
             SELECT a.supersedes FROM corrected c JOIN answers a ON a.id = c.id
             WHERE a.kiosk_id = $2 AND a.supersedes IS NOT NULL
         )
         SELECT id FROM corrected",
        &[&target.to_string(), &kiosk.id],
    )?
    .iter()
    .map(|r| {
        let id: String = r.try_get(0)?;
        id.parse()
            .map_err(|e| StorageError::Corrupt(format!("answer {target}, supersedes: {e}")))
    })
    .collect()
}

/// Every standard `desk`'s survey has offered, now or before.
fn standards_offered(
    tx: &mut Transaction<'_>,
    desk: &str,
) -> Result<Vec<model::StandardId>, StorageError> {
    tx.query(
        "SELECT standard FROM desk_standards_offered WHERE desk_id = $1",
        &[&desk],
    )?
    .iter()
    .map(|r| {
        let text: String = r.try_get(0)?;
        text.parse()
            .map_err(|e| StorageError::Corrupt(format!("desk {desk:?}, offered standard: {e}")))
    })
    .collect()
}

/// The statements `one` runs for every record, prepared once per batch: run from their text,
/// each would be parsed and planned again for every record, at a round trip to the server more
/// each time (which on a busy machine cost more than the statements themselves).
struct PerRecord {
    superseded_by: Statement,
    superseded_by_purged: Statement,
    insert: Statement,
}

impl PerRecord {
    fn prepare(tx: &mut Transaction<'_>) -> Result<PerRecord, StorageError> {
        Ok(PerRecord {
            superseded_by: tx.prepare(
                "SELECT id FROM answers
                 WHERE supersedes = $1 AND kiosk_id = $2 AND id <> $1
                 ORDER BY sequence DESC LIMIT 1",
            )?,
            superseded_by_purged: tx.prepare(
                "SELECT id FROM purged_answers
                 WHERE supersedes = $1 AND kiosk_id = $2 AND id <> $1 LIMIT 1",
            )?,
            insert: tx.prepare(
                "INSERT INTO answers (id, kiosk_id, desk_id, visit_id, sequence, question, score,
                     reasons, language, larger_text, input, supersedes, wall_clock_ms, boot_id,
                     boottime_ns, clock_synchronized, content_sha256, received_at_ms,
                     sent_wall_clock_ms, sent_boot_id, sent_boottime_ns, sent_clock_synchronized,
                     superseded_by, counted, event_utc_ms, event_earliest_ms, event_latest_ms,
                     event_approximate, local_day, local_hour, not_applicable)
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                        $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31
                 WHERE NOT EXISTS (SELECT 1 FROM purged_answers WHERE id = $1)
                 ON CONFLICT (id) DO NOTHING",
            )?,
        })
    }
}

/// Stores one admitted record of a batch, with the answers it corrects in turn
/// ([`corrected_chain`]), and returns its outcome.
#[allow(clippy::too_many_arguments)]
fn one(
    tx: &mut Transaction<'_>,
    statements: &PerRecord,
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

    // A record that arrives after the record superseding it is kept but not counted; so is the
    // correction of an answer already purged for retention (that one stays counted).
    let mut superseded_by: Option<String> = tx
        .query_opt(&statements.superseded_by, &[&id, &kiosk.id])?
        .map(|r| r.try_get(0))
        .transpose()?;
    if superseded_by.is_none() {
        superseded_by = tx
            .query_opt(&statements.superseded_by_purged, &[&id, &kiosk.id])?
            .map(|r| r.try_get(0))
            .transpose()?;
    }
    let mut corrects_purged = false;
    for old in record.supersedes.iter().chain(chain) {
        corrects_purged |= tx
            .query_opt(
                "SELECT 1 FROM purged_answers WHERE id = $1 AND kiosk_id = $2",
                &[&old.to_string(), &kiosk.id],
            )?
            .is_some();
    }
    let counted = outcome::counts_when_stored(superseded_by.is_some(), corrects_purged);

    let sent = &batch.sent;
    let inserted = tx.execute(
        &statements.insert,
        &[
            &id,
            &kiosk.id,
            &record.desk_id.as_str(),
            &record.visit_id.to_string(),
            &i64::try_from(record.sequence).unwrap_or(i64::MAX),
            &record.question.to_string(),
            &record.answer.score().map(|s| i64::from(s.value())),
            &join(&record.reasons),
            &record.language.as_str(),
            &record.larger_text,
            &record.input.as_str(),
            &record.supersedes.map(|s| s.to_string()),
            &record.recorded.wall_clock_ms,
            &record.recorded.boot_id,
            &i64::try_from(record.recorded.boottime_ns).unwrap_or(i64::MAX),
            &record.recorded.clock_synchronized,
            &hash.as_slice(),
            &placer.received_ms(),
            &sent.wall_clock_ms,
            &sent.boot_id,
            &i64::try_from(sent.boottime_ns).unwrap_or(i64::MAX),
            &sent.clock_synchronized,
            &superseded_by,
            &counted,
            &placed.utc_ms,
            &placed.earliest_ms,
            &placed.latest_ms,
            &placed.approximate,
            &placed.local_day,
            &i64::from(placed.local_hour),
            &record.answer.is_not_applicable(),
        ],
    )?;
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
    tx: &mut Transaction<'_>,
    kiosk: &Kiosk,
    id: &str,
    tally: &mut Tally,
) -> Result<(), StorageError> {
    let corrections = tx
        .query(
            "WITH RECURSIVE correcting (id) AS (
                 SELECT id FROM answers WHERE supersedes = $1 AND kiosk_id = $2
                 UNION
                 SELECT a.id FROM correcting c JOIN answers a ON a.supersedes = c.id
                 WHERE a.kiosk_id = $2
             )
             SELECT id FROM correcting",
            &[&id, &kiosk.id],
        )?
        .iter()
        .map(|r| r.try_get::<_, String>(0))
        .collect::<Result<Vec<_>, _>>()?;
    for correction in corrections {
        if let Some((answer, true)) = load_counted(tx, &correction)? {
            tx.execute(
                "UPDATE answers SET counted = false WHERE id = $1",
                &[&correction],
            )?;
            tally.add(&answer, -1).map_err(StorageError::Corrupt)?;
        }
    }
    Ok(())
}

/// What a conflict log keeps as the first content of an answer purged for retention.
const PURGED_CONTENT: &str = "(purged: older than the answers' retention)";

/// The id is already stored, or was and has been purged: a duplicate if the content is the
/// same, else a conflict (the first is kept, the second logged).
fn settle_existing(
    tx: &mut Transaction<'_>,
    kiosk: &Kiosk,
    id: &str,
    hash: &[u8; 32],
    content: &str,
    received_ms: i64,
) -> Result<RecordOutcome, StorageError> {
    let stored = tx.query_opt(
        "SELECT content_sha256, id, visit_id, sequence, desk_id, question, score,
                not_applicable, reasons, language, larger_text, input, supersedes,
                wall_clock_ms, boot_id, boottime_ns, clock_synchronized
         FROM answers WHERE id = $1",
        &[&id],
    )?;
    let (first_hash, first_content): (Vec<u8>, String) = match stored {
        Some(r) => (r.try_get(0)?, stored_content(&r)?),
        None => (
            tx.query_one(
                "SELECT content_sha256 FROM purged_answers WHERE id = $1",
                &[&id],
            )?
            .try_get(0)?,
            PURGED_CONTENT.to_owned(),
        ),
    };
    let settled = outcome::settle_taken(&first_hash, hash);
    if settled == RecordOutcome::Conflict {
        tx.execute(
            "INSERT INTO conflicts (record_id, kiosk_id, received_at_ms, first_content,
                 second_content) VALUES ($1, $2, $3, $4, $5)",
            &[&id, &kiosk.id, &received_ms, &first_content, &content],
        )?;
        tracing::warn!(record = %id, kiosk = %kiosk.id, "same record id with different content: first kept");
    }
    Ok(settled)
}

/// The JSON of the record a row of `answers` holds (columns from 1 on as `settle_existing`
/// selects them), as ingest hashed it: the same fields give the same text.
fn stored_content(r: &Row) -> Result<String, StorageError> {
    fn parsed<T: std::str::FromStr>(r: &Row, i: usize) -> Result<T, StorageError>
    where
        T::Err: std::fmt::Display,
    {
        r.try_get::<_, String>(i)?
            .parse()
            .map_err(|e: T::Err| StorageError::Corrupt(format!("answer column {i}: {e}")))
    }
    let unsigned = |i: usize| -> Result<u64, StorageError> {
        u64::try_from(r.try_get::<_, i64>(i)?)
            .map_err(|e| StorageError::Corrupt(format!("answer column {i}: {e}")))
    };
    let reasons: String = r.try_get(8)?;
    let record = RatingRecord {
        id: parsed(r, 1)?,
        visit_id: parsed(r, 2)?,
        sequence: unsigned(3)?,
        desk_id: parsed(r, 4)?,
        question: parsed(r, 5)?,
        answer: stored_answer(r.try_get(6)?, r.try_get(7)?).map_err(StorageError::Corrupt)?,
        reasons: split(&reasons)
            .map(|code| {
                code.parse().map_err(|e: model::ParseError| {
                    StorageError::Corrupt(format!("answer reasons: {e}"))
                })
            })
            .collect::<Result<_, _>>()?,
        language: parsed(r, 9)?,
        larger_text: r.try_get(10)?,
        input: parsed(r, 11)?,
        supersedes: r
            .try_get::<_, Option<String>>(12)?
            .map(|id| {
                id.parse().map_err(|e: model::ParseError| {
                    StorageError::Corrupt(format!("answer supersedes: {e}"))
                })
            })
            .transpose()?,
        recorded: RecordedTime {
            wall_clock_ms: r.try_get(13)?,
            boot_id: r.try_get(14)?,
            boottime_ns: unsigned(15)?,
            clock_synchronized: r.try_get(16)?,
        },
    };
    serde_json::to_string(&record).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// A correction un-counts the answer it replaces (only the same kiosk's, only once).
fn uncount_superseded(
    tx: &mut Transaction<'_>,
    kiosk: &Kiosk,
    old: &str,
    new: &str,
    tally: &mut Tally,
) -> Result<(), StorageError> {
    let previous_is_live = tx
        .query_opt(
            "SELECT 1 FROM answers WHERE id = $1 AND kiosk_id = $2 AND superseded_by IS NULL",
            &[&old, &kiosk.id],
        )?
        .is_some();
    if !previous_is_live {
        return Ok(());
    }
    let Some((previous, counted)) = load_counted(tx, old)? else {
        return Ok(());
    };
    tx.execute(
        "UPDATE answers SET superseded_by = $2, counted = false WHERE id = $1",
        &[&old, &new],
    )?;
    if counted {
        tally.add(&previous, -1).map_err(StorageError::Corrupt)?;
    }
    Ok(())
}

/// After a batch stored overall ratings of `kiosk_id` placed between `first_ms` and `last_ms`:
/// flags every overall rating of that kiosk now in a burst (`crate::counting::bursts`) and moves
/// the counted ones to the burst cells of the rollups. A flag is never cleared.
fn flag_bursts_between(
    tx: &mut Transaction<'_>,
    kiosk_id: &str,
    first_ms: i64,
    last_ms: i64,
    tally: &mut Tally,
) -> Result<(), StorageError> {
    let nearby = tx
        .query(
            // The question is written out, not bound: the partial index holds overall ratings.
            "SELECT id, event_utc_ms, visit_id, burst FROM answers
             WHERE kiosk_id = $1 AND question = 'overall' AND event_utc_ms BETWEEN $2 AND $3
             ORDER BY event_utc_ms",
            &[
                &kiosk_id,
                &(first_ms - BURST_WINDOW_MS),
                &(last_ms + BURST_WINDOW_MS),
            ],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<_, String>(0)?,
                Nearby {
                    event_utc_ms: r.try_get(1)?,
                    visit_id: r.try_get(2)?,
                },
                r.try_get::<_, bool>(3)?,
            ))
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    let ratings: Vec<Nearby> = nearby.iter().map(|(_, n, _)| n.clone()).collect();
    for ((id, _, flagged), member) in nearby.iter().zip(members(&ratings)) {
        if !member || *flagged {
            continue;
        }
        let Some((before, counted)) = load_counted(tx, id)? else {
            continue;
        };
        tx.execute("UPDATE answers SET burst = true WHERE id = $1", &[id])?;
        if counted {
            let after = Counted {
                burst: true,
                ..before.clone()
            };
            tally
                .change(&before, &after)
                .map_err(StorageError::Corrupt)?;
        }
    }
    Ok(())
}
