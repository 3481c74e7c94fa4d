//! What the identity server keeps and checks: authorization codes, access and refresh tokens
//! (with the refresh token's rotation state), the grant behind a token, the log of every token
//! issued, and the errors it answers.

use std::collections::{HashMap, VecDeque};

use uuid::Uuid;

use super::grants::{GrantId, GrantKind, Grants};

/// How many issued tokens of each type the log keeps (the most recent).
const ISSUED_KEPT: usize = 10_000;

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
pub(super) struct AuthCode {
    pub(super) redirect_uri: String,
    pub(super) scope: String,
    pub(super) challenge: Option<(String, String)>,
    pub(super) expires_ms: i64,
}

/// An access token issued.
#[derive(Debug, Clone)]
pub(super) struct AccessToken {
    pub(super) expires_ms: i64,
    pub(super) kind: GrantKind,
    pub(super) grant: GrantId,
    pub(super) scope: String,
}

/// A bearer token that checked out: how it was obtained and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// How the grant behind it was obtained.
    pub kind: GrantKind,
    /// The grant behind it.
    pub grant: GrantId,
    /// Its scopes, space separated.
    pub scope: String,
    /// The tenants its grant is connected to when it was checked, in connection order.
    pub tenants: Vec<Uuid>,
}

impl Authenticated {
    /// Whether one of `any` is among the token's scopes.
    pub fn allows(&self, any: &[&str]) -> bool {
        self.scope.split_whitespace().any(|s| any.contains(&s))
    }

    /// Whether its grant reaches `tenant`.
    pub fn reaches(&self, tenant: Uuid) -> bool {
        self.tenants.contains(&tenant)
    }
}

/// Where a refresh token is in its life: usable, rotated (replayable for a grace period) or
/// revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RefreshState {
    Active,
    Rotated { at_ms: i64 },
    Revoked,
}

/// A refresh token issued.
#[derive(Debug, Clone)]
pub(super) struct RefreshToken {
    pub(super) grant: GrantId,
    pub(super) scope: String,
    pub(super) public_client: bool,
    pub(super) issued_ms: i64,
    pub(super) state: RefreshState,
}

/// Every code, token and grant issued, codes and tokens by their value.
#[derive(Debug, Default)]
pub(super) struct Tokens {
    pub(super) codes: HashMap<String, AuthCode>,
    pub(super) access: HashMap<String, AccessToken>,
    pub(super) refresh: HashMap<String, RefreshToken>,
    pub(super) grants: Grants,
    pub(super) issued: Issued,
}

/// The most recent tokens issued, oldest first: what a leak test looks for in logs and dumps.
/// Kept apart from `access`/`refresh` because those forget nothing and are keyed, not ordered.
#[derive(Debug, Default)]
pub struct Issued {
    /// Access tokens.
    pub access: VecDeque<String>,
    /// Refresh tokens.
    pub refresh: VecDeque<String>,
}

impl Issued {
    /// Logs a token, forgetting the oldest beyond [`ISSUED_KEPT`].
    pub(super) fn log(log: &mut VecDeque<String>, token: &str) {
        if log.len() >= ISSUED_KEPT {
            log.pop_front();
        }
        log.push_back(token.to_owned());
    }
}

/// A token endpoint or authorize error: status and OAuth error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthError {
    /// HTTP status (400, or 401 for `invalid_client`).
    pub status: u16,
    /// The `error` value.
    pub error: &'static str,
}

impl OAuthError {
    /// An error with this status and code.
    pub(super) const fn new(status: u16, error: &'static str) -> Self {
        Self { status, error }
    }
    /// The grant (code or refresh token) is unknown, used up or expired.
    pub(super) const INVALID_GRANT: Self = Self::new(400, "invalid_grant");
    /// The client is unknown or its secret wrong.
    pub(super) const INVALID_CLIENT: Self = Self::new(401, "invalid_client");
    /// A required parameter is missing.
    pub(super) const INVALID_REQUEST: Self = Self::new(400, "invalid_request");
}

/// Why a bearer token was refused: the 401 problem `Detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unauthorized(pub String);
