//! The identity endpoints' inputs as they arrive (the token form, the authorize query, Basic
//! credentials) and the encodings of what goes back (random tokens, expiry text, percent
//! encoding, scope lists).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{TimeZone, Utc};
use rand::RngCore;
use serde::Deserialize;

/// The form of `POST /connect/token`.
#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    pub(super) grant_type: Option<String>,
    pub(super) code: Option<String>,
    pub(super) redirect_uri: Option<String>,
    pub(super) code_verifier: Option<String>,
    pub(super) refresh_token: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<String>,
    pub(super) scope: Option<String>,
}

impl TokenForm {
    /// The form of a client-credentials grant with the default scope.
    pub fn client_credentials() -> TokenForm {
        TokenForm {
            grant_type: Some("client_credentials".to_owned()),
            ..TokenForm::default()
        }
    }
}

/// The query of `GET /identity/connect/authorize`.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    pub(super) response_type: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) redirect_uri: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) state: Option<String>,
    pub(super) code_challenge: Option<String>,
    pub(super) code_challenge_method: Option<String>,
}

/// A random URL-safe token of `bytes` random bytes (not from the seeded stream: tokens are
/// secrets, not data).
pub(super) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// `04/09/2023 05:16:59`, as in Xero's `TokenExpired` detail.
pub(super) fn expiry_text(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%m/%d/%Y %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// Parses `Authorization: Basic base64(id:secret)`.
pub fn basic_credentials(authorization: Option<&str>) -> Option<(String, String)> {
    let encoded = authorization?.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Whether a space-separated `scope` includes `wanted`.
pub(super) fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_whitespace().any(|s| s == wanted)
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass through).
pub(super) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The form of `POST /connect/revocation` (RFC 7009).
#[derive(Debug, Default, Deserialize)]
pub struct RevocationForm {
    pub(super) token: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<String>,
}
