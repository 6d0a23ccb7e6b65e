//! Delivering alert notifications: e-mail over SMTP (lettre) and a JSON webhook signed with
//! HMAC-SHA256 over a timestamp and the body. Each configured channel gets each raise and clear
//! once; failures are returned as text for the delivery log, with every URL cut to its scheme and
//! host (incoming-webhook URLs usually carry their secret), and [`alert_monitor`](crate::alert_monitor)
//! retries them.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use sha2::Sha256;

use super::{AlertEvent, AlertRecord, RuleKind};
use crate::lang::Lang;

/// How long one delivery attempt may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a round holds the due notifications it was handed (on PostgreSQL, where several
/// processes share the queue): longer than a round's deliveries may take (at most 100 of 15 s
/// each), so a live round never loses its claim; a round that died releases them after this.
pub const CLAIM_LEASE_MS: i64 = 30 * 60_000;
/// The webhook header carrying `t=<Unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` when a
/// secret is configured (Stripe's scheme): the signed time lets a receiver refuse a replay.
pub const SIGNATURE_HEADER: &str = "Ocena-Signature";
/// The webhook header carrying the same Unix seconds as the signature's `t=`.
pub const TIMESTAMP_HEADER: &str = "Ocena-Timestamp";
/// How old a signed webhook request a receiver should still accept, in seconds;
/// [`verify_signature`] is the receiver's check.
pub const SIGNATURE_TOLERANCE_S: i64 = 5 * 60;

/// A way of telling people about alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "email" => Some(Channel::Email),
            "webhook" => Some(Channel::Webhook),
            _ => None,
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (port 587); refused if the server cannot.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or a test.
    None,
}

/// The `[alerts.email]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSettings {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub security: SmtpSecurity,
    /// SMTP user; the password comes from `OCENA_SMTP_PASSWORD`.
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
}

/// The `[alerts.webhook]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    pub url: reqwest::Url,
    /// HMAC key from `OCENA_WEBHOOK_SECRET`; without it requests are unsigned (and the server
    /// says so loudly at start).
    pub secret: Option<String>,
}

/// One raise or clear to tell people about.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub event: AlertEvent,
    pub alert: AlertRecord,
}

impl Notification {
    /// A one-line summary: "Alert: desk plock-wso-03 — CSAT 52% of 50 responses".
    pub fn summary(&self, lang: Lang) -> String {
        let what = match self.event {
            AlertEvent::Raised => "Alert",
            AlertEvent::Cleared => lang.pick("Alert zakończony", "Alert cleared"),
        };
        format!(
            "{what}: {} — {}",
            self.alert.subject,
            self.alert.measurement(lang)
        )
    }

    /// The e-mail in Polish, then in English, each with its own number and date format and a
    /// sentence saying what the satisfaction figure is.
    fn email_body(&self) -> String {
        let alert = &self.alert;
        let mut body = String::new();
        for (lang, [rule, office, raised, cleared]) in [
            (Lang::Pl, ["Reguła", "Urząd", "Zgłoszono", "Zakończono"]),
            (Lang::En, ["Rule", "Office", "Raised", "Cleared"]),
        ] {
            if lang == Lang::En {
                body.push_str("\n---\n");
            }
            body.push_str(&format!(
                "{}\n\n{rule}: {}\n{office}: {}\n{raised}: {}\n",
                self.summary(lang),
                alert.rule.describe(lang),
                alert.office_id,
                lang.local_time(alert.raised_at_ms),
            ));
            if let Some(at) = alert.cleared_at_ms {
                body.push_str(&format!("{cleared}: {}\n", lang.local_time(at)));
            }
            if matches!(alert.rule.kind, RuleKind::DeskCsat { .. }) {
                body.push_str(&format!("\n{}\n", lang.csat_meaning()));
            }
        }
        body.push_str("\nOcena — /dashboard/alerts\n");
        body
    }
}

/// An e-mail to one person (a head of department's monthly report), as plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Mailbox,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The same id for every attempt at the same message (`<…@…>` without the brackets), so a
    /// mail client shows a copy sent twice once.
    pub message_id: String,
}

/// The JSON a webhook receives.
#[derive(Debug, Serialize)]
pub struct WebhookPayload<'a> {
    pub event: &'static str,
    pub alert_id: i64,
    pub rule_id: i64,
    pub rule: String,
    pub subject: &'a str,
    pub office_id: &'a str,
    pub raised_at_ms: i64,
    pub cleared_at_ms: Option<i64>,
    pub value: f64,
    pub responses: Option<i64>,
    pub summary_pl: String,
    pub summary_en: String,
}

/// The configured channels, ready to send.
#[derive(Clone, Default)]
pub struct Channels {
    email: Option<(EmailSettings, AsyncSmtpTransport<Tokio1Executor>)>,
    webhook: Option<(WebhookSettings, reqwest::Client)>,
}

/// Why a channel could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("SMTP host {host}: {source}")]
    Smtp {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("webhook client: {0}")]
    Http(#[from] reqwest::Error),
}

impl Channels {
    /// Sets up the channels that have settings.
    pub fn new(
        email: Option<EmailSettings>,
        webhook: Option<WebhookSettings>,
    ) -> Result<Channels, ChannelError> {
        let email = email
            .map(|settings| {
                let smtp_error = |source| ChannelError::Smtp {
                    host: settings.smtp_host.clone(),
                    source,
                };
                let builder = match settings.security {
                    SmtpSecurity::StartTls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.smtp_host)
                            .map_err(smtp_error)?
                    }
                    SmtpSecurity::Tls => {
                        AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.smtp_host)
                            .map_err(smtp_error)?
                    }
                    SmtpSecurity::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.smtp_host)
                    }
                };
                let mut builder = builder
                    .port(settings.smtp_port)
                    .timeout(Some(DELIVERY_TIMEOUT));
                if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                let transport = builder.build();
                Ok::<_, ChannelError>((settings, transport))
            })
            .transpose()?;
        let webhook = webhook
            .map(|settings| {
                if settings.secret.is_none() {
                    tracing::warn!(
                        webhook = %redact_urls(settings.url.as_str()),
                        "alert webhook requests are UNSIGNED: anyone who learns the URL can send \
                         fake alerts and a captured request can be replayed; set \
                         OCENA_WEBHOOK_SECRET unless the receiver cannot check signatures"
                    );
                }
                let client = reqwest::Client::builder()
                    .timeout(DELIVERY_TIMEOUT)
                    .user_agent(concat!("ocena-sync-server/", env!("CARGO_PKG_VERSION")))
                    .build()?;
                Ok::<_, ChannelError>((settings, client))
            })
            .transpose()?;
        Ok(Channels { email, webhook })
    }

    /// The channels that will receive notifications.
    pub fn configured(&self) -> Vec<Channel> {
        let mut channels = Vec::new();
        if self.email.is_some() {
            channels.push(Channel::Email);
        }
        if self.webhook.is_some() {
            channels.push(Channel::Webhook);
        }
        channels
    }

    /// Whether e-mail is configured (`[alerts.email]`).
    pub fn has_email(&self) -> bool {
        self.email.is_some()
    }

    /// Sends `mail` through the same SMTP relay as the alerts, from their sender; the error
    /// text is for the delivery log.
    pub async fn send_mail(&self, mail: &Mail) -> Result<(), String> {
        let (settings, transport) = self
            .email
            .as_ref()
            .ok_or("e-mail is not configured ([alerts.email])")?;
        let message = Message::builder()
            .from(settings.from.clone())
            .to(mail.to.clone())
            .subject(mail.subject.clone())
            .message_id(Some(format!("<{}>", mail.message_id)))
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| format!("cannot build the e-mail: {e}"))?;
        transport.send(message).await.map(drop).map_err(|e| {
            redact_urls(&format!(
                "SMTP {}:{}: {e}",
                settings.smtp_host, settings.smtp_port
            ))
        })
    }

    /// Sends one notification on one channel; the error text goes to the delivery log, its URLs
    /// cut to scheme and host.
    pub async fn deliver(
        &self,
        channel: Channel,
        notification: &Notification,
    ) -> Result<(), String> {
        self.attempt(channel, notification)
            .await
            .map_err(|error| redact_urls(&error))
    }

    async fn attempt(&self, channel: Channel, notification: &Notification) -> Result<(), String> {
        match channel {
            Channel::Email => {
                let (settings, transport) = self
                    .email
                    .as_ref()
                    .ok_or("e-mail is no longer configured")?;
                send_email(settings, transport, notification).await
            }
            Channel::Webhook => {
                let (settings, client) = self
                    .webhook
                    .as_ref()
                    .ok_or("the webhook is no longer configured")?;
                post_webhook(settings, client, notification).await
            }
        }
    }
}

async fn send_email(
    settings: &EmailSettings,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    notification: &Notification,
) -> Result<(), String> {
    let mut message = Message::builder()
        .from(settings.from.clone())
        .subject(format!("[Ocena] {}", notification.summary(Lang::Pl)));
    for to in &settings.to {
        message = message.to(to.clone());
    }
    let message = message
        .header(ContentType::TEXT_PLAIN)
        .body(notification.email_body())
        .map_err(|e| format!("cannot build the e-mail: {e}"))?;
    transport
        .send(message)
        .await
        .map(drop)
        .map_err(|e| format!("SMTP {}:{}: {e}", settings.smtp_host, settings.smtp_port))
}

/// The HMAC-SHA256 of `"<timestamp_s>.<body>"` under `secret`.
fn signed_mac(secret: &str, timestamp_s: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp_s.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The [`SIGNATURE_HEADER`] value for `body` sent at `timestamp_s` (Unix seconds):
/// `t=<timestamp_s>,v1=<hex HMAC-SHA256 of "<timestamp_s>.<body>">`.
pub fn signature(secret: &str, timestamp_s: i64, body: &[u8]) -> String {
    let digest = signed_mac(secret, timestamp_s, body)
        .finalize()
        .into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp_s},v1={hex}")
}

/// The receiver's check, as a reference: `header` is a valid signature of `body` under `secret`,
/// made at most [`SIGNATURE_TOLERANCE_S`] before (or after, for clock skew) `now_s`. Compares in
/// constant time.
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now_s: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", hex)) => signatures.push(hex),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if now_s.abs_diff(timestamp) > SIGNATURE_TOLERANCE_S.unsigned_abs() {
        return false;
    }
    signatures.into_iter().any(|hex| {
        decode_hex(hex).is_some_and(|expected| {
            signed_mac(secret, timestamp, body)
                .verify_slice(&expected)
                .is_ok()
        })
    })
}

/// An error and its sources, joined by ": ".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `text` with every URL in it cut to its scheme and host (and port): `https://chat.example/…`.
/// Incoming-webhook URLs carry their secret in the path or query, and a user name and password
/// may sit before the host; none of it belongs in a log, a database row or a page.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let ends_url = |c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ',');
        let url_end = after.find(ends_url).unwrap_or(after.len());
        let authority_end = after[..url_end].find(['/', '?', '#']).unwrap_or(url_end);
        let authority = &after[..authority_end];
        let host = authority.rsplit('@').next().unwrap_or(authority);
        out.push_str(&rest[..at + 3]);
        out.push_str(host);
        if url_end > authority_end || host.len() < authority.len() {
            out.push_str("/…");
        }
        rest = &after[url_end..];
    }
    out.push_str(rest);
    out
}

async fn post_webhook(
    settings: &WebhookSettings,
    client: &reqwest::Client,
    notification: &Notification,
) -> Result<(), String> {
    let alert = &notification.alert;
    let payload = WebhookPayload {
        event: notification.event.as_str(),
        alert_id: alert.id,
        rule_id: alert.rule.id,
        rule: alert.rule.describe(Lang::En),
        subject: &alert.subject,
        office_id: &alert.office_id,
        raised_at_ms: alert.raised_at_ms,
        cleared_at_ms: alert.cleared_at_ms,
        value: alert.value,
        responses: alert.responses,
        summary_pl: notification.summary(Lang::Pl),
        summary_en: notification.summary(Lang::En),
    };
    let body = serde_json::to_vec(&payload).map_err(|e| e.to_string())?;
    let mut request = client
        .post(settings.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    if let Some(secret) = &settings.secret {
        let timestamp_s = chrono::Utc::now().timestamp();
        request = request
            .header(TIMESTAMP_HEADER, timestamp_s)
            .header(SIGNATURE_HEADER, signature(secret, timestamp_s, &body));
    }
    let response = request.body(body).send().await.map_err(|e| {
        // reqwest names the whole URL; the caller redacts what is left.
        format!(
            "webhook {}: {}",
            settings.url,
            error_chain(&e.without_url())
        )
    })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("webhook {} answered {status}", settings.url))
    }
}

/// Delivery attempts before a notification is given up (the alert stays on the dashboard).
pub const MAX_DELIVERY_ATTEMPTS: i64 = 10;
/// First retry delay; doubled per attempt up to [`MAX_RETRY_DELAY_MS`].
const FIRST_RETRY_DELAY_MS: i64 = 60_000;
const MAX_RETRY_DELAY_MS: i64 = 6 * 3_600_000;

/// When a notification that has failed `attempts` times is tried again: after exponential
/// back-off from `now_ms`, or never after [`MAX_DELIVERY_ATTEMPTS`]. Alerts' notifications and
/// the department reports' e-mails are retried by this one rule.
pub fn next_attempt_ms(attempts: i64, now_ms: i64) -> Option<i64> {
    (attempts < MAX_DELIVERY_ATTEMPTS).then(|| {
        let delay = FIRST_RETRY_DELAY_MS
            .saturating_mul(1_i64 << (attempts - 1).clamp(0, 20))
            .min(MAX_RETRY_DELAY_MS);
        now_ms.saturating_add(delay)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha256_of_the_timestamp_and_the_body() {
        // The MAC of exactly the bytes "<t>.<body>", computed independently.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"1700000000.{\"a\":1}");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let header = signature("Jefe", 1_700_000_000, br#"{"a":1}"#);
        assert_eq!(header, format!("t=1700000000,v1={expected}"));
    }

    #[test]
    fn receivers_accept_fresh_signatures_and_refuse_replays_and_forgeries() {
        let body = br#"{"event":"raised"}"#;
        let t = 1_700_000_000;
        let header = signature("secret", t, body);
        assert!(verify_signature("secret", &header, body, t));
        assert!(verify_signature("secret", &header, body, t + 300));
        assert!(
            !verify_signature("secret", &header, body, t + 301),
            "replayed"
        );
        assert!(!verify_signature("other", &header, body, t), "wrong key");
        assert!(
            !verify_signature("secret", &header, br#"{"event":"cleared"}"#, t),
            "body changed"
        );
        let moved = header.replace("t=1700000000", "t=1700000200");
        assert!(
            !verify_signature("secret", &moved, body, t + 200),
            "time changed"
        );
        assert!(!verify_signature("secret", "v1=00", body, t), "no time");
    }

    #[test]
    fn urls_are_cut_to_scheme_and_host() {
        assert_eq!(
            redact_urls("webhook https://hooks.example/services/T0/B0/XyZsecret?token=abc: boom"),
            "webhook https://hooks.example/… boom"
        );
        assert_eq!(
            redact_urls("(https://user:pw@chat.example:8443) and http://h/"),
            "(https://chat.example:8443/…) and http://h/…"
        );
        assert_eq!(
            redact_urls("SMTP smtp.example:587: refused"),
            "SMTP smtp.example:587: refused"
        );
        assert_eq!(
            redact_urls("see http://host.example"),
            "see http://host.example"
        );
    }

    #[test]
    fn the_email_writes_numbers_and_dates_in_each_language() {
        use super::super::{AlertRule, CsatWindow};
        let rule = |kind| AlertRule {
            id: 1,
            kind,
            office_id: None,
            enabled: true,
            created_at_ms: 0,
        };
        // 2026-11-03 13:05 UTC, 14:05 in Warsaw.
        let raised_at_ms = 1_793_711_100_000;
        let mail = |kind, value, responses| {
            Notification {
                event: AlertEvent::Raised,
                alert: AlertRecord {
                    id: 1,
                    rule: rule(kind),
                    subject: "plock-wso-03".into(),
                    office_id: "plock".into(),
                    raised_at_ms,
                    cleared_at_ms: None,
                    value,
                    responses,
                },
            }
            .email_body()
        };
        let silent = mail(RuleKind::KioskSilent { hours: 4 }, 5.26, None);
        assert!(silent.contains("brak połączenia od 5,3 h"), "{silent}");
        assert!(silent.contains("not seen for 5.3 h"), "{silent}");
        assert!(silent.contains("Zgłoszono: 03.11.2026, 14:05"), "{silent}");
        assert!(silent.contains("Raised: 3 Nov 2026, 14:05"), "{silent}");
        let csat = mail(
            RuleKind::DeskCsat {
                below_percent: 60,
                window: CsatWindow::LastResponses(50),
            },
            52.0,
            Some(1_250),
        );
        assert!(
            csat.contains("52% zadowolonych z 1250 odpowiedzi"),
            "{csat}"
        );
        assert!(csat.contains("CSAT 52% of 1,250 responses"), "{csat}");
        assert!(
            csat.contains("Odsetek zadowolonych: oceny dobre"),
            "the figure is explained"
        );
    }

    #[test]
    fn channel_names_round_trip() {
        for channel in [Channel::Email, Channel::Webhook] {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
    }
}
