//! One job as the worker runs it: its trace, the run it carries, its metrics, and what
//! becomes of a job whose run fails without an outcome or panics.

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::*;
use futures::FutureExt;
use serde_json::Value;
use tracing::Instrument;

use crate::sync::queue::{self, Lease};
use crate::sync::{Engine, runner};

/// Longest back-off between restarts, and between failed attempts of one job.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What runs a claimed job: [`sync_runner`] in production; tests may wrap it.
pub type Runner = for<'a> fn(
    &'a Engine,
    Lease<'a>,
    Value,
) -> Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send + 'a>>;

/// The production runner: [`crate::sync::run_job`].
pub fn sync_runner<'a>(
    engine: &'a Engine,
    lease: Lease<'a>,
    payload: Value,
) -> Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send + 'a>> {
    Box::pin(crate::sync::run_job(engine, lease, payload))
}

/// 2^(n-1) seconds, capped.
pub(super) fn backoff(n: u32) -> Duration {
    Duration::from_secs(1u64 << n.saturating_sub(1).min(5)).min(MAX_BACKOFF)
}

/// What every job of the worker shares.
pub(super) struct Handler {
    pub(super) engine: Arc<Engine>,
    pub(super) runner: Runner,
}

/// The kind of job a payload is, for the job metrics.
fn job_kind(payload: &Value) -> &'static str {
    if payload.get("after_run").is_some() {
        "scheduled"
    } else if payload.get("webhooks_of").is_some() {
        "webhooks"
    } else {
        "batch"
    }
}

pub(super) async fn handle(
    payload: Value,
    task_id: TaskId,
    worker: WorkerContext,
    attempt: Attempt,
    metadata: MetadataStore,
    handler: Data<Arc<Handler>>,
) -> Result<String, BoxDynError> {
    let job_id = task_id.to_string();
    let span = crate::sync::trace::job_span(&job_id, worker.name());
    let previous = metadata
        .get(crate::sync::trace::ATTEMPT_KEY)
        .map(str::to_owned);
    crate::sync::trace::adopt(&handler.engine, &span, &payload, previous.as_deref()).await;
    let lease = Lease {
        job_id: &job_id,
        worker: worker.name(),
    };
    let engine = &handler.engine;
    if attempt.current() > 0 {
        say_if_taken_over(engine, &job_id, &span).await;
    }
    let kind = job_kind(&payload);
    let started = Instant::now();
    let run = (handler.runner)(engine, lease, payload.clone()).instrument(span.clone());
    let result = AssertUnwindSafe(run).catch_unwind().await;
    // Batches time themselves, one by one (a job may carry its run through several); the rest
    // is timed here.
    let outcome = match &result {
        Ok(Ok(_)) if kind == "batch" => None,
        Ok(Ok(_)) => Some("done"),
        Ok(Err(_)) => Some("error"),
        Err(_) => Some("panic"),
    };
    if let Some(outcome) = outcome {
        crate::metrics::get().job_done(kind, outcome, started.elapsed());
    }
    match result {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(e)) => {
            // Not even the outcome could be written (the database is gone). apalis would
            // claim the job again at once; back off first so a dead database is not hammered.
            let pause = backoff(u32::try_from(attempt.current()).unwrap_or(u32::MAX));
            tracing::error!(parent: &span, error = %format!("{e:#}"), retry_in = ?pause, "job failed without an outcome");
            tokio::time::sleep(pause).await;
            Err(format!("{e:#}").into())
        }
        Err(panic) => {
            let message = panic_message(panic.as_ref());
            let error = format!("the job panicked: {message}");
            runner::fail_panicked(engine, lease, &payload, &error)
                .instrument(span)
                .await
                .map_err(|e| format!("{e:#}").into())
        }
    }
}

/// Logs a job put back by orphan recovery: its worker died holding it.
async fn say_if_taken_over(engine: &Engine, job_id: &str, span: &tracing::Span) {
    if queue::taken_over(&engine.pool, job_id)
        .await
        .unwrap_or(false)
    {
        tracing::warn!(parent: span, "taking over a job whose worker stopped heartbeating");
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
