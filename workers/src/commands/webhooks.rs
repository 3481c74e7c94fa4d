//! `xero-sync webhooks`: the receiver of Xero's webhooks.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use xero_sync::config::{DbArgs, WebhookArgs};
use xero_sync::health::{self, Readiness};
use xero_sync::telemetry::Telemetry;
use xero_sync::{db, shutdown, webhooks};

use super::setup::prepare;

/// Serves the receiver (and its health and metrics on `WEBHOOK_HTTP_ADDR`) until SIGINT or
/// SIGTERM.
pub async fn serve(db: &DbArgs, args: &WebhookArgs, telemetry: &Telemetry) -> anyhow::Result<()> {
    let key = args
        .key
        .clone()
        .filter(|k| !k.expose().is_empty())
        .context(
            "XERO_WEBHOOK_KEY is not set: give the webhook key Xero's developer portal shows \
             for the app (Webhooks), as it is shown",
        )?;
    let pool = db::connect_to(&db::Target::from_args(db), 8).await?;
    prepare(&pool, db).await?;
    let listener = webhooks::bind(args.addr).await?;
    if let Some(addr) = args.http_addr.0 {
        let http = health::bind(addr, "WEBHOOK_HTTP_ADDR").await?;
        tracing::info!(http.addr = %http.local_addr()?, "serving /healthz, /readyz and /metrics");
        // Ready while the database answers at this binary's migrations; no job loop to wait for.
        let readiness = Readiness {
            pool: pool.clone(),
            running: Arc::new(AtomicBool::new(true)),
        };
        let telemetry = telemetry.clone();
        tokio::spawn(async move {
            let stop = async {
                let _ = shutdown::signal().await;
            };
            if let Err(e) = health::serve(http, readiness, telemetry, stop).await {
                tracing::error!(error = %e, "the health and metrics endpoint stopped");
            }
        });
    }
    tracing::info!(
        webhooks.addr = %listener.local_addr()?,
        path = webhooks::PATH,
        "receiving Xero's webhooks"
    );
    let stop = async {
        if let Err(e) = shutdown::signal().await {
            tracing::error!(error = %e, "cannot wait for the shutdown signal");
        }
    };
    webhooks::serve(listener, pool, key, stop).await?;
    tracing::info!("webhook receiver stopped");
    Ok(())
}
