//! SQL of the department reports' e-mail (crate::department_reports::delivery): one row per
//! recipient and month, inserted once by its key, claimed in its own transaction before each
//! attempt so no other round (after a restart, or in another process) sends it meanwhile, and
//! retried with the alerts' back-off.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::alerts::next_attempt_ms;
use crate::access::Scope;
use crate::lang::Lang;
use crate::storage::{ReportDelivery, ReportDeliveryState, StorageError};

/// Queues `month`'s report for every enabled head of department with an e-mail address; a
/// recipient queued before (by this process or another) keeps its row. Returns how many rows
/// were added.
pub fn queue(tx: &Transaction<'_>, month: &str, now_ms: i64) -> Result<usize, StorageError> {
    let added = tx.execute(
        "INSERT OR IGNORE INTO department_report_deliveries
             (user_id, month, office_id, department_id, created_at_ms, next_attempt_ms)
         SELECT id, ?1, office_id, department_id, ?2, ?2 FROM users
         WHERE role = 'department_viewer' AND disabled_at_ms IS NULL AND email IS NOT NULL",
        params![month, now_ms],
    )?;
    Ok(added)
}

/// Claims the oldest due e-mail until `now_ms + lease_ms`: not delivered, due, not claimed by
/// a round still within its lease, its recipient enabled and with an address. The claim is
/// committed before the caller sends, so a crash during the send leaves the row claimed until
/// the lease ends (and then it is tried again).
pub fn claim(
    tx: &Transaction<'_>,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<ReportDelivery>, StorageError> {
    let found = tx
        .query_row(
            "SELECT d.user_id, u.username, u.email, u.lang, d.office_id, d.department_id,
                    d.month, d.attempts, d.resends
             FROM department_report_deliveries d JOIN users u ON u.id = d.user_id
             WHERE d.delivered_at_ms IS NULL AND d.next_attempt_ms IS NOT NULL
               AND d.next_attempt_ms <= ?1
               AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms <= ?1)
               AND u.disabled_at_ms IS NULL AND u.email IS NOT NULL
             ORDER BY d.next_attempt_ms, d.user_id, d.month LIMIT 1",
            [now_ms],
            |r| {
                Ok(ReportDelivery {
                    user_id: r.get(0)?,
                    username: r.get(1)?,
                    email: r.get(2)?,
                    lang: Lang::parse(&r.get::<_, String>(3)?).unwrap_or_default(),
                    office_id: r.get(4)?,
                    department_id: r.get(5)?,
                    month: r.get(6)?,
                    attempts: r.get(7)?,
                    resends: r.get(8)?,
                })
            },
        )
        .optional()?;
    if let Some(claimed) = &found {
        tx.execute(
            "UPDATE department_report_deliveries SET claimed_until_ms = ?3
             WHERE user_id = ?1 AND month = ?2",
            params![
                claimed.user_id,
                claimed.month,
                now_ms.saturating_add(lease_ms)
            ],
        )?;
    }
    Ok(found)
}

/// Records one attempt: delivered, or failed with the next attempt after back-off (none after
/// the alerts' last attempt). Either way the claim ends.
pub fn record(
    tx: &Transaction<'_>,
    user_id: i64,
    month: &str,
    outcome: &Result<(), String>,
    now_ms: i64,
) -> Result<(), StorageError> {
    let attempts: i64 = tx.query_row(
        "SELECT attempts FROM department_report_deliveries WHERE user_id = ?1 AND month = ?2",
        params![user_id, month],
        |r| r.get(0),
    )?;
    let attempts = attempts + 1;
    match outcome {
        Ok(()) => tx.execute(
            "UPDATE department_report_deliveries SET attempts = ?3, delivered_at_ms = ?4,
                 next_attempt_ms = NULL, claimed_until_ms = NULL, last_error = NULL
             WHERE user_id = ?1 AND month = ?2",
            params![user_id, month, attempts, now_ms],
        )?,
        Err(error) => tx.execute(
            "UPDATE department_report_deliveries SET attempts = ?3, next_attempt_ms = ?4,
                 claimed_until_ms = NULL, last_error = ?5
             WHERE user_id = ?1 AND month = ?2",
            params![
                user_id,
                month,
                attempts,
                next_attempt_ms(attempts, now_ms),
                error
            ],
        )?,
    };
    Ok(())
}

/// The e-mails within `scope` (its office, and its department), newest month first.
pub fn listing(
    conn: &Connection,
    scope: &Scope,
    limit: usize,
) -> Result<Vec<ReportDeliveryState>, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.user_id, u.username, d.office_id, d.department_id, d.month, d.attempts,
                d.delivered_at_ms, d.claimed_until_ms, d.next_attempt_ms, d.last_error,
                d.resent_by, u.disabled_at_ms IS NOT NULL
         FROM department_report_deliveries d JOIN users u ON u.id = d.user_id
         WHERE (?1 IS NULL OR d.office_id = ?1) AND (?2 IS NULL OR d.department_id = ?2)
         ORDER BY d.month DESC, d.office_id, d.department_id, u.username LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(
            params![
                scope.office(),
                scope.department(),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok(ReportDeliveryState {
                    user_id: r.get(0)?,
                    username: r.get(1)?,
                    office_id: r.get(2)?,
                    department_id: r.get(3)?,
                    month: r.get(4)?,
                    attempts: r.get(5)?,
                    delivered_at_ms: r.get(6)?,
                    claimed_until_ms: r.get(7)?,
                    next_attempt_ms: r.get(8)?,
                    last_error: r.get(9)?,
                    resent_by: r.get(10)?,
                    recipient_disabled: r.get(11)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Makes one recipient's e-mail of `month` due again now (an admin's "send again"), unless a
/// round holds it at this moment. False when there is no such row or it is being sent.
pub fn resend(
    tx: &Transaction<'_>,
    user_id: i64,
    month: &str,
    by: &str,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let changed = tx.execute(
        "UPDATE department_report_deliveries SET delivered_at_ms = NULL, next_attempt_ms = ?3,
             attempts = 0, last_error = NULL, resent_by = ?4, resends = resends + 1
         WHERE user_id = ?1 AND month = ?2
           AND (claimed_until_ms IS NULL OR claimed_until_ms <= ?3)",
        params![user_id, month, now_ms, by],
    )?;
    Ok(changed == 1)
}
