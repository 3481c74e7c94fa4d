//! Every statement the engine runs against `apalis.jobs`. A job is ours while `lock_by` names
//! this worker; each outcome is written in the caller's transaction, guarded by that lease, and
//! clears `lock_by` so apalis's own acknowledgement afterwards cannot rewrite it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;

use super::engine::MAX_DELAY;

/// The apalis queue (`job_type`) of batch jobs. Never renamed once deployed.
pub const QUEUE: &str = "xero-sync";

/// A claimed job: its id and the worker holding it.
#[derive(Debug, Clone, Copy)]
pub struct Lease<'a> {
    /// `apalis.jobs.id`.
    pub job_id: &'a str,
    /// The worker name in `lock_by`.
    pub worker: &'a str,
}

/// The claim priority of a run's batches: incremental runs before full re-reads, so a daily
/// incremental run is never stuck behind another organisation's full one (`xero.run_priority`
/// in SQL says the same).
pub fn priority(mode: &str) -> i32 {
    if mode == "incremental" { 10 } else { 0 }
}

/// How a job is queued.
#[derive(Debug, Clone, Copy, Default)]
pub struct Enqueue {
    /// How long from now (the database's clock) it becomes due; `None`: at once.
    pub delay: Option<Duration>,
    /// Attempts it gets for transient failures.
    pub max_attempts: i32,
    /// Claim order: higher first (apalis claims by `priority DESC, run_at ASC`).
    pub priority: i32,
}

/// Adds a job unless one with the same idempotency key exists.
pub async fn enqueue(
    conn: &mut PgConnection,
    payload: &impl Serialize,
    idempotency_key: &str,
    how: Enqueue,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO apalis.jobs (id, job_type, job, max_attempts, run_at, idempotency_key,
                                  priority)
         VALUES (apalis.generate_ulid(), $1, convert_to($2, 'UTF8'), $3,
                 now() + make_interval(secs => coalesce($4, 0)), $5, $6)
         ON CONFLICT (job_type, idempotency_key) DO NOTHING",
    )
    .bind(QUEUE)
    .bind(json)
    .bind(how.max_attempts)
    .bind(how.delay.map(|d| d.min(MAX_DELAY).as_secs_f64()))
    .bind(idempotency_key)
    .bind(how.priority)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a job already claimed by `worker` (as apalis's fetch leaves a claimed job: `Queued`,
/// locked by the worker), for the worker to run next itself; `None` if the key was taken.
pub async fn enqueue_claimed(
    conn: &mut PgConnection,
    payload: &impl Serialize,
    idempotency_key: &str,
    how: Enqueue,
    worker: &str,
) -> Result<Option<String>, sqlx::Error> {
    let json = serde_json::to_string(payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query_scalar(
        "INSERT INTO apalis.jobs (id, job_type, job, max_attempts, idempotency_key, status,
                                  lock_by, lock_at, priority)
         VALUES (apalis.generate_ulid(), $1, convert_to($2, 'UTF8'), $3, $4, 'Queued', $5, now(),
                 $6)
         ON CONFLICT (job_type, idempotency_key) DO NOTHING
         RETURNING id",
    )
    .bind(QUEUE)
    .bind(json)
    .bind(how.max_attempts)
    .bind(idempotency_key)
    .bind(worker)
    .bind(how.priority)
    .fetch_optional(conn)
    .await
}

/// Whether any job of the queue is due and waiting for a worker (through apalis's own fetch
/// index, so it costs the same however long the queue is).
pub async fn others_waiting(pool: &sqlx::PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM apalis.jobs
                         WHERE job_type = $1 AND run_at < now()
                           AND (status = 'Pending' OR (status = 'Failed' AND attempts < max_attempts)))",
    )
    .bind(QUEUE)
    .fetch_one(pool)
    .await
}

/// Marks the job done. `false` means the lease was lost: the caller must roll back.
pub async fn complete(
    conn: &mut PgConnection,
    lease: Lease<'_>,
    result: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE apalis.jobs SET status = 'Done', done_at = now(), attempts = attempts + 1,
                last_result = jsonb_build_object('Ok', $3::text), lock_by = NULL
          WHERE id = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')",
    )
    .bind(lease.job_id)
    .bind(lease.worker)
    .bind(result)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts the job back to wait `delay` (from now, on the database's clock) without spending an
/// attempt (Xero said "later"). Returns when it is due, or `None` if the lease was lost.
pub async fn snooze(
    conn: &mut PgConnection,
    lease: Lease<'_>,
    delay: Duration,
    reason: &str,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL,
                run_at = now() + make_interval(secs => $3),
                last_result = jsonb_build_object('Snoozed', $4::text)
          WHERE id = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')
          RETURNING run_at",
    )
    .bind(lease.job_id)
    .bind(lease.worker)
    .bind(delay.min(MAX_DELAY).as_secs_f64())
    .bind(reason)
    .fetch_optional(conn)
    .await
}

/// Holds the job until its tenant resumes (`xero.resume_tenant` makes it due) without spending
/// an attempt. `false` if the lease was lost.
pub async fn hold(
    conn: &mut PgConnection,
    lease: Lease<'_>,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let held = sqlx::query(
        "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL,
                run_at = xero.held_until(), last_result = jsonb_build_object('Snoozed', $3::text)
          WHERE id = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')",
    )
    .bind(lease.job_id)
    .bind(lease.worker)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(held.rows_affected() == 1)
}

/// What [`retry`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retried {
    /// The job runs again at the given time.
    Later(DateTime<Utc>),
    /// It had no attempts left and is failed for good.
    Exhausted,
    /// The lease was lost; someone else owns the job.
    LeaseLost,
}

/// Spends an attempt: the job runs again after `backoff_secs × 2^(attempts)` (capped), or is
/// failed for good when its attempts are used up. apalis refetches `Failed` jobs with attempts
/// left once `run_at` has passed, so the backoff is ours, in the row.
pub async fn retry(
    conn: &mut PgConnection,
    lease: Lease<'_>,
    error: &str,
    base_secs: f64,
    cap_secs: f64,
) -> Result<Retried, sqlx::Error> {
    let row: Option<(i32, i32, DateTime<Utc>)> = sqlx::query_as(
        "UPDATE apalis.jobs SET status = 'Failed', attempts = attempts + 1, lock_by = NULL,
                lock_at = NULL, done_at = now(), last_result = jsonb_build_object('Err', $3::text),
                run_at = now() + make_interval(secs => least($5, $4 * power(2, attempts)))
          WHERE id = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')
          RETURNING attempts, max_attempts, run_at",
    )
    .bind(lease.job_id)
    .bind(lease.worker)
    .bind(error)
    .bind(base_secs)
    .bind(cap_secs)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => Retried::LeaseLost,
        Some((attempts, max, _)) if attempts >= max => Retried::Exhausted,
        Some((_, _, at)) => Retried::Later(at),
    })
}

/// Fails the job for good with `error` (nothing would change by retrying).
pub async fn fail(
    conn: &mut PgConnection,
    lease: Lease<'_>,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE apalis.jobs SET status = 'Failed', attempts = greatest(attempts + 1, max_attempts),
                done_at = now(), last_result = jsonb_build_object('Err', $3::text), lock_by = NULL,
                lock_at = NULL
          WHERE id = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')",
    )
    .bind(lease.job_id)
    .bind(lease.worker)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands one job this worker holds back to the queue, attempts untouched: a carried batch
/// whose outcome could not be written (the database went away mid-batch). apalis never fetched
/// that job, so nothing else would ever release it while this worker lives.
pub async fn release_one(
    pool: &sqlx::PgPool,
    job_id: &str,
    worker: &str,
    why: &str,
) -> Result<u64, sqlx::Error> {
    let released = sqlx::query(
        "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL,
                last_result = jsonb_build_object('Err', $3::text)
          WHERE id = $1 AND lock_by = $2 AND status IN ('Queued', 'Running')",
    )
    .bind(job_id)
    .bind(worker)
    .bind(why)
    .execute(pool)
    .await?;
    Ok(released.rows_affected())
}

/// Puts back every job `worker` still holds, without spending an attempt: on shutdown, batches
/// cut off by the timeout have rolled back, and without this their rows would stay locked by a
/// name that never heartbeats again until orphan recovery (about fifteen seconds). A batch whose
/// commit did land is `Done` with `lock_by` cleared and is not touched.
pub async fn release_held(conn: &mut PgConnection, worker: &str) -> Result<u64, sqlx::Error> {
    let released = sqlx::query(
        "UPDATE apalis.jobs SET status = 'Pending', lock_by = NULL, lock_at = NULL,
                last_result = jsonb_build_object('Err', 'cut off by worker shutdown; released')
          WHERE lock_by = $1 AND status IN ('Queued', 'Running')",
    )
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(released.rows_affected())
}

/// Removes a stopped worker's heartbeat row, so `status` stops counting it among the live
/// ones at once. Jobs it ended keep its name in `lock_by` (apalis's own acknowledgement leaves
/// it there), which the row's key protects: those are finished, so the name is cleared first.
/// A job it still holds unfinished keeps the row, which then ages out.
pub async fn retire_worker(conn: &mut PgConnection, worker: &str) -> Result<u64, sqlx::Error> {
    sqlx::query(
        "UPDATE apalis.jobs SET lock_by = NULL
          WHERE lock_by = $1 AND status NOT IN ('Queued', 'Running')",
    )
    .bind(worker)
    .execute(&mut *conn)
    .await?;
    let retired = sqlx::query(
        "WITH gone AS (
            DELETE FROM apalis.workers w WHERE w.id = $1
               AND NOT EXISTS (SELECT 1 FROM apalis.jobs j WHERE j.lock_by = w.id)
            RETURNING w.id, w.worker_type)
         INSERT INTO xero.worker_exits (queue, worker)
         SELECT worker_type, id FROM gone
         ON CONFLICT (queue) DO UPDATE SET worker = EXCLUDED.worker, stopped_at = now()",
    )
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(retired.rows_affected())
}

/// Whether the job was put back by orphan recovery: its worker stopped heartbeating while it
/// held the job (apalis's note on re-enqueueing).
pub async fn taken_over(pool: &sqlx::PgPool, job_id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT coalesce(last_result ->> 'Err' LIKE '%heartbeat timeout%', false)
           FROM apalis.jobs WHERE id = $1",
    )
    .bind(job_id)
    .fetch_optional(pool)
    .await
    .map(|found| found.unwrap_or(false))
}
