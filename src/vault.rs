//! The token vault: hands out a valid access token per connection, refreshing one that expires
//! within a minute under `SELECT … FOR UPDATE` on its row, so across all replicas exactly one
//! refresh happens per expiry and the rotated refresh token is stored in the same transaction.

use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::Secret;
use crate::xero::oauth::{OAuthApp, OAuthError, TokenSet};

/// A token this close to expiry is refreshed before use.
const REFRESH_MARGIN: Duration = Duration::seconds(60);
/// The longest a refresh may hold the token's row lock: the call to Xero's token endpoint is
/// cut off after this, or after the Xero call timeout if that is shorter (well inside the
/// session's idle-in-transaction limit, and short of the lock timeout other replicas wait
/// with). A refresh cut off after Xero rotated the token is recovered by the 30-minute grace
/// period on the old refresh token.
pub const MAX_REFRESH_TIME: std::time::Duration = std::time::Duration::from_secs(15);

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The connection's refresh token was refused; a person must run `xero-sync connect`.
    #[error("connection {connection_id} needs re-authorisation: {reason}; run `xero-sync connect`")]
    NeedsReauth {
        /// The connection.
        connection_id: Uuid,
        /// Why, as recorded on the connection.
        reason: String,
    },
    /// No connection holds this tenant.
    #[error("tenant {0} is not connected; run `xero-sync connect`")]
    UnknownTenant(Uuid),
    /// The token endpoint failed transiently.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// The database failed.
    #[error("token vault: {0}")]
    Db(#[from] sqlx::Error),
}

/// A usable access token and the connection it belongs to.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The connection.
    pub connection_id: Uuid,
    /// The bearer token.
    pub token: Secret,
}

/// The vault. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Vault {
    pool: PgPool,
    app: OAuthApp,
    refresh_timeout: std::time::Duration,
}

#[derive(sqlx::FromRow)]
struct Row {
    connection_id: Uuid,
    grant_type: String,
    status: String,
    error: Option<String>,
    access_token: String,
    refresh_token: Option<String>,
    expires_at: DateTime<Utc>,
    scopes: String,
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

impl Vault {
    /// A vault over `xero.tokens`, refreshing through `app`; a refresh taking longer than
    /// `timeout` (at most [`MAX_REFRESH_TIME`]) is abandoned and its job retried.
    pub fn new(pool: PgPool, app: OAuthApp, timeout: std::time::Duration) -> Vault {
        Vault {
            pool,
            app,
            refresh_timeout: timeout.min(MAX_REFRESH_TIME),
        }
    }

    /// A token for the tenant's connection, valid for at least a minute. `stale` is a token Xero
    /// just refused with 401: it is refreshed even if it does not look expired.
    pub async fn access_token(
        &self,
        tenant_id: Uuid,
        stale: Option<&Secret>,
    ) -> Result<AccessToken, VaultError> {
        let row: Option<Row> = sqlx::query_as(SELECT)
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        let row = row.ok_or(VaultError::UnknownTenant(tenant_id))?;
        if let Some(usable) = usable(&row, stale)? {
            return Ok(usable);
        }
        self.refresh(tenant_id, stale).await
    }

    async fn refresh(
        &self,
        tenant_id: Uuid,
        stale: Option<&Secret>,
    ) -> Result<AccessToken, VaultError> {
        let mut tx = self.pool.begin().await?;
        let row: Row = sqlx::query_as(SELECT_FOR_UPDATE)
            .bind(tenant_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(VaultError::UnknownTenant(tenant_id))?;
        // Another replica may have refreshed while we waited for the lock.
        if let Some(usable) = usable(&row, stale)? {
            return Ok(usable);
        }
        let result = self.ask_xero(&row).await;
        match result {
            Ok(tokens) => {
                store_refreshed(&mut tx, row.connection_id, &tokens).await?;
                tx.commit().await?;
                crate::metrics::get().token_refreshes.add(1, &[]);
                tracing::info!(xero.connection_id = %row.connection_id, "access token refreshed");
                Ok(AccessToken {
                    connection_id: row.connection_id,
                    token: tokens.access_token,
                })
            }
            Err(OAuthError::InvalidGrant(reason)) => {
                needs_reauth(&mut tx, row.connection_id, &reason).await?;
                tx.commit().await?;
                tracing::error!(xero.connection_id = %row.connection_id, %reason,
                    "refresh token refused; connection needs re-authorisation");
                Err(VaultError::NeedsReauth {
                    connection_id: row.connection_id,
                    reason,
                })
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl Vault {
    /// New tokens from Xero for the connection of `row`: a refresh, or a client-credentials
    /// grant for a custom connection; a call that does not answer in time is a transport error.
    async fn ask_xero(&self, row: &Row) -> Result<TokenSet, OAuthError> {
        let call = async {
            match (&row.grant_type[..], &row.refresh_token) {
                ("client_credentials", _) => {
                    let scopes: Vec<&str> = row.scopes.split_whitespace().collect();
                    self.app.client_credentials(&scopes).await
                }
                (_, Some(refresh)) => self.app.refresh(&Secret::new(refresh.clone())).await,
                (_, None) => Err(OAuthError::InvalidGrant("no refresh token stored".into())),
            }
        };
        tokio::time::timeout(self.refresh_timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(OAuthError::Transport(format!(
                    "no answer within {}s",
                    self.refresh_timeout.as_secs()
                )))
            })
    }
}

/// Marks a connection whose refresh token Xero refused as needing re-authorisation.
async fn needs_reauth(
    conn: &mut sqlx::PgConnection,
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

fn usable(row: &Row, stale: Option<&Secret>) -> Result<Option<AccessToken>, VaultError> {
    if row.status == "needs_reauth" {
        return Err(VaultError::NeedsReauth {
            connection_id: row.connection_id,
            reason: row
                .error
                .clone()
                .unwrap_or_else(|| "refresh token refused".into()),
        });
    }
    let fresh = row.expires_at > Utc::now() + REFRESH_MARGIN;
    let refused = stale.is_some_and(|s| s.expose() == row.access_token);
    Ok((fresh && !refused).then(|| AccessToken {
        connection_id: row.connection_id,
        token: Secret::new(row.access_token.clone()),
    }))
}

async fn store_refreshed(
    tx: &mut sqlx::PgConnection,
    connection_id: Uuid,
    tokens: &TokenSet,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE xero.tokens SET access_token = $2,
                refresh_token = coalesce($3, refresh_token), expires_at = $4,
                scopes = CASE WHEN $5 = '' THEN scopes ELSE $5 END,
                refreshed_at = now(), refresh_count = refresh_count + 1
          WHERE connection_id = $1",
    )
    .bind(connection_id)
    .bind(tokens.access_token.expose())
    .bind(tokens.refresh_token.as_ref().map(Secret::expose))
    .bind(tokens.expires_at)
    .bind(&tokens.scopes)
    .execute(tx)
    .await?;
    Ok(())
}

/// Stores a new connection with its first token set; returns its id.
pub async fn store_connection(
    tx: &mut sqlx::PgConnection,
    grant_type: &str,
    tokens: &TokenSet,
) -> Result<Uuid, sqlx::Error> {
    let connection_id: Uuid = sqlx::query_scalar(
        "INSERT INTO xero.connections (grant_type) VALUES ($1) RETURNING connection_id",
    )
    .bind(grant_type)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO xero.tokens (connection_id, access_token, refresh_token, expires_at, scopes)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(connection_id)
    .bind(tokens.access_token.expose())
    .bind(tokens.refresh_token.as_ref().map(Secret::expose))
    .bind(tokens.expires_at)
    .bind(&tokens.scopes)
    .execute(&mut *tx)
    .await?;
    Ok(connection_id)
}
