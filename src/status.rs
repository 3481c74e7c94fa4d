//! Where every organisation stands: per tenant and entity the mode, state, watermark, last and
//! current run, and the jobs queued / running / snoozed / retrying / failed / scheduled — plus
//! listing and re-queueing failed jobs. Read-only except `retry_failed`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

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
    /// The entity.
    pub entity: String,
    /// idle, running, completed or failed.
    pub state: String,
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
    /// Jobs by state.
    pub jobs: JobCounts,
}

#[derive(sqlx::FromRow)]
struct PairRow {
    tenant_id: Uuid,
    tenant_name: String,
    connection: String,
    connection_error: Option<String>,
    entity: String,
    state: String,
    mode: Option<String>,
    watermark: Option<DateTime<Utc>>,
    last_offset: Option<i64>,
    current_run: Option<Uuid>,
    last_run: Option<Uuid>,
}

const RUN: &str = "SELECT run_id, mode, status, started_at, finished_at,
        extract(epoch FROM coalesce(finished_at, now()) - started_at)::float8 AS duration_secs,
        records, pages, api_calls, error
   FROM xero.sync_log WHERE run_id = $1";

/// The status of every connected tenant and every entity it has synced or been asked to.
pub async fn status(pool: &PgPool) -> Result<Vec<PairStatus>, sqlx::Error> {
    let rows: Vec<PairRow> = sqlx::query_as(
        "SELECT t.tenant_id, t.tenant_name, c.status AS connection, c.error AS connection_error,
                p.entity, p.status AS state, p.mode, p.modified_after AS watermark,
                p.last_offset, p.current_run, p.last_run
           FROM xero.tenants t
           JOIN xero.connections c USING (connection_id)
           JOIN xero.sync_progress p USING (tenant_id)
           LEFT JOIN xero.entities e ON e.name = p.entity
          ORDER BY t.tenant_name, t.tenant_id, e.position NULLS LAST, p.entity",
    )
    .fetch_all(pool)
    .await?;
    let mut pairs = Vec::with_capacity(rows.len());
    for row in rows {
        let current_run = run(pool, row.current_run).await?;
        let last_run = run(pool, row.last_run).await?;
        let (jobs, next_run_at) = jobs(pool, row.tenant_id, &row.entity).await?;
        pairs.push(PairStatus {
            tenant_id: row.tenant_id,
            tenant_name: row.tenant_name,
            connection: row.connection,
            connection_error: row.connection_error,
            entity: row.entity,
            state: row.state,
            mode: row.mode,
            watermark: row.watermark,
            last_offset: row.last_offset,
            current_run,
            last_run,
            next_run_at,
            jobs,
        });
    }
    Ok(pairs)
}

async fn run(pool: &PgPool, run_id: Option<Uuid>) -> Result<Option<RunSummary>, sqlx::Error> {
    let Some(run_id) = run_id else {
        return Ok(None);
    };
    sqlx::query_as(RUN).bind(run_id).fetch_optional(pool).await
}

async fn jobs(
    pool: &PgPool,
    tenant_id: Uuid,
    entity: &str,
) -> Result<(JobCounts, Option<DateTime<Utc>>), sqlx::Error> {
    // Done jobs are the bulk of the table and are left out first.
    let (counts, next): (JobCounts, Option<DateTime<Utc>>) = {
        let row: (i64, i64, i64, i64, i64, i64, Option<DateTime<Utc>>) = sqlx::query_as(
            "WITH j AS (
                 SELECT status, run_at, attempts, max_attempts, last_result,
                        xero.job_payload(job) AS payload
                   FROM apalis.jobs WHERE job_type = $1 AND status <> 'Done')
             SELECT count(*) FILTER (WHERE status = 'Pending' AND run_at <= now()
                                       AND NOT payload ? 'after_run'),
                    count(*) FILTER (WHERE status IN ('Queued', 'Running')),
                    count(*) FILTER (WHERE status = 'Pending' AND run_at > now()
                                       AND last_result ? 'Snoozed'),
                    count(*) FILTER (WHERE status = 'Failed' AND attempts < max_attempts),
                    count(*) FILTER (WHERE status = 'Failed' AND attempts >= max_attempts),
                    count(*) FILTER (WHERE status = 'Pending' AND payload ? 'after_run'),
                    min(run_at) FILTER (WHERE status = 'Pending' AND payload ? 'after_run')
               FROM j
              WHERE payload ->> 'tenant_id' = $2::text AND payload ->> 'entity' = $3",
        )
        .bind(QUEUE)
        .bind(tenant_id)
        .bind(entity)
        .fetch_one(pool)
        .await?;
        let counts = JobCounts {
            queued: row.0,
            running: row.1,
            snoozed: row.2,
            retrying: row.3,
            failed: row.4,
            scheduled: row.5,
        };
        (counts, row.6)
    };
    Ok((counts, next))
}

/// Renders status as a table, one line per (tenant, entity).
pub fn render(pairs: &[PairStatus]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut tenant = None;
    for p in pairs {
        if tenant != Some(p.tenant_id) {
            tenant = Some(p.tenant_id);
            let _ = writeln!(
                out,
                "\n{} ({}) — connection {}{}",
                p.tenant_name,
                p.tenant_id,
                p.connection,
                p.connection_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
            let _ = writeln!(
                out,
                "  {:<10} {:<11} {:<10} {:<24} {:<34} {:<32} next run",
                "entity", "mode", "state", "watermark", "last run", "jobs q/r/s/retry/fail"
            );
        }
        let watermark = p
            .watermark
            .map(|w| w.format("%Y-%m-%d %H:%M:%S").to_string())
            .or(p.last_offset.map(|o| format!("#{o}")))
            .unwrap_or_else(|| "-".into());
        let last = p
            .last_run
            .as_ref()
            .map(|r| {
                format!(
                    "{} {} {:.1}s {}r {}c",
                    r.finished_at.unwrap_or(r.started_at).format("%m-%d %H:%M"),
                    r.status,
                    r.duration_secs,
                    r.records,
                    r.api_calls
                )
            })
            .unwrap_or_else(|| "-".into());
        let j = &p.jobs;
        let jobs = format!(
            "{}/{}/{}/{}/{}",
            j.queued, j.running, j.snoozed, j.retrying, j.failed
        );
        let next = p
            .next_run_at
            .map(|t| t.format("%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {:<10} {:<11} {:<10} {:<24} {:<34} {:<32} {}",
            p.entity,
            p.mode.as_deref().unwrap_or("-"),
            p.state,
            watermark,
            last,
            jobs,
            next
        );
    }
    if pairs.is_empty() {
        out.push_str("no syncs yet: connect with `xero-sync connect`, then `xero-sync sync`\n");
    }
    out
}

/// A job that failed for good.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FailedJob {
    /// `apalis.jobs.id`.
    pub id: String,
    /// The payload's tenant.
    pub tenant_id: Option<String>,
    /// The payload's entity.
    pub entity: Option<String>,
    /// The payload's run.
    pub run_id: Option<String>,
    /// Attempts spent.
    pub attempts: i32,
    /// When it failed.
    pub failed_at: Option<DateTime<Utc>>,
    /// Why.
    pub error: Option<String>,
}

/// Jobs of our queue that failed for good, newest first.
pub async fn failed_jobs(pool: &PgPool) -> Result<Vec<FailedJob>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, p ->> 'tenant_id' AS tenant_id, p ->> 'entity' AS entity,
                p ->> 'run_id' AS run_id, attempts, done_at AS failed_at,
                coalesce(last_result ->> 'Err', last_result::text) AS error
           FROM apalis.jobs, LATERAL (SELECT xero.job_payload(job) AS p) payload
          WHERE job_type = $1 AND status = 'Failed' AND attempts >= max_attempts
          ORDER BY done_at DESC NULLS LAST, id DESC",
    )
    .bind(QUEUE)
    .fetch_all(pool)
    .await
}

/// Re-queues failed jobs (`ids`, or all when `None`). A failed run comes back to life with its
/// job when no other run of that pair is active; otherwise the job is closed as superseded.
/// Returns (re-queued, superseded).
pub async fn retry_failed(
    pool: &PgPool,
    ids: Option<&[String]>,
) -> Result<(u64, u64), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let jobs: Vec<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT id, CASE WHEN xero.job_payload(job) ->> 'run_id' ~ '^[0-9a-f-]{36}$'
                    THEN (xero.job_payload(job) ->> 'run_id')::uuid END
           FROM apalis.jobs
          WHERE job_type = $1 AND status = 'Failed' AND attempts >= max_attempts
            AND ($2::text[] IS NULL OR id = ANY($2))
          FOR UPDATE",
    )
    .bind(QUEUE)
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    let (mut requeued, mut superseded) = (0, 0);
    for (id, run_id) in jobs {
        let revived = match run_id {
            Some(run_id) => revive_run(&mut tx, run_id).await?,
            None => true,
        };
        let (status, result) = if revived {
            requeued += 1;
            ("Pending", "{\"Ok\": \"re-queued by an operator\"}")
        } else {
            superseded += 1;
            (
                "Done",
                "{\"Ok\": \"not re-queued: its run was superseded\"}",
            )
        };
        sqlx::query(
            "UPDATE apalis.jobs SET status = $2, attempts = 0, run_at = now(), lock_by = NULL,
                    lock_at = NULL, done_at = NULL, last_result = $3::jsonb WHERE id = $1",
        )
        .bind(&id)
        .bind(status)
        .bind(result)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok((requeued, superseded))
}

/// Makes a failed run the pair's running run again, if no other run of the pair is active.
async fn revive_run(conn: &mut sqlx::PgConnection, run_id: Uuid) -> Result<bool, sqlx::Error> {
    let revived = sqlx::query(
        "WITH run AS (
             UPDATE xero.sync_log l SET status = 'running', finished_at = NULL, error = NULL
              WHERE l.run_id = $1 AND l.status IN ('failed', 'running')
                AND NOT EXISTS (SELECT 1 FROM xero.sync_log o WHERE o.tenant_id = l.tenant_id
                                   AND o.entity = l.entity AND o.status = 'running'
                                   AND o.run_id <> l.run_id)
          RETURNING tenant_id, entity, mode, run_id)
         UPDATE xero.sync_progress p SET status = 'running', mode = run.mode,
                current_run = run.run_id, updated_at = now()
           FROM run WHERE p.tenant_id = run.tenant_id AND p.entity = run.entity",
    )
    .bind(run_id)
    .execute(conn)
    .await?;
    Ok(revived.rows_affected() == 1)
}
