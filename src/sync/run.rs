//! Runs: starting one (idempotently, at most one active per tenant and entity), and the SQL that
//! advances, finishes or fails it inside a batch's transaction.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::batch::BatchJob;
use super::cursor::Cursor;
use super::queue;
use crate::entity::Entity;

/// Full (everything) or incremental (since the stored watermark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Fetch everything; upserts make that safe at any time.
    Full,
    /// Fetch what changed since the last completed run.
    Incremental,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
        }
    }
}

/// Errors of starting a run that a caller reports as bad input.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The tenant is not in `xero.tenants`.
    #[error("unknown tenant {0}; connected tenants are listed by `xero-sync status`")]
    UnknownTenant(Uuid),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A started (or already active) run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// The run.
    pub run_id: Uuid,
    /// Its mode.
    pub mode: Mode,
    /// `false` when the run was already active and is returned as is.
    pub created: bool,
}

/// Starts a run of `entity` for `tenant_id` and enqueues its first batch, or returns the run
/// already active. Incremental when a completed run left a watermark and `full` is false.
pub async fn start_run(
    pool: &PgPool,
    entity: &Entity,
    tenant_id: Uuid,
    full: bool,
    max_attempts: i32,
) -> Result<Started, StartError> {
    let mut tx = pool.begin().await?;
    let known: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM xero.tenants WHERE tenant_id = $1)")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
    if !known {
        return Err(StartError::UnknownTenant(tenant_id));
    }
    // Serialise starts of the same pair: the progress row is the lock.
    sqlx::query(
        "INSERT INTO xero.sync_progress (tenant_id, entity) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(tenant_id)
    .bind(entity.name)
    .execute(&mut *tx)
    .await?;
    let (watermark, offset, has_completed, current): (
        Option<DateTime<Utc>>,
        Option<i64>,
        bool,
        Option<Uuid>,
    ) = sqlx::query_as(
        "SELECT modified_after, last_offset, last_success_at IS NOT NULL, current_run
           FROM xero.sync_progress WHERE tenant_id = $1 AND entity = $2 FOR UPDATE",
    )
    .bind(tenant_id)
    .bind(entity.name)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(run_id) = current {
        let mode: Option<String> = sqlx::query_scalar(
            "SELECT mode FROM xero.sync_log WHERE run_id = $1 AND status = 'running'",
        )
        .bind(run_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(mode) = mode {
            tx.commit().await?;
            let mode = if mode == "full" {
                Mode::Full
            } else {
                Mode::Incremental
            };
            return Ok(Started {
                run_id,
                mode,
                created: false,
            });
        }
    }
    let mode = if !full && has_completed && (watermark.is_some() || offset.is_some()) {
        Mode::Incremental
    } else {
        Mode::Full
    };
    let cursor = match mode {
        Mode::Full => Cursor::start(entity.paging, None, None),
        Mode::Incremental => Cursor::start(entity.paging, watermark, offset),
    };
    let run_id: Uuid = sqlx::query_scalar(
        "INSERT INTO xero.sync_log (tenant_id, entity, mode, cursor) VALUES ($1, $2, $3, $4)
         RETURNING run_id",
    )
    .bind(tenant_id)
    .bind(entity.name)
    .bind(mode.as_str())
    .bind(sqlx::types::Json(&cursor))
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE xero.sync_progress SET status = 'running', mode = $3, current_run = $4,
                updated_at = now() WHERE tenant_id = $1 AND entity = $2",
    )
    .bind(tenant_id)
    .bind(entity.name)
    .bind(mode.as_str())
    .bind(run_id)
    .execute(&mut *tx)
    .await?;
    let first = BatchJob {
        run_id,
        tenant_id,
        entity: entity.name.to_owned(),
        seq: 0,
    };
    queue::enqueue(
        &mut tx,
        &first,
        &first.idempotency_key(),
        None,
        max_attempts,
    )
    .await?;
    tx.commit().await?;
    Ok(Started {
        run_id,
        mode,
        created: true,
    })
}

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
    /// Where it stands.
    pub cursor: sqlx::types::Json<Cursor>,
}

/// Loads a run; `None` if there is no such run.
pub async fn load(pool: &PgPool, run_id: Uuid) -> Result<Option<Run>, sqlx::Error> {
    sqlx::query_as(
        "SELECT run_id, tenant_id, entity, status, batches, cursor FROM xero.sync_log
          WHERE run_id = $1",
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
    /// The greatest `UpdatedDateUTC` committed.
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

/// Completes the run and moves the (tenant, entity) watermark to what it committed: the
/// greatest `UpdatedDateUTC` (Xero's clock, never ours) or the greatest offset.
pub async fn finish(
    conn: &mut PgConnection,
    run_id: Uuid,
    cursor: &Cursor,
) -> Result<(), sqlx::Error> {
    let offset = match cursor {
        Cursor::Offset { offset } => Some(*offset),
        _ => None,
    };
    sqlx::query(
        "WITH run AS (
             UPDATE xero.sync_log SET status = 'completed', finished_at = now()
              WHERE run_id = $1 AND status = 'running'
          RETURNING tenant_id, entity, high_water)
         UPDATE xero.sync_progress p SET status = 'completed',
                modified_after = greatest(p.modified_after, run.high_water),
                last_offset = greatest(p.last_offset, $2), current_run = NULL, last_run = $1,
                last_success_at = now(), updated_at = now()
           FROM run WHERE p.tenant_id = run.tenant_id AND p.entity = run.entity",
    )
    .bind(run_id)
    .bind(offset)
    .execute(conn)
    .await?;
    Ok(())
}

/// Fails the run with `error`; its committed batches stay, and the next run starts afresh.
pub async fn fail(conn: &mut PgConnection, run_id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "WITH run AS (
             UPDATE xero.sync_log SET status = 'failed', finished_at = now(), error = $2
              WHERE run_id = $1 AND status = 'running'
          RETURNING tenant_id, entity)
         UPDATE xero.sync_progress p SET status = 'failed', current_run = NULL, last_run = $1,
                updated_at = now()
           FROM run WHERE p.tenant_id = run.tenant_id AND p.entity = run.entity",
    )
    .bind(run_id)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}
