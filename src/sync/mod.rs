//! Syncing: runs of a (tenant, entity), cut into batch jobs that each commit their rows, the
//! run's cursor, the next job and their own completion in one transaction.
//!
//! Modules by role: [`job`] (the payloads on the queue), [`engine`] (what every job shares),
//! [`cursor`] (the paging rules, pure; `numbered` for numbered pages), `fetch` (the Xero half of a batch; `prefetch`, the next batch's calls during this one's commit), `batch` (the
//! transaction), `schedule` (a pair's next run, and the sweep), `outcome` (snooze, retry, end
//! or give up), [`run`] (the SQL of a run),
//! [`queue`] (every statement on `apalis.jobs`), [`store`] (a batch's records into their tables), [`trace`] (a run as one trace) and
//! [`maintenance`] (the leader's housekeeping), [`verifying`] (the ledger checked against Xero's
//! Trial Balance) and [`reporting`] (Xero's reports kept as snapshots).

mod batch;
mod cadence;
mod commit;
pub mod cursor;
pub mod engine;
mod fetch;
pub mod hooks;
pub mod job;
pub mod leased;
pub mod maintenance;
mod outcome;
mod prefetch;
pub mod queue;
pub mod reporting;
pub mod run;
pub mod runner;
mod schedule;
pub mod start;
pub mod store;
mod tenant;
pub mod trace;
pub mod verifying;
mod write;

pub use engine::{Engine, Settings};
pub use job::{BatchJob, ScheduledRun};
pub use runner::run_job;
pub use start::{Mode, start_run};
