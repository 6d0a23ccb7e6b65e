//! What each desk's survey has offered, now or before, as ingest reads it so an answer given
//! under an earlier survey is still admitted when its kiosk syncs days later, and one never
//! offered is not: the standards (`desk_standards_offered`, kept whenever a survey is stored) and
//! the languages (the survey's now, and a language since dropped that the desk's rollups count
//! answers in: no table keeps past languages).

use model::wire::RecordBatch;
use model::{LanguageTag, StandardId};
use rusqlite::{Connection, params};

use super::split;
use crate::admission::Offered;

use crate::storage::StorageError;

/// Notes that `desk`'s survey offers `standards` (a standard once noted stays).
pub(super) fn note(
    conn: &Connection,
    desk: &str,
    standards: &[StandardId],
) -> Result<(), StorageError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO desk_standards_offered (desk_id, standard) VALUES (?1, ?2)
         ON CONFLICT DO NOTHING",
    )?;
    for standard in standards {
        insert.execute(params![desk, standard.roman()])?;
    }
    Ok(())
}

/// What `desk`'s survey has offered, as far as `batch`'s records need to know: every standard,
/// the languages offered now, and any other language of `batch` that the desk has answers in.
pub(super) fn for_batch(
    conn: &Connection,
    desk: &str,
    batch: &RecordBatch,
) -> Result<Offered, StorageError> {
    let corrupt = |e: model::ParseError| StorageError::Corrupt(format!("desk {desk:?}: {e}"));
    let now: String = conn
        .prepare_cached("SELECT languages FROM desks WHERE id = ?1")?
        .query_row([desk], |r| r.get(0))?;
    let mut languages = split(&now)
        .map(str::parse::<LanguageTag>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    for record in &batch.records {
        if languages.contains(&record.language) {
            continue;
        }
        // Rare (a language dropped from the survey): a walk of this desk's rollups.
        let answered_in: bool = conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM rollups WHERE desk_id = ?1 AND language = ?2)",
            )?
            .query_row(params![desk, record.language.as_str()], |r| r.get(0))?;
        if answered_in {
            languages.push(record.language.clone());
        }
    }
    Ok(Offered {
        standards: standards(conn, desk)?,
        languages,
    })
}

/// Every standard `desk`'s survey has offered.
fn standards(conn: &Connection, desk: &str) -> Result<Vec<StandardId>, StorageError> {
    let mut stmt =
        conn.prepare_cached("SELECT standard FROM desk_standards_offered WHERE desk_id = ?1")?;
    let texts = stmt
        .query_map([desk], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    texts
        .iter()
        .map(|text| {
            text.parse()
                .map_err(|e| StorageError::Corrupt(format!("desk {desk:?}, offered standard: {e}")))
        })
        .collect()
}
