//! A worker process: apalis claims batch jobs from Postgres (LISTEN/NOTIFY plus a quarter-second
//! poll), runs up to `concurrency` at once, heartbeats so a dead replica's jobs return within
//! about fifteen seconds, and on shutdown stops claiming and lets in-flight batches commit.
//! Beside it runs the maintenance loop (one leader at a time across replicas).
//!
//! The worker outlives its database: when apalis's worker ends on its own (its backend lost
//! the database), it is started again under a fresh name after a back-off, so a Postgres
//! restart costs a pause, not the process.

use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_postgres::{Config, PostgresStorage, Pubsub};
use futures::FutureExt;
use serde_json::Value;
use tokio::sync::watch;
use tracing::Instrument;

use crate::gauges;
use crate::health::{self, Readiness};
use crate::sync::maintenance::{self, Maintenance};
use crate::sync::queue::{self, Lease, QUEUE};
use crate::sync::{Engine, runner};
use crate::telemetry::Telemetry;

/// Default heartbeat period; with [`MISSED_HEARTBEATS`] it sets how soon a dead worker's jobs
/// return.
pub const HEARTBEAT: Duration = Duration::from_secs(3);
/// Heartbeats a worker may miss before its jobs are handed to others (3 s × 5 = 15 s).
pub const MISSED_HEARTBEATS: usize = 5;
/// How long a stopping worker tries to release the jobs it still holds.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an idle worker looks for due jobs: snoozed and delayed jobs are never notified,
/// so this is how late a job waiting for Xero's next minute window may start (apalis's fetch
/// goes through its partial index: a poll of an idle queue costs a fraction of a millisecond).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Restarts in a row (without a healthy minute between) before the process gives up.
const MAX_RESTARTS: u32 = 20;
/// A worker that ran this long without dying counts as healthy again.
const HEALTHY_AFTER: Duration = Duration::from_secs(60);
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

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Jobs at once.
    pub concurrency: usize,
    /// How long in-flight jobs get after the shutdown signal.
    pub shutdown_timeout: Duration,
    /// The maintenance loop beside the worker (`None`: none in this process).
    pub maintenance: Option<Maintenance>,
    /// What runs each job.
    pub runner: Runner,
    /// Heartbeat period (`WORKER_HEARTBEAT_SECS`).
    pub heartbeat: Duration,
    /// Where to serve `/healthz`, `/readyz` and `/metrics` (`WORKER_HTTP_ADDR`), and the
    /// telemetry whose metrics `/metrics` renders.
    pub http: Option<(SocketAddr, Telemetry)>,
    /// `http` is the default address, not one set: when another process holds it, the worker
    /// warns and serves nothing instead of failing (several replicas on one host).
    pub http_optional: bool,
}

/// How often a worker samples its gauges (queue depth, oldest due job, lag).
const SAMPLE_EVERY: Duration = Duration::from_secs(5);

impl WorkerOptions {
    /// `concurrency` jobs at once, the production runner, no maintenance loop.
    pub fn new(concurrency: usize, shutdown_timeout: Duration) -> WorkerOptions {
        WorkerOptions {
            concurrency,
            shutdown_timeout,
            maintenance: None,
            runner: sync_runner,
            heartbeat: HEARTBEAT,
            http: None,
            http_optional: false,
        }
    }
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
    let running = Arc::new(AtomicBool::new(false));
    let http = match &options.http {
        Some((addr, telemetry)) => match health::bind(*addr, "WORKER_HTTP_ADDR").await {
            Ok(listener) => {
                tracing::info!(http.addr = %listener.local_addr()?, "serving /healthz, /readyz and /metrics");
                Some((listener, telemetry.clone()))
            }
            Err(e) if options.http_optional => {
                tracing::warn!(
                    "{e:#}: another process holds the default address; this worker runs without \
                     /healthz, /readyz and /metrics (set WORKER_HTTP_ADDR to a free address, or off)"
                );
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let (stop, stopped) = watch::channel(false);
    let stopping = engine.stopping.clone();
    let shutdown_timeout = options.shutdown_timeout;
    tokio::spawn(async move {
        if let Err(e) = shutdown.await {
            tracing::error!(error = %e, "cannot wait for the shutdown signal; stopping");
        }
        tracing::info!(
            shutdown_timeout_secs = shutdown_timeout.as_secs(),
            "shutdown signal: draining (no new jobs; batches in flight commit or are released)"
        );
        // Runs in flight stop carrying on to their next batch; their next jobs queue instead.
        stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = stop.send(true);
    });
    let mut side = Vec::new();
    if let Some(settings) = options.maintenance {
        let pool = engine.pool.clone();
        side.push(tokio::spawn(maintenance::run(
            pool,
            settings,
            signalled(stopped.clone()),
        )));
    }
    if let Some((listener, telemetry)) = http {
        let readiness = Readiness {
            pool: engine.pool.clone(),
            running: running.clone(),
        };
        let stop = signalled(stopped.clone());
        side.push(tokio::spawn(async move {
            if let Err(e) = health::serve(listener, readiness, telemetry, stop).await {
                tracing::error!(error = %e, "the health endpoint stopped");
            }
        }));
        let pool = engine.pool.clone();
        side.push(tokio::spawn(gauges::run(
            pool,
            SAMPLE_EVERY,
            signalled(stopped.clone()),
        )));
    }
    let result = supervise(&engine, &options, &name, &stopped, &running).await;
    for task in side {
        let _ = task.await;
    }
    result
}

/// Runs apalis's worker, starting it again (fresh name, growing back-off) whenever it ends
/// without the shutdown signal.
async fn supervise(
    engine: &Arc<Engine>,
    options: &WorkerOptions,
    name: &str,
    stopped: &watch::Receiver<bool>,
    running: &AtomicBool,
) -> anyhow::Result<()> {
    let mut restarts = 0u32;
    for incarnation in 0.. {
        let current = if incarnation == 0 {
            name.to_owned()
        } else {
            format!("{name}-r{incarnation}")
        };
        let started = Instant::now();
        running.store(true, Ordering::SeqCst);
        let outcome = run_once(engine.clone(), options, &current, stopped.clone()).await;
        running.store(false, Ordering::SeqCst);
        // The monitor returns after the shutdown timeout even with batches still in flight;
        // they were dropped with it and their transactions roll back, so hand their jobs back.
        release_held_jobs(&engine.pool, &current).await;
        if *stopped.borrow() {
            if let Ok(mut conn) = engine.pool.acquire().await {
                let _ = queue::retire_worker(&mut conn, &current).await;
            }
            tracing::info!("worker stopped");
            return Ok(());
        }
        let error = outcome.err().map_or_else(
            || "the worker stopped without a shutdown signal".to_owned(),
            |e| format!("{e:#}"),
        );
        restarts = if started.elapsed() >= HEALTHY_AFTER {
            1
        } else {
            restarts + 1
        };
        if restarts > MAX_RESTARTS {
            tracing::error!(worker.name = %current, error, "worker keeps failing; giving up");
            anyhow::bail!("the worker stopped unexpectedly {restarts} times in a row: {error}");
        }
        let backoff = backoff(restarts);
        tracing::error!(worker.name = %current, error, restart_in = ?backoff, "worker stopped unexpectedly; restarting");
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = signalled(stopped.clone()) => return Ok(()),
        }
    }
    Ok(())
}

/// 2^(n-1) seconds, capped.
fn backoff(n: u32) -> Duration {
    Duration::from_secs(1u64 << n.saturating_sub(1).min(5)).min(MAX_BACKOFF)
}

/// Resolves once the shutdown signal has been seen.
async fn signalled(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

async fn run_once(
    engine: Arc<Engine>,
    options: &WorkerOptions,
    name: &str,
    stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let pool = engine.pool.clone();
    let config = Config::default()
        .queue(QUEUE)
        .batch_size(options.concurrency)
        .heartbeat_interval(options.heartbeat)
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
    let concurrency = options.concurrency;
    let context = Arc::new(Handler {
        engine,
        runner: options.runner,
    });
    let worker_name = name.to_owned();
    Monitor::new()
        .register(move |_restarts| {
            WorkerBuilder::new(worker_name.as_str())
                .backend(backend.clone())
                .data(context.clone())
                .concurrency(concurrency)
                .build(handle)
        })
        .shutdown_timeout(options.shutdown_timeout)
        .run_with_signal(async move {
            signalled(stopped).await;
            Ok(())
        })
        .await?;
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

/// What every job of the worker shares.
struct Handler {
    engine: Arc<Engine>,
    runner: Runner,
}

async fn handle(
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
    if attempt.current() > 0
        && queue::taken_over(&engine.pool, &job_id)
            .await
            .unwrap_or(false)
    {
        tracing::warn!(parent: &span, "taking over a job whose worker stopped heartbeating");
    }
    let kind = if payload.get("after_run").is_some() {
        "scheduled"
    } else if payload.get("webhooks_of").is_some() {
        "webhooks"
    } else {
        "batch"
    };
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

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
