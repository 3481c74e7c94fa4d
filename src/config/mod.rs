//! Configuration, parsed once by clap from flags and environment variables, grouped by concern
//! (one file each). Nothing below `main` reads the environment. An invalid value stops the
//! program at start with clap's message, which names the variable (each value is shown as
//! `<VARIABLE>`). Plain settings only: what a setting means to the engine is said where it is
//! used (`sync::Settings::from_args`, `budget::Limits::from_args`, …), so this module imports
//! nothing of the engine.

mod db;
mod keys;
mod sync;
mod telemetry;
mod values;
mod webhooks;
mod worker;
mod xero;

pub use db::{DEFAULT_DATABASE_URL, DbArgs, PoolMode};
pub use keys::TokenKeyArgs;
pub use sync::{
    DEFAULT_BATCH_BYTES, DEFAULT_BATCH_SIZE, DEFAULT_CARRY, DEFAULT_ENTITLEMENT_RECHECK,
    DEFAULT_FULL_EVERY, DEFAULT_INTERVAL, DEFAULT_MAX_INTERVAL, DEFAULT_OFFLINE_BACKOFF,
    DEFAULT_OVERLAP, DEFAULT_WEBHOOK_INTERVAL, StartArgs, SyncArgs,
};
pub use telemetry::TelemetryArgs;
pub use values::{Interval, MAX_SETTING, Secret, parse_tenant_id};
pub use webhooks::{DEFAULT_WEBHOOK_ADDR, WebhookArgs};
pub use worker::{DEFAULT_CONCURRENCY, DEFAULT_WORKER_HTTP_ADDR, HttpAddr, WorkerArgs};
pub use xero::{
    DEFAULT_API_URL, DEFAULT_IDENTITY_URL, DEFAULT_LOGIN_URL, DEFAULT_MAX_RESPONSE_BYTES, XeroArgs,
};
