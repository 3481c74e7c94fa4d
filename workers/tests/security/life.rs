//! The life of a connection, through the real commands: pause and resume, disconnecting one
//! organisation, purging it, revoking a whole connection, and re-authorising one that needs it.

use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;
use xero_sync::app::{self, Selection};
use xero_sync::connect::{AutoConsent, Connector, Request};
use xero_sync_sim::SimConfig;
use xero_sync_workers::registry;

use super::{live_jobs, ok, rows, tenant_status};
use crate::support::{Harness, eventually, small_org};

const MINUTE: Duration = Duration::from_secs(60);

/// Two organisations, synced once.
async fn synced_pair() -> Harness {
    let h = Harness::new(SimConfig {
        tenants: 2,
        ..small_org()
    })
    .await;
    let runs = h.sync(None, true).await;
    let worker = h.worker(5, 2);
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    h
}

/// The simulator's live connections of every grant.
async fn sim_connections(h: &Harness) -> Vec<Value> {
    h.sim_json("GET", "/sim/connections", None)
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_organisation_holds_its_jobs_until_resumed_and_then_completes() {
    let h = Harness::new(SimConfig {
        journals: 6_000,
        latency_ms: 20,
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    let tenant = h.tenants[0];
    let runs = h.sync(Some(&["journals"]), true).await;
    let worker = h.worker(2, 1);
    eventually("a committed batch", MINUTE, || async {
        let batches: i32 =
            sqlx::query_scalar("SELECT batches FROM xero.sync_log WHERE run_id = $1")
                .bind(runs[0])
                .fetch_one(&h.db.pool)
                .await
                .unwrap();
        (batches >= 1).then_some(())
    })
    .await;
    let said = ok(&h, &["pause", "--tenant", &tenant.to_string()]).await;
    assert!(said.contains("paused"), "{said}");
    // The batch in flight commits; the next one finds the tenant paused and waits.
    eventually("no job of the tenant running or due", MINUTE, || async {
        live_jobs(&h, tenant).await.is_empty().then_some(())
    })
    .await;
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE run_at >= xero.held_until() AND status = 'Pending'",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert!(held >= 1, "the run's next batch is held");
    assert_eq!(tenant_status(&h, tenant).await.0, "paused");
    let status: Value = serde_json::from_str(&ok(&h, &["status", "--json"]).await).unwrap();
    assert_eq!(status["pairs"][0]["tenant_status"], "paused");
    let refused = sqlx::query("SELECT xero.request_sync($1, 'journals')")
        .bind(tenant)
        .execute(&h.db.pool)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("paused"), "{refused}");
    let said = ok(&h, &["resume", "--tenant", &tenant.to_string()]).await;
    assert!(said.contains("resumed"), "{said}");
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    h.assert_equal(Some(&["journals"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnecting_one_organisation_tells_xero_stops_its_jobs_and_keeps_its_data() {
    let h = synced_pair().await;
    let (gone, kept) = (h.tenants[0], h.tenants[1]);
    let invoices = rows(&h, "invoices", gone).await;
    assert!(invoices > 0);
    let said = ok(&h, &["disconnect", "--tenant", &gone.to_string()]).await;
    assert!(said.contains("deleted"), "{said}");
    let live = sim_connections(&h).await;
    let reached: Vec<&str> = live
        .iter()
        .filter_map(|c| c["tenant_id"].as_str())
        .collect();
    assert!(
        !reached.contains(&gone.to_string().as_str()),
        "Xero was told: {live:?}"
    );
    assert!(reached.contains(&kept.to_string().as_str()));
    let (status, reason) = tenant_status(&h, gone).await;
    assert_eq!(status, "disconnected");
    assert!(reason.unwrap().contains("operator"));
    assert_eq!(
        live_jobs(&h, gone).await,
        vec![],
        "no job of the tenant is left"
    );
    assert_eq!(
        rows(&h, "invoices", gone).await,
        invoices,
        "its data is kept"
    );
    // The other organisation goes on as before.
    let runs = h.sync(None, false).await;
    let worker = h.worker(5, 2);
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    let ran: Vec<Uuid> =
        sqlx::query_scalar("SELECT DISTINCT tenant_id FROM xero.sync_log WHERE run_id = ANY($1)")
            .bind(&runs)
            .fetch_all(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(ran, vec![kept]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_deletes_every_row_of_the_organisation_and_none_of_the_other() {
    let h = synced_pair().await;
    let (gone, kept) = (h.tenants[0], h.tenants[1]);
    let kept_before = rows(&h, "journal_lines", kept).await;
    let said = ok(
        &h,
        &["disconnect", "--tenant", &gone.to_string(), "--purge"],
    )
    .await;
    assert!(said.contains("row(s) deleted"), "{said}");
    for table in [
        "invoices",
        "invoice_line_items",
        "journals",
        "journal_lines",
        "contacts",
        "accounts",
    ] {
        assert_eq!(
            rows(&h, table, gone).await,
            0,
            "{table} of the purged tenant"
        );
    }
    let tenant: Option<Uuid> =
        sqlx::query_scalar("SELECT tenant_id FROM xero.tenants WHERE tenant_id = $1")
            .bind(gone)
            .fetch_optional(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(tenant, None);
    assert_eq!(rows(&h, "journal_lines", kept).await, kept_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnecting_a_whole_connection_revokes_it_and_drops_its_tokens() {
    let h = synced_pair().await;
    let said = ok(
        &h,
        &[
            "disconnect",
            "--tenant",
            &h.tenants[0].to_string(),
            "--connection",
        ],
    )
    .await;
    assert!(said.contains("revoked"), "{said}");
    let live = sim_connections(&h).await;
    assert!(
        live.iter().all(|c| c["grant"] != "authorization_code"),
        "the consent's connections are gone at Xero: {live:?}"
    );
    let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM xero.tokens")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(tokens, 0, "no token is kept");
    for &tenant in &h.tenants {
        assert_eq!(tenant_status(&h, tenant).await.0, "disconnected");
        assert_eq!(live_jobs(&h, tenant).await, vec![]);
    }
    let listed: Value = serde_json::from_str(&ok(&h, &["connections", "--json"]).await).unwrap();
    assert_eq!(listed[0]["status"], "revoked");
}

/// Re-runs the consent as `connect --reauthorize --tenant` does.
async fn reauthorize(h: &Harness, tenant: Uuid) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let redirect = format!("http://{}/callback", listener.local_addr()?);
    let oauth = app::oauth_app(&h.http, &h.xero)?;
    let scopes = xero_sync::entity::scopes(registry(), false);
    let browser = AutoConsent {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    };
    let connector = Connector {
        pool: &h.db.pool,
        oauth: &oauth,
        http: &h.http,
        api_url: &h.xero.api_url,
        keys: &h.keys,
        require: Some(tenant),
    };
    let request = Request {
        listener,
        redirect_uri: &redirect,
        scopes: &scopes,
    };
    connector.authorization_code(request, &browser).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_needing_reauthorisation_is_reauthorised_keeping_its_progress() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let runs = h.sync(None, true).await;
    let worker = h.worker(5, 2);
    h.wait(&runs, MINUTE).await;
    let watermark: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "SELECT modified_after FROM xero.sync_progress WHERE tenant_id = $1 AND entity = 'invoices'",
    )
    .bind(tenant)
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    // Xero refuses the refresh token: the connection needs a person.
    h.sim_json("POST", "/sim/tokens/revoke", Some(json!({})))
        .await;
    sqlx::query("UPDATE xero.tokens SET expires_at = now() - interval '1 minute'")
        .execute(&h.db.pool)
        .await
        .unwrap();
    let failing = h.sync(Some(&["accounts"]), false).await;
    h.wait_ended(&failing, MINUTE).await;
    let status: String = sqlx::query_scalar("SELECT status FROM xero.connections")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "needs_reauth");
    // A consent without the tenant stores nothing.
    let error = reauthorize(&h, Uuid::new_v4()).await.unwrap_err();
    assert!(error.to_string().contains("did not include"), "{error}");
    reauthorize(&h, tenant).await.unwrap();
    let connections: Vec<String> = sqlx::query_scalar("SELECT status FROM xero.connections")
        .fetch_all(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(
        connections,
        ["active"],
        "the old connection and its tokens are gone"
    );
    let kept: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
        "SELECT modified_after FROM xero.sync_progress WHERE tenant_id = $1 AND entity = 'invoices'",
    )
    .bind(tenant)
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(kept, watermark, "progress is kept");
    let selection = Selection {
        tenants: Some(vec![tenant]),
        entities: None,
    };
    let again = app::request_sync(&h.db.pool, registry(), &selection, false, 8)
        .await
        .unwrap();
    assert!(
        again
            .iter()
            .all(|(_, _, s)| s.mode == xero_sync::sync::Mode::Incremental)
    );
    let ids: Vec<Uuid> = again.iter().map(|(_, _, s)| s.run_id).collect();
    h.wait(&ids, MINUTE).await;
    worker.stop().await;
    h.assert_equal(None).await;
}
