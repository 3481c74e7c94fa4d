//! The commands of a connection's life: `connect` (and `connect --reauthorize`), `disconnect`,
//! `pause`, `resume` and `connections`.

use anyhow::{Context, bail};
use uuid::Uuid;
use xero_sync::app::{self, Selection};
use xero_sync::config::{DbArgs, TokenKeyArgs, XeroArgs};
use xero_sync::connect::{self, Connector};
use xero_sync::connections::{self as lifecycle, Disconnect, Services};
use xero_sync::db;
use xero_sync::xero::XeroClient;

use super::setup::{keys, loopback_addr, prepare};
use crate::registry;

/// How `connect` gets its tokens.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectOptions {
    /// Use client credentials (a Xero custom connection) instead of a browser consent.
    #[arg(long)]
    pub client_credentials: bool,
    /// On a machine without a browser (a server over SSH): print the consent URL, then read
    /// the address Xero sent the browser back to, pasted from its address bar.
    #[arg(long, conflicts_with = "client_credentials")]
    pub no_browser: bool,
    /// Request the broad scopes of apps created before 2 March 2026
    /// (`accounting.transactions.read`…) instead of granular ones.
    #[arg(long, env = "XERO_BROAD_SCOPES")]
    pub broad_scopes: bool,
    /// Where Xero sends the browser back; must be registered with the app and reach this
    /// machine's loopback.
    #[arg(
        long,
        env = "XERO_REDIRECT_URI",
        default_value = "http://localhost:8749/callback"
    )]
    pub redirect_uri: String,
    /// Re-authorise the connection of `--tenant` (one that needs it, or any): its progress
    /// and data are kept, and its syncs go on incrementally.
    #[arg(long, requires = "tenant")]
    pub reauthorize: bool,
    /// The tenant to re-authorise.
    #[arg(long, requires = "reauthorize", value_parser = xero_sync::config::parse_tenant_id)]
    pub tenant: Option<Uuid>,
}

/// `connect`: connects organisations (an organisation connected already moves to the new
/// connection) and queues their runs: the first full runs, or incremental ones for an
/// organisation that was synced before.
pub async fn connect(
    db: &DbArgs,
    xero: &XeroArgs,
    token_keys: &TokenKeyArgs,
    options: &ConnectOptions,
) -> anyhow::Result<()> {
    let keys = keys(token_keys)?;
    let pool = db::connect_to(&db::Target::from_args(db), 4).await?;
    prepare(&pool, db).await?;
    if let Some(tenant) = options.tenant {
        check_reauthorizable(&pool, tenant).await?;
    }
    let http = app::http_client()?;
    let oauth = app::oauth_app(&http, xero)?;
    let enabled = db::enabled_entities(&pool).await?;
    let wanted = xero_sync::entity::requested(registry(), &enabled);
    let scopes = xero_sync::entity::scopes(&wanted, options.broad_scopes);
    let connector = Connector {
        pool: &pool,
        oauth: &oauth,
        http: &http,
        api_url: &xero.api_url,
        keys: &keys,
        require: options.tenant,
    };
    let tenants = if options.client_credentials {
        connector.client_credentials(&scopes).await?
    } else {
        let listen = loopback_addr(&options.redirect_uri)?;
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen for the OAuth redirect on {listen}"))?;
        let request = connect::Request {
            listener,
            redirect_uri: &options.redirect_uri,
            scopes: &scopes,
        };
        if options.no_browser {
            let consent = connect::PastedConsent { listen };
            connector.authorization_code(request, &consent).await?
        } else {
            connector
                .authorization_code(request, &connect::PrintConsent)
                .await?
        }
    };
    for t in &tenants {
        println!("connected {} ({})", t.tenant_name, t.tenant_id);
    }
    let ids: Vec<Uuid> = tenants.iter().map(|t| t.tenant_id).collect();
    queue_runs(&pool, ids).await
}

/// Queues the runs of newly connected tenants: incremental where a watermark exists (a
/// re-authorised or reconnected organisation keeps its progress), full where none does.
async fn queue_runs(pool: &sqlx::PgPool, tenants: Vec<Uuid>) -> anyhow::Result<()> {
    let active: Vec<Uuid> = sqlx::query_scalar(
        "SELECT tenant_id FROM xero.tenants WHERE tenant_id = ANY($1) AND status = 'active'",
    )
    .bind(tenants)
    .fetch_all(pool)
    .await?;
    if active.is_empty() {
        println!("no runs queued: the organisations are paused (`xero-sync resume`)");
        return Ok(());
    }
    let selection = Selection {
        tenants: Some(active),
        entities: None,
    };
    let runs = app::request_sync(pool, registry(), &selection, false, 8).await?;
    println!(
        "{} runs queued; start `xero-sync worker` to sync them",
        runs.len()
    );
    Ok(())
}

/// Re-authorising names a tenant that is connected.
async fn check_reauthorizable(pool: &sqlx::PgPool, tenant: Uuid) -> anyhow::Result<()> {
    let state: Option<(String, String)> = sqlx::query_as(
        "SELECT t.tenant_name, c.status FROM xero.tenants t JOIN xero.connections c
             USING (connection_id) WHERE t.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(pool)
    .await?;
    match state {
        None => bail!("unknown tenant {tenant}; `xero-sync connections` lists them"),
        Some((name, status)) if status != "needs_reauth" => {
            println!("{name}'s connection is {status}; re-authorising it anyway");
        }
        Some(_) => {}
    }
    Ok(())
}

/// What `disconnect` disconnects.
#[derive(Debug, Clone, clap::Args)]
pub struct DisconnectOptions {
    /// The tenant to disconnect.
    #[arg(long, value_parser = xero_sync::config::parse_tenant_id)]
    pub tenant: Uuid,
    /// Disconnect every organisation of the tenant's connection (revokes its refresh token).
    #[arg(long)]
    pub connection: bool,
    /// Also delete the organisations' rows (in batches); by default the data is kept.
    #[arg(long)]
    pub purge: bool,
}

/// `disconnect`: tells Xero, stops the tenants' jobs, keeps (or with `--purge` deletes) their
/// data.
pub async fn disconnect(
    db: &DbArgs,
    xero: &XeroArgs,
    token_keys: &TokenKeyArgs,
    options: &DisconnectOptions,
) -> anyhow::Result<()> {
    let keys = keys(token_keys)?;
    let pool = db::connect_to(&db::Target::from_args(db), 4).await?;
    prepare(&pool, db).await?;
    let http = app::http_client()?;
    let oauth = app::oauth_app(&http, xero)?;
    let vault = xero_sync::vault::Vault::new(pool.clone(), oauth.clone(), keys, xero.timeout());
    let client = XeroClient::new(http, &xero.api_url, xero.timeout(), xero.max_response_bytes);
    let services = Services {
        pool: &pool,
        vault: &vault,
        xero: &client,
        oauth: &oauth,
    };
    let what = Disconnect {
        tenant_id: options.tenant,
        whole_connection: options.connection,
        purge: options.purge,
    };
    let done = lifecycle::disconnect(&services, what).await?;
    println!("at Xero: {}", done.at_xero);
    for (id, name) in &done.tenants {
        println!("disconnected {name} ({id})");
    }
    println!("{} waiting job(s) stopped", done.jobs_killed);
    if options.purge {
        println!("{} row(s) deleted", done.rows_purged);
    } else {
        println!("their data is kept (--purge deletes it)");
    }
    Ok(())
}

/// `pause`: no new work for the tenant; what runs finishes its batch.
pub async fn pause(db: &DbArgs, tenant: Uuid) -> anyhow::Result<()> {
    let pool = db::connect_to(&db::Target::from_args(db), 2).await?;
    prepare(&pool, db).await?;
    println!("{}", lifecycle::pause(&pool, tenant).await?);
    Ok(())
}

/// `resume`: the paused tenant's work goes on.
pub async fn resume(db: &DbArgs, tenant: Uuid) -> anyhow::Result<()> {
    let pool = db::connect_to(&db::Target::from_args(db), 2).await?;
    prepare(&pool, db).await?;
    println!("{}", lifecycle::resume(&pool, tenant).await?);
    Ok(())
}

/// `connections`: every connection with its tenants, states and scopes.
pub async fn connections(db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let pool = super::setup::open(db).await?;
    let listed = lifecycle::list(&pool).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else {
        print!("{}", lifecycle::render(&listed));
    }
    Ok(())
}
