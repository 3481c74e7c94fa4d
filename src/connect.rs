//! Connecting organisations: the OAuth 2.0 authorization-code flow with PKCE (a loopback
//! listener receives the redirect), or client credentials for custom connections; then the
//! tenants are discovered through Xero's `/connections` and stored with the tokens, sealed.
//! The browser is told "connected" only once everything is stored, and the error otherwise.

use std::time::Duration;

use anyhow::{Context, bail};
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::config::Secret;
use crate::seal::Keys;
use crate::xero::connections::{self, Connection};
use crate::xero::oauth::{OAuthApp, TokenSet};

/// One organisation reachable through a connection (an element of `/connections`).
pub type Tenant = Connection;

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

/// A redirect received, and where to send what became of it (the browser's page).
type Received = (Redirect, oneshot::Sender<Result<String, String>>);

/// How long the redirect's page may take to reach the browser once the flow has ended.
const PAGE_FLUSH: Duration = Duration::from_secs(2);

/// How long the browser waits for the connection to be stored before its page gives up.
const PAGE_WAIT: Duration = Duration::from_secs(120);

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

/// Everything a connection is made with.
#[derive(Clone, Copy)]
pub struct Connector<'a> {
    /// The database.
    pub pool: &'a PgPool,
    /// The Xero app.
    pub oauth: &'a OAuthApp,
    /// The HTTP client.
    pub http: &'a reqwest::Client,
    /// Xero's API host (`/connections`).
    pub api_url: &'a str,
    /// The keys tokens are sealed under.
    pub keys: &'a Keys,
    /// Re-authorising: the consent must include this tenant, or nothing is stored.
    pub require: Option<Uuid>,
}

impl Connector<'_> {
    /// Runs the authorization-code flow: hands the consent URL to `consent`, exchanges the
    /// code, discovers the tenants and stores everything. Returns the tenants connected.
    pub async fn authorization_code(
        &self,
        request: Request<'_>,
        consent: &impl Consent,
    ) -> anyhow::Result<Vec<Tenant>> {
        let Request {
            listener,
            redirect_uri,
            scopes,
        } = request;
        let crate::xero::oauth::Authorization {
            url,
            csrf,
            verifier,
        } = self.oauth.authorize(redirect_uri, scopes)?;
        let (mut redirects, listening) = RedirectListener::start(listener);
        let flow = async {
            let (redirect, page) = redirects
                .recv()
                .await
                .context("the redirect listener stopped")?;
            let expected = Expected {
                csrf: csrf.secret().clone(),
                verifier,
                redirect_uri,
            };
            let connected = self.finish(redirect, expected).await;
            let shown = match &connected {
                Ok(tenants) => Ok(names(tenants)),
                Err(e) => Err(format!("{e:#}")),
            };
            let _ = page.send(shown);
            connected
        };
        // The person's browser (or the demo playing it) and the flow run side by side: the
        // redirect's page answers only once the flow has stored the connection. A consent that
        // fails (a pasted address that is not the redirect) ends the wait for a redirect that
        // will not come; one that succeeds may have only printed the URL, so the flow goes on.
        tokio::pin!(flow);
        let connected = tokio::select! {
            connected = &mut flow => connected,
            opened = consent.open(&url) => match opened {
                Ok(()) => flow.await,
                Err(e) => Err(e),
            },
        };
        listening.close().await;
        connected
    }

    async fn finish(
        &self,
        redirect: Redirect,
        expected: Expected<'_>,
    ) -> anyhow::Result<Vec<Tenant>> {
        if let Some(error) = redirect.error {
            bail!("Xero did not authorise the app: {error}");
        }
        if redirect.state.as_deref() != Some(expected.csrf.as_str()) {
            bail!("the redirect's state does not match the request (possible CSRF); try again");
        }
        let code = redirect.code.context("the redirect carries no code")?;
        let tokens = self
            .oauth
            .exchange_code(&code, expected.verifier, expected.redirect_uri)
            .await?;
        self.store(&tokens, "authorization_code").await
    }

    /// Connects a custom connection with client credentials, asking for `scopes` (a custom
    /// connection has no refresh token, so the identity and `offline_access` scopes are left
    /// out).
    pub async fn client_credentials(&self, scopes: &[&str]) -> anyhow::Result<Vec<Tenant>> {
        let wanted: Vec<&str> = scopes
            .iter()
            .copied()
            .filter(|s| !crate::entity::BASE_SCOPES.contains(s))
            .collect();
        let mut tokens = self.oauth.client_credentials(&wanted).await?;
        if tokens.scopes.is_empty() {
            // Stored so that each new token asks for the same scopes.
            tokens.scopes = wanted.join(" ");
        }
        self.store(&tokens, "client_credentials").await
    }

    async fn store(&self, tokens: &TokenSet, grant_type: &str) -> anyhow::Result<Vec<Tenant>> {
        let tenants = discover(self.http, self.api_url, &tokens.access_token).await?;
        if tenants.is_empty() {
            bail!("the authorisation grants access to no organisation");
        }
        if let Some(required) = self.require
            && !tenants.iter().any(|t| t.tenant_id == required)
        {
            bail!(
                "the consent did not include tenant {required} (it gave {}); connect again and \
                 choose that organisation on Xero's consent page",
                names(&tenants)
            );
        }
        let mut tx = self.pool.begin().await?;
        crate::connections::store(&mut tx, self.keys, grant_type, tokens, &tenants).await?;
        tx.commit().await?;
        Ok(tenants)
    }
}

/// What the redirect must match, and what the code is exchanged with.
struct Expected<'a> {
    csrf: String,
    verifier: oauth2::PkceCodeVerifier,
    redirect_uri: &'a str,
}

/// The listener Xero's redirect reaches: its requests come out of the receiver, each with the
/// channel its page waits on.
struct RedirectListener {
    done: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RedirectListener {
    fn start(listener: TcpListener) -> (mpsc::Receiver<Received>, RedirectListener) {
        let (tx, rx) = mpsc::channel::<Received>(1);
        let router = axum::Router::new()
            .route("/{*path}", get(receive))
            .with_state(tx);
        let (done, closing) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = closing.await;
                })
                .await
        });
        (rx, RedirectListener { done, server })
    }

    /// Closes it once the page being written has reached the browser (or after a moment).
    async fn close(self) {
        let RedirectListener { done, mut server } = self;
        let _ = done.send(());
        if tokio::time::timeout(PAGE_FLUSH, &mut server).await.is_err() {
            server.abort();
        }
    }
}

fn names(tenants: &[Tenant]) -> String {
    let names: Vec<&str> = tenants.iter().map(|t| t.tenant_name.as_str()).collect();
    names.join(", ")
}

async fn receive(
    State(tx): State<mpsc::Sender<Received>>,
    Query(q): Query<Redirect>,
) -> Html<String> {
    let (page, shown) = oneshot::channel();
    if tx.send((q, page)).await.is_err() {
        return Html("<p>xero-sync is no longer waiting for this redirect.</p>".into());
    }
    let text = match tokio::time::timeout(PAGE_WAIT, shown).await {
        Ok(Ok(Ok(names))) => format!(
            "<p>xero-sync is connected to {}. You can close this window.</p>",
            escape(&names)
        ),
        Ok(Ok(Err(error))) => format!("<p>xero-sync could not connect: {}</p>", escape(&error)),
        _ => "<p>xero-sync did not finish connecting; see its output.</p>".into(),
    };
    Html(text)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Lists the organisations a token reaches (`GET /connections`).
pub async fn discover(
    http: &reqwest::Client,
    api_url: &str,
    token: &Secret,
) -> anyhow::Result<Vec<Tenant>> {
    connections::list(http, api_url, token)
        .await
        .with_context(|| format!("listing {}/connections", api_url.trim_end_matches('/')))
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

/// The consent of a machine without a browser (`connect --no-browser`): the URL is printed, the
/// person consents in a browser anywhere, and pastes the address Xero sent that browser back
/// to (its page fails to load: it is this machine's loopback); it is handed to the listener
/// here as if the browser had reached it.
#[derive(Debug, Clone)]
pub struct PastedConsent {
    /// Where the redirect listener listens (`host:port`).
    pub listen: String,
}

impl Consent for PastedConsent {
    async fn open(&self, url: &str) -> anyhow::Result<()> {
        println!(
            "Open this URL in a browser on any machine and consent:\n\n  {url}\n\n\
             Xero then sends that browser to an address on this machine, which it cannot load.\n\
             Copy that whole address from the browser's address bar and paste it here:"
        );
        let pasted = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map(|_| line)
        })
        .await
        .context("reading the pasted address")?
        .context("reading the pasted address")?;
        let path = redirect_path(pasted.trim())?;
        let page = reqwest::get(format!("http://{}{path}", self.listen))
            .await
            .context("handing the pasted address to the redirect listener")?
            .text()
            .await
            .unwrap_or_default();
        tracing::debug!(page, "the redirect's page");
        Ok(())
    }
}

/// The path and query of the address Xero redirected to, which must carry its answer.
fn redirect_path(pasted: &str) -> anyhow::Result<&str> {
    let after_scheme = pasted.split_once("://").map_or(pasted, |(_, rest)| rest);
    let path = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .unwrap_or_default();
    if !(path.contains("code=") || path.contains("error=")) {
        bail!(
            "`{pasted}` is not the address Xero redirected to: it ends in ?code=…&state=… \
             (or ?error=…); run `xero-sync connect --no-browser` again"
        );
    }
    Ok(path)
}
