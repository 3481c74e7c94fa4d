//! The planner through the real runner: after a full run each run fetches only what changed
//! since the stored watermark; every completed run leaves exactly one next run pending for its
//! pair, however runs complete; `xero.request_sync` starts runs from plain SQL; and
//! `FORCE_FULL_SYNC` fetches everything despite a watermark.
//!
//! Waits poll the database for the state they need, with a deadline, never a fixed sleep.

#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod follow_ups;
mod helpers;
mod incremental;
mod sql;
