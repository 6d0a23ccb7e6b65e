//! The aggregator's integration tests, one binary (one link of the server) with a module per
//! suite: the kiosk API, the dashboard, the CLI, alerts, department reports, languages, limits,
//! retention, the demo and untrusted input. `support` holds the shared harness.

mod alerts;
mod cli;
mod dashboard;
mod demo;
mod department_reports;
mod kiosk_api;
mod languages;
mod layers;
mod limits;
mod migrate;
mod postgres;
mod retention;
mod support;
mod untrusted_input;
