//! What the planner tests share: workers with their own settings, deadlines, the follow-up
//! runs and logged runs as the database holds them, and the simulator's counts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::Harness;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgDatabaseError;
use uuid::Uuid;
use xero_sync::config::{Interval, SyncArgs};
use xero_sync::sync::Engine;
use xero_sync::worker::{self, WorkerOptions};
use xero_sync_workers::registry;

// ---------------------------------------------------------------------------------------------
// Helpers

pub const HOUR: Duration = Duration::from_secs(3600);

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Batch settings with a given interval and `FORCE_FULL_SYNC`.
pub fn sync_args(batch_size: u32, interval: Duration, force_full: bool) -> SyncArgs {
    SyncArgs {
        force_full,
        interval: Interval(interval),
        ..crate::support::sync_args(batch_size)
    }
}

/// An in-process worker built from our own settings (the harness's always has a 1 h interval).
pub struct Worker {
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Worker {
    pub fn start(h: &Harness, sync: &SyncArgs, concurrency: usize) -> Worker {
        let engine: Arc<Engine> = xero_sync::app::engine(
            h.db.pool.clone(),
            &h.http,
            &h.xero,
            sync,
            registry(),
            h.keys.clone(),
        )
        .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let options = WorkerOptions::new(concurrency, secs(30));
        let task = tokio::spawn(worker::run(
            engine,
            options,
            worker::unique_name(),
            async move {
                let _ = stopped.await;
                Ok(())
            },
        ));
        Worker { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(secs(40), self.task)
            .await
            .expect("the worker stops within 40 s")
            .unwrap()
            .unwrap();
    }
}

/// A deadline for polling loops: `tick` waits a little, and fails the test once time is up.
pub struct Deadline {
    pub until: Instant,
}

impl Deadline {
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            until: Instant::now() + limit,
        }
    }

    pub async fn tick(&self, waiting_for: &str) {
        assert!(
            Instant::now() < self.until,
            "timed out waiting for {waiting_for}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One scheduled next run (`next:{tenant}:{entity}:{after_run}` in `apalis.jobs`).
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub tenant_id: Uuid,
    pub entity: String,
    pub after_run: Uuid,
    pub key: String,
    pub status: String,
    pub run_at: DateTime<Utc>,
    pub last_result: Option<String>,
}

/// Every scheduled next run, pending or not, oldest first.
pub async fn follow_ups(pool: &PgPool) -> Vec<FollowUp> {
    type Row = (Value, String, String, DateTime<Utc>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT convert_from(job, 'UTF8')::jsonb, idempotency_key, status, run_at,
                last_result::text
           FROM apalis.jobs
          WHERE starts_with(idempotency_key, 'next:')
          ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(job, key, status, run_at, last_result)| FollowUp {
            tenant_id: job["tenant_id"].as_str().unwrap().parse().unwrap(),
            entity: job["entity"].as_str().unwrap().to_owned(),
            after_run: job["after_run"].as_str().unwrap().parse().unwrap(),
            key,
            status,
            run_at,
            last_result,
        })
        .collect()
}

/// The pending scheduled next runs, by (tenant, entity).
pub async fn pending_follow_ups(pool: &PgPool) -> BTreeMap<(Uuid, String), Vec<FollowUp>> {
    let mut by_pair: BTreeMap<(Uuid, String), Vec<FollowUp>> = BTreeMap::new();
    for f in follow_ups(pool).await {
        if f.status == "Pending" {
            by_pair
                .entry((f.tenant_id, f.entity.clone()))
                .or_default()
                .push(f);
        }
    }
    by_pair
}

/// A run as `xero.sync_log` records it.
#[derive(Debug, Clone)]
pub struct LoggedRun {
    pub run_id: Uuid,
    pub tenant_id: Uuid,
    pub entity: String,
    pub mode: String,
    pub status: String,
    pub finished_at: Option<DateTime<Utc>>,
    pub api_calls: i32,
    pub records: i64,
}

/// Every run, in the order they started.
pub async fn runs(pool: &PgPool) -> Vec<LoggedRun> {
    type Row = (
        Uuid,
        Uuid,
        String,
        String,
        String,
        Option<DateTime<Utc>>,
        i32,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT run_id, tenant_id, entity, mode, status, finished_at, api_calls, records
           FROM xero.sync_log ORDER BY started_at, entity",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(
            |(run_id, tenant_id, entity, mode, status, finished_at, api_calls, records)| {
                LoggedRun {
                    run_id,
                    tenant_id,
                    entity,
                    mode,
                    status,
                    finished_at,
                    api_calls,
                    records,
                }
            },
        )
        .collect()
}

pub async fn run(pool: &PgPool, run_id: Uuid) -> LoggedRun {
    runs(pool)
        .await
        .into_iter()
        .find(|r| r.run_id == run_id)
        .unwrap_or_else(|| panic!("no run {run_id}"))
}

/// Asserts that every pair of `completed` has exactly one pending next run: it follows that
/// run and is due the pair's learnt interval after the run finished — `interval` after a run
/// that found something new, twice the one before after each run that found nothing.
pub async fn assert_one_follow_up_per_pair(
    pool: &PgPool,
    completed: &[LoggedRun],
    interval: Duration,
) {
    let pending = pending_follow_ups(pool).await;
    let pairs: Vec<(Uuid, String)> = completed
        .iter()
        .map(|r| (r.tenant_id, r.entity.clone()))
        .collect();
    assert_eq!(
        pending.keys().cloned().collect::<Vec<_>>(),
        {
            let mut sorted = pairs.clone();
            sorted.sort();
            sorted
        },
        "pending follow-ups: {pending:#?}"
    );
    for run in completed {
        let for_pair = &pending[&(run.tenant_id, run.entity.clone())];
        assert_eq!(for_pair.len(), 1, "{}: {for_pair:#?}", run.entity);
        let next = &for_pair[0];
        assert_eq!(
            next.after_run, run.run_id,
            "{} follows its last run",
            run.entity
        );
        assert_eq!(
            next.key,
            format!("next:{}:{}:{}", run.tenant_id, run.entity, run.run_id)
        );
        let (learnt, changed, unchanged): (f64, bool, i32) = sqlx::query_as(
            "SELECT p.interval_secs, l.changed, p.unchanged_runs
               FROM xero.sync_progress p JOIN xero.sync_log l ON l.run_id = p.last_run
              WHERE p.tenant_id = $1 AND p.entity = $2",
        )
        .bind(run.tenant_id)
        .bind(&run.entity)
        .fetch_one(pool)
        .await
        .unwrap();
        let expected = if changed {
            interval
        } else {
            interval * 2u32.pow(unchanged.clamp(1, 10) as u32)
        };
        assert_eq!(
            Duration::from_secs_f64(learnt),
            expected.min(secs(86_400)),
            "{}",
            run.entity
        );
        // The worker's clock sets `run_at`, Postgres's `finished_at`: the same machine.
        let gap = (next.run_at - run.finished_at.unwrap()).to_std().unwrap();
        assert!(
            gap.abs_diff(expected) < secs(3),
            "{} is due {gap:?} after its run finished, not {expected:?}",
            run.entity
        );
    }
}

/// Xero calls per endpoint in `/sim/stats`, whatever their status.
pub fn calls_by_endpoint(stats: &Value) -> BTreeMap<String, u64> {
    stats["requests"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(endpoint, by_status)| {
            let n = by_status
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            (endpoint.clone(), n)
        })
        .collect()
}

/// The cursor keys the simulator answered for one endpoint (`Invoices?ims=…&page=1&…`).
pub fn served_cursors(stats: &Value, endpoint: &str) -> Vec<String> {
    stats["served"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["endpoint"] == endpoint)
        .map(|s| s["cursor"].as_str().unwrap().to_owned())
        .collect()
}

/// A pair's stored watermark.
pub async fn watermark(
    pool: &PgPool,
    tenant: Uuid,
    entity: &str,
) -> (Option<DateTime<Utc>>, Option<i64>) {
    sqlx::query_as(
        "SELECT modified_after, last_offset FROM xero.sync_progress
          WHERE tenant_id = $1 AND entity = $2",
    )
    .bind(tenant)
    .bind(entity)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Mutates `count` records of `entity` in the simulator; returns its outcome.
pub async fn mutate(h: &Harness, tenant: Uuid, entity: &str, count: usize) -> Value {
    h.sim_json(
        "POST",
        "/sim/mutate",
        Some(json!({"tenant_id": tenant, "entity": entity, "count": count})),
    )
    .await
}

/// `SELECT xero.request_sync(...)` as an operator would type it in psql: plain SQL text.
pub async fn request_sync_sql(pool: &PgPool, call: String) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {call}")))
        .fetch_all(pool)
        .await
}

pub fn pg_error(error: &sqlx::Error) -> &PgDatabaseError {
    error
        .as_database_error()
        .unwrap_or_else(|| panic!("not a database error: {error}"))
        .downcast_ref::<PgDatabaseError>()
}
