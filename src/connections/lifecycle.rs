//! Pausing, resuming and disconnecting organisations. Pause and resume are SQL functions
//! (`xero.pause_tenant`, `xero.resume_tenant`, callable by the operator role too); disconnecting
//! also tells Xero — one organisation by deleting its connection, a whole connection by
//! revoking its refresh token — then stops the tenants' work and, with `--purge`, deletes their
//! rows a batch at a time, so no table is locked for long.

use anyhow::{Context, bail};
use sqlx::PgPool;
use uuid::Uuid;

use super::purge::purge_tenant;
use super::store::remove_unused;
use crate::seal::Field;
use crate::vault::{Vault, VaultError};
use crate::xero::XeroClient;
use crate::xero::oauth::OAuthApp;

/// Pauses a tenant; returns what was done.
pub async fn pause(pool: &PgPool, tenant_id: Uuid) -> anyhow::Result<String> {
    sqlx::query_scalar("SELECT xero.pause_tenant($1)")
        .bind(tenant_id)
        .fetch_one(pool)
        .await
        .map_err(crate::db::explained)
}

/// Resumes a paused tenant; returns what was done.
pub async fn resume(pool: &PgPool, tenant_id: Uuid) -> anyhow::Result<String> {
    sqlx::query_scalar("SELECT xero.resume_tenant($1)")
        .bind(tenant_id)
        .fetch_one(pool)
        .await
        .map_err(crate::db::explained)
}

/// What to disconnect.
#[derive(Debug, Clone, Copy)]
pub struct Disconnect {
    /// The tenant named.
    pub tenant_id: Uuid,
    /// Its whole connection (every tenant of the consent), not the tenant alone.
    pub whole_connection: bool,
    /// Also delete the tenants' rows.
    pub purge: bool,
}

/// What Xero and the database are told.
pub struct Services<'a> {
    /// The database.
    pub pool: &'a PgPool,
    /// The tokens.
    pub vault: &'a Vault,
    /// The API (`/connections`).
    pub xero: &'a XeroClient,
    /// The identity service (revocation).
    pub oauth: &'a OAuthApp,
}

/// What a disconnect did.
#[derive(Debug, Clone, Default)]
pub struct Disconnected {
    /// The tenants disconnected: id and name.
    pub tenants: Vec<(Uuid, String)>,
    /// What Xero was told.
    pub at_xero: String,
    /// Waiting jobs killed.
    pub jobs_killed: i64,
    /// Rows deleted by `--purge`.
    pub rows_purged: u64,
}

#[derive(sqlx::FromRow)]
struct Target {
    tenant_name: String,
    connection_id: Uuid,
    xero_connection_id: Option<Uuid>,
    grant_type: String,
    others: i64,
}

/// Disconnects as `what` says: at Xero first (nothing changes here if Xero cannot be told),
/// then here.
pub async fn disconnect(s: &Services<'_>, what: Disconnect) -> anyhow::Result<Disconnected> {
    let target: Target = sqlx::query_as(
        "SELECT t.tenant_name, t.connection_id, t.xero_connection_id, c.grant_type,
                (SELECT count(*) FROM xero.tenants o WHERE o.connection_id = t.connection_id
                    AND o.tenant_id <> t.tenant_id AND o.status <> 'disconnected') AS others
           FROM xero.tenants t JOIN xero.connections c USING (connection_id)
          WHERE t.tenant_id = $1",
    )
    .bind(what.tenant_id)
    .fetch_optional(s.pool)
    .await?
    .with_context(|| {
        format!(
            "unknown tenant {}; `xero-sync connections` lists them",
            what.tenant_id
        )
    })?;
    let whole = what.whole_connection || target.others == 0;
    let at_xero = if whole {
        revoke(s, &target).await?
    } else {
        delete_one(s, what.tenant_id, &target).await?
    };
    let tenants: Vec<(Uuid, String)> = if whole {
        sqlx::query_as(
            "SELECT tenant_id, tenant_name FROM xero.tenants WHERE connection_id = $1
              ORDER BY tenant_name",
        )
        .bind(target.connection_id)
        .fetch_all(s.pool)
        .await?
    } else {
        vec![(what.tenant_id, target.tenant_name.clone())]
    };
    let jobs_killed = stop_here(s.pool, &tenants, whole.then_some(target.connection_id)).await?;
    let mut rows_purged = 0;
    if what.purge {
        for (tenant_id, _) in &tenants {
            rows_purged += purge_tenant(s.pool, *tenant_id).await?;
        }
        let mut conn = s.pool.acquire().await?;
        remove_unused(&mut conn).await?;
    }
    Ok(Disconnected {
        tenants,
        at_xero,
        jobs_killed,
        rows_purged,
    })
}

/// Revokes the connection's refresh token at Xero (which removes every organisation of the
/// consent); a custom connection has none to revoke.
async fn revoke(s: &Services<'_>, target: &Target) -> anyhow::Result<String> {
    if target.grant_type == "client_credentials" {
        return Ok(
            "a custom connection: nothing to revoke (remove it in Xero's developer portal)".into(),
        );
    }
    let stored: Option<Option<String>> =
        sqlx::query_scalar("SELECT refresh_token FROM xero.tokens WHERE connection_id = $1")
            .bind(target.connection_id)
            .fetch_optional(s.pool)
            .await?;
    let Some(Some(sealed)) = stored else {
        return Ok("no refresh token stored: nothing to revoke".into());
    };
    let refresh = s
        .vault
        .keys()
        .open(target.connection_id, Field::Refresh, &sealed)?;
    s.oauth.revoke(&refresh).await.context(
        "Xero's revocation endpoint did not take the refresh token; nothing was changed",
    )?;
    Ok("refresh token revoked (every organisation of this connection)".into())
}

/// Deletes one organisation's connection at Xero, leaving the others of the consent.
async fn delete_one(s: &Services<'_>, tenant_id: Uuid, target: &Target) -> anyhow::Result<String> {
    let token = match s.vault.access_token(tenant_id, None).await {
        Ok(token) => token,
        Err(e @ VaultError::NeedsReauth { .. }) => bail!(
            "{e}; disconnect its whole connection with --connection (revocation needs no access \
             token), or re-authorise it first"
        ),
        Err(e) => return Err(e.into()),
    };
    let id = match target.xero_connection_id {
        Some(id) => Some(id),
        None => s
            .xero
            .connections(&token.token)
            .await?
            .into_iter()
            .find(|c| c.tenant_id == tenant_id)
            .and_then(|c| c.id),
    };
    let Some(id) = id else {
        return Ok("Xero no longer lists this organisation: already disconnected there".into());
    };
    let existed = s
        .xero
        .delete_connection(&token.token, id)
        .await
        .context("Xero did not delete the connection; nothing was changed")?;
    Ok(if existed {
        format!("connection {id} deleted")
    } else {
        format!("connection {id} was already gone")
    })
}

/// Stops the tenants' work here, and drops the tokens of a revoked connection.
async fn stop_here(
    pool: &PgPool,
    tenants: &[(Uuid, String)],
    revoked: Option<Uuid>,
) -> anyhow::Result<i64> {
    let mut tx = pool.begin().await?;
    let mut killed = 0i64;
    for (tenant_id, _) in tenants {
        let n: i32 = sqlx::query_scalar("SELECT xero.disconnect_tenant($1, $2)")
            .bind(tenant_id)
            .bind("disconnected by an operator")
            .fetch_one(&mut *tx)
            .await?;
        killed += i64::from(n);
    }
    if let Some(connection_id) = revoked {
        sqlx::query("DELETE FROM xero.tokens WHERE connection_id = $1")
            .bind(connection_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE xero.connections SET status = 'revoked', error = 'disconnected by an operator',
                    updated_at = now() WHERE connection_id = $1",
        )
        .bind(connection_id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(killed)
}
