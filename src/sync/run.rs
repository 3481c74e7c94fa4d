//! Runs: the SQL that loads, advances, finishes or fails one inside a batch's transaction
//! (starting one is `start`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::cursor::Cursor;
use super::engine::FollowUp;
use super::job::{BatchJob, ScheduledRun};
use super::queue::{self, Enqueue};

/// A run as a batch sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Run {
    /// The run.
    pub run_id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Its entity's name.
    pub entity: String,
    /// running, completed or failed.
    pub status: String,
    /// Batches committed so far (= the `seq` of the next batch job).
    pub batches: i32,
    /// full or incremental.
    pub mode: String,
    /// Where it stands; `{}` before its first batch.
    pub cursor: sqlx::types::Json<serde_json::Value>,
    /// The pair's watermark when the run started (what an incremental run continues from).
    pub modified_after: Option<DateTime<Utc>>,
    /// The pair's greatest offset when the run started.
    pub last_offset: Option<i64>,
    /// A sweep reading summaries (see [`crate::entity::Entity::sweep_query`]).
    pub summary: bool,
}

impl Run {
    /// The run's cursor; a run that has not fetched yet starts from its mode and the watermark
    /// (an incremental keyset `overlap` before it).
    pub fn cursor(
        &self,
        paging: crate::entity::Paging,
        overlap: chrono::TimeDelta,
    ) -> Result<Cursor, String> {
        if self.cursor.0.as_object().is_some_and(|o| o.is_empty()) {
            return Ok(if self.mode == "incremental" {
                Cursor::start(paging, self.modified_after, self.last_offset, overlap)
            } else {
                Cursor::start(paging, None, None, overlap)
            });
        }
        serde_json::from_value(self.cursor.0.clone())
            .map(Cursor::normalized)
            .map_err(|e| format!("run {} has an unreadable cursor: {e}", self.run_id))
    }
}

/// Loads a run; `None` if there is no such run.
pub async fn load(pool: &PgPool, run_id: Uuid) -> Result<Option<Run>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.run_id, l.tenant_id, l.entity, l.status, l.batches, l.mode, l.cursor,
                p.modified_after, p.last_offset, l.summary
           FROM xero.sync_log l
           LEFT JOIN xero.sync_progress p USING (tenant_id, entity)
          WHERE l.run_id = $1",
    )
    .bind(run_id)
    .fetch_optional(pool)
    .await
}

/// What one batch adds to its run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    /// Pages committed.
    pub pages: i32,
    /// Xero calls made, failed ones included.
    pub api_calls: i32,
    /// Records fetched.
    pub records: i64,
    /// The greatest `UpdatedDateUTC` committed, but never later than Xero's clock when it
    /// answered: one record dated in the future must not carry the watermark past records
    /// changed between now and then.
    pub high_water: Option<DateTime<Utc>>,
}

/// Moves the run past batch `seq` with the new cursor. `false` if the run is no longer at that
/// batch (a duplicate job): the caller must roll back.
pub async fn advance(
    conn: &mut PgConnection,
    run_id: Uuid,
    seq: i32,
    cursor: &Cursor,
    progress: Progress,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE xero.sync_log SET cursor = $3, batches = batches + 1, pages = pages + $4,
                api_calls = api_calls + $5, records = records + $6,
                high_water = greatest(high_water, $7)
          WHERE run_id = $1 AND status = 'running' AND batches = $2",
    )
    .bind(run_id)
    .bind(seq)
    .bind(sqlx::types::Json(cursor))
    .bind(progress.pages)
    .bind(progress.api_calls)
    .bind(progress.records)
    .bind(progress.high_water)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts Xero calls that brought no page (a snooze or a retry).
pub async fn count_calls(
    conn: &mut PgConnection,
    run_id: Uuid,
    calls: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE xero.sync_log SET api_calls = api_calls + $2 WHERE run_id = $1")
        .bind(run_id)
        .bind(calls)
        .execute(conn)
        .await?;
    Ok(())
}

/// The pair's watermark and offset, and the run's high water and start, as `finish` reads them.
type Before = (
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

/// Completes the run: the pair's watermark and offset move to what it committed, and the run
/// says whether it found anything new — a later `UpdatedDateUTC` or journal number than the
/// pair had, or, for a set read whole without dates, a stored record it changed (`table`, the
/// entity's first table, holds rows the run rewrote with their `synced_at`). The pair counts
/// its runs in a row that found nothing; its next run is the caller's to schedule.
pub async fn finish(
    conn: &mut PgConnection,
    job: &BatchJob,
    cursor: &Cursor,
    table: &str,
) -> Result<bool, sqlx::Error> {
    let offset = match cursor {
        Cursor::Offset { offset } => Some(*offset),
        _ => None,
    };
    let before: Before = sqlx::query_as(
        "SELECT p.modified_after, p.last_offset, l.high_water, l.started_at
               FROM xero.sync_log l JOIN xero.sync_progress p USING (tenant_id, entity)
              WHERE l.run_id = $1",
    )
    .bind(job.run_id)
    .fetch_one(&mut *conn)
    .await?;
    let (watermark, last_offset, high_water, started_at) = before;
    let changed = match (offset, high_water, watermark) {
        (Some(new), _, _) => last_offset.is_none_or(|old| new > old),
        (None, Some(new), old) => old.is_none_or(|old| new > old),
        (None, None, Some(_)) => false,
        (None, None, None) => rewrote_rows(conn, table, job.tenant_id, started_at).await?,
    };
    let stored = stored_records(conn, table, job.tenant_id).await?;
    sqlx::query(
        "WITH run AS (
             UPDATE xero.sync_log SET status = 'completed', finished_at = now(), changed = $3
              WHERE run_id = $1 AND status = 'running'
          RETURNING tenant_id, entity, high_water, mode)
         UPDATE xero.sync_progress p SET status = 'completed',
                modified_after = greatest(p.modified_after, run.high_water),
                last_offset = greatest(p.last_offset, $2), current_run = NULL, last_run = $1,
                last_success_at = now(), updated_at = now(),
                unchanged_runs = CASE WHEN $3 THEN 0 ELSE p.unchanged_runs + 1 END,
                last_full_at = CASE WHEN run.mode = 'full' THEN now() ELSE p.last_full_at END,
                records_stored = $4
           FROM run WHERE p.tenant_id = run.tenant_id AND p.entity = run.entity",
    )
    .bind(job.run_id)
    .bind(offset)
    .bind(changed)
    .bind(stored)
    .execute(&mut *conn)
    .await?;
    Ok(changed)
}

/// Whether the run rewrote any stored record of `table` (our own table name, from the entity's
/// statements).
async fn rewrote_rows(
    conn: &mut PgConnection,
    table: &str,
    tenant_id: Uuid,
    since: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    if !table.starts_with("xero.") {
        return Ok(false);
    }
    let query =
        format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE tenant_id = $1 AND synced_at >= $2)");
    sqlx::query_scalar(sqlx::AssertSqlSafe(query))
        .bind(tenant_id)
        .bind(since)
        .fetch_one(conn)
        .await
}

/// How many records of `table` the tenant holds, for `status` (one index scan when a run ends).
async fn stored_records(
    conn: &mut PgConnection,
    table: &str,
    tenant_id: Uuid,
) -> Result<Option<i64>, sqlx::Error> {
    if !table.starts_with("xero.") {
        return Ok(None);
    }
    let query = format!("SELECT count(*) FROM {table} WHERE tenant_id = $1");
    sqlx::query_scalar(sqlx::AssertSqlSafe(query))
        .bind(tenant_id)
        .fetch_one(conn)
        .await
        .map(Some)
}

/// Schedules the pair's next run, superseding any scheduled run still pending for that pair:
/// however runs complete (replicas, retries, manual requests), one pending follow-up remains.
pub async fn schedule_next(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    entity: &str,
    after_run: Uuid,
    follow_up: FollowUp,
) -> Result<(), sqlx::Error> {
    schedule(conn, tenant_id, entity, after_run, "", follow_up).await
}

/// [`schedule_next`] for a pair whose schedule was lost (its job deleted, or failed for good):
/// a key of its own, since the lost job may still hold the usual one.
pub async fn restore_schedule(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    entity: &str,
    after_run: Uuid,
    follow_up: FollowUp,
) -> Result<(), sqlx::Error> {
    let suffix = format!(":restored-{}", Uuid::new_v4().simple());
    schedule(conn, tenant_id, entity, after_run, &suffix, follow_up).await
}

/// The idempotency-key prefix of every scheduled run of a pair.
pub fn schedule_prefix(tenant_id: Uuid, entity: &str) -> String {
    format!("next:{tenant_id}:{entity}:")
}

async fn schedule(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    entity: &str,
    after_run: Uuid,
    suffix: &str,
    follow_up: FollowUp,
) -> Result<(), sqlx::Error> {
    let prefix = schedule_prefix(tenant_id, entity);
    // The pair's open schedules by the index on their key's prefix (only this queue's keys
    // start `next:`), then those still pending: written so, no other index of the table —
    // which a table grown since its statistics were taken made look cheaper — can serve it.
    sqlx::query(
        "WITH open AS MATERIALIZED (
             SELECT id FROM apalis.jobs WHERE xero.open_schedule(status, idempotency_key) = $1)
         UPDATE apalis.jobs AS j SET status = 'Done', done_at = now(),
                last_result = '{\"Ok\": \"superseded by a later schedule\"}'
           FROM open WHERE j.id = open.id AND j.status = 'Pending'",
    )
    .bind(&prefix)
    .execute(&mut *conn)
    .await?;
    let payload = ScheduledRun {
        tenant_id,
        entity: entity.to_owned(),
        after_run,
    };
    let key = format!("{prefix}{after_run}{suffix}");
    let how = Enqueue {
        delay: Some(follow_up.after),
        max_attempts: follow_up.max_attempts,
        priority: 0,
    };
    queue::enqueue(conn, &payload, &key, how).await
}

/// How a run ended without completing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Something went wrong; the next run tries again.
    Failed,
    /// Xero refuses this entity for this tenant (a missing scope, a plan or a user role
    /// without it): not a failure to retry soon, a state to show.
    NotEntitled,
}

impl Ending {
    /// The run's status, and the metric label.
    pub fn label(self) -> &'static str {
        self.status()
    }

    fn status(self) -> &'static str {
        match self {
            Ending::Failed => "failed",
            Ending::NotEntitled => "not_entitled",
        }
    }
}

/// Ends the run with `error`; its committed batches stay, and the next run starts afresh. With
/// a `follow_up`, the pair's next run is scheduled as after a completed run.
pub async fn fail(
    conn: &mut PgConnection,
    run_id: Uuid,
    error: &str,
    follow_up: Option<FollowUp>,
) -> Result<(), sqlx::Error> {
    end(conn, run_id, Ending::Failed, error, follow_up).await
}

/// Ends the run as [`Ending`] says, with `error` recorded on it.
pub async fn end(
    conn: &mut PgConnection,
    run_id: Uuid,
    ending: Ending,
    error: &str,
    follow_up: Option<FollowUp>,
) -> Result<(), sqlx::Error> {
    let pair: Option<(Uuid, String)> = sqlx::query_as(
        "WITH run AS (
             UPDATE xero.sync_log SET status = $3, finished_at = now(), error = $2
              WHERE run_id = $1 AND status = 'running'
          RETURNING tenant_id, entity)
         UPDATE xero.sync_progress p SET status = $3, current_run = NULL, last_run = $1,
                updated_at = now()
           FROM run WHERE p.tenant_id = run.tenant_id AND p.entity = run.entity
         RETURNING p.tenant_id, p.entity",
    )
    .bind(run_id)
    .bind(error)
    .bind(ending.status())
    .fetch_optional(&mut *conn)
    .await?;
    // A failed pair keeps its schedule: the next run tries again (a connection that needs
    // re-authorisation fails that run at once, without calling Xero).
    if let (Some((tenant_id, entity)), Some(follow_up)) = (pair, follow_up) {
        schedule_next(conn, tenant_id, &entity, run_id, follow_up).await?;
    }
    Ok(())
}
