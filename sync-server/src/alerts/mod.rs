//! Alerts for the Organizational Department: rules ("a desk's CSAT over its last 50 responses
//! falls below 70%", "a kiosk has not been seen for 4 hours"), evaluated by
//! [`crate::alert_monitor`] against what storage measures, raised and cleared with their history
//! kept, and delivered by e-mail or webhook ([`delivery`]). The decisions here are pure: readings
//! and open alerts in, changes out.

pub mod delivery;

use std::fmt;

use crate::analytics::Disclosure;
use crate::lang::Lang;

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A desk's CSAT (share of scores 3–4 on the overall question, bursts left out as on the
    /// dashboard) over `window` is below `below_percent`.
    DeskCsat {
        below_percent: u8,
        window: CsatWindow,
    },
    /// A kiosk (not revoked) has sent nothing for `hours`.
    KioskSilent { hours: u32 },
}

/// The answers a CSAT rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsatWindow {
    /// The desk's most recent N counted overall answers.
    LastResponses(u32),
    /// The desk's counted overall answers of the last N days (Europe/Warsaw), today included.
    LastDays(u32),
}

impl CsatWindow {
    /// The window read for a rule under disclosure control: a rule over fewer than `k`
    /// responses (written before `k` was raised) is read over the last `k`, so no alert ever
    /// reports a figure from fewer answers than the dashboard would show.
    pub fn at_least(self, disclosure: Disclosure) -> CsatWindow {
        match self {
            CsatWindow::LastResponses(n) => CsatWindow::LastResponses(
                n.max(u32::try_from(disclosure.min_responses()).unwrap_or(u32::MAX)),
            ),
            days @ CsatWindow::LastDays(_) => days,
        }
    }
}

/// Longest CSAT window in responses accepted.
pub const MAX_LAST_RESPONSES: u32 = 10_000;
/// Longest CSAT window in days accepted.
pub const MAX_LAST_DAYS: u32 = 366;
/// Longest silence in hours accepted.
pub const MAX_SILENT_HOURS: u32 = 24 * 90;

impl RuleKind {
    /// Checks the numbers a person typed; the message names the value. A window of fewer
    /// responses than disclosure control's `k` is refused.
    pub fn check(&self, disclosure: Disclosure) -> Result<(), String> {
        let min_responses = disclosure.min_responses();
        match *self {
            RuleKind::DeskCsat {
                below_percent,
                window,
            } => {
                if !(1..=100).contains(&below_percent) {
                    return Err(format!("CSAT threshold {below_percent}% is outside 1-100%"));
                }
                match window {
                    CsatWindow::LastResponses(n)
                        if !(i64::from(n) >= min_responses && n <= MAX_LAST_RESPONSES) =>
                    {
                        Err(format!(
                            "last {n} responses is outside {min_responses}-{MAX_LAST_RESPONSES} \
                             (no figure comes from fewer than {min_responses} responses)"
                        ))
                    }
                    CsatWindow::LastDays(n) if !(1..=MAX_LAST_DAYS).contains(&n) => {
                        Err(format!("last {n} days is outside 1-{MAX_LAST_DAYS}"))
                    }
                    _ => Ok(()),
                }
            }
            RuleKind::KioskSilent { hours } if !(1..=MAX_SILENT_HOURS).contains(&hours) => Err(
                format!("{hours} hours of silence is outside 1-{MAX_SILENT_HOURS}"),
            ),
            RuleKind::KioskSilent { .. } => Ok(()),
        }
    }

    /// The stored name of the kind.
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::DeskCsat { .. } => "desk_csat",
            RuleKind::KioskSilent { .. } => "kiosk_silent",
        }
    }
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    pub id: i64,
    pub kind: RuleKind,
    /// The office the rule watches; `None` watches every office.
    pub office_id: Option<String>,
    pub enabled: bool,
    pub created_at_ms: i64,
}

impl AlertRule {
    /// The rule in words, for pages, messages and the CLI.
    pub fn describe(&self, lang: Lang) -> String {
        let office = match &self.office_id {
            Some(office) => format!(" ({} {office})", lang.pick("urząd", "office")),
            None => String::new(),
        };
        let text = match (self.kind, lang) {
            (
                RuleKind::DeskCsat {
                    below_percent,
                    window,
                },
                Lang::Pl,
            ) => format!(
                "odsetek zadowolonych na stanowisku poniżej {below_percent}% {}",
                match window {
                    CsatWindow::LastResponses(n) => format!("w ostatnich {n} odpowiedziach"),
                    CsatWindow::LastDays(n) => format!("w ostatnich {n} dniach"),
                }
            ),
            (
                RuleKind::DeskCsat {
                    below_percent,
                    window,
                },
                Lang::En,
            ) => format!(
                "desk CSAT below {below_percent}% over {}",
                match window {
                    CsatWindow::LastResponses(n) => format!("the last {n} responses"),
                    CsatWindow::LastDays(n) => format!("the last {n} days"),
                }
            ),
            (RuleKind::KioskSilent { hours }, Lang::Pl) => {
                format!("brak połączenia z kioskiem dłużej niż {hours} h")
            }
            (RuleKind::KioskSilent { hours }, Lang::En) => {
                format!("kiosk not seen for more than {hours} h")
            }
        };
        format!("{text}{office}")
    }
}

/// What storage measured for one subject of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// A desk's counted overall answers in the rule's window.
    Desk {
        desk_id: String,
        office_id: String,
        responses: i64,
        /// Answers scored 3 or 4.
        satisfied: i64,
    },
    /// A kiosk that is not revoked.
    Kiosk {
        kiosk_id: String,
        office_id: String,
        /// When it was last heard from, or enrolled if never since.
        last_heard_ms: i64,
    },
}

impl Reading {
    fn subject(&self) -> &str {
        match self {
            Reading::Desk { desk_id, .. } => desk_id,
            Reading::Kiosk { kiosk_id, .. } => kiosk_id,
        }
    }
}

/// An alert that is raised and not yet cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAlert {
    pub id: i64,
    pub rule_id: i64,
    /// The desk or kiosk it is about.
    pub subject: String,
}

/// What evaluation decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Raise {
        rule_id: i64,
        subject: String,
        office_id: String,
        /// The measured value: CSAT in percent, or hours of silence.
        value: f64,
        /// The responses the CSAT was computed from; `None` for kiosks.
        responses: Option<i64>,
    },
    Clear {
        alert_id: i64,
    },
}

/// Decides which alerts of `rule` to raise and which to clear, from the readings of its subjects
/// and its alerts open now. A disabled rule clears all of its alerts; a subject that no longer has
/// a reading (a revoked kiosk, a removed desk) is cleared; a desk with fewer responses than
/// disclosure control's `k` keeps whatever state it has (too few to judge a desk by, and a
/// figure the dashboard would not show).
pub fn evaluate(
    rule: &AlertRule,
    readings: &[Reading],
    open: &[OpenAlert],
    now_ms: i64,
    disclosure: Disclosure,
) -> Vec<Change> {
    let open_for = |subject: &str| {
        open.iter()
            .find(|alert| alert.rule_id == rule.id && alert.subject == subject)
    };
    let mut changes = Vec::new();
    if !rule.enabled {
        return open
            .iter()
            .filter(|alert| alert.rule_id == rule.id)
            .map(|alert| Change::Clear { alert_id: alert.id })
            .collect();
    }
    for reading in readings {
        let verdict = match (rule.kind, reading) {
            (
                RuleKind::DeskCsat { below_percent, .. },
                Reading::Desk {
                    responses,
                    satisfied,
                    ..
                },
            ) => {
                if *responses < disclosure.min_responses() {
                    continue;
                }
                #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                let csat = *satisfied as f64 * 100.0 / *responses as f64;
                (csat < f64::from(below_percent)).then_some((csat, Some(*responses)))
            }
            (RuleKind::KioskSilent { hours }, Reading::Kiosk { last_heard_ms, .. }) => {
                let silent_ms = now_ms.saturating_sub(*last_heard_ms);
                #[allow(clippy::cast_precision_loss)]
                let silent_hours = silent_ms as f64 / 3_600_000.0;
                (silent_ms > i64::from(hours) * 3_600_000).then_some((silent_hours, None))
            }
            // A reading of the other kind: storage never gives one, and it says nothing here.
            _ => continue,
        };
        let existing = open_for(reading.subject());
        match (verdict, existing) {
            (Some((value, responses)), None) => changes.push(Change::Raise {
                rule_id: rule.id,
                subject: reading.subject().to_owned(),
                office_id: match reading {
                    Reading::Desk { office_id, .. } | Reading::Kiosk { office_id, .. } => {
                        office_id.clone()
                    }
                },
                value,
                responses,
            }),
            (None, Some(alert)) => changes.push(Change::Clear { alert_id: alert.id }),
            _ => {}
        }
    }
    for alert in open.iter().filter(|alert| alert.rule_id == rule.id) {
        if !readings.iter().any(|r| r.subject() == alert.subject) {
            changes.push(Change::Clear { alert_id: alert.id });
        }
    }
    changes
}

/// An alert with its history, as pages and messages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub id: i64,
    pub rule: AlertRule,
    pub subject: String,
    pub office_id: String,
    pub raised_at_ms: i64,
    pub cleared_at_ms: Option<i64>,
    pub value: f64,
    pub responses: Option<i64>,
}

impl AlertRecord {
    /// What was measured, in words, with the language's number format.
    pub fn measurement(&self, lang: Lang) -> String {
        let responses = self.responses.unwrap_or(0);
        match self.rule.kind {
            RuleKind::DeskCsat { .. } => match lang {
                Lang::Pl => format!(
                    "{} zadowolonych z {} odpowiedzi",
                    lang.percent(self.value, 0),
                    lang.number(responses as f64, 0)
                ),
                Lang::En => format!(
                    "CSAT {} of {} responses",
                    lang.percent(self.value, 0),
                    lang.number(responses as f64, 0)
                ),
            },
            RuleKind::KioskSilent { .. } => format!(
                "{} {} h",
                lang.pick("brak połączenia od", "not seen for"),
                lang.number(self.value, 1)
            ),
        }
    }
}

/// Whether a notification says an alert was raised or cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertEvent {
    Raised,
    Cleared,
}

impl AlertEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertEvent::Raised => "raised",
            AlertEvent::Cleared => "cleared",
        }
    }

    pub fn parse(text: &str) -> Option<AlertEvent> {
        match text {
            "raised" => Some(AlertEvent::Raised),
            "cleared" => Some(AlertEvent::Cleared),
            _ => None,
        }
    }
}

impl fmt::Display for AlertEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Europe/Warsaw day that starts a window of the last `days` days ending today.
pub fn first_day_of_last(days: u32, now_ms: i64) -> String {
    let (today, _) = crate::event_time::local_day_and_hour(now_ms);
    chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d")
        .ok()
        .and_then(|today| today.checked_sub_days(chrono::Days::new(u64::from(days) - 1)))
        .map_or(today, |day| day.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;
    const K5: Disclosure = Disclosure::DEFAULT;

    fn csat_rule(below_percent: u8) -> AlertRule {
        AlertRule {
            id: 1,
            kind: RuleKind::DeskCsat {
                below_percent,
                window: CsatWindow::LastResponses(50),
            },
            office_id: None,
            enabled: true,
            created_at_ms: 0,
        }
    }

    fn desk(desk_id: &str, responses: i64, satisfied: i64) -> Reading {
        Reading::Desk {
            desk_id: desk_id.into(),
            office_id: "plock".into(),
            responses,
            satisfied,
        }
    }

    fn open(id: i64, subject: &str) -> OpenAlert {
        OpenAlert {
            id,
            rule_id: 1,
            subject: subject.into(),
        }
    }

    #[test]
    fn a_desk_below_the_threshold_is_raised_once() {
        let rule = csat_rule(70);
        let changes = evaluate(&rule, &[desk("d1", 50, 30), desk("d2", 50, 40)], &[], 0, K5);
        assert_eq!(
            changes,
            vec![Change::Raise {
                rule_id: 1,
                subject: "d1".into(),
                office_id: "plock".into(),
                value: 60.0,
                responses: Some(50),
            }]
        );
        let again = evaluate(&rule, &[desk("d1", 50, 30)], &[open(7, "d1")], 0, K5);
        assert!(again.is_empty(), "an open alert is not raised twice");
    }

    #[test]
    fn a_desk_that_recovers_is_cleared_and_exactly_the_threshold_is_fine() {
        let rule = csat_rule(70);
        let changes = evaluate(&rule, &[desk("d1", 50, 35)], &[open(7, "d1")], 0, K5);
        assert_eq!(changes, vec![Change::Clear { alert_id: 7 }]);
    }

    #[test]
    fn too_few_responses_decide_nothing() {
        let rule = csat_rule(70);
        assert!(evaluate(&rule, &[desk("d1", 4, 0)], &[], 0, K5).is_empty());
        assert!(evaluate(&rule, &[desk("d1", 4, 4)], &[open(7, "d1")], 0, K5).is_empty());
    }

    #[test]
    fn a_silent_kiosk_is_raised_after_its_hours_and_cleared_when_heard() {
        let rule = AlertRule {
            kind: RuleKind::KioskSilent { hours: 4 },
            ..csat_rule(70)
        };
        let kiosk = |last_heard_ms| Reading::Kiosk {
            kiosk_id: "k1".into(),
            office_id: "gabin".into(),
            last_heard_ms,
        };
        let now = 100 * HOUR;
        assert!(evaluate(&rule, &[kiosk(now - 4 * HOUR)], &[], now, K5).is_empty());
        let raised = evaluate(&rule, &[kiosk(now - 5 * HOUR)], &[], now, K5);
        assert!(
            matches!(&raised[..], [Change::Raise { subject, value, .. }] if subject == "k1" && (*value - 5.0).abs() < 1e-9)
        );
        let cleared = evaluate(&rule, &[kiosk(now - HOUR)], &[open(3, "k1")], now, K5);
        assert_eq!(cleared, vec![Change::Clear { alert_id: 3 }]);
    }

    #[test]
    fn a_subject_gone_or_a_rule_disabled_clears_its_alerts() {
        let rule = csat_rule(70);
        assert_eq!(
            evaluate(&rule, &[], &[open(7, "revoked-kiosk")], 0, K5),
            vec![Change::Clear { alert_id: 7 }]
        );
        let disabled = AlertRule {
            enabled: false,
            ..csat_rule(70)
        };
        assert_eq!(
            evaluate(&disabled, &[desk("d1", 50, 0)], &[open(7, "d1")], 0, K5),
            vec![Change::Clear { alert_id: 7 }]
        );
    }

    #[test]
    fn rule_numbers_are_checked() {
        let csat = |below_percent, window| RuleKind::DeskCsat {
            below_percent,
            window,
        };
        assert!(csat(70, CsatWindow::LastResponses(50)).check(K5).is_ok());
        assert!(csat(0, CsatWindow::LastResponses(50)).check(K5).is_err());
        assert!(csat(101, CsatWindow::LastDays(7)).check(K5).is_err());
        assert!(csat(70, CsatWindow::LastResponses(2)).check(K5).is_err());
        assert!(csat(70, CsatWindow::LastDays(0)).check(K5).is_err());
        assert!(RuleKind::KioskSilent { hours: 0 }.check(K5).is_err());
        assert!(RuleKind::KioskSilent { hours: 4 }.check(K5).is_ok());
        let k10 = Disclosure::new(10).expect("k");
        assert!(csat(70, CsatWindow::LastResponses(5)).check(k10).is_err());
        assert!(csat(70, CsatWindow::LastResponses(10)).check(k10).is_ok());
    }

    #[test]
    fn a_window_narrower_than_k_is_read_as_k() {
        let k10 = Disclosure::new(10).expect("k");
        assert_eq!(
            CsatWindow::LastResponses(5).at_least(k10),
            CsatWindow::LastResponses(10)
        );
        assert_eq!(
            CsatWindow::LastResponses(50).at_least(k10),
            CsatWindow::LastResponses(50)
        );
        // A desk with 7 responses in a 7-day window decides nothing under k = 10.
        let rule = AlertRule {
            kind: RuleKind::DeskCsat {
                below_percent: 70,
                window: CsatWindow::LastDays(7),
            },
            ..csat_rule(70)
        };
        assert!(evaluate(&rule, &[desk("d1", 7, 0)], &[], 0, k10).is_empty());
        assert_eq!(evaluate(&rule, &[desk("d1", 10, 0)], &[], 0, k10).len(), 1);
    }
}
