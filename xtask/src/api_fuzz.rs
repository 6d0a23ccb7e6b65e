//! `cargo xtask api-fuzz`: schemathesis, run from the aggregator's own OpenAPI document against a
//! real server on loopback — a debug build on a fresh database filled by `sync-server demo`, with
//! an enrolled kiosk's token, the admin API token and a signed-in admin's session, so every
//! operation is reached with the credential its document names. It fails on a server error, a
//! status or body the document does not describe, or a schema-valid request the server refuses.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::{apt_install, cargo, target_dir, wait_for_listener};

/// The schemathesis release the run is pinned to.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// The dashboard user the run signs in as.
const USER: &str = "api-fuzz";
/// The desk whose kiosk the run enrolls (one of the demo's).
const DESK: &str = "plock-wso-03";
/// Fresh enrollment codes schemathesis may put in `POST /enroll` bodies, so that it reaches the
/// success path and the answer's schema, not only `401 invalid_code`.
const ENROLLMENT_CODES: usize = 10;

/// The checks run: server errors, undocumented statuses, content types, headers and bodies that
/// break the document, and schema-valid requests the server refuses.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,positive_data_acceptance";

/// Runs schemathesis with at most `max_examples` cases per operation; the whole run is stopped
/// after `max_seconds`.
pub fn run(max_examples: u32, max_seconds: u64) -> anyhow::Result<()> {
    let schemathesis = ensure_schemathesis()?;
    cargo(&["build", "--package", "sync-server", "--locked"])?;
    let server = target_dir().join("debug").join("sync-server");
    let dir = target_dir().join("api-fuzz");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot reset {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    let address = free_loopback_address()?;
    let config = dir.join("sync-server.toml");
    std::fs::write(&config, server_config(address, &dir.join("server.db")))?;
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        let out = Command::new(&server)
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .context("cannot run sync-server")?;
        if !out.status.success() {
            bail!(
                "sync-server {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    println!("Seeding the aggregator (`sync-server demo --days 14`)…");
    cli(&["demo", "--days", "14"])?;
    let password = random_hex(16)?;
    let mut create = Command::new(&server)
        .arg("--config")
        .arg(&config)
        .args(["admin", "create", "--username", USER])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("cannot run sync-server admin create")?;
    if let Some(mut stdin) = create.stdin.take() {
        writeln!(stdin, "{password}")?;
    }
    if !create.wait()?.success() {
        bail!("sync-server admin create failed");
    }
    let code = cli(&["enroll-code", "--desk", DESK])?;
    let codes_for_the_fuzzer = (0..ENROLLMENT_CODES)
        .map(|_| cli(&["enroll-code", "--desk", DESK]))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let admin_token = random_hex(32)?;
    let log = std::fs::File::create(dir.join("server.log"))?;
    let mut aggregator = KillOnDrop(
        Command::new(&server)
            .arg("--config")
            .arg(&config)
            .arg("serve")
            .env("OCENA_ADMIN_TOKEN", &admin_token)
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start sync-server")?,
    );
    wait_for_listener(&address.to_string(), &mut aggregator.0)?;
    let kiosk_token = enroll(address, &code)?;
    let session = sign_in(address, &password)?;

    let settings = dir.join("schemathesis.toml");
    std::fs::write(
        &settings,
        schemathesis_config(&kiosk_token, &admin_token, &session, &codes_for_the_fuzzer),
    )?;
    println!("Running schemathesis against http://{address} ({max_examples} cases per operation)…");
    let mut fuzzer = KillOnDrop(
        Command::new(&schemathesis)
            .arg("--config-file")
            .arg(&settings)
            .arg("run")
            .arg(format!("http://{address}/api/v1/openapi.json"))
            .args(["--checks", CHECKS])
            .args(["--max-examples", &max_examples.to_string()])
            .args([
                "--seed",
                "4216",
                "--workers",
                "1",
                "--request-timeout",
                "10",
            ])
            .args(["--max-time", &max_seconds.to_string()])
            .arg("--report")
            .arg("junit")
            .arg("--report-dir")
            .arg(dir.join("report"))
            .current_dir(&dir)
            .spawn()
            .context("cannot run schemathesis")?,
    );
    // Schemathesis's own budget covers generation; this one also covers a hang.
    let deadline = Instant::now() + Duration::from_secs(max_seconds + 120);
    let status = loop {
        if let Some(status) = fuzzer.0.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            bail!("schemathesis did not finish within {} s", max_seconds + 120);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    if !status.success() {
        bail!(
            "schemathesis found failures ({status}); the server's log is {}",
            dir.join("server.log").display()
        );
    }
    Ok(())
}

/// The server's settings for the run: limits far above what one fuzzer sends (so no answer is a
/// 429 the fuzzer did not cause on purpose), behind a TLS proxy as in production (the session
/// cookie is then the document's `__Host-ocena_session`).
fn server_config(address: SocketAddr, database: &Path) -> String {
    let mut config = format!(
        "listen = \"{address}\"\ndatabase = {:?}\n",
        database.to_string_lossy()
    );
    for limit in ["enroll", "kiosk", "bad_token", "login_ip", "login_user"] {
        config.push_str(&format!(
            "[rate_limit.{limit}]\nburst = 100000\nper_minute = 1000000.0\n"
        ));
    }
    config.push_str("[dashboard]\nbehind_tls_proxy = true\n");
    config
}

/// Each security scheme of the document with its credential; operations under `/stats/` may
/// answer a schema-valid query 400, because OpenAPI cannot state rules between parameters (a
/// custom period needs both `from` and `to`, in order, at most three years apart; a department
/// needs its office), which each parameter's description states instead. `POST /enroll` draws
/// its code from `codes` most of the time (a code drawn again after its use answers 410).
fn schemathesis_config(
    kiosk_token: &str,
    admin_token: &str,
    session: &str,
    codes: &[String],
) -> String {
    let codes = codes
        .iter()
        .map(|code| format!("{code:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"[auth.openapi.kiosk_token]
bearer = "{kiosk_token}"

[auth.openapi.admin_token]
bearer = "{admin_token}"

[auth.openapi.session_cookie]
api_key = "{session}"

[dictionaries.enrollment_codes]
values = [{codes}]

[[operations]]
include-path-regex = "^/api/v1/stats/"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404"]

[[operations]]
include-name = "POST /api/v1/enroll"
parameters = {{ "body.code" = {{ dictionary = "enrollment_codes", probability = 0.9 }} }}
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "410"]
"#
    )
}

/// Creates (once) a virtual environment under the target directory with the pinned
/// schemathesis; returns its executable.
fn ensure_schemathesis() -> anyhow::Result<PathBuf> {
    let venv = target_dir().join("schemathesis-venv");
    let executable = venv.join("bin").join("schemathesis");
    let installed = Command::new(&executable)
        .arg("--version")
        .output()
        .is_ok_and(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout)
                    .contains(SCHEMATHESIS.trim_start_matches("schemathesis=="))
        });
    if installed {
        return Ok(executable);
    }
    let make_venv = || {
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !make_venv() {
        // Debian keeps venv in its own package.
        apt_install(&["python3-venv"])?;
        if !make_venv() {
            bail!("python3 -m venv {} failed", venv.display());
        }
    }
    println!(
        "Installing {SCHEMATHESIS} from PyPI into {}",
        venv.display()
    );
    let status = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", SCHEMATHESIS])
        .status()
        .context("cannot run pip")?;
    if !status.success() {
        bail!("pip install {SCHEMATHESIS} failed: {status}");
    }
    Ok(executable)
}

/// Enrolls a kiosk with `code` through the API; returns its token.
fn enroll(address: SocketAddr, code: &str) -> anyhow::Result<String> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis();
    let body = format!(
        r#"{{"code":"{code}","kiosk_version":"0.1.0","clock":{{"wall_clock_ms":{now_ms},"boot_id":"4f1c2d9e-0000-4000-8000-000000000000","boottime_ns":60000000000,"clock_synchronized":true}}}}"#
    );
    let reply = http(
        address,
        "POST",
        "/api/v1/enroll",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )?;
    if reply.status != 200 {
        bail!("enrollment answered {}: {}", reply.status, reply.body);
    }
    json_string(&reply.body, "token").context("the enrollment answer has no token")
}

/// Signs the run's admin in through the dashboard's form; returns the session cookie's value.
fn sign_in(address: SocketAddr, password: &str) -> anyhow::Result<String> {
    let form = http(address, "GET", "/dashboard/login", &[], b"")?;
    let login_cookie = cookie(&form, "ocena_login").context("the sign-in form sets no cookie")?;
    let csrf = form
        .body
        .split("name=\"csrf_token\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .context("the sign-in form has no csrf_token")?
        .to_owned();
    let body = format!("username={USER}&password={password}&csrf_token={csrf}&next=%2Fdashboard");
    let origin = format!("https://{address}");
    let reply = http(
        address,
        "POST",
        "/dashboard/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", &origin),
            ("Cookie", &login_cookie),
        ],
        body.as_bytes(),
    )?;
    if reply.status != 303 {
        bail!("sign-in answered {}: {}", reply.status, reply.body);
    }
    let session = cookie(&reply, "ocena_session").context("sign-in set no session cookie")?;
    Ok(session
        .split_once('=')
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default())
}

/// An HTTP/1.1 answer, as far as this chore reads it.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// One request on its own connection (`Connection: close`), read to the end.
fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<Reply> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("an HTTP answer without a blank line")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .context("an HTTP answer without a status")?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// `name=value` of the first `Set-Cookie` whose name ends with `name` (with or without the
/// `__Host-` prefix).
fn cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .iter()
        .filter(|(header, _)| header == "set-cookie")
        .filter_map(|(_, value)| value.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(cookie, _)| cookie.trim_start_matches("__Host-") == name)
        })
        .map(str::to_owned)
}

/// The string value of `"key":"…"` in a flat JSON answer (tokens are base64url: no escapes).
fn json_string(json: &str, key: &str) -> Option<String> {
    let rest = json.split(&format!("\"{key}\":\"")).nth(1)?;
    Some(rest.split('"').next()?.to_owned())
}

/// A free port on loopback (bound, then released for the server).
fn free_loopback_address() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// `bytes` random bytes from /dev/urandom as hex.
fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buffer))
        .context("cannot read /dev/urandom")?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// A child process stopped when the chore ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_tokens_are_read_from_answers() {
        let reply = Reply {
            status: 303,
            headers: vec![
                ("set-cookie".into(), "__Host-ocena_login=; Max-Age=0".into()),
                (
                    "set-cookie".into(),
                    "__Host-ocena_session=abc; Path=/; Secure".into(),
                ),
            ],
            body: r#"{"kiosk_id":"k","token":"t0k-en_","survey":{}}"#.into(),
        };
        assert_eq!(
            cookie(&reply, "ocena_session").as_deref(),
            Some("__Host-ocena_session=abc")
        );
        assert_eq!(cookie(&reply, "session"), None);
        assert_eq!(
            json_string(&reply.body, "token").as_deref(),
            Some("t0k-en_")
        );
    }

    #[test]
    fn enrollment_draws_its_codes_from_the_seeded_ones() {
        let config = schemathesis_config("k", "a", "s", &["AB3CD".into(), "EF4GH".into()]);
        assert!(
            config.contains("values = [\"AB3CD\", \"EF4GH\"]"),
            "{config}"
        );
        assert!(config.contains(r#""body.code" = { dictionary = "enrollment_codes""#));
    }

    #[test]
    fn the_server_config_raises_every_limit_and_sits_behind_tls() {
        let config = server_config(
            "127.0.0.1:9999".parse().expect("address"),
            Path::new("/tmp/x.db"),
        );
        assert!(config.contains("[rate_limit.login_user]\nburst = 100000"));
        assert!(config.contains("behind_tls_proxy = true"));
    }
}
