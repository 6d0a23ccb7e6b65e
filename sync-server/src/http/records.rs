//! `POST /api/v1/records`: a kiosk's batch of answers, stored in one transaction, with one
//! outcome per record.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use model::wire::{ApiError, BatchReceipt, MAX_BATCH_RECORDS, RecordBatch, RecordOutcome};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppState, Authenticated, Error, now_ms, parse_json};
use crate::admission;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ingest))
}

/// Send a batch of answers
///
/// Stores a kiosk's batch (at most 500 records, oldest first) in one transaction and answers with
/// one outcome per record, in the batch's order. Every outcome but `rejected` settles the record.
/// A record is `rejected`, and nothing of it stored, when it is for another desk, rates a
/// standard its desk's survey has never offered, gives reasons the catalogue does not offer for
/// that standard (or after a score of 3 or 4, or on the overall rating), is in a language no
/// translation is shipped for, or carries a malformed boot id or a wall clock outside
/// 1970–9999.
#[utoipa::path(
    post,
    path = "/records",
    tag = "kiosk",
    security(("kiosk_token" = [])),
    request_body(content = RecordBatch, content_type = "application/json", description = "JSON; may be gzip-compressed with `Content-Encoding: gzip`. At most 1 MiB after decompression."),
    responses(
        (status = 200, description = "One outcome per record, in the batch's order", body = BatchReceipt),
        (status = 400, description = "Malformed JSON (`invalid_json`)", body = ApiError),
        (status = 401, description = "Missing, unknown or revoked kiosk token (`unauthorized`)", body = ApiError),
        (status = 403, description = "The admin token used on a kiosk route (`forbidden`)", body = ApiError),
        (status = 413, description = "Body over 1 MiB after decompression (`body_too_large`), or more than 500 records (`batch_too_large`)", body = ApiError),
        (status = 415, description = "A `Content-Encoding` other than gzip (`unsupported_media_type`)", body = ApiError),
        (status = 422, description = "Well-formed JSON that is not a valid batch, or whose `sent` clock has a malformed boot id or a wall clock outside 1970–9999 (`invalid_body`)", body = ApiError),
        (status = 429, description = "This kiosk sends too often, or this address sent too many unknown tokens (`rate_limited`)", body = ApiError,
            headers(("Retry-After" = u64, description = "Seconds until a request can succeed"))),
        (status = 500, description = "The server failed (`internal`); try again later", body = ApiError),
    )
)]
#[tracing::instrument(skip_all, fields(kiosk = %kiosk.id))]
async fn ingest(
    State(state): State<AppState>,
    Authenticated(kiosk): Authenticated,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BatchReceipt>, Error> {
    let batch: RecordBatch = parse_json(body)?;
    if batch.records.len() > MAX_BATCH_RECORDS {
        return Err(Error::BatchTooLarge(batch.records.len()));
    }
    admission::check_clock("sent", &batch.sent).map_err(|e| Error::InvalidBody(e.to_string()))?;
    let receipt = state.storage.ingest(kiosk, batch, now_ms()).await?;
    let stored = receipt
        .results
        .iter()
        .filter(|r| r.outcome == RecordOutcome::Stored)
        .count();
    tracing::info!(records = receipt.results.len(), stored, "batch ingested");
    Ok(Json(receipt))
}
