//! One Xero budget shared by every replica, kept in Postgres: before each call a lease is
//! taken for the tenant (at most `XERO_CONCURRENT_LIMIT` in flight, within the tenant's minute
//! and day windows and the app's minute window), and after it the lease is given back with what
//! Xero's headers said and the bytes the response cost. Both are one statement each
//! (`xero.take_call`, `xero.return_call`, see the migration), so replicas agree without talking
//! to each other, and a replica that dies mid-call leaves a lease that expires.
//!
//! Pacing follows Xero's fixed windows: a window starts with its first call and the counters
//! are Xero's own whenever a response carries `X-*-Remaining`. A call that cannot be taken says
//! how long to wait: briefly, the batch waits in place; longer, the job is snoozed so the worker
//! serves other tenants meanwhile.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::xero::client::Report;

/// The limits calls are taken under: Xero's, unless configured otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Calls in flight per tenant (Xero: 5).
    pub concurrent: u32,
    /// Calls per tenant per minute window (Xero: 60).
    pub per_minute: u32,
    /// Calls per tenant per day window (Xero: 5,000; 1,000 on the Starter tier).
    pub per_day: u32,
    /// Calls per app per minute window across all tenants (Xero: 10,000).
    pub app_per_minute: u32,
    /// Length of the minute window (60 s; shorter only against a simulator with a shortened
    /// minute).
    pub window: Duration,
    /// Calls a tenant may make at once; after them its calls are paced at the minute's rate
    /// (one a second at Xero's 60), so one tenant's backlog does not land on the database in
    /// the first seconds of every window.
    pub burst: u32,
    /// Share of a tenant's day that full runs leave to incremental ones.
    pub day_reserve: f64,
    /// How long a lease outlives a call that never returns (a replica that died mid-call).
    pub lease: Duration,
    /// Monthly response bytes per tenant after which full runs wait for the next month.
    pub egress_budget: Option<u64>,
    /// The same for all tenants together.
    pub app_egress_budget: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            concurrent: 5,
            per_minute: 60,
            per_day: 5_000,
            app_per_minute: 10_000,
            window: Duration::from_secs(60),
            burst: 20,
            day_reserve: 0.1,
            lease: Duration::from_secs(60),
            egress_budget: None,
            app_egress_budget: None,
        }
    }
}

impl Limits {
    /// The limits `XERO_*` give.
    pub fn from_args(xero: &crate::config::XeroArgs) -> Limits {
        let megabytes = |mb: u64| (mb > 0).then_some(mb * 1_000_000);
        Limits {
            concurrent: xero.concurrent_limit,
            per_minute: xero.minute_limit,
            per_day: xero.day_limit,
            app_per_minute: xero.app_minute_limit,
            window: Duration::from_millis(xero.minute_window_ms),
            burst: xero.burst,
            day_reserve: f64::from(xero.day_reserve_percent) / 100.0,
            // A call outlives its timeout by a margin before its lease is taken back.
            lease: xero.timeout() + Duration::from_secs(10),
            egress_budget: megabytes(xero.egress_budget_mb),
            app_egress_budget: megabytes(xero.app_egress_budget_mb),
        }
    }
}

/// The answer to "may I call Xero for this tenant now?".
#[derive(Debug, Clone, PartialEq)]
pub enum Take {
    /// Yes: give the lease back after the call.
    Granted(i64),
    /// Not yet: wait this long, for this reason.
    Wait(Duration, String),
}

/// The shared budget. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Budget {
    pool: PgPool,
    limits: Limits,
    /// `limits` as the `xero.call_limits` record, in JSON (`jsonb_populate_record`).
    record: serde_json::Value,
}

impl Budget {
    /// A budget over the tables in `pool` under `limits`. The day limit is put on the metrics
    /// (`xero_sync.xero.day_limit`), so that each tenant's day calls can be read against it.
    pub fn new(pool: PgPool, limits: Limits) -> Budget {
        crate::metrics::get()
            .day_limit
            .record(i64::from(limits.per_day), &[]);
        let record = serde_json::json!({
            "concurrent": limits.concurrent,
            "per_minute": limits.per_minute,
            "per_day": limits.per_day,
            "app_per_minute": limits.app_per_minute,
            "window_secs": limits.window.as_secs_f64(),
            "burst": limits.burst,
            "day_reserve": limits.day_reserve,
            "lease_secs": limits.lease.as_secs_f64(),
            "egress_budget": limits.egress_budget,
            "app_egress": limits.app_egress_budget,
        });
        Budget {
            pool,
            limits,
            record,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Takes a call for `tenant_id`; `full` when it belongs to a full run (which yields to
    /// incremental runs when the day or the month's egress runs low).
    pub async fn take(&self, tenant_id: Uuid, full: bool) -> Result<Take, sqlx::Error> {
        let (lease, wait, reason): (Option<i64>, Option<f64>, Option<String>) = sqlx::query_as(
            "SELECT lease, wait_secs, reason FROM xero.take_call($1, $2,
                    jsonb_populate_record(NULL::xero.call_limits, $3))",
        )
        .bind(tenant_id)
        .bind(full)
        .bind(&self.record)
        .fetch_one(&self.pool)
        .await?;
        Ok(match lease {
            Some(lease) => Take::Granted(lease),
            None => Take::Wait(
                Duration::from_secs_f64(wait.unwrap_or(1.0).clamp(0.0, 31.0 * 86_400.0)),
                reason.unwrap_or_default(),
            ),
        })
    }

    /// Gives back the lease of a call that never reached Xero: not counted, and the tenant
    /// marked unreachable (`status` says so) until a batch is answered again.
    pub async fn unreached(
        &self,
        lease: i64,
        tenant_id: Uuid,
        error: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT xero.return_unreached($1, $2, $3)")
            .bind(lease)
            .bind(tenant_id)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives a lease back with what the call's response said.
    pub async fn give_back(
        &self,
        lease: i64,
        tenant_id: Uuid,
        entity: &str,
        report: &Report,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "SELECT xero.return_call($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                    jsonb_populate_record(NULL::xero.call_limits, $12))",
        )
        .bind(lease)
        .bind(tenant_id)
        .bind(entity)
        .bind(report.status.map(i32::from))
        .bind(report.remaining.minute.map(clamp_i32))
        .bind(report.remaining.day.map(clamp_i32))
        .bind(report.remaining.app_minute.map(clamp_i32))
        .bind(report.problem.as_deref())
        .bind(report.retry_after.map(|d| d.as_secs_f64()))
        .bind(report.wire_bytes.map(|b| b as i64))
        .bind(report.decoded_bytes.map(|b| b as i64))
        .bind(&self.record)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn clamp_i32(n: i64) -> i32 {
    n.clamp(0, i64::from(i32::MAX)) as i32
}
