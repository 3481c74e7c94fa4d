//! The engine's metrics, as OpenTelemetry instruments: exported over OTLP when an endpoint is
//! configured, and always rendered on the worker's `/metrics` for Prometheus (see
//! [`crate::telemetry`]). Names follow OpenTelemetry's style (`xero_sync.rows.upserted`);
//! Prometheus sees them as `xero_sync_rows_upserted_total` and so on.
//!
//! Label sets stay bounded: entities, endpoints, statuses, problems and states are small fixed
//! sets. The tenant is a label only on the per-tenant series (lag, response bytes) and only
//! while `METRICS_TENANT_LABELS` is on; with very many organisations, turn it off and those
//! series are summed over tenants.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter};
use uuid::Uuid;

/// Histogram buckets for work that takes from milliseconds to minutes.
pub const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];

/// Every instrument of the engine.
#[derive(Debug)]
pub struct Metrics {
    /// Records stored, by entity.
    pub rows_upserted: Counter<u64>,
    /// Xero calls, by endpoint and HTTP status (`error` when no response came).
    pub xero_calls: Counter<u64>,
    /// Xero's 429s, by `X-Rate-Limit-Problem`.
    pub rate_limited: Counter<u64>,
    /// Jobs put back to wait without spending an attempt, by reason.
    pub snoozes: Counter<u64>,
    /// Time a job ran, by kind (batch, scheduled) and outcome.
    pub job_duration: Histogram<f64>,
    /// Time a batch's transaction took, by entity.
    pub commit_duration: Histogram<f64>,
    /// Jobs of the queue by state (queued, running, snoozed, retrying, failed, scheduled).
    pub queue_depth: Gauge<i64>,
    /// Age of the oldest job that is due and waiting for a worker.
    pub oldest_due_age: Gauge<f64>,
    /// Time since each pair last completed a run, per tenant and entity (see
    /// [`crate::gauges`]).
    pub lag: Gauge<f64>,
    /// The same time in each pair's own interval (1: one interval since the last run).
    pub lag_intervals: Gauge<f64>,
    /// Connections by status (`active`, `needs_reauth`, `revoked`).
    pub connections: Gauge<i64>,
    /// Organisations by status (`active`, `paused`, `disconnected`): per tenant, 1 for its
    /// status and 0 for the others, while tenant labels are on; counts otherwise.
    pub tenants: Gauge<i64>,
    /// Xero calls each tenant made in its current day window (the most of any tenant while
    /// tenant labels are off).
    pub day_calls: Gauge<i64>,
    /// Calls a tenant may make per day window (`XERO_DAY_LIMIT`), as the budget was built with.
    pub day_limit: Gauge<i64>,
    /// Runs that ended without completing, by ending (failed, not_entitled).
    pub runs_ended: Counter<u64>,
    /// Runs completed, by entity and mode.
    pub runs_completed: Counter<u64>,
    /// Access tokens refreshed.
    pub token_refreshes: Counter<u64>,
    /// Response bytes Xero sent (on the wire), per tenant.
    pub response_bytes: Counter<u64>,
    /// Maintenance actions (runs failed or resumed, schedules restored, rows pruned), by kind.
    pub maintenance: Counter<u64>,
    /// Webhook deliveries the receiver answered, by outcome (`stored`, `intent`,
    /// `bad_signature`, `malformed`, `too_large`, `unavailable`).
    pub webhook_deliveries: Counter<u64>,
    /// Webhook events received, by category and whether they were new (`duplicate`).
    pub webhook_events: Counter<u64>,
    /// Time from Xero's `eventDateUtc` to the commit that followed the event, by category.
    pub webhook_delay: Histogram<f64>,
    /// Verifications against Xero's Trial Balance, by outcome.
    pub verifications: Counter<u64>,
    tenant_labels: bool,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The engine's instruments, created from the global meter provider on first use: install the
/// provider ([`crate::telemetry::init`]) before anything records.
pub fn get() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics::new(&opentelemetry::global::meter("xero-sync"), true))
}

/// Turns the tenant label of per-tenant series on or off; only before the first recording.
pub fn init(tenant_labels: bool) {
    let _ = METRICS.set(Metrics::new(
        &opentelemetry::global::meter("xero-sync"),
        tenant_labels,
    ));
    get().start_at_zero();
}

/// A histogram of durations in seconds.
fn seconds(meter: &Meter, name: &'static str, description: &'static str) -> Histogram<f64> {
    meter
        .f64_histogram(name)
        .with_unit("s")
        .with_description(description)
        .with_boundaries(DURATION_BUCKETS.to_vec())
        .build()
}

/// A counter.
fn counter(meter: &Meter, name: &'static str, description: &'static str) -> Counter<u64> {
    meter
        .u64_counter(name)
        .with_description(description)
        .build()
}

/// A gauge of a count.
fn gauge(meter: &Meter, name: &'static str, description: &'static str) -> Gauge<i64> {
    meter.i64_gauge(name).with_description(description).build()
}

/// A gauge of seconds.
fn ages(meter: &Meter, name: &'static str, description: &'static str) -> Gauge<f64> {
    meter
        .f64_gauge(name)
        .with_unit("s")
        .with_description(description)
        .build()
}

impl Metrics {
    fn new(meter: &Meter, tenant_labels: bool) -> Metrics {
        let seconds = |name, description| seconds(meter, name, description);
        let counter = |name, description| counter(meter, name, description);
        let (gauge, ages) = (|n, d| gauge(meter, n, d), |n, d| ages(meter, n, d));
        let ratio = |name, description| meter.f64_gauge(name).with_description(description).build();
        Metrics {
            rows_upserted: counter("xero_sync.rows.upserted", "Records stored, by entity"),
            xero_calls: counter("xero_sync.xero.calls", "Xero calls by endpoint and status"),
            rate_limited: counter("xero_sync.xero.rate_limited", "Xero 429s by problem"),
            snoozes: counter("xero_sync.jobs.snoozed", "Jobs put off without an attempt"),
            job_duration: seconds("xero_sync.job.duration", "Time a job ran"),
            commit_duration: seconds(
                "xero_sync.batch.commit.duration",
                "Time a batch commit took",
            ),
            queue_depth: gauge("xero_sync.queue.depth", "Jobs of the queue by state"),
            oldest_due_age: ages(
                "xero_sync.queue.oldest_due_age",
                "Age of the oldest due job waiting for a worker",
            ),
            lag: ages("xero_sync.lag", "Time since each pair last completed a run"),
            lag_intervals: ratio("xero_sync.lag.intervals", "Lag in each pair's intervals"),
            connections: gauge("xero_sync.connections", "Connections by status"),
            tenants: gauge("xero_sync.tenants", "Organisations by status"),
            day_calls: gauge("xero_sync.xero.day_calls", "Calls in a tenant's day"),
            day_limit: gauge("xero_sync.xero.day_limit", "Calls a tenant may make a day"),
            runs_ended: counter("xero_sync.runs.ended", "Runs that ended without completing"),
            runs_completed: counter("xero_sync.runs.completed", "Runs completed"),
            token_refreshes: counter("xero_sync.tokens.refreshed", "Access tokens refreshed"),
            response_bytes: meter
                .u64_counter("xero_sync.xero.response")
                .with_unit("By")
                .with_description("Response bytes Xero sent, on the wire")
                .build(),
            maintenance: counter(
                "xero_sync.maintenance.actions",
                "Maintenance actions by kind",
            ),
            webhook_deliveries: counter(
                "xero_sync.webhooks.deliveries",
                "Webhook deliveries answered, by outcome",
            ),
            webhook_events: counter(
                "xero_sync.webhooks.events",
                "Webhook events received, by category and novelty",
            ),
            webhook_delay: seconds(
                "xero_sync.webhooks.delay",
                "Time from a webhook event in Xero to its commit here",
            ),
            verifications: counter(
                "xero_sync.verifications",
                "Ledgers checked against Xero's Trial Balance, by outcome",
            ),
            tenant_labels,
        }
    }

    /// Puts the counters of rare events at zero for each of their (fixed) label sets, so that
    /// their series exist from the start: a rate or increase over them is 0, not "no data",
    /// until the first failure, 429 or refresh happens.
    fn start_at_zero(&self) {
        for outcome in ["equal", "differs", "still_differs"] {
            self.verifications
                .add(0, &[KeyValue::new("outcome", outcome)]);
        }
        for ending in ["failed", "not_entitled"] {
            self.runs_ended.add(0, &[KeyValue::new("ending", ending)]);
        }
        for problem in ["minute", "day", "appminute", "concurrent", "other"] {
            self.rate_limited
                .add(0, &[KeyValue::new("problem", problem)]);
        }
        for reason in ["budget", "rate_limited", "offline"] {
            self.snoozes.add(0, &[KeyValue::new("reason", reason)]);
        }
        self.token_refreshes.add(0, &[]);
        for outcome in [
            "stored",
            "intent",
            "bad_signature",
            "malformed",
            "too_large",
            "unavailable",
        ] {
            self.webhook_deliveries
                .add(0, &[KeyValue::new("outcome", outcome)]);
        }
    }

    /// The tenant label of a per-tenant series, unless tenant labels are off.
    pub fn tenant(&self, tenant_id: Uuid) -> Vec<KeyValue> {
        if self.tenant_labels {
            vec![KeyValue::new("tenant_id", tenant_id.to_string())]
        } else {
            Vec::new()
        }
    }

    /// Whether per-tenant series carry the tenant (`METRICS_TENANT_LABELS`).
    pub fn tenant_labels(&self) -> bool {
        self.tenant_labels
    }

    /// Records a job's duration.
    pub fn job_done(&self, kind: &'static str, outcome: &'static str, took: Duration) {
        self.job_duration.record(
            took.as_secs_f64(),
            &[
                KeyValue::new("kind", kind),
                KeyValue::new("outcome", outcome),
            ],
        );
    }
}
