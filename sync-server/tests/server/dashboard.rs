//! The dashboard's data against a real server on port 0: cells below 5 responses withheld on
//! pages and in the API, an office's and a department's scope enforced in the queries, every
//! filter parameter refused or rendered inert, bursts left out unless asked, the CSV's numbers
//! equal to the page's, the office's and the department's monthly reports, the report e-mails on
//! the alerts page, and the stats routes in the OpenAPI document.

use model::wire::{RecordBatch, RecordOutcome};
use model::{
    DeskId, InputKind, LanguageTag, Question, RatingRecord, RecordId, RecordedTime, Score,
    StandardId, VisitId,
};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;
use sync_server::analytics::{Filter, Level};
use sync_server::credentials;
use sync_server::dashboard::{Lang, Role, Scope};
use sync_server::storage::{Kiosk, NewDesk, NewKiosk, NewSession, NewUser, Storage, TokenLookup};

use crate::support::app::{App, now_ms};

const ADMIN_TOKEN: &str = "dashboard-test-admin-token-0123456789ab";
/// The session cookie on plain http to a loopback address.
const COOKIE_NAME: &str = "ocena_session";
const MINUTE: i64 = 60_000;

struct Server {
    base: String,
    storage: Storage,
    client: reqwest::Client,
    /// The `Cookie` header of an analyst's session, or of another user's (see [`Server::as_user`]).
    cookie: String,
    /// The database's directory, held by the server that made it.
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server with Płock (department wso: desks 01, 02) and Gąbin (department fin: desk 01).
    async fn spawn() -> Server {
        let app = App::spawn(|settings| {
            settings.admin_token_sha256 = Some(credentials::sha256(ADMIN_TOKEN));
        })
        .await;
        app.add_department("plock", "wso", "Wydział Spraw Obywatelskich")
            .await;
        app.add_department("gabin", "fin", "Referat Finansowy")
            .await;
        for place in [
            ("plock", "wso", "plock-wso-01"),
            ("plock", "wso", "plock-wso-02"),
            ("gabin", "fin", "gabin-fin-01"),
        ] {
            app.add_desk(
                place,
                None,
                &[
                    StandardId::IV,
                    StandardId::III,
                    StandardId::V,
                    StandardId::VI,
                ],
                &["pl", "uk"],
            )
            .await;
        }
        let (base, storage, dir) = (app.origin(), app.storage.clone(), app.dir);
        let mut server = Server {
            base,
            storage,
            client: reqwest::Client::new(),
            cookie: String::new(),
            _dir: Some(dir),
        };
        server.cookie = server.session("anna", Role::Analyst, None).await;
        server
    }

    /// A signed-in session of a new user, as the `Cookie` header that carries it (sessions are
    /// made directly in storage: signing in is the sign-in tests' business).
    async fn session(&self, username: &str, role: Role, office: Option<&str>) -> String {
        self.session_in(username, role, office, None).await
    }

    /// [`Server::session`] of a user bound to `department` of `office` as well.
    async fn session_in(
        &self,
        username: &str,
        role: Role,
        office: Option<&str>,
        department: Option<&str>,
    ) -> String {
        let now = now_ms();
        let user_id = self
            .storage
            .add_user(
                NewUser {
                    username: username.into(),
                    password_hash: "not used: the session is made directly".into(),
                    role,
                    office_id: office.map(str::to_owned),
                    department_id: department.map(str::to_owned),
                    // Heads of departments get their monthly report by e-mail.
                    email: department.map(|_| format!("{username}@plock.test")),
                    lang: sync_server::dashboard::Lang::Pl,
                },
                now,
            )
            .await
            .expect("user");
        let token = format!("session token of {username} 0123456789abcdef");
        self.storage
            .create_session(NewSession {
                id_sha256: credentials::sha256(&token),
                user_id,
                csrf_token: "csrf".into(),
                lang: Lang::Pl,
                now_ms: now,
                expires_at_ms: now + 3_600_000,
                replaces: None,
            })
            .await
            .expect("session");
        format!("{COOKIE_NAME}={token}")
    }

    /// The same server, asked by another user's session.
    fn as_user(&self, cookie: String) -> Server {
        Server {
            base: self.base.clone(),
            storage: self.storage.clone(),
            client: self.client.clone(),
            cookie,
            _dir: None,
        }
    }

    async fn kiosk(&self, desk: &str) -> Kiosk {
        let code = credentials::sha256(&format!("code {desk}"));
        let token = credentials::sha256(&format!("token {desk}"));
        let desk_id: DeskId = desk.parse().expect("desk");
        let enrolled = now_ms() - 10 * 24 * 60 * MINUTE;
        self.storage
            .add_enrollment_code(code, desk_id, enrolled, enrolled + MINUTE)
            .await
            .expect("code");
        let kiosk = NewKiosk {
            id: format!("kiosk-{desk}"),
            token_sha256: token,
            version: "test".into(),
            clock: reading(enrolled),
        };
        self.storage
            .enroll(code, kiosk, enrolled)
            .await
            .expect("storage")
            .expect("code accepted");
        match self.storage.kiosk_by_token(token).await.expect("lookup") {
            TokenLookup::Valid(kiosk) => kiosk,
            other => panic!("kiosk not enrolled: {other:?}"),
        }
    }

    /// Stores answers `(minutes ago, question, score, reasons)` from `kiosk`, each its own visit.
    async fn answers(&self, kiosk: &Kiosk, answers: &[(i64, Question, u8, &[&str])]) {
        self.answers_in(kiosk, &LanguageTag::polish(), answers)
            .await;
    }

    /// [`Server::answers`] given in `language`.
    async fn answers_in(
        &self,
        kiosk: &Kiosk,
        language: &LanguageTag,
        answers: &[(i64, Question, u8, &[&str])],
    ) {
        let now = now_ms();
        let records: Vec<RatingRecord> = answers
            .iter()
            .enumerate()
            .map(
                |(i, (minutes_ago, question, score, reasons))| RatingRecord {
                    id: RecordId::new_random(),
                    visit_id: VisitId::new_random(),
                    sequence: u64::try_from(i).expect("index") + 1,
                    desk_id: kiosk.desk_id.clone(),
                    question: *question,
                    answer: Score::try_from(i64::from(*score)).expect("score").into(),
                    reasons: reasons
                        .iter()
                        .map(|r| (*r).to_owned().try_into().expect("reason"))
                        .collect(),
                    language: language.clone(),
                    larger_text: false,
                    input: InputKind::Touch,
                    supersedes: None,
                    recorded: reading(now - minutes_ago * MINUTE),
                },
            )
            .collect();
        let receipt = self
            .storage
            .ingest(
                kiosk.clone(),
                RecordBatch {
                    sent: reading(now),
                    records,
                },
                now,
            )
            .await
            .expect("ingest");
        assert!(
            receipt
                .results
                .iter()
                .all(|r| r.outcome == RecordOutcome::Stored),
            "{receipt:?}"
        );
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.text().await.expect("body"))
    }

    async fn json(&self, path: &str) -> (StatusCode, Value) {
        let (status, body) = self.get(path).await;
        (
            status,
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")),
        )
    }
}

/// A synchronised kiosk clock reading at `wall_clock_ms` in one boot that began a day earlier.
fn reading(wall_clock_ms: i64) -> RecordedTime {
    let boot_start = now_ms() - 20 * 24 * 60 * MINUTE;
    RecordedTime {
        wall_clock_ms,
        boot_id: "boot".into(),
        boottime_ns: u64::try_from(wall_clock_ms - boot_start).expect("after boot") * 1_000_000,
        clock_synchronized: true,
    }
}

/// The `data-responses` (`None` when withheld) and `data-csat` of the table row
/// `data-id="{id}"` of a page.
fn row_figures(html: &str, id: &str) -> (Option<i64>, Option<f64>) {
    let start = html
        .find(&format!("data-id=\"{id}\""))
        .unwrap_or_else(|| panic!("no row {id}"));
    let row = &html[start..start + html[start..].find("</tr>").expect("row end")];
    let attribute = |name: &str| {
        row.find(&format!("{name}=\"")).map(|i| {
            let rest = &row[i + name.len() + 2..];
            rest[..rest.find('"').expect("quote")].to_owned()
        })
    };
    (
        attribute("data-responses").expect("responses").parse().ok(),
        attribute("data-csat").map(|v| v.parse().expect("csat")),
    )
}

const O: Question = Question::Overall;
const NONE: &[&str] = &[];

/// `n` overall answers of `score`, five minutes apart (so never a burst), the last an hour ago.
fn spaced(n: i64, score: u8) -> Vec<(i64, Question, u8, &'static [&'static str])> {
    (0..n).map(|i| (60 + 5 * i, O, score, NONE)).collect()
}

#[tokio::test]
async fn cells_below_five_responses_show_no_score_anywhere() {
    let server = Server::spawn().await;
    let four = server.kiosk("plock-wso-01").await;
    let five = server.kiosk("plock-wso-02").await;
    let scores = [4, 1, 4, 3, 2];
    let answers = |n: usize| -> Vec<(i64, Question, u8, &[&str])> {
        (0..n)
            .map(|i| (60 + 30 * i64::try_from(i).expect("i"), O, scores[i], NONE))
            .collect()
    };
    server.answers(&four, &answers(4)).await;
    server.answers(&five, &answers(5)).await;

    let (status, page) = server.get("/dashboard?office=plock&department=wso").await;
    assert_eq!(status, StatusCode::OK);
    // Four answers show nothing, not even their count; and the department's only other desk
    // is withheld beside it, or the department's total on the office's page minus that desk
    // would give the four back.
    assert_eq!(row_figures(&page, "plock-wso-01"), (None, None));
    assert_eq!(row_figures(&page, "plock-wso-02"), (None, None));
    assert!(page.contains("ukryte (ochrona danych)"));
    let (_, office) = server.get("/dashboard?office=plock").await;
    assert_eq!(row_figures(&office, "wso"), (Some(9), Some(66.7)));

    let (_, desks) = server
        .json("/api/v1/stats/breakdown?by=desk&office=plock")
        .await;
    let group = |id: &str| {
        desks["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["id"] == id)
            .cloned()
            .expect("group")
    };
    for desk in ["plock-wso-01", "plock-wso-02"] {
        let withheld = group(desk);
        assert!(withheld["responses"].is_null(), "{withheld}");
        assert_eq!(withheld["too_few_responses"], true);
        assert!(withheld["csat_percent"].is_null() && withheld["mean"].is_null());
        assert!(withheld["distribution"].is_null());
    }

    // The four answers alone make one trend point and heatmap cells: all withheld.
    let (_, trend) = server.json("/api/v1/stats/trend?desk=plock-wso-01").await;
    let points = trend["points"].as_array().expect("points");
    assert!(!points.is_empty());
    assert!(points.iter().all(|p| p["csat_percent"].is_null()));
    let (_, heat) = server.json("/api/v1/stats/heatmap?desk=plock-wso-01").await;
    let cells = heat["cells"].as_array().expect("cells");
    assert!(!cells.is_empty());
    assert!(cells.iter().all(|c| c["too_few_responses"] == true));
    let (_, page) = server.get("/dashboard/patterns?desk=plock-wso-01").await;
    assert!(
        !page.contains("data-csat"),
        "no heatmap or language cell shows a score"
    );
}

#[tokio::test]
async fn an_office_scope_reads_only_its_office_and_other_offices_are_not_found() {
    let server = Server::spawn().await;
    let plock = server.kiosk("plock-wso-01").await;
    let gabin = server.kiosk("gabin-fin-01").await;
    server.answers(&plock, &spaced(6, 4)).await;
    server.answers(&gabin, &spaced(7, 1)).await;
    let storage = &server.storage;
    let today = Filter::today();
    let everything = Filter::default_for(today);
    let gabin_only = Scope::Office("gabin".into());

    let offices = storage
        .breakdown(everything.clone(), gabin_only.clone(), Level::Office)
        .await
        .expect("breakdown");
    assert_eq!(offices.len(), 1);
    assert_eq!(offices[0].id, "gabin");
    assert_eq!(offices[0].counts.responses(), 7);
    // Naming Płock within Gąbin's scope selects nothing, in SQL.
    let (asking_plock, _) = Filter::parse("office=plock", today, NONE).expect("filter");
    let trend = storage
        .trend(asking_plock.clone(), gabin_only.clone())
        .await
        .expect("trend");
    assert!(trend.is_empty(), "{trend:?}");
    let places = storage.places(gabin_only.clone()).await.expect("places");
    assert!(!places.covers(&asking_plock), "the page refuses it first");
    let (plock_desk, _) = Filter::parse("desk=plock-wso-01", today, NONE).expect("filter");
    assert!(!places.covers(&plock_desk));
    let mut exported = Vec::new();
    let mut rx = storage
        .export_chunks(
            everything,
            gabin_only,
            Vec::new(),
            std::time::Duration::from_secs(30),
            |row, out| {
                out.extend_from_slice(row.office_id.as_bytes());
                out.push(b'\n');
            },
        )
        .await
        .expect("an export slot");
    while let Some(chunk) = rx.recv().await {
        exported.extend(chunk.expect("chunk"));
    }
    assert_eq!(
        String::from_utf8(exported).expect("utf-8"),
        "gabin\n".repeat(7)
    );

    // Over HTTP a place that is not the viewer's is "not found", like one that does not exist.
    for path in [
        "/dashboard?office=nowhere",
        "/dashboard?office=gabin&department=wso",
        "/dashboard?office=gabin&desk=plock-wso-01",
        "/dashboard/export.csv?desk=plock-wso-99",
        "/dashboard/reports/nowhere/2026-10",
    ] {
        assert_eq!(server.get(path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, body) = server.json("/api/v1/stats/trend?office=nowhere").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // A signed-in office viewer of Gąbin, editing URLs and calling the API.
    let beata = server.as_user(
        server
            .session("beata", Role::OfficeViewer, Some("gabin"))
            .await,
    );
    let (status, page) = beata.get("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row_figures(&page, "gabin").0, Some(7));
    assert!(
        !page.contains("data-id=\"plock\"") && !page.contains("Płock"),
        "{page}"
    );
    let month = Filter::today().format("%Y-%m").to_string();
    for path in [
        "/dashboard?office=plock".to_owned(),
        "/dashboard?desk=plock-wso-01".to_owned(),
        "/dashboard/standards?office=plock".to_owned(),
        "/dashboard/patterns?desk=plock-wso-01".to_owned(),
        "/dashboard/export.csv?office=plock".to_owned(),
        format!("/dashboard/reports/plock/{month}"),
        format!("/dashboard/reports/plock/{month}.csv"),
    ] {
        let (status, body) = beata.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.contains("data-responses"), "{path} shows no figures");
    }
    let (status, body) = beata
        .json("/api/v1/stats/breakdown?by=desk&office=plock")
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (_, body) = beata.json("/api/v1/stats/breakdown?by=desk").await;
    let desks: Vec<&str> = body["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["id"].as_str())
        .collect();
    assert_eq!(desks, ["gabin-fin-01"]);
    // An office viewer gets no answers one by one, only counts per desk and day.
    let (status, _) = beata.get("/dashboard/export.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, csv) = beata.get("/dashboard/export-days.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.lines().count() > 1, "{csv}");
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.split(',').nth(3) == Some("gabin-fin-01")),
        "{csv}"
    );
    let (status, _) = beata
        .get(&format!("/dashboard/reports/gabin/{month}"))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_department_scope_reads_only_its_department_and_others_are_not_found() {
    let server = Server::spawn().await;
    add_wgk(&server).await;
    let wso = server.kiosk("plock-wso-01").await;
    let wgk = server.kiosk("plock-wgk-01").await;
    let gabin = server.kiosk("gabin-fin-01").await;
    server.answers(&wso, &spaced(6, 4)).await;
    server.answers(&wgk, &spaced(8, 1)).await;
    server.answers(&gabin, &spaced(7, 2)).await;
    let storage = &server.storage;
    let today = Filter::today();
    let wso_only = Scope::Department {
        office: "plock".into(),
        department: "wso".into(),
    };

    // In the queries: the office's figure within the scope is the department's.
    let everything = Filter::default_for(today);
    let offices = storage
        .breakdown(everything.clone(), wso_only.clone(), Level::Office)
        .await
        .expect("breakdown");
    assert_eq!(offices.len(), 1);
    assert_eq!(
        (offices[0].id.as_str(), offices[0].counts.responses()),
        ("plock", 6)
    );
    let total = storage
        .total(everything.clone(), wso_only.clone())
        .await
        .expect("total");
    assert_eq!(total.responses(), 6, "not Płock's 14");
    let (asking_wgk, _) =
        Filter::parse("office=plock&department=wgk", today, NONE).expect("filter");
    let trend = storage
        .trend(asking_wgk.clone(), wso_only.clone())
        .await
        .expect("trend");
    assert!(trend.is_empty(), "{trend:?}");
    let places = storage.places(wso_only.clone()).await.expect("places");
    assert!(!places.covers(&asking_wgk), "the page refuses it first");
    assert_eq!(places.desks.len(), 2, "wso's two desks: {:?}", places.desks);

    // A signed-in head of wso, editing URLs and calling the API.
    let ewa = server.as_user(
        server
            .session_in("ewa", Role::DepartmentViewer, Some("plock"), Some("wso"))
            .await,
    );
    let (status, page) = ewa.get("/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row_figures(&page, "plock-wso-01").0, Some(6), "{page}");
    assert!(
        !page.contains("plock-wgk-01")
            && !page.contains("Gąbin")
            && !page.contains("data-responses=\"14\""),
        "{page}"
    );
    let month = today.format("%Y-%m").to_string();
    for path in [
        "/dashboard?office=gabin".to_owned(),
        "/dashboard?office=plock&department=wgk".to_owned(),
        "/dashboard?desk=plock-wgk-01".to_owned(),
        "/dashboard?desk=gabin-fin-01".to_owned(),
        "/dashboard/standards?office=plock&department=wgk".to_owned(),
        "/dashboard/patterns?desk=plock-wgk-01".to_owned(),
        "/dashboard/export-days.csv?office=plock&department=wgk".to_owned(),
        "/dashboard/export-days.csv?office=gabin".to_owned(),
        format!("/dashboard/reports/plock/{month}"),
        format!("/dashboard/reports/plock/{month}.csv"),
        format!("/dashboard/reports/gabin/{month}"),
    ] {
        let (status, body) = ewa.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.contains("data-responses"), "{path} shows no figures");
    }
    for path in [
        "/api/v1/stats/breakdown?by=desk&office=plock&department=wgk",
        "/api/v1/stats/breakdown?by=desk&desk=plock-wgk-01",
        "/api/v1/stats/trend?office=gabin",
    ] {
        let (status, body) = ewa.json(path).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{path}"
        );
    }
    for (by, expected) in [
        ("desk", vec![("plock-wso-01", Some(6))]),
        ("department", vec![("wso", Some(6))]),
        ("office", vec![("plock", Some(6))]),
    ] {
        let (status, body) = ewa.json(&format!("/api/v1/stats/breakdown?by={by}")).await;
        assert_eq!(status, StatusCode::OK);
        let groups: Vec<(String, Option<i64>)> = api_groups(&body);
        let expected: Vec<(String, Option<i64>)> = expected
            .into_iter()
            .map(|(id, n)| (id.to_owned(), n))
            .collect();
        assert_eq!(groups, expected, "by {by}");
    }
    let (status, body) = ewa.json("/api/v1/dashboard/kiosks").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kiosk_desks: Vec<&str> = body
        .as_array()
        .expect("kiosks")
        .iter()
        .filter_map(|k| k["desk_id"].as_str())
        .collect();
    assert_eq!(kiosk_desks, ["plock-wso-01"], "{body}");
    let (status, _) = ewa.json("/api/v1/dashboard/kiosks?office=gabin").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, help) = ewa.get("/dashboard/help").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        help.contains("kierownik wydziału (rola tego konta)"),
        "{help}"
    );
    assert!(
        help.contains("Tylko swój wydział w swoim urzędzie"),
        "{help}"
    );

    // Their export: counts per desk and day of wso only, while the office has rows of two
    // departments (as an analyst's export shows).
    let (status, _) = ewa.get("/dashboard/export.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no answers one by one");
    let export_departments = |csv: &str| -> std::collections::BTreeSet<String> {
        csv.lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(2).map(str::to_owned))
            .collect()
    };
    let (_, all) = server.get("/dashboard/export-days.csv?office=plock").await;
    assert_eq!(
        export_departments(&all),
        ["wgk".to_owned(), "wso".to_owned()].into(),
        "{all}"
    );
    let (status, csv) = ewa.get("/dashboard/export-days.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(export_departments(&csv), ["wso".to_owned()].into(), "{csv}");
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.split(',').nth(3) == Some("plock-wso-01")),
        "{csv}"
    );
}

#[tokio::test]
async fn sql_and_script_like_values_are_refused_or_rendered_inert() {
    let server = Server::spawn().await;
    let kiosk = server.kiosk("plock-wso-01").await;
    server.answers(&kiosk, &spaced(5, 3)).await;
    let before = server.storage.answer_count().await.expect("count");
    let hostile = [
        "'%20OR%20'1'='1",
        "plock'--",
        "1;DROP%20TABLE%20answers",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
    ];
    for parameter in [
        "period",
        "from",
        "to",
        "office",
        "department",
        "desk",
        "standard",
        "language",
        "bursts",
        "step",
        "lang",
        "format",
    ] {
        for value in hostile {
            let query = match parameter {
                "department" => format!("office=plock&department={value}"),
                _ => format!("{parameter}={value}"),
            };
            for path in ["/dashboard", "/dashboard/export.csv", "/api/v1/stats/trend"] {
                let (status, body) = server.get(&format!("{path}?{query}")).await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{query}: {body}");
                assert!(
                    body.contains(&format!("`{parameter}`")),
                    "the refusal names `{parameter}`: {body}"
                );
                // Pages escape what they quote; the API answers JSON, which no browser renders.
                if !path.starts_with("/api/") {
                    assert!(
                        !body.contains("<script") && !body.contains("<img"),
                        "{path}?{query} echoed markup: {body}"
                    );
                }
            }
        }
    }
    // An unknown parameter name is refused too, and named without being rendered as markup.
    let (status, body) = server.get("/dashboard?%3Cb%3E=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("&lt;b&gt;") && !body.contains("<b>"),
        "{body}"
    );
    assert_eq!(server.storage.answer_count().await.expect("count"), before);
    let (_, page) = server.get("/dashboard?office=plock").await;
    assert_eq!(
        row_figures(&page, "wso"),
        (Some(5), Some(100.0)),
        "nothing changed"
    );
}

#[tokio::test]
async fn bursts_are_left_out_unless_included_and_the_csv_matches_the_page() {
    let server = Server::spawn().await;
    let one = server.kiosk("plock-wso-01").await;
    let two = server.kiosk("plock-wso-02").await;
    let gabin = server.kiosk("gabin-fin-01").await;
    let iv = Question::Standard(StandardId::IV);
    server
        .answers(
            &one,
            &[
                (300, O, 4, NONE),
                (290, iv, 1, &["iv-interrupted"]),
                (285, iv, 1, &["iv-interrupted"]),
                (280, iv, 2, &["iv-interrupted"]),
                (275, iv, 1, &["iv-interrupted"]),
                (270, iv, 2, &["iv-interrupted"]),
                (240, O, 2, NONE),
                (200, O, 3, NONE),
                (100, O, 4, NONE),
                (90, O, 1, NONE),
            ],
        )
        .await;
    // Three presses within 10 s: a burst, kept but left out by default.
    let now = now_ms();
    let burst: Vec<RatingRecord> = [0, 3_000, 6_000]
        .iter()
        .enumerate()
        .map(|(i, offset)| RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: 100 + u64::try_from(i).expect("i"),
            desk_id: two.desk_id.clone(),
            question: O,
            answer: Score::VERY_GOOD.into(),
            reasons: vec![],
            language: LanguageTag::polish(),
            larger_text: false,
            input: InputKind::Touch,
            supersedes: None,
            recorded: reading(now - 50 * MINUTE + offset),
        })
        .collect();
    server
        .storage
        .ingest(
            two.clone(),
            RecordBatch {
                sent: reading(now),
                records: burst,
            },
            now,
        )
        .await
        .expect("ingest");
    server
        .answers(
            &two,
            &[(30, O, 3, NONE), (20, O, 3, NONE), (10, O, 2, NONE)],
        )
        .await;
    server.answers(&gabin, &spaced(5, 4)).await;

    let (_, page) = server.get("/dashboard?office=plock").await;
    let (responses, csat) = row_figures(&page, "wso");
    let responses = responses.expect("shown");
    assert_eq!(responses, 8, "5 + 3 overall answers, the burst left out");
    let (_, with_bursts) = server.get("/dashboard?office=plock&bursts=include").await;
    assert_eq!(row_figures(&with_bursts, "wso").0, Some(11));
    assert!(
        page.contains("Przerywano mi"),
        "the reason after low scores (5 of standard IV), in Polish"
    );

    // The CSV of the same filter holds exactly the page's answers.
    let (status, csv) = server.get("/dashboard/export.csv?office=plock").await;
    assert_eq!(status, StatusCode::OK);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("local_day,office,department,desk,question,score,not_applicable,reasons,burst"),
        "coarsened: the day, no time, id, language, text size or input"
    );
    let scores: Vec<u8> = lines
        .map(|l| {
            let fields: Vec<&str> = l.split(',').collect();
            assert_eq!(
                (fields[1], fields[4], fields[6], fields[8]),
                ("plock", "overall", "0", "0")
            );
            fields[5].parse().expect("score")
        })
        .collect();
    assert_eq!(scores.len() as i64, responses);
    let good = scores.iter().filter(|s| **s >= 3).count();
    let csv_csat = 100.0 * good as f64 / scores.len() as f64;
    assert_eq!(Some(format!("{csv_csat:.1}").parse().expect("csat")), csat);

    // Polish Excel: a byte-order mark, semicolons, Polish headings, the same rows.
    let (_, excel) = server
        .get("/dashboard/export.csv?office=plock&format=excel")
        .await;
    assert!(
        excel.starts_with("\u{feff}Dzień;Urząd;Wydział;Stanowisko;"),
        "{}",
        excel.lines().next().unwrap_or_default()
    );
    assert_eq!(excel.lines().count(), csv.lines().count());
    let (_, included) = server
        .get("/dashboard/export.csv?office=plock&bursts=include")
        .await;
    assert_eq!(included.lines().count(), 1 + 11);
    assert_eq!(
        included.matches(",1\r\n").count(),
        3,
        "three rows flagged as a burst"
    );
}

#[tokio::test]
async fn the_monthly_report_compares_with_the_previous_month() {
    let server = Server::spawn().await;
    let kiosk = server.kiosk("plock-wso-01").await;
    server.answers(&kiosk, &spaced(6, 4)).await;
    let month = Filter::today().format("%Y-%m").to_string();
    let (status, page) = server
        .get(&format!("/dashboard/reports/plock/{month}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Urząd Miasta Płocka"));
    assert_eq!(row_figures(&page, "overall").0, Some(6));
    let (status, csv) = server
        .get(&format!(
            "/dashboard/reports/plock/{month}.csv?format=excel"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with(
        "\u{feff}Sekcja;Identyfikator;Nazwa;Miesiąc;Liczba odpowiedzi;Odsetek zadowolonych (%)"
    ));
    assert!(csv.contains(&format!(
        "overall;overall;Ocena ogólna;{month};6;100,0;4,00;0;0;0;6;"
    )));
    assert!(csv.contains("department;wso;Wydział Spraw Obywatelskich"));
    for bad in ["2026-13", "26-10", "2026-10-01", "latest"] {
        let (status, body) = server.get(&format!("/dashboard/reports/plock/{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body.contains("`month`"));
    }
    let (status, _) = server
        .get(&format!("/dashboard/reports/plock/{month}?office=gabin"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the office is in the path");
}

/// A second department in Płock, `wgk`, with one desk `plock-wgk-01` offering standard IV.
async fn add_wgk(server: &Server) {
    server
        .storage
        .add_department(
            "plock".into(),
            "wgk".into(),
            "Wydział Gospodarki Komunalnej".into(),
        )
        .await
        .expect("department");
    server
        .storage
        .add_desk(NewDesk {
            id: "plock-wgk-01".parse().expect("desk"),
            office_id: "plock".into(),
            department_id: "wgk".into(),
            name: "Stanowisko plock-wgk-01".into(),
            internal_service: false,
            standards: vec![StandardId::IV],
            languages: vec![LanguageTag::polish()],
            default_language: LanguageTag::polish(),
        })
        .await
        .expect("desk");
}

#[tokio::test]
async fn a_department_report_equals_the_dashboard_for_the_same_month_and_reaches_only_its_head() {
    let server = Server::spawn().await;
    add_wgk(&server).await;
    let wso_01 = server.kiosk("plock-wso-01").await;
    let wso_02 = server.kiosk("plock-wso-02").await;
    let wgk = server.kiosk("plock-wgk-01").await;
    const IV: Question = Question::Standard(StandardId::IV);
    let mut answers = spaced(6, 4);
    let interrupted: &[&str] = &["iv-interrupted"];
    for (i, score) in [1, 2, 1, 4, 3, 2, 1].into_iter().enumerate() {
        let reasons = if score <= 2 { interrupted } else { NONE };
        answers.push((200 + 5 * i64::try_from(i).expect("i"), IV, score, reasons));
    }
    server.answers(&wso_01, &answers).await;
    server.answers(&wso_02, &spaced(5, 3)).await;
    server.answers(&wgk, &spaced(8, 1)).await;
    let month = Filter::today().format("%Y-%m").to_string();
    let (first, last) = Filter::month(&month).expect("month");
    let ewa = server.as_user(
        server
            .session_in("ewa", Role::DepartmentViewer, Some("plock"), Some("wso"))
            .await,
    );

    let (status, page) = ewa
        .get(&format!("/dashboard/reports/plock/wso/{month}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Wydział Spraw Obywatelskich"), "{page}");
    // The dashboard's figures for the same filter, as an analyst reads them from the API.
    let filter = format!("office=plock&department=wso&period=custom&from={first}&to={last}");
    for (by, ids) in [
        ("question", vec!["overall", "IV"]),
        ("desk", vec!["plock-wso-01", "plock-wso-02"]),
    ] {
        let (status, body) = server
            .json(&format!("/api/v1/stats/breakdown?by={by}&{filter}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for id in ids {
            let group = body["groups"]
                .as_array()
                .expect("groups")
                .iter()
                .find(|g| g["id"] == id)
                .unwrap_or_else(|| panic!("{id} in {body}"));
            let dashboard = (
                group["responses"].as_i64(),
                group["csat_percent"]
                    .as_f64()
                    .map(|c| (c * 10.0).round() / 10.0),
            );
            assert_eq!(row_figures(&page, id), dashboard, "{id}");
        }
    }
    assert_eq!(row_figures(&page, "overall"), (Some(11), Some(100.0)));
    assert_eq!(row_figures(&page, "IV"), (Some(7), Some(28.6)));
    assert_eq!(row_figures(&page, "plock-wso-02"), (Some(5), Some(100.0)));
    assert!(
        !page.contains("plock-wgk-01"),
        "not another department's desk"
    );
    assert!(
        page.contains("Przerywano mi"),
        "the reason chosen five times is listed: {page}"
    );

    let (status, csv) = ewa
        .get(&format!("/dashboard/reports/plock/wso/{month}.csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        csv.starts_with("section,id,name,month,responses,csat_percent"),
        "{csv}"
    );
    let line = |id: &str| {
        csv.lines()
            .find(|l| l.split(',').nth(1) == Some(id))
            .unwrap_or_else(|| panic!("{id}: {csv}"))
            .split(',')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(line("overall")[4..6], ["11", "100.0"]);
    assert_eq!(
        line("plock-wso-01")[4..11],
        ["6", "100.0", "4.00", "0", "0", "0", "6"]
    );
    assert_eq!(line("IV")[4..6], ["7", "28.6"]);
    assert!(csv.contains("reason,iv-interrupted,"), "{csv}");

    // Another department or office is not found, as for an office viewer; the office report
    // would show the other department, so it is not the head's either.
    for path in [
        format!("/dashboard/reports/plock/wgk/{month}"),
        format!("/dashboard/reports/plock/wgk/{month}.csv"),
        format!("/dashboard/reports/gabin/fin/{month}"),
        format!("/dashboard/reports/plock/{month}"),
    ] {
        let (status, body) = ewa.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }
    let (status, index) = ewa.get("/dashboard/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(index.contains("/dashboard/reports/plock/wso/"), "{index}");
    assert!(
        !index.contains("/dashboard/reports/plock/wgk/")
            && !index.contains(&format!("/dashboard/reports/plock/{month}")),
        "{index}"
    );
    // The analyst reads every department's report, the other department's too.
    let (status, page) = server
        .get(&format!("/dashboard/reports/plock/wgk/{month}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row_figures(&page, "plock-wgk-01"), (Some(8), Some(0.0)));
}

#[tokio::test]
async fn report_e_mails_are_listed_within_the_scope_and_an_admin_sends_one_again() {
    let server = Server::spawn().await;
    add_wgk(&server).await;
    let ewa = server.as_user(
        server
            .session_in("ewa", Role::DepartmentViewer, Some("plock"), Some("wso"))
            .await,
    );
    server
        .session_in("greg", Role::DepartmentViewer, Some("plock"), Some("wgk"))
        .await;
    let adam = server.as_user(server.session("adam", Role::Admin, None).await);
    let storage = &server.storage;
    let now = now_ms();
    assert_eq!(
        storage
            .queue_department_reports("2026-10".into(), now)
            .await
            .expect("queue"),
        2,
        "the two heads with an address"
    );
    // Ewa's was sent; greg's relay refused it.
    for outcome in [
        Ok(()),
        Err("SMTP smtp.plock.test:587: 451 try again later".to_owned()),
    ] {
        let claimed = storage
            .claim_department_report(now, 60_000)
            .await
            .expect("claim")
            .expect("a due e-mail");
        storage
            .record_department_report(claimed.user_id, claimed.month, outcome, now)
            .await
            .expect("record");
    }
    let rows = |page: &str| -> Vec<String> {
        page.split("data-recipient=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next().map(str::to_owned))
            .collect()
    };
    let (status, page) = ewa.get("/dashboard/alerts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows(&page), ["ewa"], "a head sees only its department's");
    assert!(page.contains("wysłano"), "{page}");
    assert!(!page.contains("Wyślij ponownie"), "only admins send again");
    let (_, page) = adam.get("/dashboard/alerts?lang=en").await;
    assert_eq!(
        rows(&page),
        ["greg", "ewa"],
        "by department, then recipient"
    );
    assert!(page.contains("failed attempts: 1"), "{page}");
    assert!(page.contains("451 try again later"), "admins see why");

    let ewa_id = storage
        .users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "ewa")
        .expect("ewa")
        .id;
    let resend = |who: &Server, month: &str| {
        who.client
            .post(format!(
                "{}/dashboard/alerts/department-reports/resend",
                who.base
            ))
            .header(COOKIE, &who.cookie)
            .header(reqwest::header::ORIGIN, &who.base)
            .form(&[
                ("csrf_token", "csrf"),
                ("user_id", &ewa_id.to_string()),
                ("month", month),
            ])
            .send()
    };
    let refused = resend(&ewa, "2026-10").await.expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let bad = resend(&adam, "2026-13").await.expect("post");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let unknown = resend(&adam, "2026-09").await.expect("post");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let done = resend(&adam, "2026-10").await.expect("post");
    assert_eq!(
        done.status(),
        StatusCode::OK,
        "redirected back to the alerts page"
    );
    let states = storage
        .department_report_deliveries(Scope::AllOffices, 10)
        .await
        .expect("listing");
    let mine = states.iter().find(|s| s.username == "ewa").expect("ewa's");
    assert_eq!(
        (mine.delivered_at_ms, mine.resent_by.as_deref()),
        (None, Some("adam")),
        "due again, with who asked"
    );

    // A head disabled before their e-mail went: no round sends it, and the page says so rather
    // than promising another attempt.
    assert!(
        storage
            .disable_user("greg".into(), now_ms())
            .await
            .expect("disable")
    );
    let (_, page) = adam.get("/dashboard/alerts?lang=en").await;
    let greg = &page[page.find("data-recipient=\"greg\"").expect("greg's row")..];
    let greg = &greg[..greg.find("</tr>").expect("row end")];
    assert!(
        greg.contains("not sent: the recipient's account is disabled"),
        "{greg}"
    );
    assert!(!greg.contains("next"), "{greg}");
    let (_, page) = adam.get("/dashboard/alerts?lang=pl").await;
    assert!(
        page.contains("nie wysłano: konto odbiorcy jest wyłączone"),
        "{page}"
    );
}

#[tokio::test]
async fn a_head_of_department_is_added_on_the_users_page_only_for_a_department_that_exists() {
    let server = Server::spawn().await;
    let adam = server.as_user(server.session("adam", Role::Admin, None).await);
    let add_head = |department: &str, email: &str| {
        adam.client
            .post(format!("{}/dashboard/users", adam.base))
            .header(COOKIE, &adam.cookie)
            .header(reqwest::header::ORIGIN, &adam.base)
            .form(&[
                ("csrf_token", "csrf"),
                ("username", "ewa"),
                ("role", "department_viewer"),
                ("office", "plock"),
                ("department", department),
                ("email", email),
                ("lang", "en"),
                ("password", "a long password here"),
            ])
            .send()
    };
    let add = |department: &str| add_head(department, "ewa@plock.test");
    let refused = add("xyz").await.expect("post");
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("page");
    // In the admin's language (Polish here), naming the department.
    assert!(
        page.contains("Urząd Miasta Płocka nie ma wydziału o identyfikatorze „xyz”"),
        "{page}"
    );
    let bad_address = add_head("wso", "ewa at plock").await.expect("post");
    assert_eq!(bad_address.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad_address.text().await.expect("page");
    assert!(
        page.contains("„ewa at plock” nie jest poprawnym adresem e-mail"),
        "{page}"
    );
    let missing = add("").await.expect("post");
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing
            .text()
            .await
            .expect("page")
            .contains("Wydział podaje się tylko dla roli „kierownik wydziału”")
    );
    assert!(
        !server
            .storage
            .users()
            .await
            .expect("users")
            .iter()
            .any(|u| u.username == "ewa"),
        "nothing stored"
    );
    let added = add("wso").await.expect("post");
    assert_eq!(added.status(), StatusCode::OK, "redirected to the list");
    let ewa = server
        .storage
        .users()
        .await
        .expect("users")
        .into_iter()
        .find(|u| u.username == "ewa")
        .expect("added");
    assert_eq!(
        (
            ewa.role,
            ewa.office_id.as_deref(),
            ewa.department_id.as_deref(),
            ewa.email.as_deref(),
            ewa.lang
        ),
        (
            Role::DepartmentViewer,
            Some("plock"),
            Some("wso"),
            Some("ewa@plock.test"),
            Lang::En
        )
    );
}

#[tokio::test]
async fn a_department_viewer_gets_no_figure_the_disclosure_rules_withhold_from_anyone() {
    let server = Server::spawn().await;
    add_wgk(&server).await;
    let wso = server.kiosk("plock-wso-01").await;
    let wgk = server.kiosk("plock-wgk-01").await;
    // Płock's nine answers are shown; wgk's three are too few, and wso's six would give them
    // back (9 − 6), so wso is withheld for everyone, its own head included.
    server.answers(&wso, &spaced(6, 4)).await;
    server.answers(&wgk, &spaced(3, 1)).await;
    let (_, body) = server
        .json("/api/v1/stats/breakdown?by=department&office=plock")
        .await;
    assert_eq!(
        api_groups(&body),
        [("wgk".to_owned(), None), ("wso".to_owned(), None)]
    );
    let ewa = server.as_user(
        server
            .session_in("ewa", Role::DepartmentViewer, Some("plock"), Some("wso"))
            .await,
    );
    for by in ["office", "department", "question"] {
        let (status, body) = ewa.json(&format!("/api/v1/stats/breakdown?by={by}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            api_groups(&body)
                .iter()
                .all(|(_, responses)| responses.is_none()),
            "by {by}: {body}"
        );
    }
    let (_, page) = ewa.get("/dashboard").await;
    assert!(!page.contains("data-responses=\"6\""), "{page}");
    let month = Filter::today().format("%Y-%m").to_string();
    let (_, report) = ewa
        .get(&format!("/dashboard/reports/plock/wso/{month}"))
        .await;
    assert_eq!(row_figures(&report, "overall"), (None, None), "{report}");
}

#[tokio::test]
async fn grouping_above_the_chosen_desk_gives_back_no_desk_withheld_as_a_complement() {
    let server = Server::spawn().await;
    let small = server.kiosk("plock-wso-01").await;
    let large = server.kiosk("plock-wso-02").await;
    // wso's nine answers are shown; desk 01's two are too few, so desk 02's seven are withheld
    // beside them (9 − 7 = 2).
    server.answers(&small, &spaced(2, 1)).await;
    server.answers(&large, &spaced(7, 4)).await;
    let ewa = server.as_user(
        server
            .session_in("ewa", Role::DepartmentViewer, Some("plock"), Some("wso"))
            .await,
    );
    for viewer in [&server, &ewa] {
        let (_, body) = viewer.json("/api/v1/stats/breakdown?by=desk").await;
        let desks = api_groups(&body);
        assert!(desks.iter().all(|(_, n)| n.is_none()), "{desks:?}");
        for by in ["office", "department", "desk", "question"] {
            let path = format!("/api/v1/stats/breakdown?by={by}&desk=plock-wso-02");
            let (status, body) = viewer.json(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            let groups = api_groups(&body);
            assert!(
                groups.iter().all(|(_, n)| n.is_none()),
                "{path}: desk 02 is withheld, whatever it is grouped by: {groups:?}"
            );
        }
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_stats_routes() {
    let server = Server::spawn().await;
    let (status, document) = server.json("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = document["paths"].as_object().expect("paths");
    for route in ["breakdown", "trend", "reasons", "heatmap", "usage"] {
        let path = format!("/api/v1/stats/{route}");
        let operation = &paths
            .get(&path)
            .unwrap_or_else(|| panic!("{path} is not in the document"))["get"];
        assert_eq!(operation["tags"][0], "stats", "{path}");
        let parameters = operation["parameters"].as_array().expect("parameters");
        assert!(
            parameters.iter().any(|p| p["name"] == "office"),
            "{path} documents the filter"
        );
    }
    let (_, reasons) = server.json("/api/v1/stats/reasons").await;
    assert_eq!(reasons["too_few_responses"], true, "an empty database");
}

/// Every number in a page's `data-responses` attributes (withheld cells have none).
fn shown_responses(html: &str) -> Vec<i64> {
    html.split("data-responses=\"")
        .skip(1)
        .filter_map(|rest| rest[..rest.find('"').expect("quote")].parse().ok())
        .collect()
}

/// The subtraction attack on one table: a shown `total` minus its shown `parts` leaves either
/// nothing hidden or at least five answers together.
fn assert_nothing_recoverable(what: &str, total: Option<i64>, parts: &[Option<i64>]) {
    for part in parts.iter().flatten() {
        assert!(*part == 0 || *part >= 5, "{what}: a part of {part} shown");
    }
    if let Some(total) = total {
        let hidden = total - parts.iter().flatten().sum::<i64>();
        assert!(
            hidden == 0 || hidden >= 5,
            "{what}: {total} minus the shown parts gives {hidden} hidden answers"
        );
    }
}

/// The groups of a stats breakdown as (id, responses or `None` when withheld).
fn api_groups(body: &Value) -> Vec<(String, Option<i64>)> {
    body["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            assert_eq!(
                g["responses"].is_null(),
                g["too_few_responses"] == true,
                "{g}"
            );
            assert_eq!(g["responses"].is_null(), g["distribution"].is_null(), "{g}");
            (
                g["id"].as_str().expect("id").to_owned(),
                g["responses"].as_i64(),
            )
        })
        .collect()
}

#[tokio::test]
async fn no_channel_shows_a_figure_from_fewer_than_five_answers_or_lets_one_be_subtracted() {
    let server = Server::spawn().await;
    for (department, name) in [
        ("usc", "Urząd Stanu Cywilnego"),
        ("fin", "Wydział Finansowy"),
    ] {
        server
            .storage
            .add_department("plock".into(), department.into(), name.into())
            .await
            .expect("department");
    }
    for (department, desk) in [
        ("wso", "plock-wso-03"),
        ("usc", "plock-usc-01"),
        ("fin", "plock-fin-01"),
    ] {
        server
            .storage
            .add_desk(NewDesk {
                id: desk.parse().expect("desk"),
                office_id: "plock".into(),
                department_id: department.into(),
                name: format!("Stanowisko {desk}"),
                internal_service: false,
                standards: vec![StandardId::IV, StandardId::III],
                languages: vec![LanguageTag::polish()],
                default_language: LanguageTag::polish(),
            })
            .await
            .expect("desk");
    }
    // Płock: wso with a desk of 2 beside desks of 30 and 40; usc of 3; fin of 50 (125 in all).
    let mixed = |n: i64| -> Vec<(i64, Question, u8, &'static [&'static str])> {
        (0..n)
            .map(|i| {
                (
                    60 + 3 * i,
                    O,
                    [1, 4, 3, 4, 2][usize::try_from(i % 5).expect("i")],
                    NONE,
                )
            })
            .collect()
    };
    for (desk, n) in [
        ("plock-wso-01", 2),
        ("plock-wso-02", 30),
        ("plock-wso-03", 40),
        ("plock-usc-01", 3),
        ("plock-fin-01", 50),
    ] {
        let kiosk = server.kiosk(desk).await;
        server.answers(&kiosk, &mixed(n)).await;
    }
    // Gąbin: three answers to standard IV with a reason, no overall rating.
    let gabin = server.kiosk("gabin-fin-01").await;
    let iv = Question::Standard(StandardId::IV);
    server
        .answers(
            &gabin,
            &[
                (70, iv, 1, &["iv-interrupted"]),
                (80, iv, 1, &["iv-interrupted"]),
                (90, iv, 2, &["iv-interrupted"]),
            ],
        )
        .await;

    // Pages: offices, then Płock's departments, then wso's desks.
    let (_, offices) = server.get("/dashboard").await;
    let plock = row_figures(&offices, "plock").0;
    assert_eq!(plock, Some(125));
    let (_, departments) = server.get("/dashboard?office=plock").await;
    let department = |id: &str| row_figures(&departments, id).0;
    assert_eq!(department("wso"), Some(72));
    assert_eq!(department("usc"), None, "3 answers");
    assert_eq!(
        department("fin"),
        None,
        "withheld beside usc, or 125 − 72 − 50 = 3"
    );
    assert_nothing_recoverable(
        "page: Płock's departments",
        plock,
        &[department("wso"), department("usc"), department("fin")],
    );
    let (_, desks) = server.get("/dashboard?office=plock&department=wso").await;
    let desk = |id: &str| row_figures(&desks, id).0;
    assert_eq!(
        [
            desk("plock-wso-01"),
            desk("plock-wso-02"),
            desk("plock-wso-03")
        ],
        [None, None, Some(40)]
    );
    assert_nothing_recoverable(
        "page: wso's desks",
        department("wso"),
        &[
            desk("plock-wso-01"),
            desk("plock-wso-02"),
            desk("plock-wso-03"),
        ],
    );
    // fin is withheld as a complement: nothing below it may add up to it.
    for path in [
        "/dashboard?office=plock&department=fin",
        "/dashboard?desk=plock-fin-01",
        "/dashboard?desk=plock-wso-02",
        "/dashboard/patterns?desk=plock-fin-01",
        "/dashboard/standards?office=plock&department=fin",
    ] {
        let (status, page) = server.get(path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            shown_responses(&page).iter().all(|n| *n == 0),
            "{path} shows {:?}",
            shown_responses(&page)
        );
        assert!(!page.contains("data-csat"), "{path} shows a score");
    }
    // No page shows a count from 1 to 4, anywhere.
    for path in [
        "/dashboard",
        "/dashboard?office=plock",
        "/dashboard?office=plock&department=wso",
        "/dashboard?office=plock&department=usc",
        "/dashboard?desk=plock-wso-01",
        "/dashboard?office=gabin",
        "/dashboard/standards?office=gabin",
        "/dashboard/standards?office=plock",
        "/dashboard/patterns?office=plock&department=wso",
        "/dashboard/patterns",
    ] {
        let (_, page) = server.get(path).await;
        let small: Vec<i64> = shown_responses(&page)
            .into_iter()
            .filter(|n| (1..5).contains(n))
            .collect();
        assert!(small.is_empty(), "{path} shows {small:?}");
    }
    // The heatmap's cells are parts of wso's 72.
    let (_, patterns) = server
        .get("/dashboard/patterns?office=plock&department=wso")
        .await;
    let heat: Vec<Option<i64>> = patterns
        .split("data-id=\"")
        .skip(1)
        .filter(|row| row.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|row| {
            let start = row.find("data-responses=\"").expect("responses") + 16;
            row[start..start + row[start..].find('"').expect("quote")]
                .parse()
                .ok()
        })
        .collect();
    assert!(!heat.is_empty());
    assert_nothing_recoverable("page: wso's heatmap", Some(72), &heat);

    // The stats API: the same decisions.
    let (_, by_office) = server.json("/api/v1/stats/breakdown?by=office").await;
    let offices_api = api_groups(&by_office);
    let (_, by_department) = server
        .json("/api/v1/stats/breakdown?by=department&office=plock")
        .await;
    let departments_api = api_groups(&by_department);
    let plock_api = offices_api
        .iter()
        .find(|(id, _)| id == "plock")
        .and_then(|g| g.1);
    assert_eq!(plock_api, Some(125));
    assert_nothing_recoverable(
        "API: Płock's departments",
        plock_api,
        &departments_api.iter().map(|g| g.1).collect::<Vec<_>>(),
    );
    let (_, by_desk) = server
        .json("/api/v1/stats/breakdown?by=desk&office=plock&department=wso")
        .await;
    let desks_api = api_groups(&by_desk);
    assert_nothing_recoverable(
        "API: wso's desks",
        Some(72),
        &desks_api.iter().map(|g| g.1).collect::<Vec<_>>(),
    );
    let (_, every_desk) = server.json("/api/v1/stats/breakdown?by=desk").await;
    for (id, responses) in api_groups(&every_desk) {
        let expected = (id == "plock-wso-03").then_some(40);
        assert_eq!(responses, expected, "{id}: only wso-03 may be shown");
    }
    for path in [
        "/api/v1/stats/trend?desk=plock-fin-01",
        "/api/v1/stats/heatmap?office=plock&department=fin",
        "/api/v1/stats/trend?office=plock&department=usc",
    ] {
        let (_, body) = server.json(path).await;
        let cells = body["points"]
            .as_array()
            .or(body["cells"].as_array())
            .expect("cells");
        assert!(!cells.is_empty(), "{path}");
        assert!(
            cells.iter().all(|c| c["responses"].is_null()),
            "{path}: {body}"
        );
    }
    let (_, usage) = server
        .json("/api/v1/stats/usage?office=plock&department=fin")
        .await;
    assert!(usage["normal_text"]["responses"].is_null(), "{usage}");
    let (_, reasons) = server.json("/api/v1/stats/reasons?office=gabin").await;
    assert_eq!(reasons["too_few_responses"], true);
    assert_eq!(reasons["reasons"].as_array().map(Vec::len), Some(0));

    // The monthly report, as a page and as CSV.
    let month = Filter::today().format("%Y-%m").to_string();
    let (_, report) = server
        .get(&format!("/dashboard/reports/plock/{month}"))
        .await;
    let line = |id: &str| row_figures(&report, id).0;
    assert_eq!(line("overall"), Some(125));
    assert_nothing_recoverable(
        "report page: departments",
        line("overall"),
        &[line("wso"), line("usc"), line("fin")],
    );
    let (_, csv) = server
        .get(&format!("/dashboard/reports/plock/{month}.csv"))
        .await;
    let responses_of = |section: &str, id: &str| -> Option<i64> {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("{section},{id},")))
            .unwrap_or_else(|| panic!("no {section} {id} in {csv}"));
        line.split(',').nth(4).expect("responses").parse().ok()
    };
    assert_eq!(responses_of("overall", "overall"), Some(125));
    assert_nothing_recoverable(
        "report CSV: departments",
        responses_of("overall", "overall"),
        &[
            responses_of("department", "wso"),
            responses_of("department", "usc"),
            responses_of("department", "fin"),
        ],
    );
    // Gąbin's reasons: withheld on the page, and so in its CSV.
    let (_, gabin_page) = server
        .get(&format!("/dashboard/reports/gabin/{month}"))
        .await;
    assert!(!gabin_page.contains("Przerywano mi"), "{gabin_page}");
    let (_, gabin_csv) = server
        .get(&format!("/dashboard/reports/gabin/{month}.csv"))
        .await;
    assert!(!gabin_csv.contains("\r\nreason,"), "{gabin_csv}");

    // Exports: answers one by one only to the Organizational Department's roles, coarsened;
    // an office viewer gets counts per desk and day after the same control.
    let (_, answers) = server.get("/dashboard/export.csv?office=plock").await;
    assert!(answers.starts_with(
        "local_day,office,department,desk,question,score,not_applicable,reasons,burst\r\n"
    ));
    let viewer = server.as_user(
        server
            .session("piotr", Role::OfficeViewer, Some("plock"))
            .await,
    );
    assert_eq!(
        viewer.get("/dashboard/export.csv").await.0,
        StatusCode::FORBIDDEN
    );
    let (status, days) = viewer.get("/dashboard/export-days.csv").await;
    assert_eq!(status, StatusCode::OK);
    let mut per_desk: std::collections::BTreeMap<String, Vec<Option<i64>>> = Default::default();
    for row in days.lines().skip(1) {
        let fields: Vec<&str> = row.split(',').collect();
        per_desk
            .entry(fields[3].to_owned())
            .or_default()
            .push(fields[6].parse().ok());
        assert_eq!(fields[5] == "1", fields[6].is_empty(), "{row}");
    }
    for (desk, total) in [
        ("plock-wso-01", None),
        ("plock-wso-02", None),
        ("plock-usc-01", None),
        ("plock-fin-01", None),
        ("plock-wso-03", Some(40)),
    ] {
        let days = per_desk
            .get(desk)
            .unwrap_or_else(|| panic!("{desk}: {per_desk:?}"));
        if total.is_none() {
            assert!(days.iter().all(Option::is_none), "{desk}: {days:?}");
        }
        assert_nothing_recoverable(&format!("export: {desk}'s days"), total, days);
    }
}

#[tokio::test]
async fn a_language_filter_gives_back_no_language_its_patterns_withhold() {
    let server = Server::spawn().await;
    let kiosk = server.kiosk("gabin-fin-01").await;
    // 40 in Polish, 8 in Ukrainian, 2 in German (the desk offers German too: a language it does
    // not offer is rejected at ingest).
    let german_too = sync_server::survey::DeskSurveyEdit {
        languages: Some(["pl", "uk", "de"].map(|l| l.parse().expect("tag")).to_vec()),
        ..Default::default()
    };
    server
        .storage
        .edit_desk("gabin-fin-01".parse().expect("desk"), german_too)
        .await
        .expect("German offered");
    let (pl, uk, de) = (
        LanguageTag::polish(),
        "uk".parse::<LanguageTag>().expect("uk"),
        "de".parse::<LanguageTag>().expect("de"),
    );
    for (language, n, first) in [(&pl, 40, 0), (&uk, 8, 400), (&de, 2, 600)] {
        let answers: Vec<_> = (0..n).map(|i| (60 + first + 5 * i, O, 3, NONE)).collect();
        server.answers_in(&kiosk, language, &answers).await;
    }
    // The patterns page withholds German (2) and Ukrainian beside it: 50 − 40 = 10.
    let (_, usage) = server.json("/api/v1/stats/usage?desk=gabin-fin-01").await;
    let language = |code: &str| {
        usage["languages"]
            .as_array()
            .expect("languages")
            .iter()
            .find(|l| l["language"] == code)
            .map(|l| l["responses"].as_i64())
            .expect("language")
    };
    assert_eq!(
        (language("pl"), language("uk"), language("de")),
        (Some(40), None, None)
    );
    // Filtering by Ukrainian must not show the 8 either, at the desk or anywhere above it.
    for path in [
        "/api/v1/stats/breakdown?by=desk&language=uk",
        "/api/v1/stats/breakdown?by=office&language=uk",
        "/api/v1/stats/breakdown?by=question&desk=gabin-fin-01&language=uk",
    ] {
        let (_, body) = server.json(path).await;
        assert!(
            api_groups(&body).iter().all(|(_, n)| n.is_none()),
            "{path}: {body}"
        );
    }
    let (_, page) = server.get("/dashboard?desk=gabin-fin-01&language=uk").await;
    assert!(shown_responses(&page).iter().all(|n| *n == 0), "{page}");
    // Polish, shown among the languages, is shown under its filter too.
    let (_, body) = server
        .json("/api/v1/stats/breakdown?by=desk&language=pl")
        .await;
    assert_eq!(api_groups(&body), [("gabin-fin-01".to_owned(), Some(40))]);
}

/// "Does not apply" answers to `question` from `kiosk`, five minutes apart from 30 minutes ago,
/// sent in their wire form (as a kiosk's batch is read); returns each record's outcome.
async fn not_applicable(
    server: &Server,
    kiosk: &Kiosk,
    question: Question,
    n: u64,
) -> (Vec<RecordOutcome>, RecordBatch) {
    let now = now_ms();
    let records = (0..n)
        .map(|i| RatingRecord {
            id: RecordId::new_random(),
            visit_id: VisitId::new_random(),
            sequence: 1_000 + i,
            desk_id: kiosk.desk_id.clone(),
            question,
            answer: model::Answer::NotApplicable,
            reasons: Vec::new(),
            language: LanguageTag::polish(),
            larger_text: false,
            input: InputKind::Button,
            supersedes: None,
            recorded: reading(now - (30 + 5 * i64::try_from(i).expect("i")) * MINUTE),
        })
        .collect();
    let batch = RecordBatch {
        sent: reading(now),
        records,
    };
    let wire = serde_json::to_string(&batch).expect("json");
    assert!(
        wire.contains(r#""score":null,"not_applicable":true"#),
        "{wire}"
    );
    let batch: RecordBatch = serde_json::from_str(&wire).expect("the wire form reads back");
    let receipt = server
        .storage
        .ingest(kiosk.clone(), batch.clone(), now)
        .await
        .expect("ingest");
    (
        receipt.results.into_iter().map(|r| r.outcome).collect(),
        batch,
    )
}

#[tokio::test]
async fn not_applicable_answers_count_once_as_a_share_and_never_move_the_scores() {
    let server = Server::spawn().await;
    let kiosk = server.kiosk("plock-wso-01").await;
    let v = Question::Standard(StandardId::V);
    let scores: Vec<(i64, Question, u8, &[&str])> = [4, 3, 2, 4, 1, 3]
        .into_iter()
        .enumerate()
        .map(|(i, s)| (90 + 5 * i64::try_from(i).expect("i"), v, s, NONE))
        .collect();
    server.answers(&kiosk, &scores).await;
    let figures = |breakdown: &Value| -> Value {
        breakdown["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["id"] == "V")
            .cloned()
            .expect("V")
    };
    let (_, before) = server.json("/api/v1/stats/breakdown?by=question").await;
    let before = figures(&before);
    assert_eq!(before["responses"], 6);
    assert_eq!(before["not_applicable"], 0);

    // Four "does not apply" answers; the same batch again is a duplicate, counted once.
    let (outcomes, batch) = not_applicable(&server, &kiosk, v, 4).await;
    assert_eq!(outcomes, vec![RecordOutcome::Stored; 4]);
    let again = server
        .storage
        .ingest(kiosk.clone(), batch, now_ms())
        .await
        .expect("ingest");
    assert!(
        again
            .results
            .iter()
            .all(|r| r.outcome == RecordOutcome::Duplicate)
    );

    let (status, after) = server.json("/api/v1/stats/breakdown?by=question").await;
    assert_eq!(status, StatusCode::OK);
    let after = figures(&after);
    for unchanged in ["responses", "csat_percent", "mean", "distribution"] {
        assert_eq!(after[unchanged], before[unchanged], "{unchanged}");
    }
    assert_eq!(after["not_applicable"], 4);
    assert_eq!(after["not_applicable_percent"], 40.0, "4 of 10 answers");
    let (_, overall) = server.json("/api/v1/stats/trend?standard=V").await;
    let points = overall["points"].as_array().expect("points");
    let total: i64 = points
        .iter()
        .map(|p| p["responses"].as_i64().expect("responses"))
        .sum();
    assert_eq!(total, 6, "the trend's responses are scores only");

    // The standards page: the scores' row as before, and the share beside it.
    let (status, page) = server.get("/dashboard/standards").await;
    assert_eq!(status, StatusCode::OK);
    let (responses, csat) = row_figures(&page, "V");
    assert_eq!(responses, Some(6));
    assert_eq!(csat, Some(66.7));
    assert!(page.contains("data-not-applicable=\"4\""), "the count");
    assert!(
        page.contains("data-not-applicable-share=\"40.0\""),
        "the share"
    );
    assert!(page.contains("Udział „nie dotyczy”"));
    // The overview of standard V shows its share per place too.
    let (_, overview) = server.get("/dashboard?standard=V").await;
    assert!(overview.contains("data-not-applicable-share=\"40.0\""));

    // The export: four rows without a score, flagged; the report's CSV: the count and share.
    let (_, csv) = server.get("/dashboard/export.csv?standard=V").await;
    let flagged: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(6) == Some("1"))
        .collect();
    assert_eq!(flagged.len(), 4, "{csv}");
    assert!(flagged.iter().all(|l| l.split(',').nth(5) == Some("")));
    let month = Filter::today().format("%Y-%m").to_string();
    let (_, report) = server
        .get(&format!("/dashboard/reports/plock/{month}.csv"))
        .await;
    let line = report
        .lines()
        .find(|l| l.starts_with("standard,V,"))
        .expect("V in the report");
    assert!(line.ends_with(",4,40.0"), "{line}");
}

#[tokio::test]
async fn does_not_apply_shares_follow_disclosure_control_on_every_channel() {
    let server = Server::spawn().await;
    server
        .storage
        .add_desk(NewDesk {
            id: "plock-wso-03".parse().expect("desk"),
            office_id: "plock".into(),
            department_id: "wso".into(),
            name: "Stanowisko plock-wso-03".into(),
            internal_service: false,
            standards: vec![StandardId::V, StandardId::VI],
            languages: vec![LanguageTag::polish()],
            default_language: LanguageTag::polish(),
        })
        .await
        .expect("desk");
    let (v, vi) = (
        Question::Standard(StandardId::V),
        Question::Standard(StandardId::VI),
    );
    let scores = |n: i64| -> Vec<(i64, Question, u8, &'static [&'static str])> {
        (0..n).map(|i| (100 + 3 * i, v, 3, NONE)).collect()
    };
    // wso's desks on V: 0 scores and 2 "does not apply"; 10 and 3; 20 and 6. The first has no
    // score to hide, but its 2 answers are too few, and the second is withheld beside it, or
    // wso's 11 minus 3 and 6 would give its 2 back. Gąbin: 7 answers, all "does not apply".
    let wso_01 = server.kiosk("plock-wso-01").await;
    not_applicable(&server, &wso_01, v, 2).await;
    not_applicable(&server, &wso_01, vi, 3).await;
    let wso_02 = server.kiosk("plock-wso-02").await;
    server.answers(&wso_02, &scores(10)).await;
    not_applicable(&server, &wso_02, v, 3).await;
    let wso_03 = server.kiosk("plock-wso-03").await;
    server.answers(&wso_03, &scores(20)).await;
    not_applicable(&server, &wso_03, v, 6).await;
    let gabin = server.kiosk("gabin-fin-01").await;
    not_applicable(&server, &gabin, v, 7).await;

    // The page: wso's desks, and Płock's departments.
    let shown_na = |page: &str, id: &str| -> Option<i64> {
        let table = &page[page
            .find("figures not-applicable")
            .expect("the share table")..];
        let start = table
            .find(&format!("data-id=\"{id}\""))
            .unwrap_or_else(|| panic!("no share row {id}"));
        let row = &table[start..start + table[start..].find("</tr>").expect("row end")];
        row.split("data-not-applicable=\"").nth(1).map(|rest| {
            rest[..rest.find('"').expect("quote")]
                .parse()
                .expect("count")
        })
    };
    let (_, desks) = server
        .get("/dashboard?office=plock&department=wso&standard=V")
        .await;
    assert_eq!(
        ["plock-wso-01", "plock-wso-02", "plock-wso-03"].map(|d| shown_na(&desks, d)),
        [None, None, Some(6)],
        "{desks}"
    );
    let (_, departments) = server.get("/dashboard?office=plock&standard=V").await;
    assert_eq!(shown_na(&departments, "wso"), Some(11));
    let (_, offices) = server.get("/dashboard?standard=V").await;
    assert_eq!(shown_na(&offices, "gabin"), Some(7), "7 answers are enough");
    assert!(offices.contains("data-not-applicable-share=\"100.0\""));

    // The stats API: the same cells withheld.
    let (_, by_desk) = server
        .json("/api/v1/stats/breakdown?by=desk&office=plock&department=wso&standard=V")
        .await;
    let groups: Vec<(String, Option<i64>, bool)> = by_desk["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["id"].as_str().expect("id").to_owned(),
                g["not_applicable"].as_i64(),
                g["not_applicable_percent"].is_number(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("plock-wso-01".to_owned(), None, false),
            ("plock-wso-02".to_owned(), None, false),
            ("plock-wso-03".to_owned(), Some(6), true),
        ]
    );
    for path in [
        "/api/v1/stats/trend?desk=plock-wso-01&standard=V",
        "/api/v1/stats/trend?desk=plock-wso-02&standard=V",
    ] {
        let (_, trend) = server.json(path).await;
        let points = trend["points"].as_array().expect("points");
        assert!(
            points.iter().all(|p| p["not_applicable"].is_null()),
            "{path}: {trend}"
        );
    }

    // The monthly report and its CSV: VI's 3 answers show no count, V's 11 do.
    let month = Filter::today().format("%Y-%m").to_string();
    let (_, csv) = server
        .get(&format!("/dashboard/reports/plock/{month}.csv"))
        .await;
    let tail = |id: &str| -> Vec<String> {
        let line = csv
            .lines()
            .find(|l| l.starts_with(&format!("standard,{id},")))
            .unwrap_or_else(|| panic!("no {id} in {csv}"));
        line.rsplitn(3, ',').take(2).map(str::to_owned).collect()
    };
    assert_eq!(tail("V"), ["26.8", "11"]);
    assert_eq!(tail("VI"), ["", ""]);
    let (_, report) = server
        .get(&format!("/dashboard/reports/plock/{month}"))
        .await;
    assert!(!report.contains("data-not-applicable=\"3\""), "{report}");
    assert!(report.contains("data-not-applicable=\"11\""), "{report}");

    // The aggregate export: a withheld desk-day shows no count either.
    let (_, days) = server
        .get("/dashboard/export-days.csv?office=plock&standard=V")
        .await;
    for row in days.lines().skip(1) {
        let fields: Vec<&str> = row.split(',').collect();
        let expected = match fields[3] {
            "plock-wso-03" => "6",
            _ => "",
        };
        assert_eq!(fields[12], expected, "{row}");
    }
}

#[tokio::test]
async fn a_department_report_shows_the_does_not_apply_share_as_disclosure_control_allows() {
    let server = Server::spawn().await;
    let wso_01 = server.kiosk("plock-wso-01").await;
    let (v, vi) = (
        Question::Standard(StandardId::V),
        Question::Standard(StandardId::VI),
    );
    // V: 6 scores and 4 "does not apply" (shown: 40 %); VI: 3 "does not apply" (too few).
    let scores: Vec<(i64, Question, u8, &[&str])> =
        (0..6).map(|i| (100 + 5 * i, v, 3, NONE)).collect();
    server.answers(&wso_01, &scores).await;
    not_applicable(&server, &wso_01, v, 4).await;
    not_applicable(&server, &wso_01, vi, 3).await;
    let month = Filter::today().format("%Y-%m").to_string();

    let (status, page) = server
        .get(&format!("/dashboard/reports/plock/wso/{month}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let shares = &page[page
        .find("figures not-applicable")
        .expect("the share table")..];
    assert!(shares.contains("data-not-applicable=\"4\""), "{shares}");
    assert!(shares.contains("data-not-applicable-share=\"40.0\""));
    assert!(
        !shares.contains("data-not-applicable=\"3\""),
        "VI's 3: {shares}"
    );
    // The scores of V are as without its "does not apply" answers.
    assert_eq!(row_figures(&page, "V"), (Some(6), Some(100.0)));

    let (_, csv) = server
        .get(&format!("/dashboard/reports/plock/wso/{month}.csv"))
        .await;
    let header = csv.lines().next().expect("header");
    assert!(
        header.ends_with(",not_applicable_answers,not_applicable_percent"),
        "{header}"
    );
    let ending = |id: &str| -> String {
        let line = csv
            .lines()
            .find(|l| l.split(',').nth(1) == Some(id))
            .unwrap_or_else(|| panic!("{id}: {csv}"));
        line.rsplitn(3, ',').take(2).collect::<Vec<_>>().join("|")
    };
    assert_eq!(ending("V"), "40.0|4");
    assert_eq!(ending("VI"), "|", "withheld");
    assert_eq!(ending("overall"), "|", "the overall question has none");
    let (_, excel) = server
        .get(&format!(
            "/dashboard/reports/plock/wso/{month}.csv?format=excel"
        ))
        .await;
    assert!(
        excel.contains("Odsetek odpowiedzi „nie dotyczy” (%)"),
        "{excel}"
    );
}

#[tokio::test]
async fn reasons_show_only_shown_standards_and_counts_of_at_least_five() {
    let server = Server::spawn().await;
    let (iii, iv) = (
        Question::Standard(StandardId::III),
        Question::Standard(StandardId::IV),
    );
    // Gąbin: 50 overall ratings, but only 2 answers to standard IV, both with a reason.
    let gabin = server.kiosk("gabin-fin-01").await;
    let mut answers = spaced(50, 3);
    answers.extend([
        (400, iv, 1, &["iv-interrupted"][..]),
        (405, iv, 2, &["iv-interrupted"][..]),
    ]);
    server.answers(&gabin, &answers).await;
    // Płock: 50 overall ratings and 10 answers to standard III, 3 of them with a reason.
    let plock = server.kiosk("plock-wso-01").await;
    let mut answers = spaced(50, 3);
    answers.extend((0..10).map(|i| {
        let reasons: &[&str] = if i < 3 { &["iii-untidy"] } else { NONE };
        (400 + 5 * i, iii, if i < 3 { 1 } else { 4 }, reasons)
    }));
    server.answers(&plock, &answers).await;

    // Gąbin's standard IV is withheld, so its reason is too, on every channel.
    let (_, standards) = server.get("/dashboard/standards?office=gabin").await;
    assert!(!standards.contains("Przerywano mi"), "{standards}");
    let (_, overview) = server.get("/dashboard?office=gabin").await;
    assert!(!overview.contains("Przerywano mi"), "{overview}");
    let month = Filter::today().format("%Y-%m").to_string();
    let (_, report) = server
        .get(&format!("/dashboard/reports/gabin/{month}"))
        .await;
    assert!(!report.contains("Przerywano mi"), "{report}");
    let (_, csv) = server
        .get(&format!("/dashboard/reports/gabin/{month}.csv"))
        .await;
    assert!(!csv.contains("iv-interrupted"), "{csv}");
    // Płock's standard III is shown (10 answers), but its reason was chosen only 3 times.
    for path in [
        "/api/v1/stats/reasons?office=gabin",
        "/api/v1/stats/reasons?office=plock",
        "/api/v1/stats/reasons?office=plock&standard=III",
        "/api/v1/stats/reasons",
    ] {
        let (status, body) = server.json(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(
            body["reasons"].as_array().map(Vec::len),
            Some(0),
            "{path}: {body}"
        );
    }
    let (_, by_question) = server
        .json("/api/v1/stats/breakdown?by=question&office=plock")
        .await;
    let iii_group = api_groups(&by_question)
        .into_iter()
        .find(|(id, _)| id == "III");
    assert_eq!(
        iii_group,
        Some(("III".to_owned(), Some(10))),
        "{by_question}"
    );
}

#[tokio::test]
async fn the_per_answer_export_refuses_a_language_filter() {
    let server = Server::spawn().await;
    let kiosk = server.kiosk("gabin-fin-01").await;
    let uk = "uk".parse::<LanguageTag>().expect("uk");
    server.answers_in(&kiosk, &uk, &spaced(10, 3)).await;
    // With the filter every row would be tagged as Ukrainian: the language the export leaves out.
    let (status, body) = server
        .get("/dashboard/export.csv?desk=gabin-fin-01&language=uk")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("language"), "{body}");
    assert!(!body.contains("local_day"), "{body}");
    // Without it the answers are given, with no language.
    let (status, body) = server.get("/dashboard/export.csv?desk=gabin-fin-01").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.lines().count(), 11, "{body}");
}

#[tokio::test]
async fn an_admin_adds_and_renames_offices_on_the_offices_page() {
    let server = Server::spawn().await;
    let adam = server.as_user(server.session("adam", Role::Admin, None).await);
    let post = |path: &'static str, id: &str, name: &str| {
        adam.client
            .post(format!("{}{path}", adam.base))
            .header(COOKIE, &adam.cookie)
            .header(reqwest::header::ORIGIN, &adam.base)
            .form(&[("csrf_token", "csrf"), ("id", id), ("name", name)])
            .send()
    };
    let (status, page) = adam.get("/dashboard/offices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("data-office=\"powiat-gostyninski\""),
        "{page}"
    );
    assert!(
        page.contains("href=\"/dashboard/offices\" aria-current=\"page\""),
        "{page}"
    );

    let added = post("/dashboard/offices", "kutno", " Urząd Miasta Kutno ")
        .await
        .expect("post");
    assert_eq!(added.status(), StatusCode::OK, "redirected to the list");
    let page = added.text().await.expect("page");
    assert!(page.contains("Dodano urząd kutno."), "{page}");
    assert!(page.contains("data-office=\"kutno\""), "{page}");
    let (_, users) = adam.get("/dashboard/users").await;
    assert!(
        users.contains("<option value=\"kutno\">Urząd Miasta Kutno</option>"),
        "the users form offers the new office: {users}"
    );

    for (id, name, expected) in [
        ("Kutno 2", "X", "„Kutno 2” nie jest identyfikatorem urzędu"),
        (
            "kutno",
            "Again",
            "Urząd o identyfikatorze „kutno” już istnieje.",
        ),
        ("lodz", " ", "Nazwa urzędu lodz musi mieć"),
    ] {
        let refused = post("/dashboard/offices", id, name).await.expect("post");
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{id}");
        let page = refused.text().await.expect("page");
        assert!(page.contains(expected), "{id}: {page}");
    }
    let renamed = post("/dashboard/offices/rename", "kutno", "Urząd Miasta Kutna")
        .await
        .expect("post");
    assert_eq!(renamed.status(), StatusCode::OK, "redirected to the list");
    let unknown = post("/dashboard/offices/rename", "lodz", "Urząd Miasta Łodzi")
        .await
        .expect("post");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let offices = server.storage.offices().await.expect("offices");
    let kutno = offices.iter().find(|o| o.id == "kutno").expect("kutno");
    assert_eq!(kutno.name, "Urząd Miasta Kutna");
    assert_eq!(offices.len(), 6, "nothing else added: {offices:?}");

    // Only admins: no menu entry, page or form for anyone else.
    let (_, page) = server.get("/dashboard").await;
    assert!(
        !page.contains("/dashboard/offices"),
        "no offices menu for analysts"
    );
    assert_eq!(
        server.get("/dashboard/offices").await.0,
        StatusCode::FORBIDDEN
    );
    let analyst_post = server
        .client
        .post(format!("{}/dashboard/offices", server.base))
        .header(COOKIE, &server.cookie)
        .header(reqwest::header::ORIGIN, &server.base)
        .form(&[("csrf_token", "csrf"), ("id", "lodz"), ("name", "Łódź")])
        .send()
        .await
        .expect("post");
    assert_eq!(analyst_post.status(), StatusCode::FORBIDDEN);
}
