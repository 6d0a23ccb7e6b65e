//! Helpers shared by the aggregator's integration tests.

pub mod app;
pub mod smtp;
