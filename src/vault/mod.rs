//! The token vault: hands out a valid access token per connection, refreshing one that expires
//! within a minute under `SELECT … FOR UPDATE` on its row, so across all replicas exactly one
//! refresh happens per expiry and the rotated refresh token is stored in the same transaction.

mod rotate;
mod store;

use std::sync::Arc;

use chrono::{Duration, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub use rotate::{Rotated, rotate, seal_plaintext};
pub use store::store_connection;
use store::{Row, load, needs_reauth, store_refreshed};

use crate::config::Secret;
use crate::seal::{Keys, OpenError};
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
    /// A stored token does not open with the configured keys.
    #[error("{0}")]
    Sealed(#[from] OpenError),
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
    keys: Arc<Keys>,
    refresh_timeout: std::time::Duration,
}

impl Vault {
    /// A vault over `xero.tokens`, sealed under `keys`, refreshing through `app`; a refresh
    /// taking longer than `timeout` (at most [`MAX_REFRESH_TIME`]) is abandoned and its job
    /// retried.
    pub fn new(
        pool: PgPool,
        app: OAuthApp,
        keys: Arc<Keys>,
        timeout: std::time::Duration,
    ) -> Vault {
        Vault {
            pool,
            app,
            keys,
            refresh_timeout: timeout.min(MAX_REFRESH_TIME),
        }
    }

    /// The keys tokens are sealed under.
    pub fn keys(&self) -> &Arc<Keys> {
        &self.keys
    }

    /// A token for the tenant's connection, valid for at least a minute. `stale` is a token Xero
    /// just refused with 401: it is refreshed even if it does not look expired.
    pub async fn access_token(
        &self,
        tenant_id: Uuid,
        stale: Option<&Secret>,
    ) -> Result<AccessToken, VaultError> {
        let mut conn = self.pool.acquire().await?;
        let row = load(&mut conn, &self.keys, tenant_id, false)
            .await?
            .ok_or(VaultError::UnknownTenant(tenant_id))??;
        drop(conn);
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
        let row = load(&mut tx, &self.keys, tenant_id, true)
            .await?
            .ok_or(VaultError::UnknownTenant(tenant_id))??;
        // Another replica may have refreshed while we waited for the lock.
        if let Some(usable) = usable(&row, stale)? {
            return Ok(usable);
        }
        let result = self.ask_xero(&row).await;
        match result {
            Ok(tokens) => {
                store_refreshed(&mut tx, &self.keys, row.connection_id, &tokens).await?;
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
                (_, Some(refresh)) => self.app.refresh(refresh).await,
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
    let refused = stale.is_some_and(|s| s.expose() == row.access_token.expose());
    Ok((fresh && !refused).then(|| AccessToken {
        connection_id: row.connection_id,
        token: row.access_token.clone(),
    }))
}
