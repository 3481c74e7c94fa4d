//! A worker process: apalis claims batch jobs from Postgres (LISTEN/NOTIFY plus a one-second
//! poll), runs up to `concurrency` at once, heartbeats so a dead replica's jobs return within
//! about fifteen seconds, and on shutdown stops claiming and lets in-flight batches commit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use apalis::prelude::*;
use apalis_postgres::{Config, PostgresStorage, Pubsub};
use serde_json::Value;
use tracing::Instrument;

use crate::sync::batch::{Engine, run_job};
use crate::sync::queue::{self, Lease, QUEUE};

/// Heartbeat period; with [`MISSED_HEARTBEATS`] it sets how soon a dead worker's jobs return.
pub const HEARTBEAT: Duration = Duration::from_secs(3);
/// Heartbeats a worker may miss before its jobs are handed to others (3 s × 5 = 15 s).
pub const MISSED_HEARTBEATS: usize = 5;
/// How long a stopping worker tries to release the jobs it still holds.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an idle worker looks for due jobs (snoozed and delayed jobs are never notified).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs at once.
    pub concurrency: usize,
    /// How long in-flight jobs get after the shutdown signal.
    pub shutdown_timeout: Duration,
}

/// A worker name unique to this process incarnation: apalis only rescues a dead worker's jobs
/// when no live worker heartbeats under its name.
pub fn unique_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let suffix: u32 = rand::random();
    format!("{host}-{}-{suffix:08x}", std::process::id())
}

/// Runs one worker until `shutdown` resolves, then drains: claimed jobs not yet started go back
/// to the queue, in-flight ones get `shutdown_timeout` to commit.
pub async fn run(
    engine: Arc<Engine>,
    options: WorkerOptions,
    name: String,
    shutdown: impl Future<Output = std::io::Result<()>> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = engine.pool.clone();
    let config = Config::default()
        .queue(QUEUE)
        .batch_size(options.concurrency)
        .heartbeat_interval(HEARTBEAT)
        .missed_heartbeats(MISSED_HEARTBEATS)
        // No asynchronous "Running" flush: it could land after our own transaction already
        // completed or snoozed the job. Our lease guard accepts `Queued`.
        .lock_tasks(false);
    let strategy = Strategy::new()
        .stream(Pubsub::new(pool.clone(), QUEUE.to_owned()))
        .interval(POLL_INTERVAL);
    let backend = PostgresStorage::<Value>::new(&pool)
        .with_config(config)
        .poll_with_strategy(strategy);
    tracing::info!(worker.name = %name, worker.concurrency = options.concurrency, "worker starting");
    let own_name = name.clone();
    // apalis's monitor returns Ok even when its worker died (e.g. its backend failed); only a
    // return after our shutdown signal is a clean stop, so the signal is remembered.
    let signalled = Arc::new(AtomicBool::new(false));
    let seen = signalled.clone();
    let shutdown = async move {
        let result = shutdown.await;
        seen.store(true, Ordering::SeqCst);
        result
    };
    Monitor::new()
        .register(move |_restarts| {
            WorkerBuilder::new(name.as_str())
                .backend(backend.clone())
                .data(engine.clone())
                .concurrency(options.concurrency)
                .build(handle)
        })
        .shutdown_timeout(options.shutdown_timeout)
        .run_with_signal(shutdown)
        .await?;
    // The monitor returns after the shutdown timeout even with batches still in flight; they
    // were dropped with it and their transactions roll back, so hand their jobs back now.
    release_held_jobs(&pool, &own_name).await;
    if !signalled.load(Ordering::SeqCst) {
        tracing::error!(worker.name = %own_name, "worker stopped without a shutdown signal");
        anyhow::bail!("the worker stopped unexpectedly (see the error logged before this)");
    }
    tracing::info!("worker stopped");
    Ok(())
}

/// Releases the jobs this worker still holds; on failure orphan recovery takes them later.
async fn release_held_jobs(pool: &sqlx::PgPool, name: &str) {
    // A cut-off batch that was mid-commit may still hold the row lock until its connection
    // rolls back; wait for that a bounded time, never forever.
    let release = async {
        let mut conn = pool.acquire().await?;
        queue::release_held(&mut conn, name).await
    };
    match tokio::time::timeout(RELEASE_TIMEOUT, release).await {
        Ok(Ok(0)) => {}
        Ok(Ok(n)) => tracing::warn!(
            jobs.released = n,
            "batches cut off by the shutdown timeout were released"
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not release held jobs; orphan recovery will")
        }
        Err(_) => tracing::warn!("releasing held jobs timed out; orphan recovery will"),
    }
}

async fn handle(
    payload: Value,
    task_id: TaskId,
    worker: WorkerContext,
    engine: Data<Arc<Engine>>,
) -> Result<String, BoxDynError> {
    let job_id = task_id.to_string();
    let span = tracing::info_span!(
        "job",
        job.id = %job_id,
        worker.name = worker.name(),
        xero.tenant_id = tracing::field::Empty,
        sync.entity = tracing::field::Empty,
        sync.run_id = tracing::field::Empty,
        sync.seq = tracing::field::Empty,
    );
    let lease = Lease {
        job_id: &job_id,
        worker: worker.name(),
    };
    run_job(&engine, lease, payload)
        .instrument(span)
        .await
        .map_err(|e| format!("{e:#}").into())
}
