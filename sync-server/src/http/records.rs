//! `POST /api/v1/records`: a kiosk's batch of answers, stored in one transaction, with one
//! outcome per record.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::routing::post;
use model::wire::{BatchReceipt, MAX_BATCH_RECORDS, RecordBatch, RecordOutcome};

use super::{AppState, Authenticated, Error, now_ms, parse_json};

pub fn router() -> Router<AppState> {
    Router::new().route("/records", post(ingest))
}

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
    let receipt = state.storage.ingest(kiosk, batch, now_ms()).await?;
    let stored = receipt
        .results
        .iter()
        .filter(|r| r.outcome == RecordOutcome::Stored)
        .count();
    tracing::info!(records = receipt.results.len(), stored, "batch ingested");
    Ok(Json(receipt))
}
