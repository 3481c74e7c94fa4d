//! The gauges a worker samples from the database every few seconds: jobs by state, the age of
//! the oldest due job, each pair's lag behind Xero, connections and organisations by status,
//! and each organisation's calls of its Xero day. Every replica samples (the queries are small
//! and indexed); dashboards and alerts take the maximum over instances.
//!
//! A gauge keeps the last value recorded for each label set until the process ends, so a
//! per-tenant series whose tenant changes state is recorded with every value it can take (a
//! tenant's status is 1 under its status and 0 under the others), never left to go stale at 1.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::Gauge;
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
    sample_lag(pool).await?;
    sample_connections(pool).await?;
    sample_tenants(pool).await?;
    sample_day_calls(pool).await
}

/// The count of `key` in `counts`, 0 when absent.
fn count_of(counts: &[(String, i64)], key: &str) -> i64 {
    counts.iter().find(|(k, _)| k == key).map_or(0, |(_, n)| *n)
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
        let labels = [KeyValue::new("state", state)];
        crate::metrics::get()
            .queue_depth
            .record(count_of(&depth, state), &labels);
    }
    Ok(())
}

/// How long since each pair last completed a run: what changed in Xero since may be missing.
/// Not now minus the watermark, which is the last *change* read: a set that rarely changes
/// (currencies, linked transactions, branding themes) would seem to fall ever further behind
/// while every run completes. Paused and disconnected organisations fall behind on purpose:
/// their pairs are left out of the worst per entity (tenant labels off); per tenant they are
/// sampled still, and alerts leave them out by `xero_sync.tenants`.
async fn sample_lag(pool: &PgPool) -> Result<(), sqlx::Error> {
    let m = crate::metrics::get();
    let lags: Vec<(Uuid, String, f64, Option<f64>, bool)> = sqlx::query_as(
        "SELECT p.tenant_id, p.entity, extract(epoch FROM now() - p.last_success_at)::float8,
                p.interval_secs, t.status = 'active'
           FROM xero.sync_progress p JOIN xero.tenants t USING (tenant_id)
          WHERE p.last_success_at IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let kept: Vec<_> = lags
        .into_iter()
        .filter(|(.., active)| *active || m.tenant_labels())
        .collect();
    let entity = |entity: &str| vec![KeyValue::new("entity", entity.to_owned())];
    let points = kept.iter().map(|(t, e, lag, ..)| (*t, entity(e), *lag));
    record_per_tenant(&m.lag, points);
    // The same lag in the pair's own interval (each pair learns its own): what "stale beyond
    // N intervals" is read from. Pairs that schedule no next run have none.
    let behind = kept.iter().filter_map(|(t, e, lag, interval, _)| {
        let interval = interval.filter(|i| *i > 0.0)?;
        Some((*t, entity(e), lag / interval))
    });
    record_per_tenant(&m.lag_intervals, behind);
    Ok(())
}

/// Connections by status: one that needs re-authorisation syncs nothing until a person
/// connects it again.
async fn sample_connections(pool: &PgPool) -> Result<(), sqlx::Error> {
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM xero.connections GROUP BY status")
            .fetch_all(pool)
            .await?;
    for status in ["active", "needs_reauth", "revoked"] {
        let labels = [KeyValue::new("status", status)];
        crate::metrics::get()
            .connections
            .record(count_of(&counts, status), &labels);
    }
    Ok(())
}

/// Organisations by status: per tenant with tenant labels on, counts without.
async fn sample_tenants(pool: &PgPool) -> Result<(), sqlx::Error> {
    let m = crate::metrics::get();
    let tenants: Vec<(Uuid, String)> = sqlx::query_as("SELECT tenant_id, status FROM xero.tenants")
        .fetch_all(pool)
        .await?;
    let statuses = ["active", "paused", "disconnected"];
    if !m.tenant_labels() {
        for status in statuses {
            let n = tenants.iter().filter(|(_, s)| s == status).count() as i64;
            m.tenants.record(n, &[KeyValue::new("status", status)]);
        }
        return Ok(());
    }
    for (tenant, status) in &tenants {
        for each in statuses {
            let mut labels = m.tenant(*tenant);
            labels.push(KeyValue::new("status", each));
            m.tenants.record(i64::from(status == each), &labels);
        }
    }
    Ok(())
}

/// Each organisation's calls in its current day window (`xero.tenant_budget`; 0 once the window
/// has ended, as `xero.take_call` would reckon it), to be read against `xero_sync.xero.day_limit`.
async fn sample_day_calls(pool: &PgPool) -> Result<(), sqlx::Error> {
    let calls: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT t.tenant_id,
                CASE WHEN b.day_resets_at > now() THEN b.day_used ELSE 0 END::int8
           FROM xero.tenants t LEFT JOIN xero.tenant_budget b USING (tenant_id)",
    )
    .fetch_all(pool)
    .await?;
    let points = calls.into_iter().map(|(tenant, n)| (tenant, Vec::new(), n));
    record_per_tenant(&crate::metrics::get().day_calls, points);
    Ok(())
}

/// Records each point under its tenant and labels; with tenant labels off, the largest value of
/// each label set over all tenants instead.
fn record_per_tenant<T: Copy + PartialOrd>(
    gauge: &Gauge<T>,
    points: impl IntoIterator<Item = (Uuid, Vec<KeyValue>, T)>,
) {
    let m = crate::metrics::get();
    let mut worst: Vec<(Vec<KeyValue>, T)> = Vec::new();
    for (tenant, labels, value) in points {
        if m.tenant_labels() {
            let mut all = m.tenant(tenant);
            all.extend(labels);
            gauge.record(value, &all);
            continue;
        }
        match worst.iter_mut().find(|(l, _)| *l == labels) {
            Some((_, w)) if value > *w => *w = value,
            Some(_) => {}
            None => worst.push((labels, value)),
        }
    }
    for (labels, value) in worst {
        gauge.record(value, &labels);
    }
}
