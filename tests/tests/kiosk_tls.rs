//! The kiosk's transport security with the real `kiosk` binary: plain `http://` to another host
//! is refused before anything is sent (at enrollment and for a stored enrollment), and a kiosk
//! pinned to the aggregator's CA (`[sync] ca_file`) enrolls through a TLS proxy whose certificate
//! that CA signed, and refuses one signed by another CA, without spending the code.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tests::server::Server;
use tokio::net::{TcpListener, TcpStream};

/// A certificate authority made for one test.
struct TestCa {
    certificate: rcgen::Certificate,
    key: KeyPair,
}

impl TestCa {
    fn new(name: &str) -> anyhow::Result<TestCa> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let certificate = params.self_signed(&key)?;
        Ok(TestCa { certificate, key })
    }

    fn write_pem(&self, path: &Path) -> anyhow::Result<PathBuf> {
        std::fs::write(path, self.certificate.pem())?;
        Ok(path.to_owned())
    }

    /// A server certificate for `localhost` and 127.0.0.1 signed by this CA, with its key.
    fn server_certificate(
        &self,
    ) -> anyhow::Result<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
        let key = KeyPair::generate()?;
        let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        let certificate = params.signed_by(&key, &self.certificate, &self.key)?;
        Ok((
            certificate.der().clone(),
            PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        ))
    }
}

/// A TLS-terminating proxy on loopback in front of `backend`, like the deployment's reverse proxy,
/// serving `certificate`. Returns its address; it runs until the test's runtime ends.
async fn tls_proxy(
    certificate: (CertificateDer<'static>, PrivateKeyDer<'static>),
    backend: SocketAddr,
) -> anyhow::Result<SocketAddr> {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(vec![certificate.0], certificate.1)?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake: nothing to forward.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut upstream) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                }
            });
        }
    });
    Ok(address)
}

/// A kiosk's config in `dir` with `sync_table` (TOML lines) as its `[sync]` table.
fn kiosk_config(dir: &Path, sync_table: &str) -> anyhow::Result<PathBuf> {
    let path = tests::kiosk_config(dir, &dir.join("data"))?;
    let mut text = std::fs::read_to_string(&path)?;
    text.push_str(&format!("[sync]\n{sync_table}\n"));
    std::fs::write(&path, text)?;
    Ok(path)
}

fn kiosk(config: &Path, args: &[&str]) -> anyhow::Result<Output> {
    Ok(Command::new(tests::binary("kiosk")?)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()?)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn plain_http_to_another_host_is_refused_before_connecting() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = kiosk_config(dir.path(), "")?;
    // 192.0.2.1 is TEST-NET-1: a connection attempt would hang until the 10 s connect timeout.
    for server in ["http://example.org", "http://192.0.2.1:8080"] {
        let started = Instant::now();
        let output = kiosk(
            &config,
            &["enroll", "--server", server, "--code", "ABCDE-FGHJK"],
        )?;
        assert!(!output.status.success(), "{server} accepted");
        let message = stderr(&output);
        assert!(
            message.contains("refusing plain http://")
                && message.contains("allow_insecure_http")
                && !message.contains("cannot reach"),
            "{message}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "it tried to connect"
        );
    }
    assert!(!dir.path().join("data/enrollment.json").exists());

    // An enrollment stored with an http:// server (an older kiosk's) is refused at sync too.
    std::fs::create_dir_all(dir.path().join("data"))?;
    std::fs::write(
        dir.path().join("data/enrollment.json"),
        r#"{"server":"http://example.org","kiosk_id":"k","token":"t"}"#,
    )?;
    let output = kiosk(&config, &["sync", "--once", "--timeout-s", "1"])?;
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("refusing plain http://"),
        "{}",
        stderr(&output)
    );
    Ok(())
}

#[test]
fn a_missing_ca_file_is_named_at_start() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = kiosk_config(dir.path(), "ca_file = \"/nonexistent/aggregator-ca.pem\"")?;
    let output = kiosk(&config, &["status"])?;
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("sync.ca_file") && message.contains("/nonexistent/aggregator-ca.pem"),
        "{message}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_pinned_kiosk_trusts_only_its_ca() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut server = Server::set_up(dir.path(), &["plock-wso-03"])?;
    server.start()?;
    let city_ca = TestCa::new("Ocena test city CA")?;
    let other_ca = TestCa::new("Some other CA")?;
    let proxy = tls_proxy(city_ca.server_certificate()?, server.address()).await?;
    let impostor = tls_proxy(other_ca.server_certificate()?, server.address()).await?;
    let code = server.enrollment_code("plock-wso-03")?;

    let pinned = dir.path().join("pinned");
    std::fs::create_dir_all(&pinned)?;
    let ca_file = city_ca.write_pem(&pinned.join("aggregator-ca.pem"))?;
    let config = kiosk_config(&pinned, &format!("ca_file = {ca_file:?}"))?;
    let enroll = |address: SocketAddr| {
        let url = format!("https://localhost:{}", address.port());
        let config = config.clone();
        let code = code.clone();
        tokio::task::spawn_blocking(move || {
            kiosk(&config, &["enroll", "--server", &url, "--code", &code])
        })
    };

    let refused = enroll(impostor).await??;
    assert!(
        !refused.status.success(),
        "a certificate from another CA was trusted"
    );
    assert!(
        stderr(&refused).contains("cannot reach"),
        "{}",
        stderr(&refused)
    );
    assert!(!pinned.join("data/enrollment.json").exists());

    // The system's roots are not used either: the city CA is not among them, and an unpinned
    // kiosk refuses the very certificate the pinned one accepts.
    let unpinned = dir.path().join("unpinned");
    std::fs::create_dir_all(&unpinned)?;
    let unpinned_config = kiosk_config(&unpinned, "")?;
    let url = format!("https://localhost:{}", proxy.port());
    let code_again = code.clone();
    let output = tokio::task::spawn_blocking(move || {
        kiosk(
            &unpinned_config,
            &["enroll", "--server", &url, "--code", &code_again],
        )
    })
    .await??;
    assert!(!output.status.success(), "the city CA is not a system root");

    let enrolled = enroll(proxy).await??;
    assert!(
        enrolled.status.success(),
        "the code is still unspent and the pinned CA is trusted: {}",
        stderr(&enrolled)
    );
    assert!(String::from_utf8_lossy(&enrolled.stdout).contains("enrolled as kiosk"));
    let enrollment = std::fs::read_to_string(pinned.join("data/enrollment.json"))?;
    assert!(enrollment.contains(&format!("https://localhost:{}", proxy.port())));
    Ok(())
}
