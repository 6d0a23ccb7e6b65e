//! SQL of the department reports' e-mail on PostgreSQL (crate::department_reports::delivery), as
//! SQLite's (`sqlite/department_reports.rs`): one row per recipient and month, inserted once by
//! its key, claimed in its own transaction before each attempt so no other round (after a
//! restart, or in another process) sends it meanwhile, retried by
//! `crate::alerts::delivery::next_attempt_ms`.

use postgres::{GenericClient, Transaction};

use crate::access::Scope;
use crate::alerts::delivery::next_attempt_ms;
use crate::lang::Lang;
use crate::storage::{ReportDelivery, ReportDeliveryState, StorageError};

/// Queues `month`'s report for every enabled head of department with an e-mail address; a
/// recipient queued before keeps its row. Returns how many rows were added.
pub(super) fn queue(
    tx: &mut Transaction<'_>,
    month: &str,
    now_ms: i64,
) -> Result<usize, StorageError> {
    let added = tx.execute(
        "INSERT INTO department_report_deliveries
             (user_id, month, office_id, department_id, created_at_ms, next_attempt_ms)
         SELECT id, $1, office_id, department_id, $2, $2 FROM users
         WHERE role = 'department_viewer' AND disabled_at_ms IS NULL AND email IS NOT NULL
         ON CONFLICT DO NOTHING",
        &[&month, &now_ms],
    )?;
    Ok(usize::try_from(added).unwrap_or(usize::MAX))
}

/// Claims the oldest due e-mail until `now_ms + lease_ms` (see SQLite's for the rules).
pub(super) fn claim(
    tx: &mut Transaction<'_>,
    now_ms: i64,
    lease_ms: i64,
) -> Result<Option<ReportDelivery>, StorageError> {
    let found = tx
        .query_opt(
            "SELECT d.user_id, u.username, u.email, u.lang, d.office_id, d.department_id,
                    d.month, d.attempts, d.resends
             FROM department_report_deliveries d JOIN users u ON u.id = d.user_id
             WHERE d.delivered_at_ms IS NULL AND d.next_attempt_ms IS NOT NULL
               AND d.next_attempt_ms <= $1
               AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms <= $1)
               AND u.disabled_at_ms IS NULL AND u.email IS NOT NULL
             ORDER BY d.next_attempt_ms, d.user_id, d.month LIMIT 1",
            &[&now_ms],
        )?
        .map(|r| {
            Ok::<_, StorageError>(ReportDelivery {
                user_id: r.try_get(0)?,
                username: r.try_get(1)?,
                email: r.try_get(2)?,
                lang: Lang::parse(&r.try_get::<_, String>(3)?).unwrap_or_default(),
                office_id: r.try_get(4)?,
                department_id: r.try_get(5)?,
                month: r.try_get(6)?,
                attempts: r.try_get(7)?,
                resends: r.try_get(8)?,
            })
        })
        .transpose()?;
    if let Some(claimed) = &found {
        tx.execute(
            "UPDATE department_report_deliveries SET claimed_until_ms = $3
             WHERE user_id = $1 AND month = $2",
            &[
                &claimed.user_id,
                &claimed.month,
                &now_ms.saturating_add(lease_ms),
            ],
        )?;
    }
    Ok(found)
}

/// Records one attempt: delivered, or failed with the next attempt after back-off. Either way
/// the claim ends.
pub(super) fn record(
    tx: &mut Transaction<'_>,
    user_id: i64,
    month: &str,
    outcome: &Result<(), String>,
    now_ms: i64,
) -> Result<(), StorageError> {
    let attempts: i64 = tx
        .query_one(
            "SELECT attempts FROM department_report_deliveries WHERE user_id = $1 AND month = $2",
            &[&user_id, &month],
        )?
        .try_get(0)?;
    let attempts = attempts + 1;
    match outcome {
        Ok(()) => tx.execute(
            "UPDATE department_report_deliveries SET attempts = $3, delivered_at_ms = $4,
                 next_attempt_ms = NULL, claimed_until_ms = NULL, last_error = NULL
             WHERE user_id = $1 AND month = $2",
            &[&user_id, &month, &attempts, &now_ms],
        )?,
        Err(error) => tx.execute(
            "UPDATE department_report_deliveries SET attempts = $3, next_attempt_ms = $4,
                 claimed_until_ms = NULL, last_error = $5
             WHERE user_id = $1 AND month = $2",
            &[
                &user_id,
                &month,
                &attempts,
                &next_attempt_ms(attempts, now_ms),
                error,
            ],
        )?,
    };
    Ok(())
}

/// The e-mails within `scope` (its office, and its department), newest month first.
pub(super) fn listing(
    conn: &mut impl GenericClient,
    scope: &Scope,
    limit: usize,
) -> Result<Vec<ReportDeliveryState>, StorageError> {
    conn.query(
        "SELECT d.user_id, u.username, d.office_id, d.department_id, d.month, d.attempts,
                d.delivered_at_ms, d.claimed_until_ms, d.next_attempt_ms, d.last_error,
                d.resent_by, u.disabled_at_ms IS NOT NULL
         FROM department_report_deliveries d JOIN users u ON u.id = d.user_id
         WHERE ($1::text IS NULL OR d.office_id = $1) AND ($2::text IS NULL OR d.department_id = $2)
         ORDER BY d.month DESC, d.office_id, d.department_id, u.username LIMIT $3",
        &[
            &scope.office(),
            &scope.department(),
            &i64::try_from(limit).unwrap_or(i64::MAX),
        ],
    )?
    .iter()
    .map(|r| {
        Ok(ReportDeliveryState {
            user_id: r.try_get(0)?,
            username: r.try_get(1)?,
            office_id: r.try_get(2)?,
            department_id: r.try_get(3)?,
            month: r.try_get(4)?,
            attempts: r.try_get(5)?,
            delivered_at_ms: r.try_get(6)?,
            claimed_until_ms: r.try_get(7)?,
            next_attempt_ms: r.try_get(8)?,
            last_error: r.try_get(9)?,
            resent_by: r.try_get(10)?,
            recipient_disabled: r.try_get(11)?,
        })
    })
    .collect()
}

/// Makes one recipient's e-mail of `month` due again now, unless a round holds it at this
/// moment. False when there is no such row or it is being sent.
pub(super) fn resend(
    tx: &mut Transaction<'_>,
    user_id: i64,
    month: &str,
    by: &str,
    now_ms: i64,
) -> Result<bool, StorageError> {
    let changed = tx.execute(
        "UPDATE department_report_deliveries SET delivered_at_ms = NULL, next_attempt_ms = $3,
             attempts = 0, last_error = NULL, resent_by = $4, resends = resends + 1
         WHERE user_id = $1 AND month = $2
           AND (claimed_until_ms IS NULL OR claimed_until_ms <= $3)",
        &[&user_id, &month, &now_ms, &by],
    )?;
    Ok(changed == 1)
}
