//! The kiosk ↔ aggregator wire format under `/api/v1`: enrollment, record batches with a status
//! per record, heartbeats and the desk's survey. A serde derive here is a compatibility promise.

use serde::{Deserialize, Serialize};

use crate::catalogue::StandardId;
use crate::ids::{DeskId, LanguageTag, RecordId};
use crate::record::{RatingRecord, RecordedTime};

/// Most records one ingest batch may carry; the server refuses larger batches whole.
pub const MAX_BATCH_RECORDS: usize = 500;
/// Largest request body the server reads (after gzip decompression), in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `POST /api/v1/enroll`: a kiosk exchanges a single-use enrollment code for its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    pub code: String,
    /// The kiosk software's version, e.g. "0.1.0".
    pub kiosk_version: String,
    /// The kiosk's clock when it asked, so the server can anchor this boot at once.
    pub clock: RecordedTime,
}

/// The answer to a successful enrollment. The token is shown once and never stored by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollResponse {
    pub kiosk_id: String,
    /// 256 random bits, base64url without padding; sent as `Authorization: Bearer <token>`.
    pub token: String,
    pub survey: DeskSurvey,
}

/// `POST /api/v1/records`: answers from one kiosk, oldest first. The kiosk's identity comes from
/// its token, never from this body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordBatch {
    /// The kiosk's clock when this attempt was sent (stamped at each attempt, not when the batch
    /// was built): with the server's receive time it places the records in real time.
    pub sent: RecordedTime,
    pub records: Vec<RatingRecord>,
}

/// What became of each record of a batch, in the batch's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchReceipt {
    pub results: Vec<RecordReceipt>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordReceipt {
    pub id: RecordId,
    #[serde(flatten)]
    pub outcome: RecordOutcome,
}

/// The fate of one record. Every outcome but `Rejected` means the server holds the id for good,
/// so the kiosk may mark the record as synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordOutcome {
    /// First time the server saw this id: stored and counted.
    Stored,
    /// Seen before with identical content: nothing changed.
    Duplicate,
    /// Seen before with different content: the first is kept, the conflict logged.
    Conflict,
    /// Not acceptable (e.g. a desk the token does not belong to); the reason says why.
    Rejected { reason: String },
}

impl RecordOutcome {
    /// True when the server holds this id, so the kiosk need not send it again.
    pub fn is_settled(&self) -> bool {
        !matches!(self, RecordOutcome::Rejected { .. })
    }
}

/// `POST /api/v1/heartbeat`: the kiosk's health, also answered with the desk's current survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    pub kiosk_version: String,
    /// Records not yet acknowledged.
    #[serde(deserialize_with = "crate::integer::unsigned")]
    pub backlog: u64,
    /// Wall clock of the oldest unacknowledged record, if any.
    #[serde(default, deserialize_with = "crate::integer::optional_signed")]
    pub oldest_unsynced_ms: Option<i64>,
    pub last_error: Option<String>,
    pub clock: RecordedTime,
}

/// The survey a desk shows: managed on the server, cached by the kiosk, applied between visits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeskSurvey {
    /// Increases with every change, so a kiosk knows whether its cached copy is current.
    pub revision: u64,
    pub desk_id: DeskId,
    pub desk_name: String,
    pub office: String,
    pub internal_service: bool,
    pub standards: Vec<StandardId>,
    pub languages: Vec<LanguageTag>,
    pub default_language: LanguageTag,
    pub idle_prompt_after_s: u32,
    pub idle_countdown_s: u32,
    pub change_answer_window_s: u32,
    pub thank_you_s: u32,
}

/// Every error response: a stable machine-readable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// e.g. "invalid_json", "batch_too_large", "unauthorized", "rate_limited".
    pub error: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_are_tagged_by_status() {
        let receipt = RecordReceipt {
            id: RecordId::new_random(),
            outcome: RecordOutcome::Rejected {
                reason: "desk mismatch".into(),
            },
        };
        let json = serde_json::to_value(&receipt).expect("json");
        assert_eq!(json["status"], "rejected");
        assert_eq!(json["reason"], "desk mismatch");
        let stored: RecordReceipt = serde_json::from_value(serde_json::json!({
            "id": receipt.id, "status": "stored"
        }))
        .expect("stored");
        assert!(stored.outcome.is_settled());
        assert!(!receipt.outcome.is_settled());
    }
}
