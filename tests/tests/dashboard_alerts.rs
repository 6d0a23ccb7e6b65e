//! Alerts through the dashboard against the real server: an admin adds a CSAT rule on the alerts
//! page, a kiosk's low ratings arrive over the API, the server's own monitor raises the alert
//! within its round, the page lists it with the desk and the measured CSAT; an office viewer sees
//! only its own office's alerts and cannot add rules; bad rule forms change nothing. On SQLite and
//! on PostgreSQL.

mod dashboard_support;

use std::time::{Duration, Instant};

use dashboard_support::{ADMIN, GABIN_DESK, PLOCK_DESK, VIEWER, fleet_on, rate, sign_in};
use reqwest::StatusCode;
use tests::server::Engine;

/// Alert rounds every second, so a raise shows within a test's patience.
const FAST_ALERTS: &str = "[alerts]\ncheck_every_s = 1\n";

fn count(server: &tests::server::Server, sql: &str) -> i64 {
    server.integer(sql).expect("count")
}

tests::test_on_both_engines!(async fn a_rule_added_on_the_page_raises_an_alert_the_page_then_lists_by_scope);

async fn a_rule_added_on_the_page_raises_an_alert_the_page_then_lists_by_scope(engine: Engine) {
    let fleet = fleet_on(engine, FAST_ALERTS).await.expect("set up");
    let base = fleet.server.url();
    let admin = sign_in(&base, ADMIN.0, ADMIN.1).await.expect("admin");

    let added = admin
        .post(
            "/dashboard/alerts/rules",
            &[
                ("csat_below", "80"),
                ("last_responses", "5"),
                ("last_days", ""),
                ("silent_hours", ""),
                ("office", ""),
            ],
        )
        .await
        .expect("add rule");
    assert_eq!(
        added.status(),
        StatusCode::SEE_OTHER,
        "added, back to the rules"
    );
    let page = admin.get("/dashboard/alerts").await.expect("page");
    let html = page.text().await.expect("body");
    assert!(
        html.contains("odsetek zadowolonych na stanowisku poniżej 80% w ostatnich 5 odpowiedziach"),
        "{html}"
    );
    assert!(
        html.contains("Brak otwartych alertów"),
        "nothing raised yet"
    );

    // The kiosks were enrolled seconds ago and nothing is placed before its kiosk's enrollment:
    // enrolled two hours ago, as if they had been at their desks all morning.
    fleet
        .server
        .execute("UPDATE kiosks SET enrolled_at_ms = enrolled_at_ms - 7200000")
        .expect("backdate enrollment");
    // Płock's desk: two of six satisfied. Gąbin's desk: all satisfied.
    let status = rate(&base, &fleet.plock, PLOCK_DESK, &[1, 2, 1, 4, 3, 1])
        .await
        .expect("ratings");
    assert_eq!(status, StatusCode::OK);
    let status = rate(&base, &fleet.gabin, GABIN_DESK, &[4, 4, 3, 4, 4])
        .await
        .expect("ratings");
    assert_eq!(status, StatusCode::OK);

    let deadline = Instant::now() + Duration::from_secs(15);
    let html = loop {
        let html = admin
            .get("/dashboard/alerts")
            .await
            .expect("page")
            .text()
            .await
            .expect("body");
        if html.contains("id=\"open-alerts\"") {
            break html;
        }
        assert!(
            Instant::now() < deadline,
            "no alert raised within 15 s: {html}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert!(html.contains(PLOCK_DESK), "{html}");
    // The last five of Płock's six: 2, 1, 4, 3, 1 → two satisfied of five.
    assert!(html.contains("40% zadowolonych z 5 odpowiedzi"), "{html}");
    assert!(!html.contains(GABIN_DESK), "Gąbin's desk is fine: {html}");

    let viewer = sign_in(&base, VIEWER.0, VIEWER.1).await.expect("viewer");
    let seen = viewer
        .get("/dashboard/alerts")
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    assert!(
        !seen.contains(PLOCK_DESK),
        "a Gąbin viewer does not see Płock's alert: {seen}"
    );
    assert!(seen.contains("Brak otwartych alertów"), "{seen}");
    assert!(!seen.contains("Dodaj regułę"), "viewers get no rule form");
    let refused = viewer
        .post(
            "/dashboard/alerts/rules",
            &[("silent_hours", "2"), ("office", "")],
        )
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&fleet.server, "SELECT count(*) FROM alert_rules"), 1);
}

tests::test_on_both_engines!(async fn impossible_or_hostile_rule_forms_are_refused_and_store_nothing);

async fn impossible_or_hostile_rule_forms_are_refused_and_store_nothing(engine: Engine) {
    let fleet = fleet_on(engine, "").await.expect("set up");
    let base = fleet.server.url();
    let admin = sign_in(&base, ADMIN.0, ADMIN.1).await.expect("admin");
    for fields in [
        vec![("csat_below", "150"), ("last_responses", "50")],
        vec![("csat_below", "70")],
        vec![
            ("csat_below", "70"),
            ("last_responses", "50"),
            ("last_days", "7"),
        ],
        vec![("silent_hours", "0")],
        vec![("silent_hours", "1; DROP TABLE alert_rules")],
        vec![
            ("silent_hours", "4"),
            ("office", "<script>alert(1)</script>"),
        ],
        vec![("silent_hours", "4"), ("office", "' OR 1=1 --")],
    ] {
        let response = admin
            .post("/dashboard/alerts/rules", &fields)
            .await
            .expect("post");
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let html = response.text().await.expect("body");
        assert!(html.contains("role=\"alert\""), "{fields:?}: {html}");
        assert!(!html.contains("<script>alert"), "rendered inert: {html}");
    }
    assert_eq!(count(&fleet.server, "SELECT count(*) FROM alert_rules"), 0);
    let toggled = admin
        .post(
            "/dashboard/alerts/rules/toggle",
            &[("rule", "42"), ("enable", "false")],
        )
        .await
        .expect("post");
    assert_eq!(toggled.status(), StatusCode::NOT_FOUND);
}
