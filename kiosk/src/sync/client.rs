//! The kiosk's HTTP client for the aggregator's `/api/v1`: enrollment, record batches (gzip), and
//! heartbeats. Every non-success answer becomes a [`SyncError`] that says whether to retry.

use std::io::Write;
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use model::wire::{
    ApiError, BatchReceipt, DeskSurvey, EnrollRequest, EnrollResponse, Heartbeat, RecordBatch,
};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
    #[error("the aggregator asked to retry later")]
    RetryLater { after: Option<Duration> },
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
}

impl SyncError {
    /// The server's Retry-After, if it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SyncError::RetryLater { after } => *after,
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
    pub fn new(server: &str) -> Result<SyncClient, SyncError> {
        let server = server.trim_end_matches('/').to_owned();
        let http = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("ocena-kiosk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| SyncError::Unreachable {
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
            Err(SyncError::RetryLater { after })
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
