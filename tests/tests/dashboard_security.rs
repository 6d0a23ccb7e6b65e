//! The dashboard's defences against a real `sync-server`, over plain HTTP: wrong passwords and
//! unknown users answered alike, sign-in rate limits, expired and forged sessions, bearer tokens
//! on dashboard routes, a missing or wrong CSRF token or a foreign origin on every POST (403 and
//! nothing changed), and an office viewer kept to its own office by URL and API.

mod dashboard_support;

use std::time::{Duration, Instant};

use dashboard_support::{
    ADMIN, GABIN_DESK, PLOCK_DESK, VIEWER, attempt_sign_in, attempt_sign_in_from, fleet, heartbeat,
    http, location, sign_in,
};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE, SET_COOKIE};

/// Generous per-IP limits so one test's many sign-ins pass; a per-user burst of 10.
const LIMITS: &str = "[rate_limit.login_ip]\nburst = 200\nper_minute = 60.0\n\
                      [rate_limit.login_user]\nburst = 10\nper_minute = 0.01\n";

/// A form's fields as posted.
type Fields<'a> = Vec<(&'a str, &'a str)>;

fn count(server: &tests::server::Server, sql: &str) -> i64 {
    server
        .database()
        .expect("database")
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

/// Sign-in attempts timed for each kind.
const SAMPLES: usize = 6;

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_and_unknown_users_look_alike_and_attempts_are_limited() {
    let fleet = fleet(LIMITS).await.expect("set up");
    let base = fleet.server.url();
    // The fastest of each kind: robust against other work on a shared machine.
    let (mut wrong_time, mut unknown_time) = (Duration::MAX, Duration::MAX);
    let mut bodies = Vec::new();
    for _ in 0..SAMPLES {
        let start = Instant::now();
        let wrong = attempt_sign_in(&base, ADMIN.0, "not the password")
            .await
            .expect("wrong");
        wrong_time = wrong_time.min(start.elapsed());
        let start = Instant::now();
        let unknown = attempt_sign_in(&base, "nobody", "not the password")
            .await
            .expect("unknown");
        unknown_time = unknown_time.min(start.elapsed());
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        assert!(
            wrong.cookie.is_none() && unknown.cookie.is_none(),
            "no session"
        );
        assert!(wrong.body.contains(r#"role="alert""#), "{}", wrong.body);
        // The pages differ only in the username typed back and the fresh form token.
        let normalise = |body: &str, name: &str| {
            let token = dashboard_support::csrf_token(body).expect("token");
            body.replace(&token, "TOKEN").replace(name, "NAME")
        };
        bodies.push((
            normalise(&wrong.body, ADMIN.0),
            normalise(&unknown.body, "nobody"),
        ));
    }
    for (wrong, unknown) in &bodies {
        assert_eq!(
            wrong, unknown,
            "the same answer for a wrong password and an unknown user"
        );
    }
    println!("fastest wrong password: {wrong_time:?}, fastest unknown user: {unknown_time:?}");
    assert!(
        unknown_time * 2 > wrong_time && wrong_time * 2 > unknown_time,
        "an unknown user must cost the same Argon2id work: {unknown_time:?} vs {wrong_time:?}"
    );
    // A disabled user is refused like a wrong password.
    fleet
        .server
        .admin(&["user", "disable", "--username", VIEWER.0])
        .expect("disable");
    let disabled = attempt_sign_in(&base, VIEWER.0, VIEWER.1)
        .await
        .expect("disabled");
    assert_eq!(disabled.status, StatusCode::UNAUTHORIZED);
    // Ten attempts for one name pass the limiter, the eleventh waits, even with the right password.
    for _ in SAMPLES..10 {
        attempt_sign_in(&base, ADMIN.0, "still wrong")
            .await
            .expect("wrong");
    }
    let limited = attempt_sign_in(&base, ADMIN.0, ADMIN.1)
        .await
        .expect("limited");
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.body
    );
    assert!(limited.cookie.is_none());
    // Another name from the same address is not held back.
    let other = attempt_sign_in(&base, "carol", "whatever it is")
        .await
        .expect("other");
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_end_after_idle_and_absolute_timeouts() {
    let settings = format!("{LIMITS}[dashboard]\nidle_timeout_s = 2\nabsolute_timeout_s = 3\n");
    let fleet = fleet(&settings).await.expect("set up");
    let base = fleet.server.url();
    let session = sign_in(&base, ADMIN.0, ADMIN.1).await.expect("sign in");
    let signed_in = Instant::now();
    // Busy: used every 1.2 s, so never idle for 2 s, yet over after 3 s.
    for at in [1_200, 2_400] {
        tokio::time::sleep_until((signed_in + Duration::from_millis(at)).into()).await;
        let page = session.get("/dashboard/fleet").await.expect("page");
        assert_eq!(page.status(), StatusCode::OK, "still signed in at {at} ms");
    }
    tokio::time::sleep_until((signed_in + Duration::from_millis(3_300)).into()).await;
    let expired = session.get("/dashboard/fleet").await.expect("page");
    assert_eq!(expired.status(), StatusCode::SEE_OTHER, "absolute timeout");
    assert_eq!(location(&expired), "/dashboard/login?next=/dashboard/fleet");

    let session = sign_in(&base, ADMIN.0, ADMIN.1)
        .await
        .expect("sign in again");
    assert_eq!(
        session
            .get("/dashboard/fleet")
            .await
            .expect("page")
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    let idle = session.get("/dashboard/fleet").await.expect("page");
    assert_eq!(idle.status(), StatusCode::SEE_OTHER, "idle timeout");
    let api = session.get("/api/v1/dashboard/kiosks").await.expect("api");
    assert_eq!(
        api.status(),
        StatusCode::UNAUTHORIZED,
        "the API answers 401, not a redirect"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_cookies_and_bearer_tokens_do_not_open_the_dashboard() {
    let fleet = fleet(LIMITS).await.expect("set up");
    let base = fleet.server.url();
    let forged = http()
        .get(format!("{base}/dashboard/fleet?office=plock"))
        .header(
            COOKIE,
            "ocena_session=bm90LWEtcmVhbC1zZXNzaW9uLXRva2VuLWF0LWFsbC0xMjM0NQ",
        )
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&forged),
        "/dashboard/login?next=/dashboard/fleet%3Foffice%3Dplock"
    );
    let cleared = forged.headers().get(SET_COOKIE).expect("cookie cleared");
    assert!(
        cleared.to_str().expect("ascii").contains("Max-Age=0"),
        "{cleared:?}"
    );
    let forged_api = http()
        .get(format!("{base}/api/v1/dashboard/kiosks"))
        .header(COOKIE, "ocena_session=forged")
        .send()
        .await
        .expect("forged api");
    assert_eq!(forged_api.status(), StatusCode::UNAUTHORIZED);
    assert!(
        forged_api
            .text()
            .await
            .expect("body")
            .contains("\"unauthorized\"")
    );

    // A kiosk's token opens no dashboard route, not even next to a valid session.
    let session = sign_in(&base, ADMIN.0, ADMIN.1).await.expect("sign in");
    for path in [
        "/dashboard/fleet",
        "/dashboard/users",
        "/api/v1/dashboard/kiosks",
    ] {
        let alone = http()
            .get(format!("{base}{path}"))
            .header(AUTHORIZATION, format!("Bearer {}", fleet.plock.token))
            .send()
            .await
            .expect("kiosk token");
        assert_eq!(alone.status(), StatusCode::FORBIDDEN, "{path}");
        let with_session = http()
            .get(format!("{base}{path}"))
            .header(COOKIE, &session.cookie)
            .header(AUTHORIZATION, format!("Bearer {}", fleet.plock.token))
            .send()
            .await
            .expect("kiosk token and session");
        assert_eq!(with_session.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let page = session.get("/dashboard/fleet").await.expect("page");
    let headers = page.headers();
    for (name, expected) in [
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(
            headers.get(name).and_then(|v| v.to_str().ok()),
            Some(expected),
            "{name}"
        );
    }
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(
        csp.starts_with("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        !page.text().await.expect("body").contains("<script"),
        "no inline script"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_form_refuses_a_missing_or_wrong_csrf_token_or_a_foreign_origin() {
    let fleet = fleet(LIMITS).await.expect("set up");
    let base = fleet.server.url();
    let session = sign_in(&base, ADMIN.0, ADMIN.1).await.expect("sign in");
    let kiosk = fleet.plock.id.as_str();
    let forms: [(&str, Vec<(&str, &str)>); 10] = [
        (
            "/dashboard/alerts/rules",
            vec![("silent_hours", "4"), ("office", "")],
        ),
        (
            "/dashboard/alerts/rules/toggle",
            vec![("rule", "1"), ("enable", "false")],
        ),
        (
            "/dashboard/fleet/enrollment-code",
            vec![("desk", PLOCK_DESK)],
        ),
        (
            "/dashboard/fleet/revoke",
            vec![("kiosk", kiosk), ("confirm", "yes")],
        ),
        (
            "/dashboard/users",
            vec![
                ("username", "eve"),
                ("role", "admin"),
                ("office", ""),
                ("password", "a long enough password"),
            ],
        ),
        ("/dashboard/users/disable", vec![("username", VIEWER.0)]),
        (
            "/dashboard/offices",
            vec![("id", "kutno"), ("name", "Urząd Miasta Kutno")],
        ),
        (
            "/dashboard/offices/rename",
            vec![("id", "plock"), ("name", "Renamed by a forged form")],
        ),
        (
            "/dashboard/users/password",
            vec![
                ("username", VIEWER.0),
                ("password", "someone else's password"),
            ],
        ),
        ("/dashboard/logout", vec![]),
    ];
    let codes_before = count(&fleet.server, "SELECT count(*) FROM enrollment_codes");
    let own = base.as_str();
    let wrong_token = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for (path, fields) in &forms {
        let with_token = |token: &'static str| {
            let mut all: Vec<(&str, &str)> = vec![("csrf_token", token)];
            all.extend(fields.iter().copied());
            all
        };
        let good: Vec<(&str, &str)> = std::iter::once(("csrf_token", session.csrf.as_str()))
            .chain(fields.iter().copied())
            .collect();
        let cases: [(&str, Fields<'_>, Option<&str>); 5] = [
            ("no token", fields.clone(), Some(own)),
            ("wrong token", with_token(wrong_token), Some(own)),
            ("empty token", with_token(""), Some(own)),
            ("foreign origin", good.clone(), Some("http://evil.example")),
            ("no origin or referer", good.clone(), None),
        ];
        for (case, body, origin) in cases {
            let response = session.post_raw(path, &body, origin).await.expect("post");
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}: {case}");
            let page = response.text().await.expect("body");
            assert!(
                page.contains("Niczego nie zmieniono"),
                "{path}: {case}: {page}"
            );
        }
    }
    // Nothing changed: the session lives, no code was issued, the kiosk still syncs, no user was
    // added or disabled, and the viewer's password is the old one.
    assert_eq!(
        session
            .get("/dashboard/fleet")
            .await
            .expect("page")
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        count(&fleet.server, "SELECT count(*) FROM enrollment_codes"),
        codes_before
    );
    assert_eq!(
        heartbeat(&base, &fleet.plock).await.expect("heartbeat"),
        StatusCode::OK
    );
    assert_eq!(count(&fleet.server, "SELECT count(*) FROM users"), 2);
    assert_eq!(
        count(
            &fleet.server,
            "SELECT count(*) FROM users WHERE disabled_at_ms IS NOT NULL"
        ),
        0
    );
    assert_eq!(
        count(&fleet.server, "SELECT count(*) FROM alert_rules"),
        0,
        "no rule was added by a refused form"
    );
    assert_eq!(
        count(
            &fleet.server,
            "SELECT count(*) FROM offices WHERE id = 'kutno' OR name LIKE 'Renamed%'"
        ),
        0,
        "no office was added or renamed by a refused form"
    );
    sign_in(&base, VIEWER.0, VIEWER.1)
        .await
        .expect("old password still valid");

    // The same forms with the token and from this origin do their work.
    let revoked = session
        .post(
            "/dashboard/fleet/revoke",
            &[("kiosk", kiosk), ("confirm", "yes")],
        )
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        heartbeat(&base, &fleet.plock).await.expect("heartbeat"),
        StatusCode::UNAUTHORIZED
    );
    let code = session
        .post("/dashboard/fleet/enrollment-code", &[("desk", GABIN_DESK)])
        .await
        .expect("code");
    assert_eq!(code.status(), StatusCode::OK);
    assert_eq!(
        count(&fleet.server, "SELECT count(*) FROM enrollment_codes"),
        codes_before + 1
    );
    let logout = session
        .post("/dashboard/logout", &[])
        .await
        .expect("logout");
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        session
            .get("/dashboard/fleet")
            .await
            .expect("page")
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_office_viewer_reads_only_its_own_office_by_url_and_api() {
    let fleet = fleet(LIMITS).await.expect("set up");
    let base = fleet.server.url();
    let viewer = sign_in(&base, VIEWER.0, VIEWER.1).await.expect("sign in");
    let page = viewer.get("/dashboard/fleet").await.expect("fleet");
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("body");
    assert!(page.contains(&fleet.gabin.id), "its own kiosk");
    assert!(
        !page.contains(&fleet.plock.id) && !page.contains(PLOCK_DESK),
        "no other office"
    );
    assert!(!page.contains("/dashboard/users"), "no users menu");
    assert!(!page.contains("/dashboard/offices"), "no offices menu");
    assert!(!page.contains("enrollment-code"), "no admin actions");
    for path in [
        "/dashboard/fleet?office=plock",
        "/api/v1/dashboard/kiosks?office=plock",
        "/dashboard/users",
        "/dashboard/offices",
    ] {
        let refused = viewer.get(path).await.expect("refused");
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            !refused
                .text()
                .await
                .expect("body")
                .contains(&fleet.plock.id),
            "{path}"
        );
    }
    let api: serde_json::Value = viewer
        .get("/api/v1/dashboard/kiosks")
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    let kiosks = api.as_array().expect("a list");
    assert_eq!(kiosks.len(), 1, "{api}");
    assert_eq!(kiosks[0]["id"], fleet.gabin.id.as_str());
    assert_eq!(kiosks[0]["office_id"], "gabin");
    // Admin actions with a valid token are still refused, and change nothing.
    let revoke = viewer
        .post(
            "/dashboard/fleet/revoke",
            &[("kiosk", &fleet.gabin.id), ("confirm", "yes")],
        )
        .await
        .expect("revoke");
    assert_eq!(revoke.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        heartbeat(&base, &fleet.gabin).await.expect("heartbeat"),
        StatusCode::OK
    );
    // An admin reads both offices.
    let admin = sign_in(&base, ADMIN.0, ADMIN.1).await.expect("admin");
    let all: serde_json::Value = admin
        .get("/api/v1/dashboard/kiosks")
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_tls_proxy_the_session_cookie_is_host_prefixed_and_secure() {
    let fleet = fleet(&format!("{LIMITS}[dashboard]\nbehind_tls_proxy = true\n"))
        .await
        .expect("set up");
    let base = fleet.server.url();
    let form = http()
        .get(format!("{base}/dashboard/login"))
        .send()
        .await
        .expect("form");
    let login_cookie = form.headers()[SET_COOKIE]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        login_cookie.starts_with("__Host-ocena_login=") && login_cookie.ends_with("; Secure"),
        "{login_cookie}"
    );
    // The browser posts from the proxy's https origin; a plain-http origin is refused there.
    let origin = base.replacen("http://", "https://", 1);
    let from_http = attempt_sign_in(&base, ADMIN.0, ADMIN.1)
        .await
        .expect("from http");
    assert_eq!(from_http.status, StatusCode::FORBIDDEN);
    let first = attempt_sign_in_from(&base, &origin, ADMIN.0, ADMIN.1)
        .await
        .expect("sign in");
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let first = first.cookie.expect("cookie");
    assert!(first.starts_with("__Host-ocena_session="), "{first}");
    let signed_in = attempt_sign_in_from(&base, &origin, ADMIN.0, ADMIN.1)
        .await
        .expect("again");
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let fresh = signed_in.cookie.expect("cookie");
    assert_ne!(fresh, first, "every sign-in gets a new session id");
    // The plain-http name means nothing here.
    let plain = fresh.replacen("__Host-ocena_session=", "ocena_session=", 1);
    let refused = http()
        .get(format!("{base}/dashboard/fleet"))
        .header(COOKIE, plain)
        .send()
        .await
        .expect("plain name");
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
}
