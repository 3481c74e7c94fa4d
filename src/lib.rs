//! The xero-sync engine: configuration, database, Xero HTTP client, token vault, job runner and
//! the Xero simulator. It names no Xero entity; those live in the `xero-sync-workers` crate.

pub mod db;
pub mod digest;
pub mod entity;
pub mod sim;
pub mod testing;
