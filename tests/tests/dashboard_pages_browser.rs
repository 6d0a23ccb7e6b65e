//! The dashboard's analytics pages in headless Chromium against the real `sync-server`, with
//! answers sent by enrolled kiosks: overview, drill-down to a desk, standards, patterns, the
//! reports list, an office's and a department's monthly report, in Polish and English; then an
//! alert rule added on the alerts page raises an alert the page shows. axe-core checks every page and a screenshot of
//! each is saved under `target/screenshots/dashboard/`. On SQLite and on PostgreSQL.

mod dashboard_support;

use std::time::{Duration, Instant};

use dashboard_support::{ADMIN, GABIN_DESK, PLOCK_DESK, fleet_on, rate};
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use tests::browser::Browser;
use tests::server::Engine;

async fn fill(client: &Client, css: &str, value: &str) {
    let field = client
        .wait()
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(value).await.expect("type");
}

tests::test_on_both_engines!(async fn the_analytics_pages_in_a_browser_pass_axe);

async fn the_analytics_pages_in_a_browser_pass_axe(engine: Engine) {
    // Alert rounds every second, so the rule added at the end raises within the test.
    let fleet = fleet_on(engine, "[alerts]\ncheck_every_s = 1\n")
        .await
        .expect("set up");
    let base = fleet.server.url();
    // Nothing is placed before its kiosk's enrollment: the kiosks were installed this morning.
    fleet
        .server
        .execute("UPDATE kiosks SET enrolled_at_ms = enrolled_at_ms - 7200000")
        .expect("backdate enrollment");
    // Twelve answers at Płock's desk (enough for scores), a minute apart: no bursts, so the pages
    // count them with or without `bursts=include`. Gąbin's three come after the export check.
    let scores = [4, 3, 4, 2, 1, 4, 3, 3, 4, 4, 2, 3];
    assert_eq!(
        rate(&base, &fleet.plock, PLOCK_DESK, &scores)
            .await
            .expect("rate"),
        StatusCode::OK
    );

    let browser = Browser::start_for(engine).await.expect("headless chromium");
    let client = &browser.client;
    client
        .goto(&format!("{base}/dashboard/login?next=/dashboard"))
        .await
        .expect("open");
    fill(client, "#username", ADMIN.0).await;
    fill(client, "#password", ADMIN.1).await;
    client
        .find(Locator::Css("form.login button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("sign in");
    client
        .wait()
        .for_element(Locator::Css("table.figures"))
        .await
        .expect("the overview after signing in");

    // (Near midnight at a month's end this may be the month before Warsaw's: a report all the same.)
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let pages = [
        ("analytics-overview", "/dashboard?bursts=include".to_owned()),
        (
            "analytics-office",
            "/dashboard?office=plock&bursts=include".to_owned(),
        ),
        (
            "analytics-department",
            "/dashboard?office=plock&department=wso&bursts=include".to_owned(),
        ),
        (
            "analytics-desk",
            format!("/dashboard?desk={PLOCK_DESK}&bursts=include"),
        ),
        (
            "analytics-desk-en",
            format!("/dashboard?desk={PLOCK_DESK}&bursts=include&lang=en"),
        ),
        (
            "analytics-standards",
            "/dashboard/standards?bursts=include&lang=pl".to_owned(),
        ),
        (
            "analytics-patterns",
            "/dashboard/patterns?bursts=include".to_owned(),
        ),
        ("analytics-reports", "/dashboard/reports".to_owned()),
        (
            "analytics-report",
            format!("/dashboard/reports/plock/{month}?bursts=include"),
        ),
        (
            "analytics-department-report",
            format!("/dashboard/reports/plock/wso/{month}?bursts=include"),
        ),
        ("help", "/dashboard/help".to_owned()),
        (
            "analytics-department-report-en",
            format!("/dashboard/reports/plock/wso/{month}?bursts=include&lang=en"),
        ),
    ];
    for (name, path) in pages {
        client
            .goto(&format!("{base}{path}"))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        client
            .wait()
            .for_element(Locator::Css("main h1"))
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        browser.screenshot(name).await.expect("screenshot");
        browser
            .check_accessibility(name)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:#}"));
    }
    // The overview shows Płock's score, with or without bursts (there are none).
    client
        .goto(&format!("{base}/dashboard?bursts=include&lang=pl"))
        .await
        .expect("overview");
    let plock = client
        .find(Locator::Css("tr[data-id=plock] td[data-csat]"))
        .await
        .expect("Płock's CSAT");
    assert_eq!(plock.text().await.expect("text"), "75,0%");
    client
        .goto(&format!("{base}/dashboard"))
        .await
        .expect("overview");
    let plain = client
        .find(Locator::Css("tr[data-id=plock] td[data-csat]"))
        .await
        .expect("Płock's CSAT without bursts");
    assert_eq!(plain.text().await.expect("text"), "75,0%", "no bursts here");

    // Export: the desk page's CSV link, fetched with the browser's own session, holds exactly the
    // answers whose figures the page shows, by day and without time, language or text size.
    client
        .goto(&format!("{base}/dashboard?desk={PLOCK_DESK}"))
        .await
        .expect("desk page");
    let page_responses = client
        .find(Locator::Css("table.figures tbody tr td[data-responses]"))
        .await
        .expect("the desk's responses")
        .text()
        .await
        .expect("text");
    let page_csat = client
        .find(Locator::Css("table.figures tbody tr td[data-csat]"))
        .await
        .expect("the desk's CSAT")
        .text()
        .await
        .expect("text");
    let href = client
        .find(Locator::Css("a[href^='/dashboard/export.csv']"))
        .await
        .expect("the export link")
        .attr("href")
        .await
        .expect("href")
        .expect("an href");
    let cookie = client
        .get_all_cookies()
        .await
        .expect("cookies")
        .into_iter()
        .find(|c| c.name().ends_with("ocena_session"))
        .expect("the session cookie");
    let csv = reqwest::Client::new()
        .get(format!("{base}{href}"))
        .header(
            reqwest::header::COOKIE,
            format!("{}={}", cookie.name(), cookie.value()),
        )
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let score_at = header
        .iter()
        .position(|c| *c == "score")
        .expect("score column");
    let scores: Vec<u32> = lines
        .map(|line| {
            line.split(',')
                .nth(score_at)
                .expect("score")
                .parse()
                .expect("a score")
        })
        .collect();
    let satisfied = scores.iter().filter(|&&s| s >= 3).count();
    assert_eq!(
        page_responses,
        scores.len().to_string(),
        "the page counts the CSV's lines"
    );
    #[allow(clippy::cast_precision_loss)]
    let csv_csat =
        format!("{:.1}%", satisfied as f64 * 100.0 / scores.len() as f64).replace('.', ",");
    assert_eq!(page_csat, csv_csat, "the page's CSAT is the CSV's");
    assert_eq!(
        header,
        [
            "local_day",
            "office",
            "department",
            "desk",
            "question",
            "score",
            "not_applicable",
            "reasons",
            "burst"
        ]
    );

    // Three answers at Gąbin: its row withholds everything, and Płock's with it, since the
    // offices' total on the same page minus Płock would give Gąbin's three back.
    assert_eq!(
        rate(&base, &fleet.gabin, GABIN_DESK, &[4, 4, 1])
            .await
            .expect("rate"),
        StatusCode::OK
    );
    client
        .goto(&format!("{base}/dashboard?bursts=include&lang=pl"))
        .await
        .expect("overview");
    let gabin = client
        .find(Locator::Css("tr[data-id=gabin] td.too-few[colspan]"))
        .await
        .expect("Gąbin's row withholds its score");
    assert_eq!(gabin.text().await.expect("text"), "ukryte (ochrona danych)");
    client
        .find(Locator::Css(
            "tr[data-id=plock] td[data-responses=withheld]",
        ))
        .await
        .expect("Płock's row is withheld beside it");
    browser
        .screenshot("analytics-overview-withheld")
        .await
        .expect("screenshot");
    browser
        .check_accessibility("analytics-overview-withheld")
        .await
        .expect("axe");

    // An admin adds "CSAT below 90% over the last 5 responses" on the alerts page. Płock's last
    // five are 3, 4, 4, 2, 3: four of five satisfied, 80%, so it is raised within a round or
    // two; Gąbin has three responses, too few to decide anything.
    client
        .goto(&format!("{base}/dashboard/alerts"))
        .await
        .expect("alerts");
    browser
        .screenshot("alerts-empty")
        .await
        .expect("screenshot");
    browser
        .check_accessibility("alerts-empty")
        .await
        .unwrap_or_else(|e| panic!("alerts: {e:#}"));
    fill(client, "input[name=csat_below]", "90").await;
    fill(client, "input[name=last_responses]", "5").await;
    client
        .find(Locator::Css("form.rule-form button[type=submit]"))
        .await
        .expect("add rule button")
        .click()
        .await
        .expect("add rule");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        client
            .goto(&format!("{base}/dashboard/alerts"))
            .await
            .expect("alerts");
        if client
            .find(Locator::Css("#open-alerts tr[data-alert]"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no alert on the page within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let row = client
        .find(Locator::Css("#open-alerts tr[data-alert]"))
        .await
        .expect("the open alert")
        .text()
        .await
        .expect("text");
    assert!(row.contains(PLOCK_DESK), "{row}");
    assert!(row.contains("80% zadowolonych z 5 odpowiedzi"), "{row}");
    assert!(!row.contains(GABIN_DESK), "{row}");
    browser
        .screenshot("alerts-raised")
        .await
        .expect("screenshot");
    browser
        .check_accessibility("alerts-raised")
        .await
        .unwrap_or_else(|e| panic!("alerts: {e:#}"));

    // The heads of departments' monthly e-mails on the same page: one sent, one refused by the
    // relay (rows written as the mailer writes them; `sync-server/tests/department_reports.rs`
    // sends them through SMTP).
    let now = chrono::Utc::now().timestamp_millis();
    fleet
        .server
        .execute(&format!(
        "INSERT INTO users (username, password_hash, role, office_id, department_id, email, lang,
                            created_at_ms)
         VALUES ('ewa', 'x', 'department_viewer', 'plock', 'wso', 'ewa@plock.test', 'pl', {now}),
                ('jan', 'x', 'department_viewer', 'plock', 'wso', 'jan@plock.test', 'en', {now});
         INSERT INTO department_report_deliveries (user_id, month, office_id, department_id,
                 created_at_ms, attempts, next_attempt_ms, delivered_at_ms, last_error)
         SELECT id, '2026-11', 'plock', 'wso', {now}, 1,
                CASE username WHEN 'jan' THEN {now} + 60000 END,
                CASE username WHEN 'ewa' THEN {now} END,
                CASE username WHEN 'jan' THEN 'SMTP smtp.plock.test:587: 451 try again later' END
         FROM users WHERE username IN ('ewa', 'jan');"
    ))
        .expect("report e-mails");
    client
        .goto(&format!(
            "{base}/dashboard/alerts?lang=pl#department-reports"
        ))
        .await
        .expect("alerts");
    let rows = client
        .find_all(Locator::Css("#report-mail tr[data-recipient]"))
        .await
        .expect("report e-mails");
    assert_eq!(rows.len(), 2);
    browser
        .screenshot("alerts-department-reports")
        .await
        .expect("screenshot");
    browser
        .check_accessibility("alerts-department-reports")
        .await
        .unwrap_or_else(|e| panic!("alerts: {e:#}"));
    browser.close().await.expect("close");
}
