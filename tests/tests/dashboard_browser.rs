//! The dashboard in headless Chromium against the real `sync-server`: sign-in (a wrong password
//! first), the fleet page, issuing an enrollment code that a kiosk then uses, revoking a kiosk
//! through the confirmation step (its next request is refused), adding a user, the English
//! switch, sign-out, and an office viewer kept to its office. axe-core checks every page and a
//! screenshot of each is saved under `target/screenshots/dashboard/`. One browser per run; a run
//! on SQLite and one on PostgreSQL.

mod dashboard_support;

use dashboard_support::{ADMIN, GABIN_DESK, enroll, fleet_on, heartbeat};
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use tests::browser::Browser;
use tests::server::Engine;

async fn text(client: &Client, css: &str) -> String {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn fill(client: &Client, css: &str, value: &str) {
    let field = client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

async fn path(client: &Client) -> String {
    let url = client.current_url().await.expect("url");
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

async fn sign_in(client: &Client, username: &str, password: &str) {
    fill(client, "#username", username).await;
    fill(client, "#password", password).await;
    click(client, "form.login button[type=submit]").await;
}

/// Checks the page with axe-core and saves its screenshot as `name`.
async fn look_at(browser: &Browser, name: &str) {
    browser.screenshot(name).await.expect("screenshot");
    browser
        .check_accessibility(name)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
}

tests::test_on_both_engines!(async fn the_dashboard_in_a_browser);

async fn the_dashboard_in_a_browser(engine: Engine) {
    let fleet = fleet_on(engine, "").await.expect("set up");
    let base = fleet.server.url();
    let browser = Browser::start_for(engine).await.expect("headless chromium");
    let client = &browser.client;

    // Not signed in: the fleet page sends to the sign-in form, which comes back after.
    client
        .goto(&format!("{base}/dashboard/fleet"))
        .await
        .expect("open");
    assert_eq!(path(client).await, "/dashboard/login?next=/dashboard/fleet");
    assert_eq!(text(client, "h1").await, "Logowanie");
    look_at(&browser, "login").await;

    sign_in(client, ADMIN.0, "not the password").await;
    let error = text(client, "#login-error[role=alert]").await;
    assert_eq!(error, "Nieprawidłowa nazwa użytkownika lub hasło.");
    look_at(&browser, "login-wrong-password").await;

    sign_in(client, ADMIN.0, ADMIN.1).await;
    client
        .wait()
        .for_element(Locator::Css("#fleet"))
        .await
        .expect("fleet table");
    assert_eq!(path(client).await, "/dashboard/fleet");
    let table = text(client, "#fleet").await;
    assert!(
        table.contains("Urząd Miasta Płocka") && table.contains("Urząd Miasta i Gminy Gąbin"),
        "{table}"
    );
    look_at(&browser, "fleet").await;

    // An enrollment code for the Gąbin desk, shown once, enrolls a kiosk.
    click(
        client,
        &format!("#desks button[aria-label$='{GABIN_DESK}']"),
    )
    .await;
    let code = text(client, "#enrollment-code").await;
    assert_eq!(code.len(), 11, "{code}");
    look_at(&browser, "enrollment-code").await;
    let new_kiosk = enroll(&base, &code)
        .await
        .expect("the code enrolls a kiosk");
    assert_eq!(
        heartbeat(&base, &new_kiosk).await.expect("heartbeat"),
        StatusCode::OK
    );

    // Revoking asks first, then the kiosk's next request is refused.
    client
        .goto(&format!("{base}/dashboard/fleet"))
        .await
        .expect("fleet");
    click(
        client,
        &format!("tr[data-kiosk='{}'] button.danger", fleet.plock.id),
    )
    .await;
    client
        .wait()
        .for_element(Locator::Css("#confirm-revoke"))
        .await
        .expect("confirmation");
    assert_eq!(
        heartbeat(&base, &fleet.plock).await.expect("heartbeat"),
        StatusCode::OK,
        "not yet"
    );
    look_at(&browser, "revoke-confirmation").await;
    click(client, "#confirm-revoke").await;
    let notice = text(client, "p.notice[role=status]").await;
    assert!(notice.contains(&fleet.plock.id), "{notice}");
    let row = text(client, &format!("tr[data-kiosk='{}']", fleet.plock.id)).await;
    assert!(row.contains("wyrejestrowany"), "{row}");
    assert_eq!(
        heartbeat(&base, &fleet.plock).await.expect("heartbeat"),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        heartbeat(&base, &fleet.gabin).await.expect("heartbeat"),
        StatusCode::OK
    );
    look_at(&browser, "fleet-after-revoke").await;

    // Users: add an office viewer for Gąbin.
    client
        .goto(&format!("{base}/dashboard/users"))
        .await
        .expect("users");
    look_at(&browser, "users").await;
    fill(client, "#new-username", "celina").await;
    client
        .find(Locator::Css("#new-role"))
        .await
        .expect("role")
        .select_by_value("office_viewer")
        .await
        .expect("select role");
    client
        .find(Locator::Css("#new-office"))
        .await
        .expect("office")
        .select_by_value("gabin")
        .await
        .expect("select office");
    fill(client, "#new-password", "celina's long password").await;
    click(client, "form.stacked button[type=submit]").await;
    let message = text(client, "#users-message[role=status]").await;
    assert_eq!(message, "Dodano użytkownika celina.");
    look_at(&browser, "users-added").await;

    // The English switch keeps the page and the session remembers the language.
    click(client, "a.language-switch").await;
    client
        .wait()
        .for_element(Locator::Css("html[lang='en']"))
        .await
        .expect("the English page");
    assert_eq!(text(client, "h1").await, "Users");
    client
        .goto(&format!("{base}/dashboard/fleet"))
        .await
        .expect("fleet");
    assert_eq!(text(client, "h1").await, "Kiosks");
    look_at(&browser, "fleet-en").await;

    // Sign out: the session is gone.
    click(client, ".account button[type=submit]").await;
    client
        .wait()
        .for_element(Locator::Css("form.login"))
        .await
        .expect("login form");
    client
        .goto(&format!("{base}/dashboard/fleet"))
        .await
        .expect("fleet");
    assert!(
        path(client).await.starts_with("/dashboard/login"),
        "signed out"
    );

    // The new office viewer sees only Gąbin, and another office's URL is refused.
    sign_in(client, "celina", "celina's long password").await;
    let table = text(client, "#fleet").await;
    assert!(
        table.contains("Gąbin") && !table.contains("Płock"),
        "{table}"
    );
    assert!(
        client
            .find(Locator::Css("a[href='/dashboard/users']"))
            .await
            .is_err(),
        "no users menu"
    );
    look_at(&browser, "fleet-office-viewer").await;
    client
        .goto(&format!("{base}/dashboard/fleet?office=plock"))
        .await
        .expect("other office");
    assert_eq!(text(client, "h1").await, "Odmowa dostępu");
    look_at(&browser, "forbidden").await;
    let source = client.source().await.expect("source");
    assert!(!source.contains(&fleet.plock.id));

    browser.close().await.expect("close");
}
