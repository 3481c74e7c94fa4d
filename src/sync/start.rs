//! Starting a run: idempotently, at most one active per tenant and entity, and only for an
//! active tenant (a paused or disconnected one is refused with what to do).

use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

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

/// Errors of starting a run that a caller reports as bad input.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The tenant is not in `xero.tenants`.
    #[error("unknown tenant {0}; connected tenants are listed by `xero-sync status`")]
    UnknownTenant(Uuid),
    /// The tenant is paused or disconnected.
    #[error("tenant {tenant_id} is {status}; {hint}")]
    Inactive {
        /// The tenant.
        tenant_id: Uuid,
        /// `paused` or `disconnected`.
        status: String,
        /// What to do about it.
        hint: &'static str,
    },
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
/// already active — through `xero.start_run`, the same SQL that `xero.request_sync` and the
/// planner use. Incremental when a completed run left a watermark and `full` is false.
pub async fn start_run(
    pool: &PgPool,
    entity: &Entity,
    tenant_id: Uuid,
    full: bool,
    max_attempts: i32,
) -> Result<Started, StartError> {
    let mut tx = pool.begin().await?;
    let started = start_run_in(&mut tx, entity.name, tenant_id, full, max_attempts).await?;
    tx.commit().await?;
    Ok(started)
}

/// [`start_run`] inside the caller's transaction.
pub async fn start_run_in(
    conn: &mut PgConnection,
    entity: &str,
    tenant_id: Uuid,
    full: bool,
    max_attempts: i32,
) -> Result<Started, StartError> {
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM xero.tenants WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *conn)
            .await?;
    match status.as_deref() {
        None => return Err(StartError::UnknownTenant(tenant_id)),
        Some("active") => {}
        Some(other) => {
            let hint = if other == "paused" {
                "resume it with `xero-sync resume --tenant`"
            } else {
                "reconnect it with `xero-sync connect`"
            };
            return Err(StartError::Inactive {
                tenant_id,
                status: other.to_owned(),
                hint,
            });
        }
    }
    let run_id: Uuid = sqlx::query_scalar("SELECT xero.start_run($1, $2, $3, $4)")
        .bind(tenant_id)
        .bind(entity)
        .bind(full)
        .bind(max_attempts)
        .fetch_one(&mut *conn)
        .await?;
    // A separate statement: the row `start_run` inserted is invisible to the statement that
    // called it. A run inserted by this very transaction started at now(), its timestamp.
    let (mode, created): (String, bool) =
        sqlx::query_as("SELECT mode, started_at = now() FROM xero.sync_log WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&mut *conn)
            .await?;
    let mode = if mode == "full" {
        Mode::Full
    } else {
        Mode::Incremental
    };
    Ok(Started {
        run_id,
        mode,
        created,
    })
}
