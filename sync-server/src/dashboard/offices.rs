//! The offices page `/dashboard/offices`, for admins only: every office with its id and name;
//! add an office, rename one. The id and name rules are [`crate::offices`]'s, as on the command
//! line.

use axum::extract::{Query, State};
use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::Lang;
use super::csrf::{CsrfForm, FIELD};
use super::layout::{Section, page};
use super::refusal::PageError;
use super::viewer::Viewer;
use crate::analytics::filter::MAX_ID_CHARS;
use crate::offices::{self, MAX_NAME_CHARS, OfficeError};
use crate::storage::Office;
use crate::web::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct OfficesQuery {
    done: Option<String>,
    office: Option<String>,
}

/// The offices page; `address` is the page's own address, for the language switch.
fn offices_page(
    viewer: &Viewer,
    address: &str,
    offices: &[Office],
    message: Option<&(bool, String)>,
) -> Markup {
    let lang = viewer.lang;
    let csrf = viewer.csrf_token.as_str();
    let body = html! {
        @if let Some((is_error, text)) = message {
            @if *is_error { p.error role="alert" #offices-message { (text) } }
            @else { p.notice role="status" #offices-message { (text) } }
        }
        p { (lang.pick(
            "Działy, stanowiska i użytkownicy należą do urzędu o danym identyfikatorze; identyfikatora nie można zmienić, nazwę tak.",
            "Departments, desks and users belong to an office by its id; the id cannot change, the name can."
        )) }
        div.table-scroll role="region" aria-labelledby="offices-caption" tabindex="0" {
            table #offices {
                caption #offices-caption { (lang.pick("Urzędy", "Offices")) }
                thead { tr {
                    th scope="col" { (lang.pick("Identyfikator", "Id")) }
                    th scope="col" { (lang.pick("Nazwa", "Name")) }
                    th scope="col" { (lang.pick("Nowa nazwa", "New name")) }
                } }
                tbody {
                    @for office in offices {
                        tr data-office=(office.id) {
                            td { (office.id) }
                            td { (office.name) }
                            td {
                                form.inline method="post" action="/dashboard/offices/rename" {
                                    input type="hidden" name=(FIELD) value=(csrf);
                                    input type="hidden" name="id" value=(office.id);
                                    input type="text" name="name" required maxlength=(MAX_NAME_CHARS)
                                        value=(office.name)
                                        aria-label=(format!("{} {}", lang.pick("Nowa nazwa urzędu", "New name of office"), office.id));
                                    button.secondary type="submit"
                                        aria-label=(format!("{} {}", lang.pick("Zmień nazwę urzędu", "Rename office"), office.id)) {
                                        (lang.pick("Zmień", "Rename"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 #add { (lang.pick("Dodaj urząd", "Add an office")) }
        form.stacked method="post" action="/dashboard/offices" {
            input type="hidden" name=(FIELD) value=(csrf);
            p {
                label for="new-office-id" { (lang.pick("Identyfikator", "Id")) }
                input #new-office-id type="text" name="id" required maxlength=(MAX_ID_CHARS)
                    autocomplete="off" autocapitalize="none" spellcheck="false"
                    aria-describedby="office-id-hint";
                small #office-id-hint { (lang.pick(
                    "Małe litery, cyfry i -, np. kutno. Nie można go później zmienić.",
                    "Lower-case letters, digits and -, e.g. kutno. It cannot change later."
                )) }
            }
            p {
                label for="new-office-name" { (lang.pick("Nazwa", "Name")) }
                input #new-office-name type="text" name="name" required maxlength=(MAX_NAME_CHARS);
            }
            p { button type="submit" { (lang.pick("Dodaj", "Add")) } }
        }
    };
    page(
        &viewer.chrome(Some(Section::Offices), address),
        Section::Offices.title(lang),
        &body,
    )
}

fn done_message(lang: Lang, done: &str, office: &str) -> Option<String> {
    let text = match done {
        "added" => lang.pick("Dodano urząd", "Added office"),
        "renamed" => lang.pick("Zmieniono nazwę urzędu", "Renamed office"),
        _ => return None,
    };
    Some(format!("{text} {office}."))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Query(query): Query<OfficesQuery>,
) -> Result<Markup, PageError> {
    viewer.require_admin()?;
    let offices = state.storage.offices().await?;
    let message = query
        .done
        .as_deref()
        .zip(
            query
                .office
                .as_deref()
                .and_then(|o| offices::parse_id(o).ok()),
        )
        .and_then(|(done, office)| done_message(viewer.lang, done, &office))
        .map(|text| (false, text));
    let address = uri
        .path_and_query()
        .map_or(Section::Offices.path(), |p| p.as_str());
    Ok(offices_page(&viewer, address, &offices, message.as_ref()))
}

/// After a change: back to the list with what was done (POST, redirect, GET).
fn done(lang: Lang, what: &str, office: &str) -> Response {
    let location = format!(
        "/dashboard/offices?done={what}&office={}&lang={}",
        super::session::query_encode(office),
        lang.code()
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    response
}

/// The list again with an error above it, nothing changed.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    message: String,
) -> Result<Response, PageError> {
    let offices = state.storage.offices().await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        offices_page(
            viewer,
            Section::Offices.path(),
            &offices,
            Some(&(true, message)),
        ),
    )
        .into_response())
}

/// What is wrong with an office's id or name, in the viewer's language.
fn office_problem(lang: Lang, problem: &OfficeError) -> String {
    match (lang, problem) {
        (Lang::Pl, OfficeError::Id(id)) => format!(
            "„{id}” nie jest identyfikatorem urzędu: 1–{MAX_ID_CHARS} znaków spośród a–z, 0–9 i -, nie na początku -."
        ),
        (Lang::En, OfficeError::Id(id)) => format!(
            "\"{id}\" is not an office id: 1-{MAX_ID_CHARS} characters from a-z, 0-9 and -, not starting with -."
        ),
        (Lang::Pl, OfficeError::Name { id }) => {
            format!("Nazwa urzędu {id} musi mieć 1–{MAX_NAME_CHARS} znaków.")
        }
        (Lang::En, OfficeError::Name { id }) => {
            format!("The name of office {id} needs 1-{MAX_NAME_CHARS} characters.")
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct OfficeForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

pub async fn add(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<OfficeForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    let office = match offices::parse(form.id.trim(), &form.name) {
        Ok(office) => office,
        Err(problem) => return refused(&state, &viewer, office_problem(lang, &problem)).await,
    };
    if !state.storage.add_office(office.clone()).await? {
        let text = match lang {
            Lang::Pl => format!("Urząd o identyfikatorze „{}” już istnieje.", office.id),
            Lang::En => format!("An office with the id \"{}\" already exists.", office.id),
        };
        return refused(&state, &viewer, text).await;
    }
    tracing::info!(by = viewer.username, office = office.id, "office added");
    Ok(done(lang, "added", &office.id))
}

pub async fn rename(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<OfficeForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    let office = match offices::parse(&form.id, &form.name) {
        Ok(office) => office,
        Err(problem) => return refused(&state, &viewer, office_problem(lang, &problem)).await,
    };
    if !state
        .storage
        .rename_office(office.id.clone(), office.name)
        .await?
    {
        return Err(PageError::NotFound { lang });
    }
    tracing::info!(by = viewer.username, office = office.id, "office renamed");
    Ok(done(lang, "renamed", &office.id))
}
