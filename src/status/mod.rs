//! Where every organisation stands: per tenant and entity the mode, state, watermark, last and
//! current run, and the jobs queued / running / snoozed / retrying / failed / scheduled — plus
//! listing and re-queueing failed jobs. Read-only except `retry_failed`.

mod failed;
mod pairs;
mod render;
mod workers;

pub use failed::{FailedJob, failed_jobs, retry_failed};
pub use pairs::{
    Egress, JobCounts, PairStatus, RunSummary, Unreachable, VerificationSummary, status,
};
pub use render::render;
pub use workers::{ALIVE_WITHIN, LiveWorker, Workers, workers};
