//! Webhooks, as Xero sends them: every invoice, contact, credit note, payment and prepayment
//! that a change creates or updates becomes an event; the events of a batching window go out
//! as one payload signed with the webhook key (`x-xero-signature`), in order, retried with a
//! growing backoff for up to a day on the simulator clock, after which the subscription is
//! disabled. `POST /sim/webhooks` subscribes (and first sends Xero's intent-to-receive
//! series), `--webhook-url` does so at start.
//!
//! Layout, bottom up: `settings` (a leaf the command line holds), `event` and `payload` (the
//! wire shapes and the signature), `send` (one POST), `counters`, `hub` (the subscription,
//! queue and batch in flight, which the tenant state holds); above the state, `watch` (which
//! changes notify), `delivery` (the task) and `intent` (the receiver's checks). This file
//! re-exports nothing.

pub mod counters;
pub mod delivery;
pub mod event;
pub mod hub;
pub mod intent;
pub mod payload;
pub mod send;
pub mod settings;
pub mod watch;
