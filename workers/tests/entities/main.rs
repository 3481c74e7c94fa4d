//! The entities against a real Postgres (a fresh database per test): what a page of each entity
//! stores, that storing is idempotent and set-based, that invoice lines follow their invoice, and
//! that `xero_sync::digest` agrees with a SHA-256 computed here from the input JSON alone.
//!
//! Pages are written by hand below; the official Xero examples under `../shared` (beside the
//! checkout) are used too when present (the test says so and returns when they are not).

#![allow(clippy::unwrap_used)]

#[path = "../support/skip.rs"]
mod skip;

mod documents;
mod pages;
mod simulator;
mod statements;
mod stores;
mod versions;
