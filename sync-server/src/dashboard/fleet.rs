//! The fleet page `/dashboard/fleet`: every kiosk in the viewer's scope with its office, desk,
//! last contact, version, backlog, clock and last error; admins issue enrollment codes per desk
//! (each shown once) and revoke kiosks after a confirmation step. The same list as JSON is
//! [`crate::http::fleet`]. The scope is applied in the query, never only in the menu.

use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::csrf::{CsrfForm, FIELD};
use super::layout::{Section, page};
use super::refusal::PageError;
use super::viewer::Viewer;
use super::{Lang, Role, Scope};
use crate::credentials;
use crate::storage::FleetKiosk;
use crate::web::AppState;

/// How long an enrollment code issued here is valid.
const CODE_VALID_HOURS: i64 = 24;
/// A clock further off than this is flagged on the page.
const DRIFT_WARNING_MS: i64 = 2 * 60 * 1000;

#[derive(Debug, Default, Deserialize)]
pub struct FleetQuery {
    office: Option<String>,
    revoked: Option<String>,
}

/// The office a viewer asked for, if its scope allows it; `None` means every office in scope.
pub(crate) fn office_filter(
    viewer: &Viewer,
    asked: Option<&str>,
) -> Result<Option<String>, PageError> {
    match (asked.filter(|o| !o.is_empty()), &viewer.scope) {
        (Some(office), scope) if !scope.allows_office(office) => {
            Err(PageError::forbidden(viewer.lang))
        }
        (Some(office), _) => Ok(Some(office.to_owned())),
        (None, Scope::Office(own) | Scope::Department { office: own, .. }) => Ok(Some(own.clone())),
        (None, Scope::AllOffices) => Ok(None),
    }
}

/// The department a viewer's scope limits the fleet to, if any.
pub(crate) fn department_filter(viewer: &Viewer) -> Option<String> {
    viewer.scope.department().map(str::to_owned)
}

fn clock_text(lang: Lang, kiosk: &FleetKiosk) -> String {
    let status = &kiosk.status;
    let Some(drift_ms) = status.clock_drift_ms else {
        return lang.pick("brak danych", "no data").to_owned();
    };
    let synced = match status.clock_synchronized {
        Some(true) => lang.pick("zsynchronizowany", "synchronised"),
        _ => lang.pick("niezsynchronizowany", "not synchronised"),
    };
    #[allow(clippy::cast_precision_loss)]
    let seconds = lang.number(drift_ms as f64 / 1000.0, 0);
    let warning = if drift_ms.unsigned_abs() > DRIFT_WARNING_MS.unsigned_abs() {
        lang.pick(
            " — uwaga: zegar kiosku odbiega od czasu serwera",
            " — warning: the kiosk's clock is off",
        )
    } else {
        ""
    };
    format!("{synced}, {seconds} s{warning}")
}

fn fleet_table(viewer: &Viewer, kiosks: &[FleetKiosk]) -> Markup {
    let lang = viewer.lang;
    let admin = viewer.role == Role::Admin;
    html! {
        div.table-scroll role="region" aria-labelledby="fleet-caption" tabindex="0" {
            table #fleet {
                caption #fleet-caption { (lang.pick("Kioski", "Kiosks")) }
                thead { tr {
                    th scope="col" { (lang.pick("Urząd", "Office")) }
                    th scope="col" { (lang.pick("Stanowisko", "Desk")) }
                    th scope="col" { (lang.pick("Ostatni kontakt", "Last seen")) }
                    th scope="col" { (lang.pick("Wersja", "Version")) }
                    th scope="col" .number { (lang.pick("Niewysłane odpowiedzi", "Backlog")) }
                    th scope="col" { (lang.pick("Najstarsza niewysłana", "Oldest unsynced")) }
                    th scope="col" { (lang.pick("Zegar", "Clock")) }
                    th scope="col" { (lang.pick("Ostatni błąd", "Last error")) }
                    th scope="col" { (lang.pick("Stan", "Status")) }
                    @if admin { th scope="col" { (lang.pick("Działania", "Actions")) } }
                } }
                tbody {
                    @for kiosk in kiosks {
                        @let status = &kiosk.status;
                        tr data-kiosk=(status.id) {
                            td { (kiosk.office_name) }
                            td { (kiosk.desk_name) br; small { (status.desk_id) } }
                            td { (status.last_seen_ms.map_or_else(|| lang.pick("nigdy", "never").to_owned(), |ms| lang.local_time(ms))) }
                            td { (status.version) }
                            td.number { (status.backlog.map_or_else(|| "—".to_owned(), |b| lang.number(b as f64, 0))) }
                            td { (status.oldest_unsynced_ms.map_or_else(|| "—".to_owned(), |ms| lang.local_time(ms))) }
                            td { (clock_text(lang, kiosk)) }
                            td { (status.last_error.as_deref().unwrap_or("—")) }
                            td {
                                @if let Some(revoked) = status.revoked_at_ms {
                                    (lang.pick("wyrejestrowany ", "revoked ")) (lang.local_time(revoked))
                                } @else {
                                    (lang.pick("aktywny", "active"))
                                }
                                br;
                                small { (status.id) }
                            }
                            @if admin {
                                td {
                                    @if status.revoked_at_ms.is_none() {
                                        form method="post" action="/dashboard/fleet/revoke" {
                                            input type="hidden" name=(FIELD) value=(viewer.csrf_token);
                                            input type="hidden" name="kiosk" value=(status.id);
                                            button.danger type="submit"
                                                aria-label=(format!("{} {}", lang.pick("Wyrejestruj kiosk", "Revoke kiosk"), status.desk_id)) {
                                                (lang.pick("Wyrejestruj", "Revoke"))
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

async fn enrollment_section(state: &AppState, viewer: &Viewer) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let desks = state.storage.desks().await?;
    Ok(html! {
        h2 #codes { (lang.pick("Kody rejestracyjne", "Enrollment codes")) }
        p { (lang.pick(
            "Kod jest jednorazowy, ważny 24 godziny i pokazywany tylko raz. Wpisz go w kiosku przy stanowisku.",
            "A code is single-use, valid for 24 hours and shown only once. Type it into the kiosk at the desk."
        )) }
        div.table-scroll role="region" aria-labelledby="desks-caption" tabindex="0" {
            table #desks {
                caption #desks-caption { (lang.pick("Stanowiska", "Desks")) }
                thead { tr {
                    th scope="col" { (lang.pick("Urząd", "Office")) }
                    th scope="col" { (lang.pick("Stanowisko", "Desk")) }
                    th scope="col" { (lang.pick("Działania", "Actions")) }
                } }
                tbody {
                    @for desk in &desks {
                        tr {
                            td { (desk.survey.office) }
                            td { (desk.survey.desk_name) br; small { (desk.survey.desk_id) } }
                            td {
                                form method="post" action="/dashboard/fleet/enrollment-code" {
                                    input type="hidden" name=(FIELD) value=(viewer.csrf_token);
                                    input type="hidden" name="desk" value=(desk.survey.desk_id.as_str());
                                    button type="submit"
                                        aria-label=(format!("{} {}", lang.pick("Wydaj kod dla", "Issue code for"), desk.survey.desk_id)) {
                                        (lang.pick("Wydaj kod", "Issue code"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

fn path_and_query(uri: &Uri) -> &str {
    uri.path_and_query()
        .map_or("/dashboard/fleet", |p| p.as_str())
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Query(query): Query<FleetQuery>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let office = office_filter(&viewer, query.office.as_deref())?;
    let kiosks = state
        .storage
        .fleet(office, department_filter(&viewer))
        .await?;
    let codes = if viewer.role == Role::Admin {
        Some(enrollment_section(&state, &viewer).await?)
    } else {
        None
    };
    let revoked = query
        .revoked
        .as_deref()
        .filter(|id| kiosks.iter().any(|k| k.status.id == *id));
    let body = html! {
        @if let Some(id) = revoked {
            p.notice role="status" { (lang.pick("Wyrejestrowano kiosk ", "Revoked kiosk ")) (id) "." }
        }
        @if kiosks.is_empty() {
            p { (lang.pick("Brak kiosków w tym zakresie.", "No kiosks in this scope.")) }
        } @else {
            (fleet_table(&viewer, &kiosks))
        }
        @if let Some(codes) = codes { (codes) }
    };
    let title = Section::Fleet.title(lang);
    Ok(page(
        &viewer.chrome(Some(Section::Fleet), path_and_query(&uri)),
        title,
        &body,
    ))
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    desk: String,
}

pub async fn issue_code(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<CodeForm>,
) -> Result<Markup, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    let Ok(desk_id) = form.desk.parse::<model::DeskId>() else {
        return Err(PageError::NotFound { lang });
    };
    let Some(desk) = state.storage.desk(desk_id.clone()).await? else {
        return Err(PageError::NotFound { lang });
    };
    let code = credentials::new_enrollment_code();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let expires_ms = now_ms + CODE_VALID_HOURS * 3_600_000;
    state
        .storage
        .add_enrollment_code(
            credentials::code_hash(&code),
            desk_id.clone(),
            now_ms,
            expires_ms,
        )
        .await?;
    tracing::info!(user = viewer.username, desk = %desk_id, "enrollment code issued from the dashboard");
    let body = html! {
        p role="status" {
            (lang.pick("Kod rejestracyjny dla stanowiska ", "Enrollment code for desk "))
            strong { (desk.survey.desk_name) } " (" (desk_id.as_str()) ")"
        }
        p.enrollment-code #enrollment-code { (code) }
        p { (lang.pick("Ważny do ", "Valid until ")) (lang.local_time(expires_ms))
            (lang.pick(". Kod jest pokazywany tylko raz i nie da się go odczytać ponownie.",
                       ". The code is shown only once and cannot be read again.")) }
        p { a href="/dashboard/fleet" { (lang.pick("Wróć do listy kiosków", "Back to the kiosks")) } }
    };
    Ok(page(
        // A POST's result: the language switch leads to the fleet page.
        &viewer.chrome(Some(Section::Fleet), Section::Fleet.path()),
        lang.pick("Nowy kod rejestracyjny", "New enrollment code"),
        &body,
    ))
}

#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    kiosk: String,
    #[serde(default)]
    confirm: Option<String>,
}

pub async fn revoke(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    let fleet = state.storage.fleet(None, None).await?;
    let Some(kiosk) = fleet.iter().find(|k| k.status.id == form.kiosk) else {
        return Err(PageError::NotFound { lang });
    };
    if form.confirm.as_deref() != Some("yes") {
        let body = html! {
            p {
                (lang.pick("Czy na pewno wyrejestrować kiosk przy stanowisku ", "Really revoke the kiosk at desk "))
                strong { (kiosk.desk_name) } " (" (kiosk.status.desk_id) ", " (kiosk.office_name) ")? "
                (lang.pick(
                    "Jego token przestanie działać od razu; kiosk trzeba będzie zarejestrować ponownie nowym kodem.",
                    "Its token stops working at once; the kiosk will need a new enrollment code."
                ))
            }
            form method="post" action="/dashboard/fleet/revoke" {
                input type="hidden" name=(FIELD) value=(viewer.csrf_token);
                input type="hidden" name="kiosk" value=(kiosk.status.id);
                input type="hidden" name="confirm" value="yes";
                button.danger #confirm-revoke type="submit" { (lang.pick("Tak, wyrejestruj", "Yes, revoke")) }
                " "
                a.button href="/dashboard/fleet" { (lang.pick("Anuluj", "Cancel")) }
            }
        };
        return Ok(page(
            &viewer.chrome(Some(Section::Fleet), Section::Fleet.path()),
            lang.pick("Wyrejestrowanie kiosku", "Revoke a kiosk"),
            &body,
        )
        .into_response());
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    state
        .storage
        .revoke(kiosk.status.id.clone(), now_ms)
        .await?;
    tracing::info!(
        user = viewer.username,
        kiosk = kiosk.status.id,
        "kiosk revoked from the dashboard"
    );
    let location = format!(
        "/dashboard/fleet?revoked={}",
        super::session::query_encode(&kiosk.status.id)
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}
