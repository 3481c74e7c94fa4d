//! The demo's webhook step: a receiver on a free port, the simulator subscribed to it (after
//! Xero's intent-to-receive probes), a few invoices and contacts changed in Xero — due dates
//! among them, which move no `UpdatedDateUTC` and no poll would see — and the time until every
//! event is committed in Postgres, with no scheduled run.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::net::TcpListener;
use xero_sync::config::Secret;
use xero_sync::webhooks;
use xero_sync_sim::Simulator;

/// The demo's webhook key (the simulator signs with it, the receiver checks it).
const DEMO_KEY: &str = "ZGVtby13ZWJob29rLWtleQ==";

/// Changes the first organisation's invoices and contacts with webhooks on; `Ok(true)` when
/// every event was followed and the records reached Postgres within a minute.
pub async fn step(pool: &PgPool, sim: &Simulator, http: &reqwest::Client) -> anyhow::Result<bool> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{}", listener.local_addr()?, webhooks::PATH);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let receiver = tokio::spawn(webhooks::serve(
        listener,
        pool.clone(),
        Secret::new(DEMO_KEY),
        async move {
            let _ = stopped.await;
        },
    ));
    let control = |path: &str| format!("{}{path}", sim.origin());
    let subscribed: Value = http
        .post(control("/sim/webhooks"))
        .json(&json!({ "url": url, "key": DEMO_KEY, "batch_ms": 200 }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    if subscribed["status"] != "active" {
        bail!("the receiver did not pass Xero's intent to receive: {subscribed}");
    }
    println!("\nWebhooks: the receiver passed Xero's intent-to-receive probes at {url}");
    let tenant = sim.tenant_ids()[0];
    let started = Instant::now();
    for (entity, count) in [("invoices", 3), ("invoice_due_dates", 3), ("contacts", 2)] {
        http.post(control("/sim/mutate"))
            .json(&json!({ "tenant_id": tenant, "entity": entity, "count": count }))
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("mutating {entity}"))?;
    }
    let followed = followed(pool, sim, http, Duration::from_secs(60)).await?;
    let elapsed = started.elapsed();
    // Off again: the day of changes below is the schedule's to find.
    http.delete(control("/sim/webhooks"))
        .send()
        .await?
        .error_for_status()?;
    let _ = stop.send(());
    receiver.await.context("webhook receiver task")??;
    match followed {
        Some((events, deliveries)) => {
            println!(
                "Webhooks: 3 invoices edited, 3 due dates moved without a new UpdatedDateUTC and \
                 2 contacts edited in Xero: {events} event(s) in {deliveries} delivery(ies), \
                 fetched by id and in Postgres {:.2}s after the change, with no scheduled run",
                elapsed.as_secs_f64()
            );
            Ok(true)
        }
        None => {
            println!("Webhooks: the changes did not reach Postgres within a minute");
            Ok(false)
        }
    }
}

/// Waits until the simulator has delivered every event it formed and each one is handled:
/// `(events, deliveries)`.
async fn followed(
    pool: &PgPool,
    sim: &Simulator,
    http: &reqwest::Client,
    timeout: Duration,
) -> anyhow::Result<Option<(i64, i64)>> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let report: Value = http
            .get(format!("{}/sim/webhooks", sim.origin()))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let drained = report["pending_events"] == 0 && report["in_flight"].is_null();
        let (events, open, deliveries): (i64, i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE handled_at IS NULL),
                    count(DISTINCT delivery_id)
               FROM xero.webhook_events",
        )
        .fetch_one(pool)
        .await?;
        let delivered = report["events_delivered"].as_i64().unwrap_or(-1);
        if drained && events > 0 && events == delivered && open == 0 {
            return Ok(Some((events, deliveries)));
        }
    }
    Ok(None)
}
