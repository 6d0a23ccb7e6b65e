//! The standards each desk's survey has offered, now or before (`desk_standards_offered`): kept
//! whenever a survey is stored, read by ingest so an answer given under an earlier survey is
//! still admitted when its kiosk syncs days later, and one never offered is not.

use model::StandardId;
use rusqlite::{Connection, params};

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

/// Every standard `desk`'s survey has offered.
pub(super) fn list(conn: &Connection, desk: &str) -> Result<Vec<StandardId>, StorageError> {
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
