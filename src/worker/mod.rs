//! A worker process: apalis claims batch jobs from Postgres (LISTEN/NOTIFY plus a quarter-second
//! poll), runs up to `concurrency` at once, heartbeats so a dead replica's jobs return within
//! about fifteen seconds, and on shutdown stops claiming and lets in-flight batches commit.
//! Beside it runs the maintenance loop (one leader at a time across replicas).
//!
//! The worker outlives its database: when apalis's worker ends on its own (its backend lost
//! the database), it is started again under a fresh name after a back-off, so a Postgres
//! restart costs a pause, not the process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use apalis::prelude::*;
use apalis_postgres::{Config, PostgresStorage, Pubsub};
use serde_json::Value;
use tokio::sync::watch;

mod job;

use job::{Handler, backoff, handle};
pub use job::{Runner, sync_runner};

use crate::gauges;
use crate::health::{self, Readiness};
use crate::sync::Engine;
use crate::sync::maintenance::{self, Maintenance};
use crate::sync::queue::{self, QUEUE};
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
    /// Where to LISTEN for new jobs when the engine's pool cannot (a transaction-mode pooler
    /// drops notifications): a pool straight to Postgres. `None`: the engine's pool.
    pub listen: Option<sqlx::PgPool>,
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
            listen: None,
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

/// The health and metrics endpoint's listener, if it has an address. The default address
/// taken by another process on the host (a second replica) is a warning, not an error.
async fn bind_http(
    options: &WorkerOptions,
) -> anyhow::Result<Option<(tokio::net::TcpListener, Telemetry)>> {
    let Some((addr, telemetry)) = &options.http else {
        return Ok(None);
    };
    match health::bind(*addr, "WORKER_HTTP_ADDR").await {
        Ok(listener) => {
            tracing::info!(http.addr = %listener.local_addr()?, "serving /healthz, /readyz and /metrics");
            Ok(Some((listener, telemetry.clone())))
        }
        Err(e) if options.http_optional => {
            tracing::warn!(
                "{e:#}: another process holds the default address; this worker runs without \
                 /healthz, /readyz and /metrics (set WORKER_HTTP_ADDR to a free address, or off)"
            );
            Ok(None)
        }
        Err(e) => Err(e),
    }
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
    let http = bind_http(&options).await?;
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
        .stream(Pubsub::new(
            options.listen.clone().unwrap_or_else(|| pool.clone()),
            QUEUE.to_owned(),
        ))
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
