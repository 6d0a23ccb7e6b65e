//! Ocena's central aggregator: kiosk enrollment, exactly-once ingest of rating records with
//! rollups, fleet health, and `demo` data for newcomers. `event_time` places answers in UTC
//! without trusting kiosk clocks; `dashboard` serves the Organizational Department's pages.

#![forbid(unsafe_code)]

pub mod access;
pub mod admission;
pub mod alert_monitor;
pub mod alerts;
pub mod analytics;
pub mod busy;
pub mod cli;
pub mod config;
pub mod connections;
pub mod counting;
pub mod credentials;
pub mod dashboard;
pub mod database_move;
pub mod demo;
pub mod department_reports;
pub mod event_time;
pub mod holidays;
pub mod http;
pub mod lang;
pub mod offices;
pub mod passwords;
pub mod presentation;
pub mod proxies;
pub mod rate_limit;
pub mod retention;
pub mod startup;
pub mod storage;
pub mod survey;
pub mod telemetry;
pub mod user_admin;
pub mod web;

pub use config::Settings;
pub use startup::Application;
