//! Connecting organisations: the OAuth 2.0 authorization-code flow with PKCE (a loopback
//! listener receives the redirect), or client credentials for custom connections; then the
//! tenants are discovered through Xero's `/connections` and stored with the tokens.

use anyhow::{Context, bail};
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::config::Secret;
use crate::vault::store_connection;
use crate::xero::oauth::{OAuthApp, TokenSet};

/// One organisation reachable through a connection (an element of `/connections`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    /// The organisation's id, sent as `xero-tenant-id`.
    pub tenant_id: Uuid,
    /// Its name.
    pub tenant_name: String,
    /// ORGANISATION, PRACTICE…
    pub tenant_type: String,
}

/// What a person sees and does during `connect`.
pub trait Consent {
    /// Show `url` to the person (print it, or — in the demo — open it as a browser would).
    fn open(&self, url: &str) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Deserialize)]
struct Redirect {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Where the authorization-code flow listens and what it asks for.
#[derive(Debug)]
pub struct Request<'a> {
    /// Receives the redirect; `redirect_uri` must reach it.
    pub listener: TcpListener,
    /// Where Xero sends the browser back.
    pub redirect_uri: &'a str,
    /// The scopes to request (see [`crate::entity::scopes`]).
    pub scopes: &'a [&'a str],
}

/// Runs the authorization-code flow: hands the consent URL to `consent`, exchanges the code,
/// discovers the tenants and stores everything. Returns the tenants connected.
pub async fn authorization_code(
    pool: &PgPool,
    app: &OAuthApp,
    http: &reqwest::Client,
    api_url: &str,
    request: Request<'_>,
    consent: &impl Consent,
) -> anyhow::Result<Vec<Tenant>> {
    let Request {
        listener,
        redirect_uri,
        scopes,
    } = request;
    let authorization = app.authorize(redirect_uri, scopes)?;
    let (tx, mut rx) = mpsc::channel::<Redirect>(1);
    let router = axum::Router::new()
        .route("/{*path}", get(receive))
        .with_state(tx);
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    consent.open(&authorization.url).await?;
    let redirect = rx.recv().await.context("the redirect listener stopped")?;
    server.abort();
    if let Some(error) = redirect.error {
        bail!("Xero did not authorise the app: {error}");
    }
    if redirect.state.as_deref() != Some(authorization.csrf.secret().as_str()) {
        bail!("the redirect's state does not match the request (possible CSRF); try again");
    }
    let code = redirect.code.context("the redirect carries no code")?;
    let tokens = app
        .exchange_code(&code, authorization.verifier, redirect_uri)
        .await?;
    store(pool, http, api_url, "authorization_code", &tokens).await
}

async fn receive(
    State(tx): State<mpsc::Sender<Redirect>>,
    Query(q): Query<Redirect>,
) -> &'static str {
    let _ = tx.send(q).await;
    "xero-sync is connected. You can close this window."
}

/// Connects a custom connection with client credentials, asking for `scopes` (a custom
/// connection has no refresh token, so the identity and `offline_access` scopes are left out).
pub async fn client_credentials(
    pool: &PgPool,
    app: &OAuthApp,
    http: &reqwest::Client,
    api_url: &str,
    scopes: &[&str],
) -> anyhow::Result<Vec<Tenant>> {
    let wanted: Vec<&str> = scopes
        .iter()
        .copied()
        .filter(|s| !crate::entity::BASE_SCOPES.contains(s))
        .collect();
    let mut tokens = app.client_credentials(&wanted).await?;
    if tokens.scopes.is_empty() {
        // Stored so that each new token asks for the same scopes.
        tokens.scopes = wanted.join(" ");
    }
    store(pool, http, api_url, "client_credentials", &tokens).await
}

async fn store(
    pool: &PgPool,
    http: &reqwest::Client,
    api_url: &str,
    grant_type: &str,
    tokens: &TokenSet,
) -> anyhow::Result<Vec<Tenant>> {
    let tenants = discover(http, api_url, &tokens.access_token).await?;
    if tenants.is_empty() {
        bail!("the authorisation grants access to no organisation");
    }
    let mut tx = pool.begin().await?;
    let connection_id = store_connection(&mut tx, grant_type, tokens).await?;
    for tenant in &tenants {
        sqlx::query(
            "INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name, tenant_type)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id) DO UPDATE SET connection_id = EXCLUDED.connection_id,
                 tenant_name = EXCLUDED.tenant_name, tenant_type = EXCLUDED.tenant_type,
                 updated_at = now()",
        )
        .bind(tenant.tenant_id)
        .bind(connection_id)
        .bind(&tenant.tenant_name)
        .bind(&tenant.tenant_type)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(tenants)
}

/// Lists the organisations a token reaches (`GET /connections`).
pub async fn discover(
    http: &reqwest::Client,
    api_url: &str,
    token: &Secret,
) -> anyhow::Result<Vec<Tenant>> {
    let url = format!("{}/connections", api_url.trim_end_matches('/'));
    let response = http
        .get(&url)
        .bearer_auth(token.expose())
        .header("Accept", "application/json")
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        bail!("{url} answered {status}: {body}");
    }
    serde_json::from_str(&body).with_context(|| format!("{url} answered an unreadable list"))
}

/// Plays the person's browser: follows the consent URL to the provider, which (in the simulator)
/// consents at once and redirects to our listener. Used by the demo and tests.
pub struct AutoConsent {
    /// A client that does not follow redirects by itself.
    pub http: reqwest::Client,
}

impl Consent for AutoConsent {
    async fn open(&self, url: &str) -> anyhow::Result<()> {
        let response = self.http.get(url).send().await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .with_context(|| {
                format!(
                    "the consent page answered {} without a redirect",
                    response.status()
                )
            })?
            .to_owned();
        self.http.get(&location).send().await?.error_for_status()?;
        Ok(())
    }
}

/// Prints the consent URL for a person to open.
pub struct PrintConsent;

impl Consent for PrintConsent {
    async fn open(&self, url: &str) -> anyhow::Result<()> {
        println!("Open this URL in a browser to connect xero-sync to Xero:\n\n  {url}\n");
        Ok(())
    }
}
