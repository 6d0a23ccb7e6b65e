//! The aggregator's budgets against a real server on port 0, each the answer to a way one client
//! could stall, exhaust or lock out the others: unread CSV exports while kiosks and pages keep
//! answering, bogus tokens through a trusted proxy while a valid kiosk keeps syncing, wrong
//! passwords from one address while the owner signs in from another, and slow or surplus
//! connections cut off while others are served.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use model::wire::{EnrollRequest, EnrollResponse, Heartbeat};
use model::{DeskId, RecordedTime, StandardId};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use sync_server::dashboard::Role;
use sync_server::proxies::{ForwardedHeader, TrustedProxies};
use sync_server::storage::{NewUser, Storage};
use sync_server::{Settings, credentials, passwords};

use crate::support::app::{App, now_ms};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const DESK: &str = "plock-wso-03";
const ADMIN: (&str, &str) = ("admin", "the right password, long enough");

struct Server {
    address: SocketAddr,
    base: String,
    storage: Storage,
    _dir: tempfile::TempDir,
}

fn clock() -> RecordedTime {
    RecordedTime {
        wall_clock_ms: now_ms(),
        boot_id: "4f1c2d9e-0000-4000-8000-000000000000".into(),
        boottime_ns: 60_000_000_000,
        clock_synchronized: true,
    }
}

impl Server {
    /// A server with the default settings `adjust` may change, offices seeded, and either the
    /// demo's months of answers or only the desk `DESK`.
    async fn spawn(demo_days: Option<u32>, adjust: impl FnOnce(&mut Settings)) -> Server {
        let app = App::spawn_empty(adjust).await;
        if let Some(days) = demo_days {
            let options = sync_server::demo::Options {
                days,
                seed: 7,
                now_ms: now_ms(),
            };
            sync_server::demo::run(&app.storage, options)
                .await
                .expect("demo data");
        } else {
            app.storage.seed_partner_offices().await.expect("offices");
            app.add_department("plock", "wso", "Wydział").await;
            app.add_desk(
                ("plock", "wso", DESK),
                Some("Stanowisko 3"),
                &[StandardId::IV, StandardId::III],
                &["pl"],
            )
            .await;
        }
        let (address, storage, dir) = (app.address, app.storage.clone(), app.dir);
        Server {
            address,
            base: format!("http://{address}"),
            storage,
            _dir: dir,
        }
    }

    /// A new kiosk's token, enrolled through the API at `DESK`.
    async fn kiosk_token(&self) -> String {
        let code = credentials::new_enrollment_code();
        let desk: DeskId = DESK.parse().expect("desk");
        self.storage
            .add_enrollment_code(
                credentials::code_hash(&code),
                desk,
                now_ms(),
                now_ms() + 60_000,
            )
            .await
            .expect("code");
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/enroll", self.base))
            .json(&EnrollRequest {
                code,
                kiosk_version: "0.1.0".into(),
                clock: clock(),
            })
            .send()
            .await
            .expect("enroll");
        assert_eq!(response.status(), StatusCode::OK);
        response
            .json::<EnrollResponse>()
            .await
            .expect("enrolled")
            .token
    }

    async fn add_user(&self, username: &str, password: &str, role: Role) {
        let hash = passwords::hash(password);
        self.storage
            .add_user(
                NewUser {
                    username: username.into(),
                    password_hash: hash,
                    role,
                    office_id: None,
                    department_id: None,
                    email: None,
                    lang: sync_server::dashboard::Lang::Pl,
                },
                now_ms(),
            )
            .await
            .expect("user");
    }
}

fn heartbeat() -> Heartbeat {
    Heartbeat {
        kiosk_version: "0.1.0".into(),
        backlog: 0,
        oldest_unsynced_ms: None,
        last_error: None,
        clock: clock(),
    }
}

/// A client without redirects, connecting from `local` (any 127.0.0.0/8 address is this host).
fn client_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().expect("address"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The `name=value` of every `Set-Cookie`, as one `Cookie` header.
fn cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

fn csrf_token(page: &str) -> String {
    let start = page
        .find(r#"name="csrf_token" value=""#)
        .expect("a form token")
        + r#"name="csrf_token" value=""#.len();
    page[start..].split('"').next().expect("token").to_owned()
}

/// Signs in through the form from `client`'s address: the status and the cookies it set.
async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> (StatusCode, String) {
    let form = client
        .get(format!("{base}/dashboard/login"))
        .send()
        .await
        .expect("form");
    let cookie = cookies(&form);
    let token = csrf_token(&form.text().await.expect("page"));
    let response = client
        .post(format!("{base}/dashboard/login"))
        .header(COOKIE, cookie)
        .header(ORIGIN, base)
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .expect("sign-in");
    (response.status(), cookies(&response))
}

/// Opens `path` on a socket with a small receive buffer, sends the request and reads nothing
/// more than the status line: a client that stops reading.
async fn unread_request(server: SocketAddr, path: &str, cookie: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let mut stream = socket.connect(server).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nhost: {server}\r\ncookie: {cookie}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("request");
    stream
}

/// The status line of the response on `stream`, read within `limit`.
async fn status_line(stream: &mut TcpStream, limit: Duration) -> String {
    let mut head = [0u8; 12];
    tokio::time::timeout(limit, stream.read_exact(&mut head))
        .await
        .expect("a status line in time")
        .expect("read");
    String::from_utf8_lossy(&head).into_owned()
}

/// Days of demo answers for the export test: enough for an export larger than every buffer.
const DEMO_DAYS: u32 = 160;

/// The export of every demo answer.
fn export_path() -> String {
    let today = chrono::Utc::now().date_naive();
    let first = today - chrono::Days::new(u64::from(DEMO_DAYS));
    format!("/dashboard/export.csv?period=custom&from={first}&to={today}")
}

/// How long the export test's server waits for a client that stopped reading.
const SEND_TIMEOUT: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unread_exports_never_starve_kiosks_or_pages() {
    let server = Server::spawn(Some(DEMO_DAYS), |s| {
        s.limits.send_timeout = SEND_TIMEOUT;
        s.limits.max_wait = Duration::from_secs(1);
    })
    .await;
    let token = server.kiosk_token().await;
    server.add_user("viewer", ADMIN.1, Role::Analyst).await;
    let (status, cookie) =
        sign_in(&client_from("127.0.0.1"), &server.base, "viewer", ADMIN.1).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed in");
    let full = reqwest::Client::new()
        .get(format!("{}{}", server.base, export_path()))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("whole export")
        .len();
    println!("a whole export: {full} bytes");
    // More than every buffer on the way can hold: the export channel's chunks, hyper's, and
    // the server's socket send buffer (Linux lets it grow to 4 MiB, net.ipv4.tcp_wmem).
    assert!(
        full > 5_000_000,
        "large enough to fill every buffer: {full}"
    );

    // Four exports nobody reads: more than the export connections (2) and the readers (2).
    // Each status line is read as it comes; the first to stream says the exports are running.
    let (lines, mut arrived) = tokio::sync::mpsc::unbounded_channel();
    let mut exports = Vec::new();
    for _ in 0..4 {
        let mut stream = unread_request(server.address, &export_path(), &cookie).await;
        let lines = lines.clone();
        exports.push(tokio::spawn(async move {
            let line = status_line(&mut stream, Duration::from_secs(10)).await;
            let _ = lines.send(line);
            stream
        }));
    }
    let first = arrived.recv().await.expect("a status line");
    assert!(first.ends_with("200"), "{first}");

    let kiosk = reqwest::Client::new();
    let start = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(1),
        kiosk
            .post(format!("{}/api/v1/heartbeat", server.base))
            .bearer_auth(&token)
            .json(&heartbeat())
            .send(),
    )
    .await
    .expect("the heartbeat answers within a second")
    .expect("heartbeat");
    assert_eq!(response.status(), StatusCode::OK);
    let page = tokio::time::timeout(
        Duration::from_secs(1),
        kiosk
            .get(format!("{}/dashboard", server.base))
            .header(COOKIE, &cookie)
            .send(),
    )
    .await
    .expect("a dashboard page answers within a second")
    .expect("page");
    assert_eq!(page.status(), StatusCode::OK);
    println!(
        "heartbeat and page during 4 unread exports: {:?}",
        start.elapsed()
    );

    // Two exports stream; the other two are told to come back (after the wait for a slot).
    let mut statuses = vec![first];
    for _ in 1..4 {
        statuses.push(arrived.recv().await.expect("a status line"));
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 200",
            "HTTP/1.1 200",
            "HTTP/1.1 503",
            "HTTP/1.1 503"
        ],
        "two exports at once"
    );

    // The send timeout ends the stalled exports: their connections close short of the whole
    // export, and exports can run again. The timeout is the experiment, so this wait is too
    // (reading earlier would be progress, and the export would go on); it leaves a loaded
    // machine time to fill the buffers first.
    tokio::time::sleep(SEND_TIMEOUT * 3).await;
    for export in exports {
        let mut stream = export.await.expect("the status line was read");
        let cut = tokio::time::timeout(Duration::from_secs(20), async {
            let mut buf = vec![0u8; 64 * 1024];
            let mut read = 0;
            // Reading now drains what the kernel held; then the closed connection ends it.
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break read,
                    Ok(n) => read += n,
                }
            }
        })
        .await
        .expect("the stalled export's connection is closed");
        assert!(cut < full, "cut short: {cut} of {full}");
    }
    let again = reqwest::Client::new()
        .get(format!("{}{}", server.base, export_path()))
        .header(COOKIE, &cookie)
        .send()
        .await
        .expect("export again");
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "the export slots are free again"
    );
    assert_eq!(again.bytes().await.expect("body").len(), full);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_tokens_through_a_trusted_proxy_never_refuse_a_valid_kiosk() {
    let server = Server::spawn(None, |s| {
        s.proxies = TrustedProxies {
            networks: vec!["127.0.0.1".parse().expect("network")],
            header: ForwardedHeader::XForwardedFor,
        };
    })
    .await;
    let token = server.kiosk_token().await;
    let proxy = client_from("127.0.0.1");
    let heartbeat_from = |client: &reqwest::Client, token: &str, forwarded: Option<&str>| {
        let mut request = client
            .post(format!("{}/api/v1/heartbeat", server.base))
            .bearer_auth(token)
            .json(&heartbeat());
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        request.send()
    };
    // Eleven bogus tokens from the proxy's address: for various clients, and for none.
    let mut refusals = Vec::new();
    for i in 0..11 {
        let forwarded = format!("203.0.113.{i}");
        let forwarded = (i % 3 != 0).then_some(forwarded.as_str());
        let response = heartbeat_from(&proxy, &credentials::new_token(), forwarded)
            .await
            .expect("sent");
        refusals.push(response.status());
    }
    // The valid kiosk through the proxy, with its address and without one.
    for forwarded in [Some("198.51.100.20"), None] {
        let response = heartbeat_from(&proxy, &token, forwarded)
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{forwarded:?}");
    }
    assert!(
        refusals.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "each client has its own bucket, the proxy's own requests theirs: {refusals:?}"
    );
    // One client guessing through the proxy runs out of its own bucket (10), no one else's.
    for _ in 0..10 {
        let response = heartbeat_from(
            &proxy,
            &credentials::new_token(),
            Some("1.2.3.4, 203.0.113.99"),
        )
        .await
        .expect("sent");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = heartbeat_from(&proxy, &credentials::new_token(), Some("203.0.113.99"))
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let response = heartbeat_from(&proxy, &credentials::new_token(), Some("203.0.113.98"))
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "another client"
    );
    let response = heartbeat_from(&proxy, &token, Some("203.0.113.99"))
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a valid token even from there"
    );
    // A connection that is not a trusted proxy is its own client, whatever it forwards.
    let stranger = client_from("127.0.0.2");
    for i in 0..10 {
        let response = heartbeat_from(
            &stranger,
            &credentials::new_token(),
            Some(format!("192.0.2.{i}").as_str()),
        )
        .await
        .expect("sent");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = heartbeat_from(&stranger, &credentials::new_token(), Some("192.0.2.200"))
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "its header is ignored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_from_elsewhere_never_lock_the_owner_out() {
    let server = Server::spawn(None, |_| {}).await;
    server.add_user(ADMIN.0, ADMIN.1, Role::Admin).await;
    let attacker = client_from("127.0.0.1");
    for i in 0..5 {
        let (status, _) = sign_in(&attacker, &server.base, ADMIN.0, "a wrong guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let (status, _) = sign_in(&attacker, &server.base, ADMIN.0, ADMIN.1).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address waits, even with the right password"
    );
    let (status, cookie) = sign_in(&client_from("127.0.0.2"), &server.base, ADMIN.0, ADMIN.1).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the owner, from elsewhere");
    assert!(!cookie.is_empty());

    // Guesses from many addresses slow the name down (10 failures in all), never refuse it.
    for i in 0..5 {
        let (status, _) = sign_in(
            &client_from(&format!("127.0.1.{i}")),
            &server.base,
            ADMIN.0,
            "a wrong guess",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "distributed guess {i}");
    }
    let start = Instant::now();
    let (status, _) = sign_in(&client_from("127.0.0.3"), &server.base, ADMIN.0, ADMIN.1).await;
    let took = start.elapsed();
    println!("the owner's sign-in after 10 failures from 6 addresses: {took:?}");
    assert_eq!(status, StatusCode::SEE_OTHER, "slowed down, signed in");
    assert!(took >= Duration::from_secs(4), "slowed down: {took:?}");
}

/// Connects and sends the first line of a request whose headers never end, one more header
/// every half second; returns how long the server took to close the connection.
async fn slow_headers(server: SocketAddr, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(server).await.ok()?;
    stream
        .write_all(b"GET /api/v1/openapi.json HTTP/1.1\r\nhost: x\r\n")
        .await
        .ok()?;
    let mut byte = [0u8; 1];
    while start.elapsed() < give_up {
        tokio::select! {
            read = stream.read(&mut byte) => match read {
                Ok(0) | Err(_) => return Some(start.elapsed()),
                Ok(_) => {}
            },
            () = tokio::time::sleep(Duration::from_millis(500)) => {
                if stream.write_all(b"x-slow: 1\r\n").await.is_err() {
                    return Some(start.elapsed());
                }
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off_while_others_are_served() {
    let server = Server::spawn(None, |_| {}).await;
    let give_up = Duration::from_secs(30);
    let slow: Vec<_> = (0..50)
        .map(|_| tokio::spawn(slow_headers(server.address, give_up)))
        .collect();
    // Meanwhile a normal request is served at once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(1),
        reqwest::get(format!("{}/api/v1/openapi.json", server.base)),
    )
    .await
    .expect("served within a second")
    .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    println!("a normal request among 50 slow ones: {:?}", start.elapsed());
    let mut closed = Vec::new();
    for task in slow {
        closed.push(task.await.expect("task").expect("closed within 30 s"));
    }
    let slowest = closed.iter().max().copied().unwrap_or_default();
    let fastest = closed.iter().min().copied().unwrap_or_default();
    println!("50 slow-header connections closed after {fastest:?} to {slowest:?}");
    assert!(slowest < give_up);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_gets_408_after_the_body_timeout() {
    let server = Server::spawn(None, |s| {
        s.limits.body_read_timeout = Duration::from_secs(2);
    })
    .await;
    let mut trickle = TcpStream::connect(server.address).await.expect("connect");
    trickle
        .write_all(
            b"POST /api/v1/enroll HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 1000\r\n\r\n{\"kiosk",
        )
        .await
        .expect("head");
    let start = Instant::now();
    let answer = status_line(&mut trickle, Duration::from_secs(10)).await;
    println!("a trickled body answered after {:?}", start.elapsed());
    assert_eq!(answer, "HTTP/1.1 408");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_for_no_route_is_answered_without_reading_its_body() {
    let server = Server::spawn(None, |_| {}).await;
    for path in ["/api/v1/no-such-route", "/no-such-page"] {
        let mut stream = TcpStream::connect(server.address).await.expect("connect");
        // A megabyte announced, a few bytes sent: answered at once, nothing waited for.
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
             content-length: 1000000\r\n\r\n{{\"a\""
        );
        stream.write_all(head.as_bytes()).await.expect("head");
        let answer = status_line(&mut stream, Duration::from_secs(2)).await;
        assert_eq!(answer, "HTTP/1.1 404", "{path}");
    }
}

/// A kiosk past the cap sends its batch at once: it must read the 503 and its `Retry-After`, not
/// a connection reset because the server closed with the batch unread (the fleet storm saw
/// 24,603 such "broken connections", each a kiosk backing off without the server's advice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_sent_past_the_cap_reads_its_503_not_a_reset() {
    let server = Server::spawn(None, |s| {
        s.limits.max_connections = 2;
    })
    .await;
    let _open = [
        TcpStream::connect(server.address).await.expect("connect"),
        TcpStream::connect(server.address).await.expect("connect"),
    ];
    let body = vec![b'x'; 256 * 1024];
    let mut third = TcpStream::connect(server.address).await.expect("connect");
    let head = format!(
        "POST /api/v1/records HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    third.write_all(head.as_bytes()).await.expect("head sent");
    third.write_all(&body).await.expect("body sent");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(10), third.read_to_string(&mut answer))
        .await
        .expect("answered")
        .expect("the answer is read, not reset");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 2"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_get_503_and_are_closed() {
    let server = Server::spawn(None, |s| {
        s.limits.max_connections = 8;
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(TcpStream::connect(server.address).await.expect("connect"));
    }
    let mut ninth = TcpStream::connect(server.address).await.expect("connect");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), ninth.read_to_string(&mut answer))
        .await
        .expect("answered at once")
        .expect("read");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 2"), "{answer}");
    drop(open);
    // Once those are gone, connections are served again.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = reqwest::get(format!("{}/api/v1/openapi.json", server.base)).await;
        if response.is_ok_and(|r| r.status() == StatusCode::OK) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "served again after the others closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
