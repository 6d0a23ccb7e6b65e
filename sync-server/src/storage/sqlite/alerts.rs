//! SQL of alerts: rules, the readings their evaluation needs, raising and clearing with the
//! delivery log, and the history pages show. Decisions are made in `crate::alerts`.

use rusqlite::{Connection, Row, Transaction, params};

use crate::access::Scope;
use crate::alerts::delivery::{CLAIM_LEASE_MS, Channel};
use crate::alerts::{
    AlertEvent, AlertRecord, AlertRule, Change, CsatWindow, OpenAlert, Reading, RuleKind,
};
use crate::analytics::Disclosure;
use crate::storage::{AlertListing, DeliveryState, PendingDelivery, StorageError};

pub use crate::alerts::delivery::next_attempt_ms;

const RULE_COLUMNS: &str = "id, kind, office_id, csat_below_percent, last_responses, last_days, silent_hours, enabled, created_at_ms";

fn rule_from_row(r: &Row<'_>) -> rusqlite::Result<AlertRule> {
    rule_at(r, 0)
}

/// A rule whose [`RULE_COLUMNS`] start at column `at`.
fn rule_at(r: &Row<'_>, at: usize) -> rusqlite::Result<AlertRule> {
    let kind: String = r.get(at + 1)?;
    let corrupt = |what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("alert rule {}: {what}", r.get::<_, i64>(at).unwrap_or(0)).into(),
        )
    };
    let kind = match kind.as_str() {
        "desk_csat" => {
            let below: i64 = r.get(at + 3)?;
            let window = match (
                r.get::<_, Option<u32>>(at + 4)?,
                r.get::<_, Option<u32>>(at + 5)?,
            ) {
                (Some(n), None) => CsatWindow::LastResponses(n),
                (None, Some(n)) => CsatWindow::LastDays(n),
                _ => return Err(corrupt("needs exactly one window")),
            };
            RuleKind::DeskCsat {
                below_percent: u8::try_from(below).map_err(|_| corrupt("bad threshold"))?,
                window,
            }
        }
        "kiosk_silent" => RuleKind::KioskSilent {
            hours: r.get(at + 6)?,
        },
        other => return Err(corrupt(&format!("unknown kind {other}"))),
    };
    Ok(AlertRule {
        id: r.get(at)?,
        kind,
        office_id: r.get(at + 2)?,
        enabled: r.get(at + 7)?,
        created_at_ms: r.get(at + 8)?,
    })
}

pub fn add_rule(
    tx: &Transaction<'_>,
    disclosure: Disclosure,
    kind: RuleKind,
    office_id: Option<&str>,
    now_ms: i64,
) -> Result<AlertRule, StorageError> {
    kind.check(disclosure).map_err(StorageError::Invalid)?;
    if let Some(office) = office_id {
        super::known_office(tx, office)?;
    }
    let (below, last_responses, last_days, silent_hours) = match kind {
        RuleKind::DeskCsat {
            below_percent,
            window,
        } => match window {
            CsatWindow::LastResponses(n) => (Some(below_percent), Some(n), None, None),
            CsatWindow::LastDays(n) => (Some(below_percent), None, Some(n), None),
        },
        RuleKind::KioskSilent { hours } => (None, None, None, Some(hours)),
    };
    tx.execute(
        "INSERT INTO alert_rules (kind, office_id, csat_below_percent, last_responses, last_days,
                                  silent_hours, enabled, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
        params![
            kind.name(),
            office_id,
            below,
            last_responses,
            last_days,
            silent_hours,
            now_ms
        ],
    )?;
    Ok(AlertRule {
        id: tx.last_insert_rowid(),
        kind,
        office_id: office_id.map(str::to_owned),
        enabled: true,
        created_at_ms: now_ms,
    })
}

pub fn rules(conn: &Connection) -> Result<Vec<AlertRule>, StorageError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY id"
    ))?;
    let rules = stmt
        .query_map([], rule_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rules)
}

pub fn set_rule_enabled(
    tx: &Transaction<'_>,
    rule_id: i64,
    enabled: bool,
) -> Result<bool, StorageError> {
    let changed = tx.execute(
        "UPDATE alert_rules SET enabled = ?2 WHERE id = ?1",
        params![rule_id, enabled],
    )?;
    Ok(changed == 1)
}

/// What `rule` needs to be evaluated at `now_ms`: one reading per desk or per kiosk in its office.
pub fn readings(
    conn: &Connection,
    rule: &AlertRule,
    now_ms: i64,
    disclosure: Disclosure,
) -> Result<Vec<Reading>, StorageError> {
    let office = rule.office_id.as_deref();
    match rule.kind {
        RuleKind::DeskCsat { window, .. } => {
            let window = window.at_least(disclosure);
            let mut desks = conn.prepare_cached(
                "SELECT id, office_id FROM desks WHERE ?1 IS NULL OR office_id = ?1 ORDER BY id",
            )?;
            let desks: Vec<(String, String)> = desks
                .query_map([office], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut readings = Vec::with_capacity(desks.len());
            for (desk_id, office_id) in desks {
                let (responses, satisfied) = match window {
                    CsatWindow::LastResponses(n) => conn
                        .prepare_cached(
                            // Newest first along the export's (desk, day, time) index: a
                            // day's answers follow the day before's, so this order is event
                            // time's, and no index of its own is kept at ingest for alerts.
                            "SELECT count(*), coalesce(sum(score >= 3), 0) FROM (
                                SELECT score FROM answers INDEXED BY answers_desk_day
                                WHERE desk_id = ?1 AND question = 'overall' AND counted = 1 AND burst = 0
                                ORDER BY local_day DESC, event_utc_ms DESC LIMIT ?2)",
                        )?
                        .query_row(params![desk_id, n], |r| Ok((r.get(0)?, r.get(1)?)))?,
                    CsatWindow::LastDays(n) => {
                        let first_day = crate::alerts::first_day_of_last(n, now_ms);
                        conn.prepare_cached(
                            "SELECT coalesce(sum(score_1 + score_2 + score_3 + score_4), 0),
                                    coalesce(sum(score_3 + score_4), 0)
                             FROM rollups
                             WHERE desk_id = ?1 AND question = 'overall' AND burst = 0 AND day >= ?2",
                        )?
                        .query_row(params![desk_id, first_day], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })?
                    }
                };
                readings.push(Reading::Desk {
                    desk_id,
                    office_id,
                    responses,
                    satisfied,
                });
            }
            Ok(readings)
        }
        RuleKind::KioskSilent { .. } => {
            let mut stmt = conn.prepare_cached(
                "SELECT k.id, d.office_id, coalesce(k.last_seen_ms, k.enrolled_at_ms)
                 FROM kiosks k JOIN desks d ON d.id = k.desk_id
                 WHERE k.revoked_at_ms IS NULL AND (?1 IS NULL OR d.office_id = ?1)
                 ORDER BY k.id",
            )?;
            let readings = stmt
                .query_map([office], |r| {
                    Ok(Reading::Kiosk {
                        kiosk_id: r.get(0)?,
                        office_id: r.get(1)?,
                        last_heard_ms: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(readings)
        }
    }
}

pub fn open_alerts(conn: &Connection) -> Result<Vec<OpenAlert>, StorageError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, rule_id, subject FROM alerts WHERE cleared_at_ms IS NULL ORDER BY id",
    )?;
    let open = stmt
        .query_map([], |r| {
            Ok(OpenAlert {
                id: r.get(0)?,
                rule_id: r.get(1)?,
                subject: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(open)
}

/// Raises and clears as decided, queueing one notification per change and channel. A raise that
/// another evaluation made first is skipped (one open alert per rule and subject).
pub fn apply_changes(
    tx: &Transaction<'_>,
    changes: &[Change],
    channels: &[Channel],
    now_ms: i64,
) -> Result<usize, StorageError> {
    let mut applied = 0;
    for change in changes {
        let (alert_id, event) = match change {
            Change::Raise {
                rule_id,
                subject,
                office_id,
                value,
                responses,
            } => {
                let inserted = tx.execute(
                    "INSERT OR IGNORE INTO alerts (rule_id, subject, office_id, raised_at_ms, value, responses)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![rule_id, subject, office_id, now_ms, value, responses],
                )?;
                if inserted == 0 {
                    continue;
                }
                (tx.last_insert_rowid(), AlertEvent::Raised)
            }
            Change::Clear { alert_id } => {
                let cleared = tx.execute(
                    "UPDATE alerts SET cleared_at_ms = ?2 WHERE id = ?1 AND cleared_at_ms IS NULL",
                    params![alert_id, now_ms],
                )?;
                if cleared == 0 {
                    continue;
                }
                (*alert_id, AlertEvent::Cleared)
            }
        };
        for channel in channels {
            tx.execute(
                "INSERT OR IGNORE INTO alert_deliveries (alert_id, event, channel, attempts, next_attempt_ms)
                 VALUES (?1, ?2, ?3, 0, ?4)",
                params![alert_id, event.as_str(), channel.as_str(), now_ms],
            )?;
        }
        applied += 1;
    }
    Ok(applied)
}

const ALERT_COLUMNS: &str =
    "a.id, a.subject, a.office_id, a.raised_at_ms, a.cleared_at_ms, a.value, a.responses,
     r.id, r.kind, r.office_id, r.csat_below_percent, r.last_responses, r.last_days, r.silent_hours,
     r.enabled, r.created_at_ms";

fn alert_from_row(r: &Row<'_>) -> rusqlite::Result<AlertRecord> {
    // The rule's columns follow the alert's seven, in RULE_COLUMNS order.
    let rule = rule_at(r, 7)?;
    Ok(AlertRecord {
        id: r.get(0)?,
        rule,
        subject: r.get(1)?,
        office_id: r.get(2)?,
        raised_at_ms: r.get(3)?,
        cleared_at_ms: r.get(4)?,
        value: r.get(5)?,
        responses: r.get(6)?,
    })
}

/// Alerts newest first, open or not, within `scope`, with their deliveries. An alert's subject
/// is a desk (CSAT rules) or a kiosk (silence rules); a department scope reads only those of its
/// own desks.
pub fn listing(
    conn: &Connection,
    scope: &Scope,
    limit: usize,
) -> Result<Vec<AlertListing>, StorageError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS} FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
         WHERE (?1 IS NULL OR a.office_id = ?1)
           AND (?2 IS NULL OR EXISTS (
                SELECT 1 FROM desks d LEFT JOIN kiosks k ON k.desk_id = d.id
                WHERE d.office_id = a.office_id AND d.department_id = ?2
                  AND (d.id = a.subject OR k.id = a.subject)))
         ORDER BY a.cleared_at_ms IS NOT NULL, coalesce(a.cleared_at_ms, a.raised_at_ms) DESC, a.id DESC
         LIMIT ?3"
    ))?;
    let alerts: Vec<AlertRecord> = stmt
        .query_map(
            params![
                scope.office(),
                scope.department(),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            alert_from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut deliveries = conn.prepare_cached(
        "SELECT event, channel, attempts, delivered_at_ms, last_error FROM alert_deliveries
         WHERE alert_id = ?1 ORDER BY event DESC, channel",
    )?;
    alerts
        .into_iter()
        .map(|alert| {
            let deliveries = deliveries
                .query_map([alert.id], delivery_state_from_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(AlertListing { alert, deliveries })
        })
        .collect()
}

fn delivery_state_from_row(r: &Row<'_>) -> rusqlite::Result<DeliveryState> {
    let (event, channel) = delivery_state_from_columns(r, 0)?;
    Ok(DeliveryState {
        event,
        channel,
        attempts: r.get(2)?,
        delivered_at_ms: r.get(3)?,
        last_error: r.get(4)?,
    })
}

/// Notifications due at `now_ms`, oldest first, each claimed until `now_ms + CLAIM_LEASE_MS`:
/// one claimed by another round (of this process or another on the file) is not handed out
/// again until its attempt is recorded or the claim lapses.
pub fn pending_deliveries(
    tx: &Transaction<'_>,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<PendingDelivery>, StorageError> {
    let mut stmt = tx.prepare_cached(&format!(
        "SELECT {ALERT_COLUMNS}, d.event, d.channel, d.attempts
         FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id JOIN alert_rules r ON r.id = a.rule_id
         WHERE d.delivered_at_ms IS NULL AND d.next_attempt_ms IS NOT NULL AND d.next_attempt_ms <= ?1
           AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms <= ?1)
         ORDER BY d.next_attempt_ms, a.id LIMIT ?2"
    ))?;
    let pending: Vec<PendingDelivery> = stmt
        .query_map(
            params![now_ms, i64::try_from(limit).unwrap_or(i64::MAX)],
            |r| {
                let alert = alert_from_row(r)?;
                let (event, channel) = delivery_state_from_columns(r, 16)?;
                Ok(PendingDelivery {
                    alert,
                    event,
                    channel,
                    attempts: r.get(18)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    let mut claim = tx.prepare_cached(
        "UPDATE alert_deliveries SET claimed_until_ms = ?4
         WHERE alert_id = ?1 AND event = ?2 AND channel = ?3",
    )?;
    for delivery in &pending {
        claim.execute(params![
            delivery.alert.id,
            delivery.event.as_str(),
            delivery.channel.as_str(),
            now_ms.saturating_add(CLAIM_LEASE_MS)
        ])?;
    }
    Ok(pending)
}

fn delivery_state_from_columns(r: &Row<'_>, at: usize) -> rusqlite::Result<(AlertEvent, Channel)> {
    let event: String = r.get(at)?;
    let channel: String = r.get(at + 1)?;
    let bad = |column: usize, text: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("unknown value {text:?}").into(),
        )
    };
    Ok((
        AlertEvent::parse(&event).ok_or_else(|| bad(at, &event))?,
        Channel::parse(&channel).ok_or_else(|| bad(at + 1, &channel))?,
    ))
}

/// Records one delivery attempt: delivered, or failed with the next attempt scheduled with
/// exponential back-off (none after [`MAX_DELIVERY_ATTEMPTS`]).
pub fn record_delivery(
    tx: &Transaction<'_>,
    alert_id: i64,
    event: AlertEvent,
    channel: Channel,
    outcome: &Result<(), String>,
    now_ms: i64,
) -> Result<(), StorageError> {
    let key = params![alert_id, event.as_str(), channel.as_str()];
    let attempts: i64 = tx.query_row(
        "SELECT attempts FROM alert_deliveries WHERE alert_id = ?1 AND event = ?2 AND channel = ?3",
        key,
        |r| r.get(0),
    )?;
    let attempts = attempts + 1;
    match outcome {
        Ok(()) => tx.execute(
            "UPDATE alert_deliveries SET attempts = ?4, delivered_at_ms = ?5, last_error = NULL,
                                         claimed_until_ms = NULL
             WHERE alert_id = ?1 AND event = ?2 AND channel = ?3",
            params![alert_id, event.as_str(), channel.as_str(), attempts, now_ms],
        )?,
        Err(error) => {
            let next = next_attempt_ms(attempts, now_ms);
            tx.execute(
                "UPDATE alert_deliveries SET attempts = ?4, next_attempt_ms = ?5, last_error = ?6,
                                             claimed_until_ms = NULL
                 WHERE alert_id = ?1 AND event = ?2 AND channel = ?3",
                params![
                    alert_id,
                    event.as_str(),
                    channel.as_str(),
                    attempts,
                    next,
                    error
                ],
            )?
        }
    };
    Ok(())
}
