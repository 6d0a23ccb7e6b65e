//! SQL of alerts on PostgreSQL: rules, the readings their evaluation needs, raising and clearing
//! with the delivery log, and the history pages show. Decisions are made in `crate::alerts`
//! (retries by `crate::alerts::delivery::next_attempt_ms`); the queries are SQLite's
//! (`sqlite/alerts.rs`) in PostgreSQL's dialect.

use postgres::{GenericClient, Row, Transaction};

use super::known_office;
use crate::access::Scope;
use crate::alerts::delivery::{CLAIM_LEASE_MS, Channel, next_attempt_ms};
use crate::alerts::{
    AlertEvent, AlertRecord, AlertRule, Change, CsatWindow, OpenAlert, Reading, RuleKind,
};
use crate::analytics::Disclosure;
use crate::storage::{AlertListing, DeliveryState, PendingDelivery, StorageError};

const RULE_COLUMNS: &str = "id, kind, office_id, csat_below_percent, last_responses, last_days, silent_hours, enabled, created_at_ms";

/// A rule whose [`RULE_COLUMNS`] start at column `at`.
fn rule_at(r: &Row, at: usize) -> Result<AlertRule, StorageError> {
    let id: i64 = r.try_get(at)?;
    let corrupt = |what: &str| StorageError::Corrupt(format!("alert rule {id}: {what}"));
    let small = |value: i64| u32::try_from(value).map_err(|_| corrupt("a number out of range"));
    let kind: String = r.try_get(at + 1)?;
    let kind = match kind.as_str() {
        "desk_csat" => {
            let below: i64 = r.try_get(at + 3)?;
            let window = match (
                r.try_get::<_, Option<i64>>(at + 4)?,
                r.try_get::<_, Option<i64>>(at + 5)?,
            ) {
                (Some(n), None) => CsatWindow::LastResponses(small(n)?),
                (None, Some(n)) => CsatWindow::LastDays(small(n)?),
                _ => return Err(corrupt("needs exactly one window")),
            };
            RuleKind::DeskCsat {
                below_percent: u8::try_from(below).map_err(|_| corrupt("bad threshold"))?,
                window,
            }
        }
        "kiosk_silent" => RuleKind::KioskSilent {
            hours: small(r.try_get(at + 6)?)?,
        },
        other => return Err(corrupt(&format!("unknown kind {other}"))),
    };
    Ok(AlertRule {
        id,
        kind,
        office_id: r.try_get(at + 2)?,
        enabled: r.try_get(at + 7)?,
        created_at_ms: r.try_get(at + 8)?,
    })
}

pub(super) fn add_rule(
    tx: &mut Transaction<'_>,
    disclosure: Disclosure,
    kind: RuleKind,
    office_id: Option<&str>,
    now_ms: i64,
) -> Result<AlertRule, StorageError> {
    kind.check(disclosure).map_err(StorageError::Invalid)?;
    if let Some(office) = office_id {
        known_office(tx, office)?;
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
    let row = tx.query_one(
        "INSERT INTO alert_rules (kind, office_id, csat_below_percent, last_responses, last_days,
                                  silent_hours, enabled, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7) RETURNING id",
        &[
            &kind.name(),
            &office_id,
            &below.map(i64::from),
            &last_responses.map(i64::from),
            &last_days.map(i64::from),
            &silent_hours.map(i64::from),
            &now_ms,
        ],
    )?;
    Ok(AlertRule {
        id: row.try_get(0)?,
        kind,
        office_id: office_id.map(str::to_owned),
        enabled: true,
        created_at_ms: now_ms,
    })
}

pub(super) fn rules(conn: &mut impl GenericClient) -> Result<Vec<AlertRule>, StorageError> {
    conn.query(
        &format!("SELECT {RULE_COLUMNS} FROM alert_rules ORDER BY id"),
        &[],
    )?
    .iter()
    .map(|r| rule_at(r, 0))
    .collect()
}

pub(super) fn set_rule_enabled(
    tx: &mut Transaction<'_>,
    rule_id: i64,
    enabled: bool,
) -> Result<bool, StorageError> {
    let changed = tx.execute(
        "UPDATE alert_rules SET enabled = $2 WHERE id = $1",
        &[&rule_id, &enabled],
    )?;
    Ok(changed == 1)
}

/// What `rule` needs to be evaluated at `now_ms`: one reading per desk or per kiosk in its office.
pub(super) fn readings(
    conn: &mut impl GenericClient,
    rule: &AlertRule,
    now_ms: i64,
    disclosure: Disclosure,
) -> Result<Vec<Reading>, StorageError> {
    let office = rule.office_id.as_deref();
    match rule.kind {
        RuleKind::DeskCsat { window, .. } => {
            let window = window.at_least(disclosure);
            let desks: Vec<(String, String)> = conn
                .query(
                    "SELECT id, office_id FROM desks WHERE $1::text IS NULL OR office_id = $1
                     ORDER BY id",
                    &[&office],
                )?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, StorageError>>()?;
            let mut readings = Vec::with_capacity(desks.len());
            for (desk_id, office_id) in desks {
                let row = match window {
                    CsatWindow::LastResponses(n) => conn.query_one(
                        // Newest first along the export's (desk, day, time) index.
                        "SELECT count(*), coalesce(sum((score >= 3)::int), 0)::bigint FROM (
                            SELECT score FROM answers
                            WHERE desk_id = $1 AND question = 'overall' AND counted AND NOT burst
                            ORDER BY local_day DESC, event_utc_ms DESC LIMIT $2) last",
                        &[&desk_id, &i64::from(n)],
                    )?,
                    CsatWindow::LastDays(n) => conn.query_one(
                        "SELECT coalesce(sum(score_1 + score_2 + score_3 + score_4), 0)::bigint,
                                coalesce(sum(score_3 + score_4), 0)::bigint
                         FROM rollups
                         WHERE desk_id = $1 AND question = 'overall' AND NOT burst AND day >= $2",
                        &[&desk_id, &crate::alerts::first_day_of_last(n, now_ms)],
                    )?,
                };
                readings.push(Reading::Desk {
                    desk_id,
                    office_id,
                    responses: row.try_get(0)?,
                    satisfied: row.try_get(1)?,
                });
            }
            Ok(readings)
        }
        RuleKind::KioskSilent { .. } => conn
            .query(
                "SELECT k.id, d.office_id, coalesce(k.last_seen_ms, k.enrolled_at_ms)
                 FROM kiosks k JOIN desks d ON d.id = k.desk_id
                 WHERE k.revoked_at_ms IS NULL AND ($1::text IS NULL OR d.office_id = $1)
                 ORDER BY k.id",
                &[&office],
            )?
            .iter()
            .map(|r| {
                Ok(Reading::Kiosk {
                    kiosk_id: r.try_get(0)?,
                    office_id: r.try_get(1)?,
                    last_heard_ms: r.try_get(2)?,
                })
            })
            .collect(),
    }
}

pub(super) fn open_alerts(conn: &mut impl GenericClient) -> Result<Vec<OpenAlert>, StorageError> {
    conn.query(
        "SELECT id, rule_id, subject FROM alerts WHERE cleared_at_ms IS NULL ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(OpenAlert {
            id: r.try_get(0)?,
            rule_id: r.try_get(1)?,
            subject: r.try_get(2)?,
        })
    })
    .collect()
}

/// Raises and clears as decided, queueing one notification per change and channel. A raise that
/// another evaluation made first is skipped (one open alert per rule and subject: the partial
/// unique index `alerts_open`, whichever process raises first).
pub(super) fn apply_changes(
    tx: &mut Transaction<'_>,
    changes: &[Change],
    channels: &[Channel],
    now_ms: i64,
) -> Result<usize, StorageError> {
    let mut applied = 0;
    for change in changes {
        let (alert_id, event): (i64, AlertEvent) = match change {
            Change::Raise {
                rule_id,
                subject,
                office_id,
                value,
                responses,
            } => {
                let inserted = tx.query_opt(
                    "INSERT INTO alerts (rule_id, subject, office_id, raised_at_ms, value, responses)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (rule_id, subject) WHERE cleared_at_ms IS NULL DO NOTHING
                     RETURNING id",
                    &[rule_id, subject, office_id, &now_ms, value, responses],
                )?;
                let Some(row) = inserted else {
                    continue;
                };
                (row.try_get(0)?, AlertEvent::Raised)
            }
            Change::Clear { alert_id } => {
                let cleared = tx.execute(
                    "UPDATE alerts SET cleared_at_ms = $2 WHERE id = $1 AND cleared_at_ms IS NULL",
                    &[alert_id, &now_ms],
                )?;
                if cleared == 0 {
                    continue;
                }
                (*alert_id, AlertEvent::Cleared)
            }
        };
        for channel in channels {
            tx.execute(
                "INSERT INTO alert_deliveries (alert_id, event, channel, attempts, next_attempt_ms)
                 VALUES ($1, $2, $3, 0, $4) ON CONFLICT DO NOTHING",
                &[&alert_id, &event.as_str(), &channel.as_str(), &now_ms],
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

fn alert_from_row(r: &Row) -> Result<AlertRecord, StorageError> {
    // The rule's columns follow the alert's seven, in RULE_COLUMNS order.
    let rule = rule_at(r, 7)?;
    Ok(AlertRecord {
        id: r.try_get(0)?,
        rule,
        subject: r.try_get(1)?,
        office_id: r.try_get(2)?,
        raised_at_ms: r.try_get(3)?,
        cleared_at_ms: r.try_get(4)?,
        value: r.try_get(5)?,
        responses: r.try_get(6)?,
    })
}

/// Alerts newest first, open or not, within `scope`, with their deliveries.
pub(super) fn listing(
    conn: &mut impl GenericClient,
    scope: &Scope,
    limit: usize,
) -> Result<Vec<AlertListing>, StorageError> {
    let alerts: Vec<AlertRecord> = conn
        .query(
            &format!(
                "SELECT {ALERT_COLUMNS} FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
                 WHERE ($1::text IS NULL OR a.office_id = $1)
                   AND ($2::text IS NULL OR EXISTS (
                        SELECT 1 FROM desks d LEFT JOIN kiosks k ON k.desk_id = d.id
                        WHERE d.office_id = a.office_id AND d.department_id = $2
                          AND (d.id = a.subject OR k.id = a.subject)))
                 ORDER BY a.cleared_at_ms IS NOT NULL,
                          coalesce(a.cleared_at_ms, a.raised_at_ms) DESC, a.id DESC
                 LIMIT $3"
            ),
            &[
                &scope.office(),
                &scope.department(),
                &i64::try_from(limit).unwrap_or(i64::MAX),
            ],
        )?
        .iter()
        .map(alert_from_row)
        .collect::<Result<_, _>>()?;
    alerts
        .into_iter()
        .map(|alert| {
            let deliveries = conn
                .query(
                    "SELECT event, channel, attempts, delivered_at_ms, last_error
                     FROM alert_deliveries WHERE alert_id = $1 ORDER BY event DESC, channel",
                    &[&alert.id],
                )?
                .iter()
                .map(|r| {
                    let (event, channel) = event_and_channel(r, 0)?;
                    Ok(DeliveryState {
                        event,
                        channel,
                        attempts: r.try_get(2)?,
                        delivered_at_ms: r.try_get(3)?,
                        last_error: r.try_get(4)?,
                    })
                })
                .collect::<Result<_, StorageError>>()?;
            Ok(AlertListing { alert, deliveries })
        })
        .collect()
}

/// Notifications due at `now_ms`, oldest first, claimed for the caller until
/// `now_ms + CLAIM_LEASE_MS`: a notification claimed by another round (of this process or
/// another) is not handed out again until that round records its attempt or its lease ends.
/// Runs under the write lock, so two rounds never claim the same notification.
pub(super) fn pending_deliveries(
    tx: &mut Transaction<'_>,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<PendingDelivery>, StorageError> {
    let pending = tx
        .query(
            &format!(
                "SELECT {ALERT_COLUMNS}, d.event, d.channel, d.attempts
                 FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id
                 JOIN alert_rules r ON r.id = a.rule_id
                 WHERE d.delivered_at_ms IS NULL AND d.next_attempt_ms IS NOT NULL
                   AND d.next_attempt_ms <= $1
                   AND (d.claimed_until_ms IS NULL OR d.claimed_until_ms <= $1)
                 ORDER BY d.next_attempt_ms, a.id LIMIT $2"
            ),
            &[&now_ms, &i64::try_from(limit).unwrap_or(i64::MAX)],
        )?
        .iter()
        .map(|r| {
            let (event, channel) = event_and_channel(r, 16)?;
            Ok(PendingDelivery {
                alert: alert_from_row(r)?,
                event,
                channel,
                attempts: r.try_get(18)?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    for delivery in &pending {
        tx.execute(
            "UPDATE alert_deliveries SET claimed_until_ms = $4
             WHERE alert_id = $1 AND event = $2 AND channel = $3",
            &[
                &delivery.alert.id,
                &delivery.event.as_str(),
                &delivery.channel.as_str(),
                &now_ms.saturating_add(CLAIM_LEASE_MS),
            ],
        )?;
    }
    Ok(pending)
}

fn event_and_channel(r: &Row, at: usize) -> Result<(AlertEvent, Channel), StorageError> {
    let event: String = r.try_get(at)?;
    let channel: String = r.try_get(at + 1)?;
    Ok((
        AlertEvent::parse(&event)
            .ok_or_else(|| StorageError::Corrupt(format!("unknown alert event {event:?}")))?,
        Channel::parse(&channel)
            .ok_or_else(|| StorageError::Corrupt(format!("unknown channel {channel:?}")))?,
    ))
}

/// Records one delivery attempt: delivered, or failed with the next attempt scheduled by
/// `next_attempt_ms`. Either way the claim ends.
pub(super) fn record_delivery(
    tx: &mut Transaction<'_>,
    alert_id: i64,
    event: AlertEvent,
    channel: Channel,
    outcome: &Result<(), String>,
    now_ms: i64,
) -> Result<(), StorageError> {
    let attempts: i64 = tx
        .query_one(
            "SELECT attempts FROM alert_deliveries
             WHERE alert_id = $1 AND event = $2 AND channel = $3",
            &[&alert_id, &event.as_str(), &channel.as_str()],
        )?
        .try_get(0)?;
    let attempts = attempts + 1;
    match outcome {
        Ok(()) => tx.execute(
            "UPDATE alert_deliveries SET attempts = $4, delivered_at_ms = $5, last_error = NULL,
                                         claimed_until_ms = NULL
             WHERE alert_id = $1 AND event = $2 AND channel = $3",
            &[
                &alert_id,
                &event.as_str(),
                &channel.as_str(),
                &attempts,
                &now_ms,
            ],
        )?,
        Err(error) => tx.execute(
            "UPDATE alert_deliveries SET attempts = $4, next_attempt_ms = $5, last_error = $6,
                                         claimed_until_ms = NULL
             WHERE alert_id = $1 AND event = $2 AND channel = $3",
            &[
                &alert_id,
                &event.as_str(),
                &channel.as_str(),
                &attempts,
                &next_attempt_ms(attempts, now_ms),
                error,
            ],
        )?,
    };
    Ok(())
}
