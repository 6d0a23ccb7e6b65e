//! Compressed request bodies through the real aggregator's layers (gzip decompression, then the
//! 1 MiB limit on the decompressed body, then JSON parsing) on `POST /api/v1/heartbeat`. The
//! first byte picks what is sent: the rest as a raw gzip stream (truncated, corrupt, with extra
//! members…), the rest compressed, or the rest repeated past the limit and compressed (a small
//! "gzip bomb", which must be a 413). Never a server error, never a hang.

#![no_main]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;
use model::wire::MAX_BODY_BYTES;
use ocena_fuzz::Aggregator;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (body, bomb) = match mode % 3 {
        0 => (rest.to_vec(), false),
        1 => (gzip(rest), false),
        _ if rest.is_empty() => return,
        _ => {
            let expanded: Vec<u8> = rest
                .iter()
                .copied()
                .cycle()
                .take(MAX_BODY_BYTES + 1)
                .collect();
            (gzip(&expanded), true)
        }
    };
    let status = Aggregator::get()
        .post("/heartbeat", body, Some("gzip"))
        .status;
    if bomb {
        assert_eq!(status, 413, "a body over the limit after decompression");
    } else {
        assert!(
            matches!(status, 200 | 400 | 413 | 422),
            "a compressed body answered {status}"
        );
    }
});
