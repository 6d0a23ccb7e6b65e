//! Ocena's central aggregator (skeleton): enrollment, exactly-once ingest, event-time correction,
//! fleet health, desk configuration and the dashboard arrive with the sync and dashboard work.

#![forbid(unsafe_code)]

/// What this build of the aggregator can do, shown by the binary.
pub const STATUS: &str = "the Ocena aggregator is not built yet: kiosks buffer answers locally \
     (see `kiosk status` and `kiosk export`) until sync arrives";
