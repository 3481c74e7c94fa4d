//! Where every pair stands: the query behind `xero-sync status`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::workers::Workers;
use crate::sync::queue::QUEUE;

/// One run, as status shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RunSummary {
    /// The run.
    pub run_id: Uuid,
    /// full or incremental.
    pub mode: String,
    /// running, completed or failed.
    pub status: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Seconds from start to end (or to now while running).
    pub duration_secs: f64,
    /// Records fetched.
    pub records: i64,
    /// Pages committed.
    pub pages: i32,
    /// Xero calls made.
    pub api_calls: i32,
    /// Why it failed.
    pub error: Option<String>,
}

/// Jobs of one pair by state.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct JobCounts {
    /// Due and waiting for a worker.
    pub queued: i64,
    /// Claimed by a worker.
    pub running: i64,
    /// Put back by a rate limit or an outage, due later.
    pub snoozed: i64,
    /// Failed transiently, due again later.
    pub retrying: i64,
    /// Failed for good.
    pub failed: i64,
    /// Scheduled next runs.
    pub scheduled: i64,
}

/// One (tenant, entity).
#[derive(Debug, Clone, Serialize)]
pub struct PairStatus {
    /// The organisation.
    pub tenant_id: Uuid,
    /// Its name.
    pub tenant_name: String,
    /// active or needs_reauth.
    pub connection: String,
    /// Why the connection needs re-authorisation.
    pub connection_error: Option<String>,
    /// The organisation: active, paused or disconnected.
    pub tenant_status: String,
    /// Why it is paused or disconnected.
    pub tenant_status_reason: Option<String>,
    /// When the organisation's Xero calls stopped connecting, and why (cleared by the next
    /// batch Xero answers).
    pub xero_unreachable: Option<Unreachable>,
    /// The entity.
    pub entity: String,
    /// idle, running, completed or failed; a running run no live worker holds or will claim
    /// shows `waiting for a worker`, one held only by a worker that stopped `stalled`.
    pub state: String,
    /// Records the organisation holds for the entity, counted when its last run completed.
    pub records_stored: Option<i64>,
    /// Mode of the current or last run.
    pub mode: Option<String>,
    /// Greatest `UpdatedDateUTC` committed by completed runs.
    pub watermark: Option<DateTime<Utc>>,
    /// Greatest offset (journal number) committed by completed runs.
    pub last_offset: Option<i64>,
    /// The active run.
    pub current_run: Option<RunSummary>,
    /// The last finished run.
    pub last_run: Option<RunSummary>,
    /// When the next scheduled run starts.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The interval the pair has learnt, in seconds (none before its first completed run).
    pub interval_secs: Option<f64>,
    /// Why it is that long.
    pub interval_reason: Option<String>,
    /// Jobs by state.
    pub jobs: JobCounts,
    /// What Xero's responses for this pair cost this calendar month (UTC).
    pub egress: Egress,
    /// The tenant's last check against Xero's Trial Balance (`xero-sync verify`, continuous).
    pub verification: Option<VerificationSummary>,
}

/// An organisation Xero cannot be reached for.
#[derive(Debug, Clone, Serialize)]
pub struct Unreachable {
    /// The first call that failed to connect, since the last answered batch.
    pub since: DateTime<Utc>,
    /// The last connection error.
    pub error: String,
}

/// A tenant's last verification.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct VerificationSummary {
    /// `equal`, `differs`, `still_differs` or `not_verified`.
    pub outcome: String,
    /// When.
    pub verified_at: DateTime<Utc>,
    /// Accounts that differed.
    pub differing: i32,
    /// Why it could not be made, for `not_verified`.
    pub detail: Option<String>,
}

/// Response bytes of one pair in the current month: what Xero bills as egress.
#[derive(Debug, Clone, Copy, Default, Serialize, sqlx::FromRow)]
pub struct Egress {
    /// Calls answered.
    pub calls: i64,
    /// Bytes on the wire (compressed when Xero compressed them).
    pub wire_bytes: i64,
    /// Bytes once decoded.
    pub decoded_bytes: i64,
}

#[derive(sqlx::FromRow)]
struct PairRow {
    tenant_id: Uuid,
    tenant_name: String,
    connection: String,
    connection_error: Option<String>,
    tenant_status: String,
    tenant_status_reason: Option<String>,
    entity: String,
    state: String,
    mode: Option<String>,
    watermark: Option<DateTime<Utc>>,
    last_offset: Option<i64>,
    current_run: Option<Uuid>,
    last_run: Option<Uuid>,
    interval_secs: Option<f64>,
    interval_reason: Option<String>,
    records_stored: Option<i64>,
    unreachable_since: Option<DateTime<Utc>>,
    unreachable_error: Option<String>,
}

/// The status of every connected tenant and every entity it has synced or been asked to. Three
/// queries whatever the number of pairs or finished jobs: the pairs, their runs, and the counts
/// of unfinished jobs (an index keeps finished jobs, the bulk of the table, out of it). A pair's
/// state is read against `workers` (see [`super::workers`]), which the caller shows too.
pub async fn status(pool: &PgPool, workers: &Workers) -> Result<Vec<PairStatus>, sqlx::Error> {
    let rows = pair_rows(pool).await?;
    let run_ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|r| [r.current_run, r.last_run])
        .flatten()
        .collect();
    let mut runs = run_summaries(pool, &run_ids).await?;
    let mut jobs = job_counts(pool).await?;
    let mut egress = month_egress(pool).await?;
    let verifications = last_verifications(pool).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let key = (row.tenant_id, row.entity.clone());
            let (counts, next_run_at, holders) = jobs.remove(&key).unwrap_or_default();
            let state = shown_state(row.state, &counts, &holders, workers);
            let xero_unreachable = row
                .unreachable_since
                .zip(row.unreachable_error)
                .map(|(since, error)| Unreachable { since, error });
            let egress = egress.remove(&key).unwrap_or_default();
            PairStatus {
                current_run: row.current_run.and_then(|id| runs.get(&id).cloned()),
                last_run: row.last_run.and_then(|id| runs.remove(&id)),
                tenant_id: row.tenant_id,
                tenant_name: row.tenant_name,
                connection: row.connection,
                connection_error: row.connection_error,
                tenant_status: row.tenant_status,
                tenant_status_reason: row.tenant_status_reason,
                xero_unreachable,
                entity: row.entity,
                state,
                records_stored: row.records_stored,
                mode: row.mode,
                watermark: row.watermark,
                last_offset: row.last_offset,
                next_run_at,
                interval_secs: row.interval_secs,
                interval_reason: row.interval_reason,
                jobs: counts,
                egress,
                verification: verifications.get(&row.tenant_id).cloned(),
            }
        })
        .collect())
}

/// Every pair with its organisation and connection, in the order `status` shows them.
async fn pair_rows(pool: &PgPool) -> Result<Vec<PairRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.tenant_id, t.tenant_name, c.status AS connection, c.error AS connection_error,
                t.status AS tenant_status, t.status_reason AS tenant_status_reason, p.entity, p.status AS state, p.mode, p.modified_after AS watermark,
                p.last_offset, p.current_run, p.last_run, p.interval_secs, p.interval_reason,
                p.records_stored, t.unreachable_since, t.unreachable_error
           FROM xero.tenants t
           JOIN xero.connections c USING (connection_id)
           JOIN xero.sync_progress p USING (tenant_id)
           LEFT JOIN xero.entities e ON e.name = p.entity
          ORDER BY t.tenant_name, t.tenant_id, e.position NULLS LAST, p.entity",
    )
    .fetch_all(pool)
    .await
}

/// A pair's state as a person should read it: `running` only while a live worker holds one of
/// its jobs or will claim it.
fn shown_state(state: String, jobs: &JobCounts, holders: &[String], workers: &Workers) -> String {
    if state != "running" {
        return state;
    }
    if workers.alive.is_empty() {
        return "waiting for a worker".into();
    }
    let held_by_live = holders.iter().any(|h| workers.is_alive(h));
    if jobs.running > 0 && !held_by_live && jobs.queued == 0 {
        // A live worker takes the job over once the holder's heartbeats are missed.
        return "stalled".into();
    }
    state
}

/// Each tenant's last verification.
async fn last_verifications(
    pool: &PgPool,
) -> Result<HashMap<Uuid, VerificationSummary>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Last {
        tenant_id: Uuid,
        #[sqlx(flatten)]
        summary: VerificationSummary,
    }
    let rows: Vec<Last> = sqlx::query_as(
        "SELECT DISTINCT ON (tenant_id) tenant_id, outcome, verified_at,
                jsonb_array_length(differing) AS differing, detail
           FROM xero.verifications ORDER BY tenant_id, verification_id DESC",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.tenant_id, r.summary)).collect())
}

/// The runs named, by id.
async fn run_summaries(
    pool: &PgPool,
    run_ids: &[Uuid],
) -> Result<HashMap<Uuid, RunSummary>, sqlx::Error> {
    let runs = sqlx::query_as::<_, RunSummary>(
        "SELECT run_id, mode, status, started_at, finished_at,
                extract(epoch FROM coalesce(finished_at, now()) - started_at)::float8
                    AS duration_secs,
                records, pages, api_calls, error
           FROM xero.sync_log WHERE run_id = ANY($1)",
    )
    .bind(run_ids)
    .fetch_all(pool)
    .await?;
    Ok(runs.into_iter().map(|r| (r.run_id, r)).collect())
}

#[derive(sqlx::FromRow)]
struct JobRow {
    tenant_id: Option<Uuid>,
    entity: Option<String>,
    #[sqlx(flatten)]
    counts: JobCounts,
    next_run_at: Option<DateTime<Utc>>,
    holders: Option<Vec<String>>,
}

/// A pair's unfinished jobs, when its next scheduled run starts, and the workers holding its
/// jobs.
type PairJobs = (JobCounts, Option<DateTime<Utc>>, Vec<String>);

/// Unfinished jobs by (tenant, entity), and when each pair's next scheduled run starts.
async fn job_counts(pool: &PgPool) -> Result<HashMap<(Uuid, String), PairJobs>, sqlx::Error> {
    let rows: Vec<JobRow> = sqlx::query_as(
        "WITH j AS (
             SELECT status, run_at, attempts, max_attempts, last_result, lock_by,
                    xero.job_payload(job) AS payload
               FROM apalis.jobs WHERE job_type = $1 AND status <> 'Done')
         SELECT CASE WHEN payload ->> 'tenant_id' ~ '^[0-9a-fA-F-]{36}$'
                     THEN (payload ->> 'tenant_id')::uuid END AS tenant_id,
                payload ->> 'entity' AS entity,
                count(*) FILTER (WHERE status = 'Pending' AND run_at <= now()
                                   AND NOT payload ? 'after_run') AS queued,
                count(*) FILTER (WHERE status IN ('Queued', 'Running')) AS running,
                count(*) FILTER (WHERE status = 'Pending' AND run_at > now()
                                   AND last_result ? 'Snoozed') AS snoozed,
                count(*) FILTER (WHERE status = 'Failed' AND attempts < max_attempts)
                    AS retrying,
                count(*) FILTER (WHERE status = 'Failed' AND attempts >= max_attempts)
                    AS failed,
                count(*) FILTER (WHERE status = 'Pending' AND payload ? 'after_run')
                    AS scheduled,
                min(run_at) FILTER (WHERE status = 'Pending' AND payload ? 'after_run')
                    AS next_run_at,
                array_agg(DISTINCT lock_by) FILTER (WHERE status IN ('Queued', 'Running')
                                                      AND lock_by IS NOT NULL) AS holders
           FROM j GROUP BY 1, 2",
    )
    .bind(QUEUE)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let pair = (r.tenant_id?, r.entity?);
            Some((
                pair,
                (r.counts, r.next_run_at, r.holders.unwrap_or_default()),
            ))
        })
        .collect())
}

/// This month's egress by (tenant, entity).
async fn month_egress(pool: &PgPool) -> Result<HashMap<(Uuid, String), Egress>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        tenant_id: Uuid,
        entity: String,
        #[sqlx(flatten)]
        egress: Egress,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT tenant_id, entity, calls, wire_bytes, decoded_bytes FROM xero.egress
          WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.tenant_id, r.entity), r.egress))
        .collect())
}
