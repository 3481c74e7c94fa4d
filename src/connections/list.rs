//! `xero-sync connections`: every connection, its grant, state and scopes, and its tenants with
//! theirs. Never a token.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// A connection as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectionInfo {
    /// Our id of the connection.
    pub connection_id: Uuid,
    /// `authorization_code` or `client_credentials`.
    pub grant_type: String,
    /// `active`, `needs_reauth` or `revoked`.
    pub status: String,
    /// Why it is not active.
    pub error: Option<String>,
    /// The scopes granted.
    pub scopes: Option<String>,
    /// When its access token expires (none once revoked).
    pub expires_at: Option<DateTime<Utc>>,
    /// Its organisations.
    pub tenants: Vec<TenantInfo>,
}

/// An organisation as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TenantInfo {
    /// Its id.
    pub tenant_id: Uuid,
    /// Its name.
    pub tenant_name: String,
    /// `active`, `paused` or `disconnected`.
    pub status: String,
    /// Why it is not active.
    pub status_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    connection_id: Uuid,
    grant_type: String,
    status: String,
    error: Option<String>,
    scopes: Option<String>,
    expires_at: Option<DateTime<Utc>>,
}

/// Every connection with its tenants, oldest first.
pub async fn list(pool: &PgPool) -> Result<Vec<ConnectionInfo>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.connection_id, c.grant_type, c.status, c.error, k.scopes, k.expires_at
           FROM xero.connections c LEFT JOIN xero.tokens k USING (connection_id)
          ORDER BY c.created_at, c.connection_id",
    )
    .fetch_all(pool)
    .await?;
    let mut listed = Vec::with_capacity(rows.len());
    for row in rows {
        let tenants: Vec<TenantInfo> = sqlx::query_as(
            "SELECT tenant_id, tenant_name, status, status_reason FROM xero.tenants
              WHERE connection_id = $1 ORDER BY tenant_name",
        )
        .bind(row.connection_id)
        .fetch_all(pool)
        .await?;
        listed.push(ConnectionInfo {
            connection_id: row.connection_id,
            grant_type: row.grant_type,
            status: row.status,
            error: row.error,
            scopes: row.scopes,
            expires_at: row.expires_at,
            tenants,
        });
    }
    Ok(listed)
}

/// The listing as text.
pub fn render(connections: &[ConnectionInfo]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for c in connections {
        let error = c
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "connection {} — {}, {}{error}\n  scopes: {}",
            c.connection_id,
            c.grant_type,
            c.status,
            c.scopes.as_deref().unwrap_or("-")
        );
        for t in &c.tenants {
            let reason = t
                .status_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {:<40} {}{reason}",
                t.tenant_id, t.tenant_name, t.status
            );
        }
    }
    if connections.is_empty() {
        out.push_str("no connections: run `xero-sync connect`\n");
    }
    out
}
