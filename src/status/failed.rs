//! Failed jobs: listing them, and putting them back on the queue.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::sync::queue::QUEUE;

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
