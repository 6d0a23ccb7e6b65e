//! Rollup changes summed in memory during one transaction and written once per cell at its end:
//! a batch of 200 answers touches a handful of cells, not 200.

use std::collections::HashMap;

use rusqlite::{Transaction, params};

use crate::storage::StorageError;

/// One rollup cell: what a counted answer is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Cell {
    pub desk: String,
    pub question: String,
    /// The Europe/Warsaw day of the answer's placed event time.
    pub day: String,
    pub language: String,
    pub larger_text: bool,
}

/// Per cell: changes to the counts of scores 1–4, and to answers with reasons.
#[derive(Debug, Default)]
pub(super) struct Tally {
    cells: HashMap<Cell, ([i64; 4], i64)>,
}

impl Tally {
    /// Counts an answer (`delta` +1) or un-counts one (−1).
    pub fn add(
        &mut self,
        cell: Cell,
        score: u8,
        has_reasons: bool,
        delta: i64,
    ) -> Result<(), StorageError> {
        let index = match score {
            1..=4 => usize::from(score - 1),
            other => return Err(StorageError::Corrupt(format!("score {other} stored"))),
        };
        let (scores, reasons) = self.cells.entry(cell).or_default();
        scores[index] += delta;
        if has_reasons {
            *reasons += delta;
        }
        Ok(())
    }

    /// Applies every change to the `rollups` table.
    pub fn write(self, tx: &Transaction<'_>) -> Result<(), StorageError> {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO rollups (desk_id, question, day, language, larger_text, score_1,
                 score_2, score_3, score_4, reasons)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (desk_id, question, day, language, larger_text) DO UPDATE SET
                 score_1 = score_1 + excluded.score_1, score_2 = score_2 + excluded.score_2,
                 score_3 = score_3 + excluded.score_3, score_4 = score_4 + excluded.score_4,
                 reasons = reasons + excluded.reasons",
        )?;
        for (cell, (scores, reasons)) in self.cells {
            if scores == [0; 4] && reasons == 0 {
                continue;
            }
            upsert.execute(params![
                cell.desk,
                cell.question,
                cell.day,
                cell.language,
                cell.larger_text,
                scores[0],
                scores[1],
                scores[2],
                scores[3],
                reasons
            ])?;
        }
        Ok(())
    }
}
