//! The end of a connection, the app's side and the user's: a grant removing one of its
//! connections (`DELETE /connections/{id}`), a user disconnecting the app from an organisation
//! in Xero, revoking a refresh token with its whole grant (`POST /connect/revocation`), the
//! control API's revocation of refresh tokens alone, and the listings tests read.
//!
//! Choices where Xero's behaviour is not documented: only refresh tokens are revocable (an
//! access token or an unknown token is answered 200 and changes nothing, as RFC 7009 asks for
//! unknown ones); a public (PKCE) client revokes its token with its client id alone, exactly as
//! it refreshes it.

use super::Identity;
use super::grants::{Connection, GrantId};
use super::tokens::{OAuthError, RefreshState};
use super::wire::RevocationForm;

/// Every token issued, oldest first, as the control API lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The most recent access tokens.
    pub access: Vec<String>,
    /// The most recent refresh tokens.
    pub refresh: Vec<String>,
}

impl Identity {
    /// The grant's live connections, in connection order.
    pub fn connections(&self, grant: GrantId) -> Vec<Connection> {
        self.lock().grants.connections(grant).to_vec()
    }

    /// Every grant's live connections.
    pub fn all_connections(&self) -> Vec<Connection> {
        self.lock().grants.all().cloned().collect()
    }

    /// Removes the grant's connection `id`; false when the grant has none by that id (never
    /// had, or already removed).
    pub fn remove_connection(&self, grant: GrantId, id: uuid::Uuid) -> bool {
        self.lock().grants.remove(grant, id)
    }

    /// A user disconnected the app from `tenant` in Xero: every grant loses its connection to
    /// it. How many connections went.
    pub fn disconnect_tenant(&self, tenant: uuid::Uuid) -> usize {
        self.lock().grants.disconnect_tenant(tenant)
    }

    /// `POST /connect/revocation`: revokes the refresh token's grant, with every token and
    /// connection of it. `Ok` also for a token it does not know.
    pub fn revoke_grant(
        &self,
        basic: Option<(String, String)>,
        form: RevocationForm,
    ) -> Result<(), OAuthError> {
        let secret_ok = self.client(basic, &form.client_id, &form.client_secret)?;
        let presented = form.token.ok_or(OAuthError::INVALID_REQUEST)?;
        let mut tokens = self.lock();
        let Some(rt) = tokens.refresh.get(&presented) else {
            return Ok(());
        };
        // As on refresh: a confidential client's token needs its secret.
        if !rt.public_client && !secret_ok {
            return Err(OAuthError::INVALID_CLIENT);
        }
        let grant = rt.grant;
        tokens.grants.revoke(grant);
        // Every refresh token of the family, rotated ones in their grace period included.
        for rt in tokens.refresh.values_mut().filter(|rt| rt.grant == grant) {
            rt.state = RefreshState::Revoked;
        }
        Ok(())
    }

    /// `POST /sim/tokens/revoke`: revokes one refresh token, or all of them: the next use
    /// answers `invalid_grant`. Grants and access tokens are left alone.
    pub fn revoke(&self, refresh_token: Option<&str>) -> usize {
        let mut tokens = self.lock();
        let mut n = 0;
        for (token, rt) in tokens.refresh.iter_mut() {
            if refresh_token.is_none_or(|t| t == token) && rt.state != RefreshState::Revoked {
                rt.state = RefreshState::Revoked;
                n += 1;
            }
        }
        n
    }

    /// The most recent tokens issued, for leak tests.
    pub fn issued(&self) -> IssuedTokens {
        let tokens = self.lock();
        IssuedTokens {
            access: tokens.issued.access.iter().cloned().collect(),
            refresh: tokens.issued.refresh.iter().cloned().collect(),
        }
    }
}
