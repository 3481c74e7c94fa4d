//! What the identity server keeps and checks: authorization codes, access and refresh tokens
//! (with the refresh token's rotation state), the grant behind a token, and the errors it
//! answers.

use std::collections::HashMap;

/// How an access token was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// A user consented (authorization code, or refreshed from one).
    User,
    /// A custom connection (client_credentials): no tenant header needed.
    Custom,
}

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
    pub(super) scope: String,
}

/// A bearer token that checked out: how it was obtained and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The grant behind it.
    pub kind: GrantKind,
    /// Its scopes, space separated.
    pub scope: String,
}

impl Authenticated {
    /// Whether one of `any` is among the token's scopes.
    pub fn allows(&self, any: &[&str]) -> bool {
        self.scope.split_whitespace().any(|s| any.contains(&s))
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
    pub(super) scope: String,
    pub(super) public_client: bool,
    pub(super) issued_ms: i64,
    pub(super) state: RefreshState,
}

/// Every code and token issued, by its value.
#[derive(Debug, Default)]
pub(super) struct Tokens {
    pub(super) codes: HashMap<String, AuthCode>,
    pub(super) access: HashMap<String, AccessToken>,
    pub(super) refresh: HashMap<String, RefreshToken>,
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
