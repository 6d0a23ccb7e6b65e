//! The help page `/dashboard/help`: what each role sees and may do, what the heads of
//! departments receive by e-mail, and why some cells show no figure. Every signed-in user may
//! read it; the viewer's own role is marked.

use axum::extract::State;
use axum::http::Uri;
use maud::{Markup, html};

use super::layout::{Section, page};
use super::users::role_title;
use super::viewer::Viewer;
use super::{Lang, Role};
use crate::department_reports::small_counts_note;
use crate::web::AppState;

/// What `role` sees and may do, in a sentence.
pub fn role_sees(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Admin => lang.pick(
            "Wszystkie urzędy, ich wydziały i stanowiska; zarządza urzędami, kioskami, kodami rejestracyjnymi, regułami alertów i kontami użytkowników; pobiera odpowiedzi pojedynczo (bez godziny, języka i rozmiaru tekstu) i może ponownie wysłać raport wydziału.",
            "Every office, its departments and desks; manages offices, kiosks, enrollment codes, alert rules and user accounts; downloads answers one by one (without time, language or text size) and may send a department's report again.",
        ),
        Role::Analyst => lang.pick(
            "Wszystkie urzędy, ich wydziały i stanowiska, raporty i alerty; pobiera odpowiedzi pojedynczo (bez godziny, języka i rozmiaru tekstu). Niczym nie zarządza.",
            "Every office, its departments and desks, reports and alerts; downloads answers one by one (without time, language or text size). Manages nothing.",
        ),
        Role::OfficeViewer => lang.pick(
            "Tylko swój urząd: jego wydziały, stanowiska, kioski, alerty i raporty miesięczne urzędu i wydziałów; pobiera tylko liczby odpowiedzi według stanowiska i dnia.",
            "Its own office only: its departments, desks, kiosks, alerts and the monthly reports of the office and its departments; downloads only counts per desk and day.",
        ),
        Role::DepartmentViewer => lang.pick(
            "Tylko swój wydział w swoim urzędzie (§\u{a0}5 ust.\u{a0}1 zarządzenia): jego stanowiska, kioski, alerty i raport miesięczny wydziału, który co miesiąc otrzymuje też e-mailem; pobiera tylko liczby odpowiedzi według stanowiska i dnia. Nie widzi wyników całego urzędu ani innych wydziałów.",
            "Its own department of its office only (§5.1 of the ordinance): its desks, kiosks, alerts and the department's monthly report, which it also receives by e-mail every month; downloads only counts per desk and day. It sees neither the whole office's figures nor other departments'.",
        ),
    }
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, uri: Uri) -> Markup {
    let lang = viewer.lang;
    let k = state.storage.disclosure().min_responses();
    let body = html! {
        h2 #roles { (lang.pick("Kto co widzi", "Who sees what")) }
        div.table-scroll role="region" aria-labelledby="roles-caption" tabindex="0" {
            table #roles-table {
                caption #roles-caption { (lang.pick("Role użytkowników pulpitu", "The dashboard's roles")) }
                thead { tr {
                    th scope="col" { (lang.pick("Rola", "Role")) }
                    th scope="col" { (lang.pick("Co widzi i co może", "What it sees and may do")) }
                } }
                tbody {
                    @for role in [Role::Admin, Role::Analyst, Role::OfficeViewer, Role::DepartmentViewer] {
                        tr data-role=(role.as_str()) {
                            th scope="row" {
                                (role_title(lang, role))
                                @if role == viewer.role { " " (lang.pick("(rola tego konta)", "(this account's role)")) }
                            }
                            td { (role_sees(lang, role)) }
                        }
                    }
                }
            }
        }
        p { (lang.pick(
            "Zakres jest sprawdzany w każdym zapytaniu do bazy: zmiana adresu strony nie pokaże innego urzędu ani wydziału (strona odpowie „nie znaleziono”).",
            "The scope is applied in every database query: editing a page's address shows no other office or department (the page answers \"not found\")."
        )) }
        h2 #department-reports { (lang.pick("Raport miesięczny dla kierownika wydziału", "The monthly report for a head of department")) }
        p { (lang.pick(
            "W pierwszym dniu roboczym miesiąca kierownik wydziału, który ma w swoim koncie adres e-mail, otrzymuje raport swojego wydziału za poprzedni miesiąc w wybranym języku: liczbę odpowiedzi i odsetek zadowolonych w porównaniu z poprzednim miesiącem i z tym samym miesiącem przed rokiem, standardy, które zmieniły się najbardziej, oraz najczęstsze powody niskich ocen, z odnośnikiem do pełnego raportu (według standardu i stanowiska, do wydruku i w formacie CSV). Stan wysyłki jest widoczny na stronie Alerty.",
            "On the first working day of a month, a head of department whose account has an e-mail address receives the department's report for the previous month in their language: responses and CSAT against the previous month and the same month a year before, the standards that moved most and the most chosen reasons, with a link to the full report (by standard and desk, printable and as CSV). Its delivery state is shown on the Alerts page."
        )) }
        h2 #too-few { (lang.pick("Dlaczego niektóre komórki są puste", "Why some cells are empty")) }
        p {
            (small_counts_note(lang, k)) " "
            (lang.pick(
                "Nie jest też pokazywany wynik, który dałoby się obliczyć, odejmując pokazane wyniki od pokazanej sumy. Ta sama zasada obowiązuje na stronach, w raportach, plikach CSV, API i wiadomościach e-mail, dla każdej roli.",
                "Nor is one that could be worked out by subtracting shown figures from a shown total. The same rule applies to pages, reports, CSV files, the API and e-mails, for every role."
            ))
        }
    };
    page(
        &viewer.chrome(
            Some(Section::Help),
            uri.path_and_query()
                .map_or("/dashboard/help", |p| p.as_str()),
        ),
        Section::Help.title(lang),
        &body,
    )
}
