//! The frame every dashboard page shares: skip link, header with the sections the viewer's role
//! may open, the language switch, sign-out, and `<main>`. Pages supply only their body.

use maud::{DOCTYPE, Markup, html};

use super::{Lang, Role, STYLESHEET_PATH, labels};

/// The dashboard's sections, in menu order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Standards,
    Patterns,
    Reports,
    Alerts,
    Fleet,
    Users,
    Offices,
    Help,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Overview,
        Section::Standards,
        Section::Patterns,
        Section::Reports,
        Section::Alerts,
        Section::Fleet,
        Section::Users,
        Section::Offices,
        Section::Help,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Section::Overview => "/dashboard",
            Section::Standards => "/dashboard/standards",
            Section::Patterns => "/dashboard/patterns",
            Section::Reports => "/dashboard/reports",
            Section::Alerts => "/dashboard/alerts",
            Section::Fleet => "/dashboard/fleet",
            Section::Users => "/dashboard/users",
            Section::Offices => "/dashboard/offices",
            Section::Help => "/dashboard/help",
        }
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Section::Overview => lang.pick("Przegląd", "Overview"),
            Section::Standards => lang.pick("Standardy", "Standards"),
            Section::Patterns => lang.pick("Dni, godziny i języki", "Days, hours and languages"),
            Section::Reports => lang.pick("Raporty", "Reports"),
            Section::Alerts => lang.pick("Alerty", "Alerts"),
            Section::Fleet => lang.pick("Kioski", "Kiosks"),
            Section::Users => lang.pick("Użytkownicy", "Users"),
            Section::Offices => lang.pick("Urzędy", "Offices"),
            Section::Help => lang.pick("Pomoc", "Help"),
        }
    }

    /// Whether the menu shows this section to `role` (the handlers check again themselves).
    pub fn visible_to(self, role: Role) -> bool {
        match self {
            Section::Users | Section::Offices => role == Role::Admin,
            _ => true,
        }
    }
}

/// Who is looking and where: what the frame needs to draw the header.
#[derive(Debug, Clone)]
pub struct Chrome<'a> {
    pub lang: Lang,
    /// The signed-in user's name and role; `None` on the sign-in page.
    pub viewer: Option<(&'a str, Role)>,
    /// The section the page belongs to, marked `aria-current` in the menu.
    pub current: Option<Section>,
    /// The session's CSRF token, for the sign-out form.
    pub csrf_token: Option<&'a str>,
    /// This page's address with the other language selected.
    pub other_language_href: String,
}

/// A whole HTML page in the dashboard's frame.
pub fn page(chrome: &Chrome<'_>, title: &str, body: &Markup) -> Markup {
    let lang = chrome.lang;
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ocena" }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body {
                a.skip-link href="#main" { (lang.pick("Przejdź do treści", "Skip to content")) }
                header.site-header {
                    a.brand href="/dashboard" { "Ocena" }
                    @if let Some((name, role)) = chrome.viewer {
                        nav aria-label=(lang.pick("Menu główne", "Main menu")) {
                            ul {
                                @for section in Section::ALL.into_iter().filter(|s| s.visible_to(role)) {
                                    li {
                                        @if chrome.current == Some(section) {
                                            a href=(section.path()) aria-current="page" { (section.title(lang)) }
                                        } @else {
                                            a href=(section.path()) { (section.title(lang)) }
                                        }
                                    }
                                }
                            }
                        }
                        div.account {
                            span.user { (name) }
                            @if let Some(token) = chrome.csrf_token {
                                form method="post" action="/dashboard/logout" {
                                    input type="hidden" name="csrf_token" value=(token);
                                    button type="submit" { (lang.pick("Wyloguj", "Sign out")) }
                                }
                            }
                        }
                    }
                    a.language-switch href=(chrome.other_language_href) lang=(lang.other().code())
                        hreflang=(lang.other().code()) {
                        (match lang { Lang::Pl => "English", Lang::En => "Polski" })
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer.site-footer {
                    p { (lang.pick(
                        "Ocena — monitorowanie Standardów Obsługi Klienta (zarządzenie 4216/2018, §3). Nie zbieramy danych osobowych.",
                        "Ocena — monitoring the Customer Service Standards (ordinance 4216/2018, §3). No personal data is collected."
                    )) }
                    p { (labels::csat_meaning(lang)) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome(role: Role) -> Chrome<'static> {
        Chrome {
            lang: Lang::Pl,
            viewer: Some(("anna", role)),
            current: Some(Section::Overview),
            csrf_token: Some("tok"),
            other_language_href: "/dashboard?lang=en".into(),
        }
    }

    #[test]
    fn titles_are_escaped_and_the_menu_follows_the_role() {
        let html = page(&chrome(Role::Analyst), "<script>x</script>", &html! {}).into_string();
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt; · Ocena"));
        assert!(!html.contains("<script>"));
        assert!(
            !html.contains("/dashboard/users"),
            "analysts have no user admin"
        );
        assert!(
            page(&chrome(Role::Admin), "t", &html! {})
                .into_string()
                .contains("/dashboard/users")
        );
    }

    #[test]
    fn the_current_section_is_marked_for_screen_readers() {
        let html = page(&chrome(Role::Admin), "t", &html! {}).into_string();
        assert!(html.contains(r#"<a href="/dashboard" aria-current="page">Przegląd</a>"#));
    }
}
