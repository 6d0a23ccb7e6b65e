//! Memory through the sign-in form, against the real `sync-server` process: twenty sign-ins
//! with 900 KB usernames, gzip-compressed to about a kilobyte each on the wire, leave the server's
//! resident memory (VmRSS in /proc) flat; a name longer than any account's is refused without
//! being typed back.

use std::io::Write;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use tests::server::Server;

/// Enough sign-ins from this one address for the whole test.
const SETTINGS: &str = "[rate_limit.login_ip]\nburst = 100\nper_minute = 60.0\n";
const USERNAME_BYTES: usize = 900 * 1024;

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("the server's status")
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Posts the sign-in form with `username`, gzip-compressed: (status, page, bytes on the wire).
async fn sign_in_gzip(base: &str, username: &str) -> (StatusCode, String, usize) {
    let client = client();
    let form = client
        .get(format!("{base}/dashboard/login"))
        .send()
        .await
        .expect("form");
    let cookie = form
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    let page = form.text().await.expect("page");
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker).expect("token") + marker.len();
    let token = page[start..].split('"').next().expect("token");
    let body = format!("csrf_token={token}&username={username}&password=whatever+it+is");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(body.as_bytes()).expect("gzip");
    let compressed = gzip.finish().expect("gzip");
    let wire = compressed.len();
    let response = client
        .post(format!("{base}/dashboard/login"))
        .header(COOKIE, cookie)
        .header(ORIGIN, base)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(CONTENT_ENCODING, "gzip")
        .body(compressed)
        .send()
        .await
        .expect("sign-in");
    let status = response.status();
    (status, response.text().await.unwrap_or_default(), wire)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_usernames_leave_server_memory_flat() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Server::set_up_with(dir.path(), &[], SETTINGS).expect("set up");
    server.start().expect("start");
    let base = server.url();
    let pid = server.pid().expect("running");
    // Warm up with ordinary failed sign-ins, so Argon2id's memory is in the baseline.
    for name in ["nobody", "somebody", "anybody"] {
        let (status, _, _) = sign_in_gzip(&base, name).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let before = rss_kib(pid);
    let mut statuses = Vec::new();
    let mut wire = 0;
    for i in 0..20 {
        let username = format!("{i:02}{}", "a".repeat(USERNAME_BYTES));
        let (status, _, bytes) = sign_in_gzip(&base, &username).await;
        statuses.push(status);
        wire += bytes;
    }
    let after = rss_kib(pid);
    println!(
        "20 sign-ins with {USERNAME_BYTES}-byte usernames ({wire} bytes gzip on the wire): \
         VmRSS {before} KiB before, {after} KiB after; answers {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| s.is_client_error()),
        "refused: {statuses:?}"
    );
    assert!(
        after < before + 8 * 1024,
        "server memory grew from {before} KiB to {after} KiB"
    );

    // A name just past the longest an account may have is refused like a wrong password,
    // and not typed back.
    let long = "b".repeat(65);
    let (status, page, _) = sign_in_gzip(&base, &long).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!page.contains(&long), "the long name is not echoed");
}
