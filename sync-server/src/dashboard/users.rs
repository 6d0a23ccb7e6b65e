//! The users page `/dashboard/users`, for admins only: every user with role, office and state;
//! add a user, disable one, set a new password (which ends that user's sessions). Also the
//! username rule the CLI shares.

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
use crate::passwords::{self, PasswordProblem};
use crate::storage::{NewUser, Office, StorageError, User};
use crate::web::AppState;

/// Longest username accepted.
pub const MAX_USERNAME_CHARS: usize = 64;

/// Why a username is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid username {0:?}: use 1-{MAX_USERNAME_CHARS} characters from a-z, 0-9, '.', '_', '-' and '@'"
)]
pub struct UsernameProblem(pub String);

/// A username as stored: trimmed, lower case, from a small alphabet (so it is never confused
/// with another that merely looks alike).
pub fn parse_username(text: &str) -> Result<String, UsernameProblem> {
    let name = text.trim().to_lowercase();
    let ok = (1..=MAX_USERNAME_CHARS).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    if ok {
        Ok(name)
    } else {
        Err(UsernameProblem(text.to_owned()))
    }
}

/// A role's name on the page.
pub fn role_title(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Admin => lang.pick("administrator", "admin"),
        Role::Analyst => lang.pick("analityk", "analyst"),
        Role::OfficeViewer => lang.pick("podgląd urzędu", "office viewer"),
        Role::DepartmentViewer => lang.pick("kierownik wydziału", "head of department"),
    }
}

fn password_problem(lang: Lang, problem: &PasswordProblem) -> String {
    match (lang, problem) {
        (Lang::Pl, PasswordProblem::TooShort) => format!(
            "Hasło musi mieć co najmniej {} znaków.",
            passwords::MIN_PASSWORD_CHARS
        ),
        (Lang::Pl, PasswordProblem::TooLong) => format!(
            "Hasło może mieć najwyżej {} znaków.",
            passwords::MAX_PASSWORD_CHARS
        ),
        (Lang::Pl, PasswordProblem::Blank) => "Hasło nie może składać się z samych spacji.".into(),
        (Lang::En, problem) => {
            let text = problem.to_string();
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>() + ".")
                .unwrap_or_default()
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    done: Option<String>,
    user: Option<String>,
}

/// The users page; `address` is the page's own address, for the language switch.
fn users_page(
    viewer: &Viewer,
    address: &str,
    users: &[User],
    offices: &[Office],
    message: Option<&(bool, String)>,
) -> Markup {
    let lang = viewer.lang;
    let csrf = viewer.csrf_token.as_str();
    let body = html! {
        @if let Some((is_error, text)) = message {
            @if *is_error { p.error role="alert" #users-message { (text) } }
            @else { p.notice role="status" #users-message { (text) } }
        }
        div.table-scroll role="region" aria-labelledby="users-caption" tabindex="0" {
            table #users {
                caption #users-caption { (lang.pick("Konta", "Accounts")) }
                thead { tr {
                    th scope="col" { (lang.pick("Użytkownik", "User")) }
                    th scope="col" { (lang.pick("Rola", "Role")) }
                    th scope="col" { (lang.pick("Urząd", "Office")) }
                    th scope="col" { (lang.pick("Wydział", "Department")) }
                    th scope="col" { (lang.pick("E-mail (język)", "E-mail (language)")) }
                    th scope="col" { (lang.pick("Utworzono", "Created")) }
                    th scope="col" { (lang.pick("Stan", "Status")) }
                    th scope="col" { (lang.pick("Nowe hasło", "New password")) }
                    th scope="col" { (lang.pick("Wyłączenie", "Disable")) }
                } }
                tbody {
                    @for user in users {
                        tr data-user=(user.username) {
                            td { (user.username) }
                            td { (role_title(lang, user.role)) }
                            td { (user.office_id.as_deref().unwrap_or("—")) }
                            td { (user.department_id.as_deref().unwrap_or("—")) }
                            td { @if let Some(email) = &user.email { (email) " (" (user.lang.code()) ")" } @else { "—" } }
                            td { (lang.local_date(user.created_at_ms)) }
                            td { @if user.disabled_at_ms.is_some() { (lang.pick("wyłączone", "disabled")) } @else { (lang.pick("aktywne", "active")) } }
                            td {
                                form.inline method="post" action="/dashboard/users/password" {
                                    input type="hidden" name=(FIELD) value=(csrf);
                                    input type="hidden" name="username" value=(user.username);
                                    input type="password" name="password" autocomplete="new-password" required
                                        minlength=(passwords::MIN_PASSWORD_CHARS) maxlength=(passwords::MAX_PASSWORD_CHARS)
                                        aria-label=(format!("{} {}", lang.pick("Nowe hasło dla", "New password for"), user.username));
                                    button.secondary type="submit"
                                        aria-label=(format!("{} {}", lang.pick("Ustaw hasło dla", "Set the password of"), user.username)) {
                                        (lang.pick("Ustaw", "Set"))
                                    }
                                }
                            }
                            td {
                                @if user.disabled_at_ms.is_none() && user.id != viewer.user_id {
                                    form.inline method="post" action="/dashboard/users/disable" {
                                        input type="hidden" name=(FIELD) value=(csrf);
                                        input type="hidden" name="username" value=(user.username);
                                        button.danger type="submit"
                                            aria-label=(format!("{} {}", lang.pick("Wyłącz konto", "Disable the account of"), user.username)) {
                                            (lang.pick("Wyłącz", "Disable"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 #add { (lang.pick("Dodaj użytkownika", "Add a user")) }
        form.stacked method="post" action="/dashboard/users" {
            input type="hidden" name=(FIELD) value=(csrf);
            p {
                label for="new-username" { (lang.pick("Nazwa użytkownika", "Username")) }
                input #new-username type="text" name="username" required maxlength=(MAX_USERNAME_CHARS)
                    autocomplete="off" autocapitalize="none" spellcheck="false"
                    aria-describedby="username-hint";
                small #username-hint { (lang.pick("Małe litery, cyfry oraz . _ - @", "Lower-case letters, digits and . _ - @")) }
            }
            p {
                label for="new-role" { (lang.pick("Rola", "Role")) }
                select #new-role name="role" {
                    @for role in [Role::DepartmentViewer, Role::OfficeViewer, Role::Analyst, Role::Admin] {
                        option value=(role.as_str()) { (role_title(lang, role)) }
                    }
                }
            }
            p {
                label for="new-office" { (lang.pick("Urząd (tylko dla podglądu urzędu i kierownika wydziału)", "Office (office viewers and heads of department only)")) }
                select #new-office name="office" {
                    option value="" { "—" }
                    @for office in offices {
                        option value=(office.id) { (office.name) }
                    }
                }
            }
            p {
                label for="new-department" { (lang.pick("Wydział (tylko dla kierownika wydziału)", "Department (heads of department only)")) }
                input #new-department type="text" name="department" maxlength="64"
                    autocomplete="off" autocapitalize="none" spellcheck="false"
                    aria-describedby="department-hint";
                small #department-hint { (lang.pick("Identyfikator wydziału w wybranym urzędzie, np. wso.", "The department's id in the chosen office, e.g. wso.")) }
            }
            p {
                label for="new-email" { (lang.pick("E-mail (na raport miesięczny kierownika wydziału)", "E-mail (for a head of department's monthly report)")) }
                input #new-email type="email" name="email" maxlength="254" autocomplete="off";
            }
            p {
                label for="new-lang" { (lang.pick("Język wiadomości", "Language of the e-mail")) }
                select #new-lang name="lang" {
                    option value="pl" { "polski" }
                    option value="en" lang="en" { "English" }
                }
            }
            p {
                label for="new-password" { (lang.pick("Hasło", "Password")) }
                input #new-password type="password" name="password" autocomplete="new-password" required
                    minlength=(passwords::MIN_PASSWORD_CHARS) maxlength=(passwords::MAX_PASSWORD_CHARS)
                    aria-describedby="password-hint";
                small #password-hint { (format!("{} {}", lang.pick("Co najmniej", "At least"), passwords::MIN_PASSWORD_CHARS))
                    (lang.pick(" znaków.", " characters.")) }
            }
            p { button type="submit" { (lang.pick("Dodaj", "Add")) } }
        }
    };
    page(
        &viewer.chrome(Some(Section::Users), address),
        Section::Users.title(lang),
        &body,
    )
}

fn done_message(lang: Lang, done: &str, user: &str) -> Option<String> {
    let text = match done {
        "added" => lang.pick("Dodano użytkownika", "Added user"),
        "disabled" => lang.pick("Wyłączono konto", "Disabled the account of"),
        "password" => lang.pick("Ustawiono nowe hasło dla", "Set a new password for"),
        _ => return None,
    };
    Some(format!("{text} {user}."))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Query(query): Query<UsersQuery>,
) -> Result<Markup, PageError> {
    viewer.require_admin()?;
    let users = state.storage.users().await?;
    let offices = state.storage.offices().await?;
    let message = query
        .done
        .as_deref()
        .zip(query.user.as_deref().and_then(|u| parse_username(u).ok()))
        .and_then(|(done, user)| done_message(viewer.lang, done, &user))
        .map(|text| (false, text));
    let address = uri
        .path_and_query()
        .map_or(Section::Users.path(), |p| p.as_str());
    Ok(users_page(
        &viewer,
        address,
        &users,
        &offices,
        message.as_ref(),
    ))
}

/// After a change: back to the list with what was done (POST, redirect, GET).
fn done(lang: Lang, what: &str, username: &str) -> Response {
    let location = format!(
        "/dashboard/users?done={what}&user={}&lang={}",
        super::session::query_encode(username),
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
    let users = state.storage.users().await?;
    let offices = state.storage.offices().await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        users_page(
            viewer,
            Section::Users.path(),
            &users,
            &offices,
            Some(&(true, message)),
        ),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    office: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    password: String,
}

pub async fn add(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<AddForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    let username = match parse_username(&form.username) {
        Ok(name) => name,
        Err(_) => {
            let text = lang.pick(
                "Nazwa użytkownika może mieć 1–64 znaki: małe litery, cyfry oraz . _ - @.",
                "A username has 1-64 characters: lower-case letters, digits and . _ - @.",
            );
            return refused(&state, &viewer, text.into()).await;
        }
    };
    let Some(role) = Role::parse(&form.role) else {
        return Err(PageError::Invalid { lang });
    };
    let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let office = given(&form.office);
    let department = given(&form.department);
    let email = given(&form.email);
    let mail_lang = Lang::parse(form.lang.trim()).unwrap_or_default();
    if role.needs_office() != office.is_some() {
        let text = lang.pick(
            "Urząd wybiera się tylko dla ról „podgląd urzędu” i „kierownik wydziału” i jest dla nich wymagany.",
            "An office is chosen only for the office viewer and head of department roles, and they need one.",
        );
        return refused(&state, &viewer, text.into()).await;
    }
    if role.needs_department() != department.is_some() {
        let text = lang.pick(
            "Wydział podaje się tylko dla roli „kierownik wydziału” i jest dla niej wymagany.",
            "A department is given only for the head of department role, and it needs one.",
        );
        return refused(&state, &viewer, text.into()).await;
    }
    if let Some(office) = &office {
        let offices = state.storage.offices().await?;
        if !offices.iter().any(|known| &known.id == office) {
            let text = match lang {
                Lang::Pl => format!("Nie ma urzędu o identyfikatorze „{office}”."),
                Lang::En => format!("There is no office with the id \"{office}\"."),
            };
            return refused(&state, &viewer, text).await;
        }
    }
    if let (Some(office), Some(department)) = (&office, &department) {
        let places = state.storage.places(Scope::AllOffices).await?;
        if places.department_name(office, department).is_none() {
            let office_name = places.office_name(office).unwrap_or(office);
            let text = match lang {
                Lang::Pl => format!(
                    "{office_name} nie ma wydziału o identyfikatorze „{department}” (wydziały urzędów wymienia polecenie sync-server desk list)."
                ),
                Lang::En => format!(
                    "{office_name} has no department with the id \"{department}\" (sync-server desk list names each office's departments)."
                ),
            };
            return refused(&state, &viewer, text).await;
        }
    }
    if let Some(address) = &email
        && address.parse::<lettre::Address>().is_err()
    {
        let text = match lang {
            Lang::Pl => format!("„{address}” nie jest poprawnym adresem e-mail."),
            Lang::En => format!("\"{address}\" is not a valid e-mail address."),
        };
        return refused(&state, &viewer, text).await;
    }
    if let Err(problem) = passwords::check_new(&form.password) {
        return refused(&state, &viewer, password_problem(lang, &problem)).await;
    }
    let password_hash = state.password_slots.hash(form.password).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let added = state
        .storage
        .add_user(
            NewUser {
                username: username.clone(),
                password_hash,
                role,
                office_id: office,
                department_id: department,
                email,
                lang: mail_lang,
            },
            now_ms,
        )
        .await;
    match added {
        Ok(_) => {
            tracing::info!(
                by = viewer.username,
                user = username,
                role = role.as_str(),
                "dashboard user added"
            );
            Ok(done(lang, "added", &username))
        }
        Err(StorageError::Invalid(why)) => refused(&state, &viewer, why).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct DisableForm {
    username: String,
}

pub async fn disable(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<DisableForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    if form.username == viewer.username {
        let text = lang.pick(
            "Nie można wyłączyć własnego konta.",
            "You cannot disable your own account.",
        );
        return refused(&state, &viewer, text.into()).await;
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    if !state
        .storage
        .disable_user(form.username.clone(), now_ms)
        .await?
    {
        return Err(PageError::NotFound { lang });
    }
    tracing::info!(
        by = viewer.username,
        user = form.username,
        "dashboard user disabled"
    );
    Ok(done(lang, "disabled", &form.username))
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn set_password(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    viewer.require_admin()?;
    let lang = viewer.lang;
    if let Err(problem) = passwords::check_new(&form.password) {
        return refused(&state, &viewer, password_problem(lang, &problem)).await;
    }
    let password_hash = state.password_slots.hash(form.password).await?;
    if !state
        .storage
        .set_password(form.username.clone(), password_hash)
        .await?
    {
        return Err(PageError::NotFound { lang });
    }
    tracing::info!(
        by = viewer.username,
        user = form.username,
        "dashboard password set"
    );
    Ok(done(lang, "password", &form.username))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_lower_case_and_plain() {
        assert_eq!(
            parse_username(" Anna.Kowalska@plock ").as_deref(),
            Ok("anna.kowalska@plock")
        );
        for bad in [
            "",
            "anna kowalska",
            "ąna",
            "x'; DROP TABLE users;--",
            &"a".repeat(65),
        ] {
            assert!(parse_username(bad).is_err(), "{bad}");
        }
    }
}
