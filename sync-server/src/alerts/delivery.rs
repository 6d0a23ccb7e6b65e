//! Delivering alert notifications: e-mail over SMTP (lettre) and a JSON webhook signed with
//! HMAC-SHA256. Each configured channel gets each raise and clear once; failures are returned as
//! text for the delivery log, and [`monitor`](super::monitor) retries them.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;
use sha2::Sha256;

use super::{AlertEvent, AlertRecord, RuleKind};
use crate::lang::Lang;

/// How long one delivery attempt may take.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// The webhook header carrying `sha256=<hex HMAC of the body>` when a secret is configured.
pub const SIGNATURE_HEADER: &str = "X-Ocena-Signature";

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
    /// HMAC key from `OCENA_WEBHOOK_SECRET`; without it requests are unsigned.
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

    /// Sends one notification on one channel; the error text goes to the delivery log.
    pub async fn deliver(
        &self,
        channel: Channel,
        notification: &Notification,
    ) -> Result<(), String> {
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

/// The `sha256=<hex>` signature of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
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
        request = request.header(SIGNATURE_HEADER, signature(secret, &body));
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| format!("webhook {}: {e}", settings.url))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("webhook {} answered {status}", settings.url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
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
