//! The rows of `xero.connections` and `xero.tokens` as the vault reads and writes them: every
//! token sealed on its way in and opened on its way out (see [`crate::seal`]), so no statement
//! ever carries a token in plain text unless the deployment allowed it.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::config::Secret;
use crate::seal::{Field, Keys, OpenError};
use crate::xero::oauth::TokenSet;

/// A connection and its tokens, opened.
pub(super) struct Row {
    pub connection_id: Uuid,
    pub grant_type: String,
    pub status: String,
    pub error: Option<String>,
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: DateTime<Utc>,
    pub scopes: String,
}

/// A connection and its tokens as stored.
#[derive(sqlx::FromRow)]
struct Stored {
    connection_id: Uuid,
    grant_type: String,
    status: String,
    error: Option<String>,
    access_token: String,
    refresh_token: Option<String>,
    expires_at: DateTime<Utc>,
    scopes: String,
}

impl Stored {
    fn open(self, keys: &Keys) -> Result<Row, OpenError> {
        let id = self.connection_id;
        let refresh_token = self
            .refresh_token
            .map(|t| keys.open(id, Field::Refresh, &t))
            .transpose()?;
        Ok(Row {
            access_token: keys.open(id, Field::Access, &self.access_token)?,
            refresh_token,
            connection_id: id,
            grant_type: self.grant_type,
            status: self.status,
            error: self.error,
            expires_at: self.expires_at,
            scopes: self.scopes,
        })
    }
}

const SELECT: &str = "SELECT c.connection_id, c.grant_type, c.status, c.error, t.access_token,
        t.refresh_token, t.expires_at, t.scopes
   FROM xero.tenants n
   JOIN xero.connections c USING (connection_id)
   JOIN xero.tokens t USING (connection_id)
  WHERE n.tenant_id = $1";

// Both rows are locked, not just the token's: a refused refresh writes its verdict on the
// connection, and a waiter re-reads only the rows it locked once the lock is granted. Locking
// the token alone, a waiter saw the connection as it was before the verdict and tried the
// revoked refresh token again (one `invalid_grant` per racing job).
const SELECT_FOR_UPDATE: &str = "SELECT c.connection_id, c.grant_type, c.status, c.error,
        t.access_token, t.refresh_token, t.expires_at, t.scopes
   FROM xero.tenants n
   JOIN xero.connections c USING (connection_id)
   JOIN xero.tokens t USING (connection_id)
  WHERE n.tenant_id = $1
    FOR UPDATE OF t, c";

/// The tenant's connection and tokens (locked for update when `lock`), if it has any.
pub(super) async fn load(
    conn: &mut PgConnection,
    keys: &Keys,
    tenant_id: Uuid,
    lock: bool,
) -> Result<Option<Result<Row, OpenError>>, sqlx::Error> {
    let query = if lock { SELECT_FOR_UPDATE } else { SELECT };
    let stored: Option<Stored> = sqlx::query_as(query)
        .bind(tenant_id)
        .fetch_optional(conn)
        .await?;
    Ok(stored.map(|s| s.open(keys)))
}

/// Stores the tokens a refresh brought, sealed; a refresh without a new refresh token keeps
/// the old one.
pub(super) async fn store_refreshed(
    conn: &mut PgConnection,
    keys: &Keys,
    connection_id: Uuid,
    tokens: &TokenSet,
) -> Result<(), sqlx::Error> {
    let access = keys.seal(connection_id, Field::Access, tokens.access_token.expose());
    let refresh = tokens
        .refresh_token
        .as_ref()
        .map(|t| keys.seal(connection_id, Field::Refresh, t.expose()));
    sqlx::query(
        "UPDATE xero.tokens SET access_token = $2,
                refresh_token = coalesce($3, refresh_token), expires_at = $4,
                scopes = CASE WHEN $5 = '' THEN scopes ELSE $5 END,
                refreshed_at = now(), refresh_count = refresh_count + 1
          WHERE connection_id = $1",
    )
    .bind(connection_id)
    .bind(access)
    .bind(refresh)
    .bind(tokens.expires_at)
    .bind(&tokens.scopes)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a new connection with its first token set, sealed; returns its id.
pub async fn store_connection(
    tx: &mut PgConnection,
    keys: &Keys,
    grant_type: &str,
    tokens: &TokenSet,
) -> Result<Uuid, sqlx::Error> {
    let connection_id: Uuid = sqlx::query_scalar(
        "INSERT INTO xero.connections (grant_type) VALUES ($1) RETURNING connection_id",
    )
    .bind(grant_type)
    .fetch_one(&mut *tx)
    .await?;
    let access = keys.seal(connection_id, Field::Access, tokens.access_token.expose());
    let refresh = tokens
        .refresh_token
        .as_ref()
        .map(|t| keys.seal(connection_id, Field::Refresh, t.expose()));
    sqlx::query(
        "INSERT INTO xero.tokens (connection_id, access_token, refresh_token, expires_at, scopes)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(connection_id)
    .bind(access)
    .bind(refresh)
    .bind(tokens.expires_at)
    .bind(&tokens.scopes)
    .execute(&mut *tx)
    .await?;
    Ok(connection_id)
}

/// Marks a connection whose refresh token Xero refused as needing re-authorisation.
pub(super) async fn needs_reauth(
    conn: &mut PgConnection,
    connection_id: Uuid,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE xero.connections SET status = 'needs_reauth', error = $2,
                updated_at = now() WHERE connection_id = $1",
    )
    .bind(connection_id)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}
