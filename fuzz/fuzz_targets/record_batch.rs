//! A kiosk's record batch, as JSON bytes: parsed as the wire type, then sent to the real
//! aggregator's `POST /api/v1/records` (parsing, validation, ingest). A batch that parses is
//! answered 200 with one outcome per record in order (or refused whole with 422/413); one that
//! does not is a 400 or 422; nothing is ever a server error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use model::wire::{BatchReceipt, MAX_BATCH_RECORDS, RecordBatch};
use ocena_fuzz::Aggregator;

fuzz_target!(|data: &[u8]| {
    let parsed = serde_json::from_slice::<RecordBatch>(data);
    if let Ok(batch) = &parsed {
        let again: RecordBatch =
            serde_json::from_slice(&serde_json::to_vec(batch).expect("serializes"))
                .expect("a serialized batch parses");
        assert_eq!(&again, batch, "the wire form round-trips");
    }
    let answer = Aggregator::get().post("/records", data.to_vec(), None);
    let status = answer.status;
    match parsed {
        Ok(batch) if batch.records.len() <= MAX_BATCH_RECORDS => {
            assert!(
                status == 200 || status == 422,
                "valid batch answered {status}"
            );
            if status == 200 {
                let receipt: BatchReceipt =
                    serde_json::from_slice(&answer.body).expect("a receipt");
                let sent: Vec<_> = batch.records.iter().map(|r| r.id).collect();
                let answered: Vec<_> = receipt.results.iter().map(|r| r.id).collect();
                assert_eq!(sent, answered, "one outcome per record, in order");
            }
        }
        Ok(_) => assert_eq!(status, 413, "an oversized batch"),
        Err(_) => assert!(
            status == 400 || status == 422,
            "invalid JSON answered {status}"
        ),
    }
});
