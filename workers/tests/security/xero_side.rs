//! An organisation a user disconnects from the app in Xero: its next call answers 403, Xero's
//! `/connections` no longer lists it, and it is marked disconnected with its work stopped and
//! its data kept — no retry storm — while the other organisation syncs on.

use std::time::Duration;

use serde_json::json;
use xero_sync_sim::SimConfig;

use super::{live_jobs, ok, rows, tenant_status};
use crate::support::{Harness, eventually, small_org};

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_disconnected_in_xero_is_marked_so_and_stops_without_a_retry_storm() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        journals: 6_000,
        latency_ms: 20,
        ..small_org()
    })
    .await;
    let (gone, kept) = (h.tenants[0], h.tenants[1]);
    let runs = h.sync(None, true).await;
    let worker = h.worker(2, 2);
    eventually("both organisations syncing", MINUTE, || async {
        let (a, b) = (
            rows(&h, "journals", gone).await,
            rows(&h, "journals", kept).await,
        );
        (a > 0 && b > 0).then_some(())
    })
    .await;
    let disconnected = h
        .sim_json(
            "POST",
            "/sim/connections/disconnect",
            Some(json!({"tenant_id": gone})),
        )
        .await;
    assert!(
        disconnected["disconnected"].as_u64().unwrap() >= 1,
        "{disconnected}"
    );
    let reason = eventually("the tenant marked disconnected", MINUTE, || async {
        let (status, reason) = tenant_status(&h, gone).await;
        (status == "disconnected").then_some(reason)
    })
    .await;
    assert!(reason.unwrap().contains("disconnected in Xero"));
    eventually("no job of the tenant left", MINUTE, || async {
        live_jobs(&h, gone).await.is_empty().then_some(())
    })
    .await;
    // The other organisation's runs complete.
    let mine: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT run_id FROM xero.sync_log WHERE run_id = ANY($1) AND tenant_id = $2",
    )
    .bind(&runs)
    .bind(kept)
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    h.wait(&mine, MINUTE * 2).await;
    worker.stop().await;
    h.assert_equal_for(&[kept], None).await;
    let refused = h.sim_stats().await;
    let forbidden = refused["requests"]
        .as_object()
        .map(|by_endpoint| {
            by_endpoint
                .values()
                .filter_map(|statuses| statuses["403"].as_u64())
                .sum::<u64>()
        })
        .unwrap_or(0);
    assert!(
        forbidden <= 8,
        "a refused organisation is asked a few times, not in a loop: {forbidden}"
    );
    assert!(rows(&h, "journals", gone).await > 0, "its data is kept");
    let status = ok(&h, &["status"]).await;
    assert!(status.contains("DISCONNECTED"), "{status}");
}
