//! The department reports' e-mails on the alerts and notifications page: each recipient and
//! month with its delivery state, within the viewer's scope (a head of department sees their
//! own); admins may send one again (POST with CSRF), which makes it due at the next round.

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf::{CsrfForm, FIELD};
use super::refusal::PageError;
use super::viewer::Viewer;
use super::{Lang, Role};
use crate::alerts::delivery::redact_urls;
use crate::department_reports::{Month, report_path};
use crate::storage::ReportDeliveryState;
use crate::web::AppState;

/// Report e-mails listed at most, newest month first.
pub const LISTED: usize = 300;

/// Where one e-mail stands. Only admins see why an attempt failed (they configure the relay).
pub fn state_text(lang: Lang, d: &ReportDeliveryState, now_ms: i64, show_errors: bool) -> String {
    let resent = d
        .resent_by
        .as_deref()
        .map(|by| {
            format!(
                " ({} {by})",
                lang.pick("ponownie, na prośbę użytkownika", "again, asked by")
            )
        })
        .unwrap_or_default();
    match (d.delivered_at_ms, d.claimed_until_ms, d.next_attempt_ms) {
        (None, _, _) if d.recipient_disabled => lang
            .pick(
                "nie wysłano: konto odbiorcy jest wyłączone",
                "not sent: the recipient's account is disabled",
            )
            .to_owned(),
        (Some(at), _, _) => format!(
            "{} {}{resent}",
            lang.pick("wysłano", "sent"),
            lang.local_time(at)
        ),
        (None, Some(until), _) if until > now_ms => {
            lang.pick("w trakcie wysyłania", "being sent").to_owned()
        }
        (None, _, None) => {
            let mut text = format!(
                "{} {}",
                lang.pick(
                    "nie wysłano; próby wyczerpane:",
                    "not sent; attempts given up:"
                ),
                d.attempts
            );
            if let (true, Some(error)) = (show_errors, &d.last_error) {
                text.push_str(&format!(" — {}", redact_urls(error)));
            }
            text
        }
        (None, _, Some(next)) if d.attempts > 0 => {
            let mut text = format!(
                "{} {}; {} {}",
                lang.pick("nieudane próby:", "failed attempts:"),
                d.attempts,
                lang.pick("następna", "next"),
                lang.local_time(next)
            );
            if let (true, Some(error)) = (show_errors, &d.last_error) {
                text.push_str(&format!(" — {}", redact_urls(error)));
            }
            text
        }
        (None, _, Some(_)) => format!("{}{resent}", lang.pick("w kolejce", "queued")),
    }
}

/// The page's section: one row per recipient and month.
pub fn section(viewer: &Viewer, deliveries: &[ReportDeliveryState], now_ms: i64) -> Markup {
    let lang = viewer.lang;
    let admin = viewer.role == Role::Admin;
    let suffix = if lang == Lang::En { "?lang=en" } else { "" };
    html! {
        h2 #department-reports { (lang.pick("Raporty miesięczne dla kierowników wydziałów", "Monthly reports to heads of departments")) }
        p { (lang.pick(
            "W pierwszym dniu roboczym miesiąca (bez sobót, niedziel i świąt ustawowo wolnych od pracy) raport wydziału za poprzedni miesiąc jest wysyłany e-mailem każdemu jego kierownikowi, który ma adres e-mail, w wybranym przez niego języku — raz na odbiorcę i miesiąc. Nieudane wysyłki są ponawiane jak powiadomienia o alertach.",
            "On the first working day of a month (not Saturdays, Sundays or Polish public holidays) each department's report for the previous month is e-mailed to each of its heads who has an address, in their language — once per recipient and month. Failed attempts are retried like alert notifications."
        )) }
        @if deliveries.is_empty() {
            p #no-report-mail { (lang.pick("Nie wysłano jeszcze żadnego raportu.", "No report has been sent yet.")) }
        } @else {
            div.table-scroll role="region" aria-labelledby="report-mail-caption" tabindex="0" {
                table #report-mail {
                    caption #report-mail-caption { (lang.pick("Wysyłka raportów wydziałów", "Departments' reports sent")) }
                    thead { tr {
                        th scope="col" { (lang.pick("Miesiąc", "Month")) }
                        th scope="col" { (lang.pick("Urząd", "Office")) }
                        th scope="col" { (lang.pick("Wydział", "Department")) }
                        th scope="col" { (lang.pick("Odbiorca", "Recipient")) }
                        th scope="col" { (lang.pick("Stan", "Status")) }
                        @if admin { th scope="col" { (lang.pick("Działania", "Actions")) } }
                    } }
                    tbody {
                        @for d in deliveries {
                            tr data-recipient=(d.username) data-month=(d.month) {
                                td {
                                    @match Month::parse(&d.month) {
                                        Some(month) => a href=(format!("{}{suffix}", report_path(&d.office_id, &d.department_id, month))) { (month.name(lang)) },
                                        None => (d.month),
                                    }
                                }
                                td { (d.office_id) }
                                td { (d.department_id) }
                                td { (d.username) }
                                td.state { (state_text(lang, d, now_ms, admin)) }
                                @if admin {
                                    td {
                                        form.inline method="post" action="/dashboard/alerts/department-reports/resend" {
                                            input type="hidden" name=(FIELD) value=(viewer.csrf_token);
                                            input type="hidden" name="user_id" value=(d.user_id);
                                            input type="hidden" name="month" value=(d.month);
                                            button.secondary type="submit"
                                                aria-label=(format!("{} {} ({})", lang.pick("Wyślij ponownie raport do", "Send the report again to"), d.username, d.month)) {
                                                (lang.pick("Wyślij ponownie", "Send again"))
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
}

#[derive(Debug, Deserialize)]
pub struct ResendForm {
    user_id: i64,
    month: String,
}

/// `POST /dashboard/alerts/department-reports/resend`: admins only; the e-mail is due at the
/// next round.
pub async fn resend(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<ResendForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    let Some(month) = Month::parse(form.month.trim()) else {
        return Err(PageError::Invalid { lang });
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let queued = state
        .storage
        .resend_department_report(form.user_id, month.code(), viewer.username.clone(), now_ms)
        .await?;
    if !queued {
        // No such e-mail, or a round is sending it this minute.
        return Err(PageError::NotFound { lang });
    }
    tracing::info!(
        by = viewer.username,
        user_id = form.user_id,
        month = month.code(),
        "department report to be sent again"
    );
    Ok((
        StatusCode::SEE_OTHER,
        [(
            LOCATION,
            HeaderValue::from_static("/dashboard/alerts#department-reports"),
        )],
    )
        .into_response())
}
