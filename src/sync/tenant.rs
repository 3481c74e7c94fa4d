//! A job's organisation, as the job sees it: active (go on), paused by an operator (the job is
//! held until it resumes), or disconnected (nothing more is fetched; its data stays). And
//! telling a tenant Xero no longer lets the app reach from an entity Xero merely refuses: a 403
//! is checked against `/connections` before the tenant is marked disconnected.

use uuid::Uuid;

use super::engine::Engine;
use super::queue::{self, Lease};

/// Where an organisation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TenantState {
    /// Sync as usual.
    Active,
    /// An operator paused it.
    Paused,
    /// Disconnected, for this reason.
    Disconnected(String),
}

/// The tenant's state (`Disconnected` for a tenant that is gone altogether).
pub(super) async fn state(engine: &Engine, tenant_id: Uuid) -> Result<TenantState, sqlx::Error> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, status_reason FROM xero.tenants WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&engine.pool)
            .await?;
    Ok(match row {
        Some((status, _)) if status == "active" => TenantState::Active,
        Some((status, _)) if status == "paused" => TenantState::Paused,
        Some((_, reason)) => TenantState::Disconnected(reason.unwrap_or_default()),
        None => TenantState::Disconnected("the tenant is no longer connected".into()),
    })
}

/// Holds the job until its tenant resumes.
pub(super) async fn hold(engine: &Engine, lease: Lease<'_>) -> anyhow::Result<String> {
    let mut conn = engine.pool.acquire().await?;
    let note = "held: the tenant is paused".to_owned();
    if !queue::hold(&mut conn, lease, &note).await? {
        return Ok("lease lost".into());
    }
    Ok(note)
}

/// Whether Xero still lets the app reach `tenant_id` (it is among the `/connections` of the
/// tenant's token). `None` when that cannot be told now (no token, Xero unreachable).
pub(super) async fn still_connected(engine: &Engine, tenant_id: Uuid) -> Option<bool> {
    let token = engine.vault.access_token(tenant_id, None).await.ok()?;
    match engine.xero.connections(&token.token).await {
        Ok(connections) => Some(connections.iter().any(|c| c.tenant_id == tenant_id)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list Xero's connections to check a refusal");
            None
        }
    }
}

/// Marks the tenant disconnected in Xero: its waiting jobs are killed and its runs end (see
/// `xero.disconnect_tenant`); its data stays.
pub(super) async fn mark_disconnected(
    engine: &Engine,
    tenant_id: Uuid,
    reason: &str,
) -> Result<i32, sqlx::Error> {
    let killed: i32 = sqlx::query_scalar("SELECT xero.disconnect_tenant($1, $2)")
        .bind(tenant_id)
        .bind(reason)
        .fetch_one(&engine.pool)
        .await?;
    tracing::warn!(xero.tenant_id = %tenant_id, jobs.killed = killed, reason, "tenant disconnected");
    Ok(killed)
}
