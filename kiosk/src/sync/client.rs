//! The kiosk's HTTP client for the aggregator's `/api/v1`: enrollment, record batches (gzip), and
//! heartbeats. Every non-success answer becomes a [`SyncError`] that says whether to retry.
//!
//! Transport security is decided here, before anything is sent: `https://`, or plain `http://`
//! only to this machine (or to a lab host with `[sync] allow_insecure_http`, logged loudly);
//! with `[sync] ca_file` only that CA is trusted for the aggregator's certificate; redirects are
//! never followed (one could lead to plain http).

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use model::wire::{
    ApiError, BatchReceipt, DeskSurvey, EnrollRequest, EnrollResponse, Heartbeat, RecordBatch,
};
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::SyncSettings;
use crate::store::StoreError;

/// Why a sync step did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the aggregator at {server}")]
    Unreachable {
        server: String,
        source: reqwest::Error,
    },
    #[error(
        "the aggregator refused this kiosk's token (revoked or never enrolled there); answers stay buffered"
    )]
    Unauthorized,
    #[error("the aggregator asked to retry later ({status})")]
    RetryLater {
        /// 429 (this kiosk calls too often) or 503 (the aggregator is busy).
        status: u16,
        after: Option<Duration>,
    },
    #[error("the aggregator answered {status} {error}: {message}")]
    Refused {
        status: u16,
        error: String,
        message: String,
    },
    #[error("the aggregator's answer could not be read")]
    BadResponse { source: reqwest::Error },
    #[error("the local buffer failed")]
    Store(#[from] StoreError),
    #[error("{server:?} is not an aggregator address such as https://ocena.plock.eu: {problem}")]
    BadAddress { server: String, problem: String },
    #[error(
        "refusing plain http:// to {host}: the enrollment code, the kiosk's token and every \
         answer would cross the network unencrypted, and the desk's survey could be rewritten on \
         the way. Use https://, or only on a lab network set `allow_insecure_http = true` in the \
         kiosk config's [sync] table"
    )]
    InsecureServer { host: String },
    #[error("cannot use the CA certificate file {path} ([sync] ca_file): {problem}")]
    CaFile { path: PathBuf, problem: String },
}

impl SyncError {
    /// The server's Retry-After, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::RetryLater { after, .. } => *after,
            _ => None,
        }
    }
}

/// A client for one aggregator, with or without a kiosk token.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: Client,
    server: String,
    token: Option<String>,
}

impl SyncClient {
    /// A client for the aggregator at `server`, trusted as `settings` say. Refuses, before any
    /// connection, an address that is not http(s) and plain http to anything but this machine
    /// (unless `settings.allow_insecure_http`).
    pub fn new(server: &str, settings: &SyncSettings) -> Result<SyncClient, SyncError> {
        let server = server.trim_end_matches('/').to_owned();
        check_transport(&server, settings.allow_insecure_http)?;
        let mut builder = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ocena-kiosk/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &settings.ca_file {
            builder = builder.tls_built_in_root_certs(false);
            for certificate in pinned_ca(path)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let http = builder.build().map_err(|source| SyncError::Unreachable {
            server: server.clone(),
            source,
        })?;
        Ok(SyncClient {
            http,
            server,
            token: None,
        })
    }

    /// The same client, authenticating as an enrolled kiosk.
    pub fn with_token(mut self, token: &str) -> SyncClient {
        self.token = Some(token.to_owned());
        self
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub fn enroll(&self, request: &EnrollRequest) -> Result<EnrollResponse, SyncError> {
        self.send(self.post("/api/v1/enroll").json(request))
    }

    /// Sends one batch, gzip-compressed; the receipt has one outcome per record.
    pub fn send_batch(&self, batch: &RecordBatch) -> Result<BatchReceipt, SyncError> {
        let body = gzip_json(batch).map_err(|e| SyncError::Refused {
            status: 0,
            error: "local".into(),
            message: format!("cannot encode the batch: {e}"),
        })?;
        self.send(
            self.post("/api/v1/records")
                .header(CONTENT_TYPE, "application/json")
                .header(CONTENT_ENCODING, "gzip")
                .body(body),
        )
    }

    /// Reports the kiosk's health; the answer is the desk's current survey.
    pub fn heartbeat(&self, heartbeat: &Heartbeat) -> Result<DeskSurvey, SyncError> {
        self.send(self.post("/api/v1/heartbeat").json(heartbeat))
    }

    fn post(&self, path: &str) -> RequestBuilder {
        let request = self.http.post(format!("{}{path}", self.server));
        match &self.token {
            Some(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
            None => request,
        }
    }

    fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, SyncError> {
        let response = request.send().map_err(|source| SyncError::Unreachable {
            server: self.server.clone(),
            source,
        })?;
        read(response)
    }
}

/// Whether the kiosk may talk to `server` at all: https, or http to a loopback host, or http to
/// any host when a lab allowed it (said loudly, every time).
fn check_transport(server: &str, allow_insecure_http: bool) -> Result<(), SyncError> {
    let bad = |problem: String| SyncError::BadAddress {
        server: server.to_owned(),
        problem,
    };
    let url = Url::parse(server).map_err(|e| bad(e.to_string()))?;
    let host = url
        .host_str()
        .ok_or_else(|| bad("it names no host".into()))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" if allow_insecure_http => {
            tracing::warn!(
                server,
                "INSECURE: talking plain http to the aggregator because [sync] \
                 allow_insecure_http = true; the token and every answer cross the network \
                 unencrypted. Only for a lab network"
            );
            Ok(())
        }
        "http" => Err(SyncError::InsecureServer {
            host: host.to_owned(),
        }),
        other => Err(bad(format!(
            "the scheme {other:?} is neither https nor http"
        ))),
    }
}

/// 127.0.0.0/8, ::1 and `localhost`: traffic that never leaves the machine.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The certificates of the pinned CA file.
fn pinned_ca(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, SyncError> {
    let problem = |problem: String| SyncError::CaFile {
        path: path.to_owned(),
        problem,
    };
    let pem = std::fs::read(path).map_err(|e| problem(e.to_string()))?;
    let certificates =
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| problem(e.to_string()))?;
    if certificates.is_empty() {
        return Err(problem("it holds no PEM certificate".into()));
    }
    Ok(certificates)
}

fn read<T: DeserializeOwned>(response: Response) -> Result<T, SyncError> {
    let status = response.status();
    if status.is_success() {
        return response
            .json()
            .map_err(|source| SyncError::BadResponse { source });
    }
    match status {
        StatusCode::UNAUTHORIZED => Err(SyncError::Unauthorized),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            let after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            Err(SyncError::RetryLater {
                status: status.as_u16(),
                after,
            })
        }
        _ => {
            let code = status.as_u16();
            let api: Option<ApiError> = response.json().ok();
            Err(SyncError::Refused {
                status: code,
                error: api.as_ref().map_or_else(String::new, |a| a.error.clone()),
                message: api.map_or_else(|| "no details".to_owned(), |a| a.message),
            })
        }
    }
}

/// The body as gzip-compressed JSON. The JSON is written out first and compressed in one go:
/// serde's many small writes straight into the encoder each cost it a pass over its buffer.
fn gzip_json(value: &impl Serialize) -> std::io::Result<Vec<u8>> {
    let json = serde_json::to_vec(value)?;
    let mut encoder = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::fast());
    encoder.write_all(&json)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_beyond_this_machine_unless_a_lab_allows_it() {
        for allowed in [
            "https://ocena.plock.eu",
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://[::1]:8080",
            "http://localhost:8080",
        ] {
            assert!(check_transport(allowed, false).is_ok(), "{allowed}");
        }
        for refused in [
            "http://example.org",
            "http://10.0.0.5:8080",
            "http://[fe80::1]",
            "http://localhost.example.org",
        ] {
            let err = check_transport(refused, false).expect_err(refused);
            assert!(
                matches!(err, SyncError::InsecureServer { .. }),
                "{refused}: {err}"
            );
            assert!(check_transport(refused, true).is_ok(), "{refused} in a lab");
        }
        for bad in ["ftp://example.org", "example.org", ""] {
            assert!(matches!(
                check_transport(bad, true),
                Err(SyncError::BadAddress { .. })
            ));
        }
    }
}
