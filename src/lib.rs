//! The xero-sync engine: configuration, database, Xero HTTP client, token vault, job runner,
//! telemetry. It names no Xero entity (those live in `xero-sync-workers`) and knows nothing of
//! the simulator (`xero-sync-sim`), which plays Xero's part over HTTP only.

pub mod app;
pub mod budget;
pub mod catalog;
pub mod config;
pub mod connect;
pub mod connections;
pub mod db;
pub mod digest;
pub mod entity;
pub mod gauges;
pub mod health;
pub mod metrics;
pub mod progress;
pub mod seal;
pub mod shutdown;
pub mod status;
pub mod sync;
pub mod telemetry;
pub mod testing;
pub mod vault;
pub mod verify;
pub mod webhooks;
pub mod worker;
pub mod xero;
