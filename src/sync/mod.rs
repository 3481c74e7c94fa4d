//! Syncing: runs of a (tenant, entity), cut into batch jobs that each commit their rows, the
//! run's cursor, the next job and their own completion in one transaction.

pub mod batch;
pub mod cursor;
mod outcome;
pub mod queue;
pub mod run;

pub use batch::{BatchJob, Engine, Settings};
pub use run::{Mode, start_run};
