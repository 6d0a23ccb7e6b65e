//! The rules of counting answers, free of any database: what a record's outcome is (stored,
//! duplicate, conflict, rejected) and whether it counts beside its corrections (`outcome`),
//! which overall ratings form a burst (`bursts`), and how counted answers change the rollup
//! cells the dashboard reads (`tally`). A storage backend reads and writes; it calls these.

pub mod bursts;
pub mod outcome;
pub mod tally;
