//! Xero identity: the authorize redirect, the token endpoint (authorization_code with PKCE,
//! refresh_token with rotation and a 30-minute grace, client_credentials) and bearer-token
//! checks. Times come from the simulator clock.
//!
//! Choices where Xero's behaviour is not documented: replaying a rotated refresh token within
//! the grace period returns a fresh pair each time; refreshing does not revoke the previous
//! access token (it simply expires); a refresh token is issued only when `offline_access` is
//! requested, and never for client_credentials.
//!
//! Layout: this file is the app and its grant flows; `grants` the grants and their
//! connections; `lifecycle` their end (removing a connection, a tenant disconnected in Xero,
//! revocation); `tokens` what it keeps and the errors it answers; `wire` the forms as they
//! arrive and the encodings of what goes back.

pub mod grants;
pub mod lifecycle;
pub mod tokens;
pub mod wire;

use std::sync::{Mutex, MutexGuard};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use grants::{Connectable, GrantId, GrantKind};
use tokens::{
    AccessToken, AuthCode, Authenticated, Issued, OAuthError, RefreshState, RefreshToken, Tokens,
    Unauthorized,
};
use wire::{AuthorizeQuery, TokenForm, expiry_text, has_scope, percent_encode, random_token};

/// How long an authorization code stays valid.
const CODE_LIFETIME_MS: i64 = 5 * 60_000;
/// How long a rotated refresh token may still be replayed.
pub const REFRESH_GRACE_MS: i64 = 30 * 60_000;
/// Unused refresh tokens expire after 60 days.
const REFRESH_IDLE_MS: i64 = 60 * 86_400_000;
/// Scope granted to client_credentials when none is asked for: read access to everything.
const DEFAULT_SCOPE: &str = "accounting.invoices.read accounting.payments.read \
                             accounting.banktransactions.read accounting.manualjournals.read \
                             accounting.contacts.read accounting.settings.read \
                             accounting.journals.read accounting.classicexpenses.read \
                             accounting.reports.trialbalance.read \
                             accounting.reports.profitandloss.read \
                             accounting.reports.balancesheet.read \
                             accounting.reports.banksummary.read";
/// The broad scopes that apps created on or after 2 March 2026 may no longer request.
const BROAD_SCOPES: &[&str] = &[
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.reports.read",
];

/// The OAuth app (one client id/secret) and every code and token it issued.
#[derive(Debug)]
pub struct Identity {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// Links the connections of the custom connection (and names the simulated user).
    pub auth_event_id: Uuid,
    /// An app created before 2 March 2026: it may still request broad scopes.
    legacy_app: bool,
    token_lifetime_ms: i64,
    /// The tenants a consent connects, in connection order.
    tenants: Vec<Connectable>,
    tokens: Mutex<Tokens>,
}

impl Identity {
    /// The app of `seed`, its credentials derived from it; a `legacy_app` (created before 2 March 2026) may request broad scopes.
    /// Every consent connects all of `tenants` (id, when first connected).
    pub fn new(
        seed: u64,
        token_lifetime_secs: u64,
        legacy_app: bool,
        tenants: Vec<Connectable>,
    ) -> Self {
        let id = Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("xero-sync-sim/{seed}/client").as_bytes(),
        );
        let secret = Sha256::digest(format!("xero-sync-sim/{seed}/secret").as_bytes());
        Self {
            client_id: id.simple().to_string().to_uppercase(),
            client_secret: URL_SAFE_NO_PAD.encode(&secret[..30]),
            auth_event_id: Uuid::new_v5(&id, b"auth-event"),
            legacy_app,
            token_lifetime_ms: i64::try_from(token_lifetime_secs).unwrap_or(i64::MAX / 2) * 1000,
            tenants,
            tokens: Mutex::new(Tokens::default()),
        }
    }

    /// Whether this app may request `scope`: apps created on or after 2 March 2026 may not ask
    /// for the broad scopes granular ones replaced.
    fn scope_allowed(&self, scope: &str) -> bool {
        self.legacy_app || !scope.split_whitespace().any(|s| BROAD_SCOPES.contains(&s))
    }

    fn lock(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Auto-consents: returns the redirect location with `code` and `state`.
    pub fn authorize(&self, q: AuthorizeQuery, now_ms: i64) -> Result<String, OAuthError> {
        if q.response_type.as_deref() != Some("code") {
            return Err(OAuthError::new(400, "unsupported_response_type"));
        }
        if q.client_id.as_deref() != Some(self.client_id.as_str()) {
            return Err(OAuthError::new(400, "unauthorized_client"));
        }
        let redirect_uri = q.redirect_uri.ok_or(OAuthError::INVALID_REQUEST)?;
        let challenge = q.code_challenge.map(|c| {
            let method = q
                .code_challenge_method
                .unwrap_or_else(|| "plain".to_owned());
            (c, method)
        });
        let sep = if redirect_uri.contains('?') { '&' } else { '?' };
        let scope = q.scope.unwrap_or_default();
        let mut location = if self.scope_allowed(&scope) {
            let code = random_token(24);
            self.lock().codes.insert(
                code.clone(),
                AuthCode {
                    redirect_uri: redirect_uri.clone(),
                    scope,
                    challenge,
                    expires_ms: now_ms + CODE_LIFETIME_MS,
                },
            );
            format!("{redirect_uri}{sep}code={code}")
        } else {
            // As an authorization server refuses a scope: back to the client with the error.
            format!("{redirect_uri}{sep}error=invalid_scope")
        };
        if let Some(state) = q.state {
            location.push_str("&state=");
            location.push_str(&percent_encode(&state));
        }
        Ok(location)
    }

    /// `POST /connect/token`: the token response, or the OAuth error.
    pub fn token(
        &self,
        basic: Option<(String, String)>,
        form: TokenForm,
        now_ms: i64,
    ) -> Result<(&'static str, Value), OAuthError> {
        let secret_ok = self.client(basic, &form.client_id, &form.client_secret)?;
        let grant = form.grant_type.clone().unwrap_or_default();
        let body = match grant.as_str() {
            "authorization_code" => self.exchange_code(form, secret_ok, now_ms)?,
            "refresh_token" => self.refresh(form, secret_ok, now_ms)?,
            "client_credentials" if secret_ok => {
                let scope = form.scope.unwrap_or_else(|| DEFAULT_SCOPE.to_owned());
                if !self.scope_allowed(&scope) {
                    return Err(OAuthError::new(400, "invalid_scope"));
                }
                let custom = self.custom_grant();
                self.issue(custom, &scope, false, false, now_ms)
            }
            "client_credentials" => return Err(OAuthError::INVALID_CLIENT),
            _ => return Err(OAuthError::new(400, "unsupported_grant_type")),
        };
        let kind = match grant.as_str() {
            "authorization_code" => "authorization_code",
            "refresh_token" => "refresh_token",
            _ => "client_credentials",
        };
        Ok((kind, body))
    }

    /// Authenticates the client by HTTP Basic or by the form's `client_id`/`client_secret`:
    /// whether it proved its secret (a public PKCE client sends only its id).
    fn client(
        &self,
        basic: Option<(String, String)>,
        form_id: &Option<String>,
        form_secret: &Option<String>,
    ) -> Result<bool, OAuthError> {
        let (client_id, secret) = match basic {
            Some((id, secret)) => (Some(id), Some(secret)),
            None => (form_id.clone(), form_secret.clone()),
        };
        if client_id.as_deref() != Some(self.client_id.as_str()) {
            return Err(OAuthError::INVALID_CLIENT);
        }
        let secret_ok = secret.as_deref() == Some(self.client_secret.as_str());
        if secret.is_some() && !secret_ok {
            return Err(OAuthError::INVALID_CLIENT);
        }
        Ok(secret_ok)
    }

    /// The custom connection's grant, connecting every tenant when the first client-credentials
    /// token creates it.
    fn custom_grant(&self) -> (GrantKind, GrantId) {
        let mut tokens = self.lock();
        let event = self.auth_event_id;
        let tenants = &self.tenants;
        // Its connections date from when each tenant was connected: the connection predates
        // the simulator's run.
        let id = tokens
            .grants
            .custom(|grants| grants.consent(GrantKind::Custom, event, tenants, i64::MIN));
        (GrantKind::Custom, id)
    }

    fn exchange_code(
        &self,
        form: TokenForm,
        secret_ok: bool,
        now_ms: i64,
    ) -> Result<Value, OAuthError> {
        let code = form.code.ok_or(OAuthError::INVALID_REQUEST)?;
        // Codes are single-use: removed whether or not the exchange then succeeds.
        let auth = self
            .lock()
            .codes
            .remove(&code)
            .ok_or(OAuthError::INVALID_GRANT)?;
        if auth.expires_ms < now_ms {
            return Err(OAuthError::INVALID_GRANT);
        }
        if form.redirect_uri.is_some_and(|r| r != auth.redirect_uri) {
            return Err(OAuthError::INVALID_GRANT);
        }
        let public_client = match &auth.challenge {
            Some((challenge, method)) => {
                let verifier = form.code_verifier.ok_or(OAuthError::INVALID_GRANT)?;
                let computed = if method.eq_ignore_ascii_case("S256") {
                    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
                } else {
                    verifier
                };
                if &computed != challenge {
                    return Err(OAuthError::INVALID_GRANT);
                }
                !secret_ok
            }
            None if secret_ok => false,
            None => return Err(OAuthError::INVALID_CLIENT),
        };
        let offline = has_scope(&auth.scope, "offline_access");
        // A consent: a new grant, in its own auth event, connecting every tenant.
        let grant =
            self.lock()
                .grants
                .consent(GrantKind::User, Uuid::new_v4(), &self.tenants, now_ms);
        let grant = (GrantKind::User, grant);
        Ok(self.issue(grant, &auth.scope, offline, public_client, now_ms))
    }

    fn refresh(&self, form: TokenForm, secret_ok: bool, now_ms: i64) -> Result<Value, OAuthError> {
        let presented = form.refresh_token.ok_or(OAuthError::INVALID_REQUEST)?;
        let (grant, scope, public_client) = {
            let mut tokens = self.lock();
            let rt = tokens
                .refresh
                .get(&presented)
                .ok_or(OAuthError::INVALID_GRANT)?;
            if tokens.grants.revoked(rt.grant) {
                return Err(OAuthError::INVALID_GRANT);
            }
            let rt = tokens
                .refresh
                .get_mut(&presented)
                .ok_or(OAuthError::INVALID_GRANT)?;
            if !rt.public_client && !secret_ok {
                return Err(OAuthError::INVALID_CLIENT);
            }
            match rt.state {
                RefreshState::Active if now_ms - rt.issued_ms <= REFRESH_IDLE_MS => {
                    rt.state = RefreshState::Rotated { at_ms: now_ms };
                }
                RefreshState::Rotated { at_ms } if now_ms - at_ms <= REFRESH_GRACE_MS => {}
                _ => return Err(OAuthError::INVALID_GRANT),
            }
            (rt.grant, rt.scope.clone(), rt.public_client)
        };
        // The refreshed pair stays in the grant: refreshing never reconnects anything.
        let grant = (GrantKind::User, grant);
        Ok(self.issue(grant, &scope, true, public_client, now_ms))
    }

    fn issue(
        &self,
        (kind, grant): (GrantKind, GrantId),
        scope: &str,
        with_refresh: bool,
        public_client: bool,
        now_ms: i64,
    ) -> Value {
        let access = random_token(32);
        let expires_ms = now_ms + self.token_lifetime_ms;
        let mut tokens = self.lock();
        Issued::log(&mut tokens.issued.access, &access);
        tokens.access.insert(
            access.clone(),
            AccessToken {
                expires_ms,
                kind,
                grant,
                scope: scope.to_owned(),
            },
        );
        let mut body = json!({
            "access_token": access,
            "expires_in": self.token_lifetime_ms / 1000,
            "token_type": "Bearer",
            "scope": scope,
        });
        if with_refresh {
            let refresh = random_token(32);
            Issued::log(&mut tokens.issued.refresh, &refresh);
            tokens.refresh.insert(
                refresh.clone(),
                RefreshToken {
                    grant,
                    scope: scope.to_owned(),
                    public_client,
                    issued_ms: now_ms,
                    state: RefreshState::Active,
                },
            );
            body["refresh_token"] = json!(refresh);
        }
        if has_scope(scope, "openid") {
            body["id_token"] = json!(self.id_token(now_ms));
        }
        body
    }

    /// An unsigned JWT-shaped id token: enough for clients that only decode it.
    fn id_token(&self, now_ms: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = json!({
            "iss": "https://identity.xero.com", "aud": self.client_id, "iat": now_ms / 1000,
            "exp": now_ms / 1000 + 300, "sub": Uuid::new_v5(&self.auth_event_id, b"user"),
            "email": "demo@example.com", "given_name": "Demo", "family_name": "User",
        });
        format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
    }

    /// Checks `Authorization: Bearer …` against issued, unexpired access tokens.
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
        now_ms: i64,
    ) -> Result<Authenticated, Unauthorized> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| Unauthorized("AuthenticationUnsuccessful".to_owned()))?;
        let tokens = self.lock();
        // A revoked grant's tokens are unknown from then on, as Xero forgets them.
        let access = tokens
            .access
            .get(token)
            .filter(|a| !tokens.grants.revoked(a.grant))
            .ok_or_else(|| Unauthorized("AuthenticationUnsuccessful".to_owned()))?;
        if access.expires_ms <= now_ms {
            return Err(Unauthorized(format!(
                "TokenExpired: token expired at {}",
                expiry_text(access.expires_ms)
            )));
        }
        let tenants = tokens.grants.connections(access.grant);
        Ok(Authenticated {
            kind: access.kind,
            grant: access.grant,
            scope: access.scope.clone(),
            tenants: tenants.iter().map(|c| c.tenant_id).collect(),
        })
    }
}
