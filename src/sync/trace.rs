//! Traces of a run: every batch job of a run is a child of the run's own span, whose W3C
//! `traceparent` is kept on the run (`xero.sync_log.traceparent`), so a whole run reads as one
//! trace whichever replica ran which batch, and however often a batch was retried. A retried or
//! snoozed attempt also links to the attempt before it (its `traceparent` is left in the job's
//! metadata). Span and attribute names follow OpenTelemetry's messaging conventions where they
//! fit, plus the engine's dotted fields; nothing secret is ever recorded.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::engine::Engine;
use super::job::{BatchJob, Payload};
use super::queue::QUEUE;
use crate::telemetry;

/// The job metadata key holding the `traceparent` of a job's previous attempt.
pub const ATTEMPT_KEY: &str = "xero_sync.attempt";

/// The span of one job.
pub fn job_span(job_id: &str, worker: &str) -> tracing::Span {
    tracing::info_span!(
        "job",
        otel.name = "process xero-sync",
        otel.kind = "consumer",
        messaging.system = "xero_sync",
        messaging.operation.type = "process",
        messaging.destination.name = QUEUE,
        messaging.message.id = %job_id,
        job.id = %job_id,
        worker.name = worker,
        xero.tenant_id = tracing::field::Empty,
        sync.entity = tracing::field::Empty,
        sync.run_id = tracing::field::Empty,
        sync.seq = tracing::field::Empty,
        rows.upserted = tracing::field::Empty,
    )
}

/// Places a claimed job's span in its run's trace and links it to the job's previous attempt.
/// Does nothing when no trace is exported.
pub async fn adopt(
    engine: &Engine,
    span: &tracing::Span,
    payload: &Value,
    previous_attempt: Option<&str>,
) {
    if !telemetry::exporting() {
        return;
    }
    if let Some(previous) = previous_attempt {
        telemetry::link(span, previous);
    }
    match Payload::decode(payload.clone()) {
        Ok(Payload::Batch(job)) => adopt_batch(engine, span, &job).await,
        Ok(Payload::Hooks(job)) => {
            let stored: Option<Option<String>> = sqlx::query_scalar(
                "SELECT traceparent FROM xero.webhook_deliveries WHERE delivery_id = $1",
            )
            .bind(job.delivery)
            .fetch_optional(&engine.pool)
            .await
            .ok()
            .flatten();
            if let Some(Some(traceparent)) = stored {
                telemetry::continue_trace(span, &traceparent);
            }
        }
        _ => {}
    }
}

/// Places a batch's span in its run's trace (creating the run's span if it has none yet,
/// which only the first batch does).
pub async fn adopt_batch(engine: &Engine, span: &tracing::Span, job: &BatchJob) {
    if !telemetry::exporting() {
        return;
    }
    if let Some(parent) = run_trace(engine, job.run_id, job.tenant_id, &job.entity).await {
        telemetry::continue_trace(span, &parent);
    }
}

/// The run's `traceparent`: the stored one, or a new run span's (first writer wins).
async fn run_trace(engine: &Engine, run_id: Uuid, tenant_id: Uuid, entity: &str) -> Option<String> {
    let stored: Option<Option<String>> =
        sqlx::query_scalar("SELECT traceparent FROM xero.sync_log WHERE run_id = $1")
            .bind(run_id)
            .fetch_optional(&engine.pool)
            .await
            .ok();
    if let Some(Some(traceparent)) = stored {
        return Some(traceparent);
    }
    // The run's own span: a root, closed at once; every batch becomes its child.
    let span = tracing::info_span!(
        parent: None,
        "run",
        otel.name = format!("run {entity}"),
        xero.tenant_id = %tenant_id,
        sync.entity = entity,
        sync.run_id = %run_id,
    );
    let fresh = span.in_scope(telemetry::traceparent)?;
    sqlx::query_scalar(
        "UPDATE xero.sync_log SET traceparent = coalesce(traceparent, $2) WHERE run_id = $1
         RETURNING traceparent",
    )
    .bind(run_id)
    .bind(&fresh)
    .fetch_optional(&engine.pool)
    .await
    .ok()
    .flatten()
}

/// Leaves the current attempt's `traceparent` in the job's metadata, for the next attempt to
/// link to. In the transaction that puts the job back.
pub async fn remember_attempt(conn: &mut PgConnection, job_id: &str) -> Result<(), sqlx::Error> {
    let Some(traceparent) = telemetry::traceparent() else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE apalis.jobs SET metadata = coalesce(metadata, ''::hstore) || hstore($2, $3)
          WHERE id = $1",
    )
    .bind(job_id)
    .bind(ATTEMPT_KEY)
    .bind(traceparent)
    .execute(conn)
    .await?;
    Ok(())
}
