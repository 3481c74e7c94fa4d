//! Storing what a consent brought: a new connection with its tokens (sealed), and its tenants,
//! which move to it from whatever connection held them before — keeping their progress and
//! data — after which a connection that no tenant uses any more is removed with its tokens.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::seal::Keys;
use crate::vault::store_connection;
use crate::xero::connections::Connection;
use crate::xero::oauth::TokenSet;

/// Stores a connection and moves `tenants` to it; returns its id.
pub async fn store(
    tx: &mut PgConnection,
    keys: &Keys,
    grant_type: &str,
    tokens: &TokenSet,
    tenants: &[Connection],
) -> Result<Uuid, sqlx::Error> {
    let connection_id = store_connection(tx, keys, grant_type, tokens).await?;
    for tenant in tenants {
        sqlx::query(
            "INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name, tenant_type,
                                       xero_connection_id)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id) DO UPDATE SET connection_id = EXCLUDED.connection_id,
                 tenant_name = EXCLUDED.tenant_name, tenant_type = EXCLUDED.tenant_type,
                 xero_connection_id = EXCLUDED.xero_connection_id,
                 status = CASE WHEN xero.tenants.status = 'paused' THEN 'paused' ELSE 'active' END,
                 status_reason = CASE WHEN xero.tenants.status = 'paused'
                                      THEN xero.tenants.status_reason END,
                 status_at = now(), updated_at = now()",
        )
        .bind(tenant.tenant_id)
        .bind(connection_id)
        .bind(&tenant.tenant_name)
        .bind(&tenant.tenant_type)
        .bind(tenant.id)
        .execute(&mut *tx)
        .await?;
    }
    remove_unused(tx).await?;
    Ok(connection_id)
}

/// Removes the connections no tenant refers to, with their tokens; returns how many.
pub async fn remove_unused(tx: &mut PgConnection) -> Result<u64, sqlx::Error> {
    let removed = sqlx::query(
        "DELETE FROM xero.connections c
          WHERE NOT EXISTS (SELECT 1 FROM xero.tenants t WHERE t.connection_id = c.connection_id)",
    )
    .execute(tx)
    .await?;
    Ok(removed.rows_affected())
}
