//! Xero's OAuth 2.0 token endpoint through the `oauth2` crate, given our one reqwest through its
//! custom async HTTP hook (so the tree holds a single reqwest and TLS stack).

use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, TokenResponse, TokenUrl,
};

use crate::config::Secret;

/// Errors of the token endpoint, by what the caller does about them.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The grant (refresh token or code) is expired, revoked or already used: a person must
    /// connect again.
    #[error("Xero refused the grant (invalid_grant): {0}")]
    InvalidGrant(String),
    /// Any other answer of the token endpoint (bad client credentials, bad scope…).
    #[error("Xero's token endpoint refused: {0}")]
    Refused(String),
    /// The endpoint could not be reached or answered garbage; worth retrying.
    #[error("cannot reach Xero's token endpoint: {0}")]
    Transport(String),
    /// A configured URL is not a URL.
    #[error("invalid identity URL: {0}")]
    BadUrl(String),
}

/// A token set as stored in `xero.tokens`.
#[derive(Debug, Clone)]
pub struct TokenSet {
    /// The bearer token.
    pub access_token: Secret,
    /// The rotating refresh token (none for custom connections).
    pub refresh_token: Option<Secret>,
    /// When the access token stops working.
    pub expires_at: DateTime<Utc>,
    /// Granted scopes, space separated.
    pub scopes: String,
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// This app as registered with Xero, and where Xero's identity endpoints are.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    client: Client,
    http: reqwest::Client,
    revocation: Revocation,
}

/// Where and as whom refresh tokens are revoked (RFC 7009, `POST /connect/revocation`).
#[derive(Debug, Clone)]
struct Revocation {
    url: String,
    client_id: String,
    client_secret: Secret,
}

/// An authorisation request in progress: the URL to open and what checks the redirect.
#[derive(Debug)]
pub struct Authorization {
    /// The URL a person opens to consent.
    pub url: String,
    /// Must come back as `state`.
    pub csrf: CsrfToken,
    /// Proves the code exchange comes from whoever started the flow.
    pub verifier: PkceCodeVerifier,
}

impl OAuthApp {
    /// An app with the given credentials; `login_url` serves the consent page, `identity_url`
    /// the token endpoint.
    pub fn new(
        http: reqwest::Client,
        client_id: &str,
        client_secret: &Secret,
        login_url: &str,
        identity_url: &str,
    ) -> Result<OAuthApp, OAuthError> {
        let auth = format!(
            "{}/identity/connect/authorize",
            login_url.trim_end_matches('/')
        );
        let token = format!("{}/connect/token", identity_url.trim_end_matches('/'));
        let client = BasicClient::new(ClientId::new(client_id.to_owned()))
            .set_client_secret(ClientSecret::new(client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(auth).map_err(|e| OAuthError::BadUrl(e.to_string()))?)
            .set_token_uri(TokenUrl::new(token).map_err(|e| OAuthError::BadUrl(e.to_string()))?);
        let revocation = Revocation {
            url: format!("{}/connect/revocation", identity_url.trim_end_matches('/')),
            client_id: client_id.to_owned(),
            client_secret: client_secret.clone(),
        };
        Ok(OAuthApp {
            client,
            http,
            revocation,
        })
    }

    /// Revokes a refresh token at Xero, and with it every connection its consent made.
    pub async fn revoke(&self, refresh_token: &Secret) -> Result<(), OAuthError> {
        let r = &self.revocation;
        let response = self
            .http
            .post(&r.url)
            .basic_auth(&r.client_id, Some(r.client_secret.expose()))
            .form(&[
                ("token", refresh_token.expose()),
                ("token_type_hint", "refresh_token"),
            ])
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| OAuthError::Transport(super::error::error_chain(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(OAuthError::Refused(format!(
            "the revocation endpoint answered {status}: {}",
            body.chars().take(200).collect::<String>()
        )))
    }

    /// Starts the authorization-code flow with PKCE (S256).
    pub fn authorize(
        &self,
        redirect_uri: &str,
        scopes: &[&str],
    ) -> Result<Authorization, OAuthError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OAuthError::BadUrl(e.to_string()))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, csrf) = self
            .client
            .clone()
            .set_redirect_uri(redirect)
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().map(|s| Scope::new((*s).to_owned())))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            csrf,
            verifier,
        })
    }

    /// Exchanges the code the redirect brought for a token set.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: PkceCodeVerifier,
        redirect_uri: &str,
    ) -> Result<TokenSet, OAuthError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OAuthError::BadUrl(e.to_string()))?;
        let client = self.client.clone().set_redirect_uri(redirect);
        let http = Http(self.http.clone());
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await;
        token_set(response)
    }

    /// Trades a refresh token for a new token set (Xero rotates the refresh token).
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, OAuthError> {
        let http = Http(self.http.clone());
        let token = RefreshToken::new(refresh_token.expose().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&token)
            .request_async(&http)
            .await;
        token_set(response)
    }

    /// A token for a custom connection (client credentials; no refresh token).
    pub async fn client_credentials(&self, scopes: &[&str]) -> Result<TokenSet, OAuthError> {
        let http = Http(self.http.clone());
        let response = self
            .client
            .exchange_client_credentials()
            .add_scopes(scopes.iter().map(|s| Scope::new((*s).to_owned())))
            .request_async(&http)
            .await;
        token_set(response)
    }
}

/// The transport error handed to `oauth2`.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// Our reqwest as `oauth2`'s HTTP client. A named type rather than a closure: a closure
/// borrowing the client makes the token futures `Send` for one lifetime only, which apalis's
/// handler bounds reject.
struct Http(reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(self.0.clone(), request))
    }
}

async fn send(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpError> {
    let (parts, body) = request.into_parts();
    let response = http
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| HttpError(super::error::error_chain(&e)))?;
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| HttpError(super::error::error_chain(&e)))?;
    builder
        .body(body.to_vec())
        .map_err(|e| HttpError(e.to_string()))
}

type TokenResult =
    Result<BasicTokenResponse, RequestTokenError<HttpError, oauth2::basic::BasicErrorResponse>>;

fn token_set(response: TokenResult) -> Result<TokenSet, OAuthError> {
    let response = response.map_err(|e| match e {
        RequestTokenError::ServerResponse(r) => {
            let detail = r
                .error_description()
                .map_or_else(|| r.error().to_string(), |d| format!("{}: {d}", r.error()));
            if *r.error() == BasicErrorResponseType::InvalidGrant {
                OAuthError::InvalidGrant(detail)
            } else {
                OAuthError::Refused(detail)
            }
        }
        RequestTokenError::Request(e) => OAuthError::Transport(e.to_string()),
        RequestTokenError::Parse(e, _) => OAuthError::Transport(format!("unreadable answer: {e}")),
        RequestTokenError::Other(e) => OAuthError::Transport(e),
    })?;
    let lifetime = response.expires_in().unwrap_or(Duration::from_secs(1800));
    let expires_at = Utc::now()
        + chrono::Duration::from_std(lifetime).unwrap_or_else(|_| chrono::Duration::seconds(1800));
    let scopes = response
        .scopes()
        .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    Ok(TokenSet {
        access_token: Secret::new(response.access_token().secret().clone()),
        refresh_token: response
            .refresh_token()
            .map(|t| Secret::new(t.secret().clone())),
        expires_at,
        scopes,
    })
}
