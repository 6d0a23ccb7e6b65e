//! Shared set-up of the dashboard tests: a real `sync-server` with two offices' desks, an admin
//! and an office viewer created through the CLI, two enrolled kiosks, and a small HTTP client
//! that signs in like a browser (cookies and CSRF tokens by hand, no redirects followed).

#![allow(dead_code)]

use std::time::Duration;

use model::wire::{EnrollRequest, EnrollResponse, Heartbeat, RecordBatch};
use model::{
    InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score, VisitId,
};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use tests::server::{Engine, Server};

pub const ADMIN: (&str, &str) = ("anna", "correct horse battery");
pub const VIEWER: (&str, &str) = ("beata", "gabin viewer password");
pub const PLOCK_DESK: &str = "plock-wso-03";
pub const GABIN_DESK: &str = "gabin-rsm-01";

/// A kiosk enrolled through the API.
pub struct EnrolledKiosk {
    pub id: String,
    pub token: String,
}

pub struct Fleet {
    pub dir: tempfile::TempDir,
    pub server: Server,
    pub plock: EnrolledKiosk,
    pub gabin: EnrolledKiosk,
}

pub fn clock() -> RecordedTime {
    RecordedTime {
        wall_clock_ms: chrono::Utc::now().timestamp_millis(),
        boot_id: "0b5e2a51-0000-4000-8000-000000000001".into(),
        boottime_ns: 5_000_000_000,
        clock_synchronized: true,
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub async fn enroll(base: &str, code: &str) -> anyhow::Result<EnrolledKiosk> {
    let response = http()
        .post(format!("{base}/api/v1/enroll"))
        .json(&EnrollRequest {
            code: code.to_owned(),
            kiosk_version: "0.1.0".into(),
            clock: clock(),
        })
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == StatusCode::OK,
        "enroll: {}",
        response.status()
    );
    let enrolled: EnrollResponse = response.json().await?;
    Ok(EnrolledKiosk {
        id: enrolled.kiosk_id,
        token: enrolled.token,
    })
}

/// Posts overall ratings with these scores from `kiosk` at `desk`, a minute apart ending now, as
/// its sync would; returns the HTTP status.
pub async fn rate(
    base: &str,
    kiosk: &EnrolledKiosk,
    desk: &str,
    scores: &[u8],
) -> anyhow::Result<StatusCode> {
    // Two hours into a later boot of the kiosk (enrollment anchored another), so the ratings'
    // minutes before now are on its boot clock too.
    let now = RecordedTime {
        boot_id: "0b5e2a51-0000-4000-8000-000000000002".into(),
        boottime_ns: 7_200_000_000_000,
        ..clock()
    };
    let records = (0_u64..)
        .zip(scores)
        .map(|(i, &score)| {
            let minutes_before = i64::try_from(scores.len() as u64 - i)?;
            Ok(RatingRecord {
                id: RecordId::new_random(),
                visit_id: VisitId::new_random(),
                sequence: i + 1,
                desk_id: desk.parse()?,
                question: Question::Overall,
                answer: Score::try_from(i64::from(score))?.into(),
                reasons: vec![],
                language: LanguageTag::polish(),
                larger_text: false,
                input: InputKind::Touch,
                supersedes: None,
                // A minute apart on the kiosk's boot clock as on its wall clock, so the server
                // places them a minute apart (not a burst).
                recorded: RecordedTime {
                    wall_clock_ms: now.wall_clock_ms - minutes_before * 60_000,
                    boottime_ns: now.boottime_ns - u64::try_from(minutes_before)? * 60_000_000_000,
                    ..now.clone()
                },
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(http()
        .post(format!("{base}/api/v1/records"))
        .bearer_auth(&kiosk.token)
        .json(&RecordBatch { sent: now, records })
        .send()
        .await?
        .status())
}

/// The status of a kiosk's heartbeat: 200 while its token is valid, 401 once revoked.
pub async fn heartbeat(base: &str, kiosk: &EnrolledKiosk) -> anyhow::Result<StatusCode> {
    Ok(http()
        .post(format!("{base}/api/v1/heartbeat"))
        .bearer_auth(&kiosk.token)
        .json(&Heartbeat {
            kiosk_version: "0.1.0".into(),
            backlog: 3,
            oldest_unsynced_ms: None,
            last_error: None,
            clock: clock(),
        })
        .send()
        .await?
        .status())
}

/// The server with `extra_settings`, Płock and Gąbin desks, an admin, a Gąbin office viewer,
/// and a kiosk enrolled at each desk.
pub async fn fleet(extra_settings: &str) -> anyhow::Result<Fleet> {
    fleet_on(Engine::Sqlite, extra_settings).await
}

/// Like [`fleet`], with the server on `engine`.
pub async fn fleet_on(engine: Engine, extra_settings: &str) -> anyhow::Result<Fleet> {
    let dir = tempfile::tempdir()?;
    let mut server = Server::set_up_on(engine, dir.path(), &[PLOCK_DESK], extra_settings)?;
    server.admin(&[
        "department",
        "add",
        "--office",
        "gabin",
        "--id",
        "rsm",
        "--name",
        "Referat Spraw Mieszkańców",
    ])?;
    server.admin(&[
        "desk",
        "add",
        "--office",
        "gabin",
        "--department",
        "rsm",
        "--id",
        GABIN_DESK,
        "--name",
        "Referat Spraw Mieszkańców — stanowisko 1",
        "--standards",
        "IV,III",
    ])?;
    server.admin_with_input(
        &["admin", "create", "--username", ADMIN.0],
        &format!("{}\n", ADMIN.1),
    )?;
    server.admin_with_input(
        &[
            "user",
            "add",
            "--username",
            VIEWER.0,
            "--role",
            "office_viewer",
            "--office",
            "gabin",
        ],
        &format!("{}\n", VIEWER.1),
    )?;
    let codes = [
        server.enrollment_code(PLOCK_DESK)?,
        server.enrollment_code(GABIN_DESK)?,
    ];
    server.start()?;
    let base = server.url();
    let plock = enroll(&base, &codes[0]).await?;
    let gabin = enroll(&base, &codes[1]).await?;
    Ok(Fleet {
        dir,
        server,
        plock,
        gabin,
    })
}

/// The value of the first `name="csrf_token"` field in a page.
pub fn csrf_token(html: &str) -> Option<String> {
    let start = html.find(r#"name="csrf_token" value=""#)? + r#"name="csrf_token" value=""#.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// `name=value` of a response's `Set-Cookie` for a cookie whose name ends with `suffix`.
pub fn set_cookie(response: &reqwest::Response, suffix: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| {
            pair.split('=')
                .next()
                .is_some_and(|name| name.ends_with(suffix))
        })
        .map(str::to_owned)
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A signed-in dashboard session over plain HTTP.
pub struct Session {
    pub base: String,
    /// `name=value` of the session cookie.
    pub cookie: String,
    pub csrf: String,
}

/// The answer to one sign-in attempt: its status and body, and the session cookie if it worked.
pub struct Attempt {
    pub status: StatusCode,
    pub body: String,
    pub cookie: Option<String>,
}

pub async fn attempt_sign_in(
    base: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<Attempt> {
    attempt_sign_in_from(base, base, username, password).await
}

/// Signs in with the form posted from `origin`: behind a TLS proxy, the browser's origin is the
/// proxy's `https://` one while the test reaches the server itself over plain http.
pub async fn attempt_sign_in_from(
    base: &str,
    origin: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<Attempt> {
    let client = http();
    let form = client.get(format!("{base}/dashboard/login")).send().await?;
    let login_cookie =
        set_cookie(&form, "ocena_login").ok_or_else(|| anyhow::anyhow!("no login cookie"))?;
    let token = csrf_token(&form.text().await?).ok_or_else(|| anyhow::anyhow!("no token"))?;
    let response = client
        .post(format!("{base}/dashboard/login"))
        .header(COOKIE, login_cookie)
        .header(ORIGIN, origin)
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
            ("next", "/dashboard/fleet"),
        ])
        .send()
        .await?;
    let status = response.status();
    let cookie = set_cookie(&response, "ocena_session");
    Ok(Attempt {
        status,
        body: response.text().await?,
        cookie,
    })
}

pub async fn sign_in(base: &str, username: &str, password: &str) -> anyhow::Result<Session> {
    let attempt = attempt_sign_in(base, username, password).await?;
    anyhow::ensure!(
        attempt.status == StatusCode::SEE_OTHER,
        "sign-in: {}",
        attempt.status
    );
    let cookie = attempt
        .cookie
        .ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
    let page = http()
        .get(format!("{base}/dashboard/fleet"))
        .header(COOKIE, &cookie)
        .send()
        .await?;
    anyhow::ensure!(
        page.status() == StatusCode::OK,
        "fleet after sign-in: {}",
        page.status()
    );
    let csrf = csrf_token(&page.text().await?).ok_or_else(|| anyhow::anyhow!("no csrf token"))?;
    Ok(Session {
        base: base.to_owned(),
        cookie,
        csrf,
    })
}

impl Session {
    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(http()
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await?)
    }

    /// POSTs `fields` as a form from this server's origin, without adding the CSRF token.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> anyhow::Result<reqwest::Response> {
        let mut request = http()
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(fields);
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        Ok(request.send().await?)
    }

    /// POSTs `fields` with the session's CSRF token, from this server's origin.
    pub async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<reqwest::Response> {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&self.base.clone())).await
    }
}
