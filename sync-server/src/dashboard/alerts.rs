//! The alerts page `/dashboard/alerts`: open alerts and their history in the viewer's scope, with
//! each notification's delivery state, and the rules; admins add, stop and restart rules (POST
//! with CSRF). The monitor in `crate::alerts` raises and clears; this page only shows and edits.

use axum::extract::State;
use axum::http::Uri;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf::{CsrfForm, FIELD};
use super::layout::{Section, page};
use super::refusal::PageError;
use super::viewer::Viewer;
use super::{Lang, Role, labels};
use crate::alerts::delivery::redact_urls;
use crate::alerts::{AlertRule, CsatWindow, RuleKind};
use crate::storage::{AlertListing, DeliveryState};
use crate::web::AppState;

/// Alerts listed at most (open ones first, then the newest).
const LISTED: usize = 300;

/// One delivery's state. Only admins see why a delivery failed (they configure the channels),
/// and even they see URLs cut to scheme and host, rows stored before that rule included.
fn delivery_text(lang: Lang, delivery: &DeliveryState, show_errors: bool) -> String {
    let channel = match delivery.channel.as_str() {
        "email" => lang.pick("e-mail", "e-mail"),
        _ => lang.pick("webhook", "webhook"),
    };
    let event = match delivery.event.as_str() {
        "raised" => lang.pick("zgłoszenie", "raised"),
        _ => lang.pick("zakończenie", "cleared"),
    };
    match (&delivery.delivered_at_ms, &delivery.last_error) {
        (Some(at), _) => format!(
            "{channel} ({event}): {} {}",
            lang.pick("wysłano", "sent"),
            lang.local_time(*at)
        ),
        (None, Some(error)) if show_errors => format!(
            "{channel} ({event}): {} {} — {}",
            lang.pick("nieudane próby:", "failed attempts:"),
            delivery.attempts,
            redact_urls(error)
        ),
        (None, Some(_)) => format!(
            "{channel} ({event}): {} {}",
            lang.pick("nieudane próby:", "failed attempts:"),
            delivery.attempts
        ),
        (None, None) => format!("{channel} ({event}): {}", lang.pick("w kolejce", "queued")),
    }
}

fn alerts_table(viewer: &Viewer, id: &str, caption: &str, alerts: &[&AlertListing]) -> Markup {
    let lang = viewer.lang;
    let show_errors = viewer.role == Role::Admin;
    let caption_id = format!("{id}-caption");
    html! {
        div.table-scroll role="region" aria-labelledby=(caption_id) tabindex="0" {
            table #(id) {
                caption #(caption_id) { (caption) }
                thead { tr {
                    th scope="col" { (lang.pick("Urząd", "Office")) }
                    th scope="col" { (lang.pick("Dotyczy", "Subject")) }
                    th scope="col" { (lang.pick("Pomiar", "Measured")) }
                    th scope="col" { (lang.pick("Reguła", "Rule")) }
                    th scope="col" { (lang.pick("Zgłoszono", "Raised")) }
                    th scope="col" { (lang.pick("Zakończono", "Cleared")) }
                    th scope="col" { (lang.pick("Powiadomienia", "Notifications")) }
                } }
                tbody {
                    @for listing in alerts {
                        @let alert = &listing.alert;
                        tr data-alert=(alert.id) {
                            td { (alert.office_id) }
                            td { (alert.subject) }
                            td { (alert.measurement(lang)) }
                            td { "#" (alert.rule.id) " " (alert.rule.describe(lang)) }
                            td { (lang.local_time(alert.raised_at_ms)) }
                            td { (alert.cleared_at_ms.map_or_else(|| lang.pick("trwa", "open").to_owned(), |ms| lang.local_time(ms))) }
                            td {
                                @if listing.deliveries.is_empty() {
                                    (lang.pick("brak skonfigurowanych powiadomień — alert widać tylko na tej stronie", "no channels — this page only"))
                                } @else {
                                    ul.plain {
                                        @for delivery in &listing.deliveries {
                                            li { (delivery_text(lang, delivery, show_errors)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn rules_section(viewer: &Viewer, rules: &[AlertRule], offices: &[(String, String)]) -> Markup {
    let lang = viewer.lang;
    let admin = viewer.role == Role::Admin;
    html! {
        h2 #rules { (lang.pick("Reguły", "Rules")) }
        @if rules.is_empty() {
            p { (lang.pick("Nie ma jeszcze reguł.", "There are no rules yet.")) }
        } @else {
            div.table-scroll role="region" aria-labelledby="rules-caption" tabindex="0" {
                table #alert-rules {
                    caption #rules-caption { (lang.pick("Reguły alertów", "Alert rules")) }
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (lang.pick("Reguła", "Rule")) }
                        th scope="col" { (lang.pick("Stan", "Status")) }
                        @if admin { th scope="col" { (lang.pick("Działania", "Actions")) } }
                    } }
                    tbody {
                        @for rule in rules {
                            tr data-rule=(rule.id) {
                                td { (rule.id) }
                                td { (rule.describe(lang)) }
                                td { (if rule.enabled { lang.pick("aktywna", "active") } else { lang.pick("wstrzymana", "stopped") }) }
                                @if admin {
                                    td {
                                        form method="post" action="/dashboard/alerts/rules/toggle" {
                                            input type="hidden" name=(FIELD) value=(viewer.csrf_token);
                                            input type="hidden" name="rule" value=(rule.id);
                                            input type="hidden" name="enable" value=(if rule.enabled { "false" } else { "true" });
                                            button.secondary type="submit"
                                                aria-label=(format!("{} #{}", if rule.enabled { lang.pick("Wstrzymaj regułę", "Stop rule") } else { lang.pick("Wznów regułę", "Restart rule") }, rule.id)) {
                                                (if rule.enabled { lang.pick("Wstrzymaj", "Stop") } else { lang.pick("Wznów", "Restart") })
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if admin {
            h2 #new-rule { (lang.pick("Nowa reguła", "New rule")) }
            form.rule-form method="post" action="/dashboard/alerts/rules" {
                input type="hidden" name=(FIELD) value=(viewer.csrf_token);
                fieldset {
                    legend {
                        @match lang {
                            Lang::Pl => "Gdy odsetek zadowolonych na stanowisku spadnie",
                            Lang::En => { "When a desk's " (labels::csat_label(lang)) " falls" }
                        }
                    }
                    label { (lang.pick("poniżej (%)", "below (%)"))
                        input type="number" name="csat_below" min="1" max="100" inputmode="numeric";
                    }
                    label { (lang.pick("w ostatnich odpowiedziach (liczba)", "over the last responses (count)"))
                        input type="number" name="last_responses" min="5" max="10000" inputmode="numeric";
                    }
                    label { (lang.pick("albo w ostatnich dniach (liczba)", "or over the last days (count)"))
                        input type="number" name="last_days" min="1" max="366" inputmode="numeric";
                    }
                }
                fieldset {
                    legend { (lang.pick("Albo gdy kiosk nie łączy się z serwerem", "Or when a kiosk is not heard from")) }
                    label { (lang.pick("dłużej niż (godziny)", "for more than (hours)"))
                        input type="number" name="silent_hours" min="1" max="2160" inputmode="numeric";
                    }
                }
                label { (lang.pick("Urząd", "Office"))
                    select name="office" {
                        option value="" { (lang.pick("wszystkie urzędy", "every office")) }
                        @for (id, name) in offices {
                            option value=(id) { (name) }
                        }
                    }
                }
                button type="submit" { (lang.pick("Dodaj regułę", "Add rule")) }
            }
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let listing = state
        .storage
        .alert_listing(viewer.scope.clone(), LISTED)
        .await?;
    let rules: Vec<AlertRule> = state
        .storage
        .alert_rules()
        .await?
        .into_iter()
        .filter(|rule| match (&rule.office_id, viewer.scope.office()) {
            (_, None) => true,
            (Some(rule_office), Some(own)) => rule_office == own,
            (None, Some(_)) => true,
        })
        .collect();
    let offices: Vec<(String, String)> = state
        .storage
        .offices()
        .await?
        .into_iter()
        .filter(|office| viewer.scope.allows_office(&office.id))
        .map(|office| (office.id, office.name))
        .collect();
    let report_mail = state
        .storage
        .department_report_deliveries(viewer.scope.clone(), super::report_mail::LISTED)
        .await?;
    let (open, history): (Vec<&AlertListing>, Vec<&AlertListing>) = listing
        .iter()
        .partition(|l| l.alert.cleared_at_ms.is_none());
    let body = html! {
        p { (lang.pick(
            "Reguły są sprawdzane co minutę. Alert trwa, dopóki wynik stanowiska nie wróci powyżej progu albo kiosk nie połączy się ponownie; zakończone alerty pozostają w historii. Przy mniej niż 5 odpowiedziach alert nie jest ani zgłaszany, ani zamykany.",
            "Rules are checked every minute. An alert stays open until the desk is back above the threshold or the kiosk is heard from again; cleared ones stay in the history. Fewer than 5 responses decide nothing."
        )) }
        h2 #open { (lang.pick("Otwarte alerty", "Open alerts")) " (" (open.len()) ")" }
        @if open.is_empty() {
            p #no-open-alerts { (lang.pick("Brak otwartych alertów.", "No open alerts.")) }
        } @else {
            (alerts_table(&viewer, "open-alerts", lang.pick("Otwarte alerty", "Open alerts"), &open))
        }
        h2 #history { (lang.pick("Historia", "History")) }
        @if history.is_empty() {
            p { (lang.pick("Brak zakończonych alertów.", "No cleared alerts.")) }
        } @else {
            (alerts_table(&viewer, "alert-history", lang.pick("Zakończone alerty", "Cleared alerts"), &history))
        }
        (rules_section(&viewer, &rules, &offices))
        (super::report_mail::section(&viewer, &report_mail, chrono::Utc::now().timestamp_millis()))
    };
    Ok(page(
        &viewer.chrome(
            Some(Section::Alerts),
            uri.path_and_query()
                .map_or("/dashboard/alerts", |p| p.as_str()),
        ),
        Section::Alerts.title(lang),
        &body,
    ))
}

/// The new-rule form: empty fields arrive as empty strings.
#[derive(Debug, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    csat_below: String,
    #[serde(default)]
    last_responses: String,
    #[serde(default)]
    last_days: String,
    #[serde(default)]
    silent_hours: String,
    #[serde(default)]
    office: String,
}

fn number<T: std::str::FromStr>(text: &str) -> Result<Option<T>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| ())
}

impl RuleForm {
    fn kind(&self) -> Result<RuleKind, &'static str> {
        let bad = "bad number";
        let csat: Option<u8> = number(&self.csat_below).map_err(|()| bad)?;
        let last_responses: Option<u32> = number(&self.last_responses).map_err(|()| bad)?;
        let last_days: Option<u32> = number(&self.last_days).map_err(|()| bad)?;
        let silent: Option<u32> = number(&self.silent_hours).map_err(|()| bad)?;
        match (csat, last_responses, last_days, silent) {
            (Some(below_percent), Some(n), None, None) => Ok(RuleKind::DeskCsat {
                below_percent,
                window: CsatWindow::LastResponses(n),
            }),
            (Some(below_percent), None, Some(n), None) => Ok(RuleKind::DeskCsat {
                below_percent,
                window: CsatWindow::LastDays(n),
            }),
            (None, None, None, Some(hours)) => Ok(RuleKind::KioskSilent { hours }),
            _ => Err("combination"),
        }
    }
}

fn back_to_rules() -> Response {
    (
        StatusCode::SEE_OTHER,
        [(
            LOCATION,
            HeaderValue::from_static("/dashboard/alerts#rules"),
        )],
    )
        .into_response()
}

pub async fn add_rule(
    State(state): State<AppState>,
    uri: Uri,
    CsrfForm { viewer, form }: CsrfForm<RuleForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    let problem = match form.kind() {
        Ok(kind) => match kind.check(state.storage.disclosure()) {
            Ok(()) => {
                let office = Some(form.office.trim().to_owned()).filter(|o| !o.is_empty());
                let now_ms = chrono::Utc::now().timestamp_millis();
                match state.storage.add_alert_rule(kind, office, now_ms).await {
                    Ok(rule) => {
                        tracing::info!(user = viewer.username, rule = rule.id, "alert rule added");
                        return Ok(back_to_rules());
                    }
                    Err(crate::storage::StorageError::Invalid(message)) => message,
                    Err(error) => return Err(error.into()),
                }
            }
            Err(message) => message,
        },
        Err(_) => lang
            .pick(
                "Podaj próg odsetka zadowolonych z liczbą ostatnich odpowiedzi albo dni, albo liczbę godzin bez połączenia z kioskiem — liczbami całkowitymi.",
                "Give a CSAT threshold with a number of last responses or days, or a kiosk's hours of silence — as whole numbers.",
            )
            .to_owned(),
    };
    let body = html! {
        div.error role="alert" { p { (problem) } }
        p { a href="/dashboard/alerts#new-rule" { (lang.pick("Wróć do reguł", "Back to the rules")) } }
    };
    let mut response = page(
        &viewer.chrome(
            Some(Section::Alerts),
            uri.path_and_query()
                .map_or("/dashboard/alerts", |p| p.as_str()),
        ),
        lang.pick("Reguły nie dodano", "Rule not added"),
        &body,
    )
    .into_response();
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct ToggleForm {
    rule: i64,
    enable: bool,
}

pub async fn toggle_rule(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<ToggleForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    if !state
        .storage
        .set_alert_rule_enabled(form.rule, form.enable)
        .await?
    {
        return Err(PageError::NotFound { lang: viewer.lang });
    }
    tracing::info!(
        user = viewer.username,
        rule = form.rule,
        enabled = form.enable,
        "alert rule changed"
    );
    Ok(back_to_rules())
}
