//! The gauges a worker samples from the database every few seconds: jobs by state, the age of
//! the oldest due job, and each pair's lag behind Xero. Every replica samples (the queries are
//! small and indexed); dashboards take the maximum over instances.

use std::time::Duration;

use opentelemetry::KeyValue;
use sqlx::PgPool;
use uuid::Uuid;

use crate::sync::queue::QUEUE;

/// Samples every `every` until `shutdown` resolves; a failed sample is logged and skipped.
pub async fn run(pool: PgPool, every: Duration, shutdown: impl Future<Output = ()>) {
    crate::shutdown::every(every, shutdown, || async {
        if let Err(e) = sample(&pool).await {
            tracing::debug!(error = %e, "sampling the queue's gauges failed");
        }
    })
    .await;
}

/// One sample of every gauge.
pub async fn sample(pool: &PgPool) -> Result<(), sqlx::Error> {
    sample_depth(pool).await?;
    let oldest: f64 = sqlx::query_scalar(
        "SELECT coalesce(extract(epoch FROM now() - min(run_at)), 0)::float8 FROM apalis.jobs
          WHERE job_type = $1 AND run_at < now()
            AND (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts))",
    )
    .bind(QUEUE)
    .fetch_one(pool)
    .await?;
    crate::metrics::get().oldest_due_age.record(oldest, &[]);
    sample_lag(pool).await
}

/// Jobs by state.
async fn sample_depth(pool: &PgPool) -> Result<(), sqlx::Error> {
    let depth: Vec<(String, i64)> = sqlx::query_as(
        "SELECT state, count(*) FROM (
             SELECT CASE
                 WHEN status IN ('Queued', 'Running') THEN 'running'
                 WHEN status = 'Failed' AND attempts >= max_attempts THEN 'failed'
                 WHEN status = 'Failed' THEN 'retrying'
                 WHEN xero.job_payload(job) ? 'after_run' THEN 'scheduled'
                 WHEN run_at > now() THEN 'snoozed'
                 ELSE 'queued' END AS state
               FROM apalis.jobs WHERE job_type = $1 AND status <> 'Done') j
          GROUP BY state",
    )
    .bind(QUEUE)
    .fetch_all(pool)
    .await?;
    let states = [
        "queued",
        "running",
        "snoozed",
        "retrying",
        "failed",
        "scheduled",
    ];
    for state in states {
        let n = depth
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        let labels = [KeyValue::new("state", state)];
        crate::metrics::get().queue_depth.record(n, &labels);
    }
    Ok(())
}

/// How long since each pair last completed a run: what changed in Xero since may be missing.
/// Not now minus the watermark, which is the last *change* read: a set that rarely changes
/// (currencies, linked transactions, branding themes) would seem to fall ever further behind
/// while every run completes.
async fn sample_lag(pool: &PgPool) -> Result<(), sqlx::Error> {
    let m = crate::metrics::get();
    let lags: Vec<(Uuid, String, f64)> = sqlx::query_as(
        "SELECT tenant_id, entity, extract(epoch FROM now() - last_success_at)::float8
           FROM xero.sync_progress
          WHERE last_success_at IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut worst: std::collections::BTreeMap<&str, f64> = Default::default();
    for (tenant, entity, lag) in &lags {
        let mut labels = m.tenant(*tenant);
        if labels.is_empty() {
            let w = worst.entry(entity).or_insert(*lag);
            *w = w.max(*lag);
            continue;
        }
        labels.push(KeyValue::new("entity", entity.clone()));
        m.lag.record(*lag, &labels);
    }
    for (entity, lag) in worst {
        m.lag
            .record(lag, &[KeyValue::new("entity", entity.to_owned())]);
    }
    Ok(())
}
