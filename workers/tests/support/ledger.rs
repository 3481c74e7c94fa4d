//! What the entity tests share: a harness syncing every entity, a day of changes, runs to the
//! end, and what the simulator saw.

use std::time::Duration;

use serde_json::{Value, json};
use xero_sync::digest::digest_query;
use xero_sync_workers::registry;

use super::{Harness, small_org};

/// How long a test waits for its runs.
pub const MINUTE: Duration = Duration::from_secs(60);

/// A harness whose deployment syncs every entity.
pub async fn every_entity() -> Harness {
    let h = Harness::new(small_org()).await;
    let all: Vec<&str> = registry().iter().map(|e| e.name).collect();
    xero_sync::db::choose_entities(&h.db.pool, &all)
        .await
        .unwrap();
    h
}

/// `/sim/mutate`: `count` changes to `entity` of the first tenant; the outcome.
pub async fn mutate(h: &Harness, entity: &str, count: usize) -> Value {
    h.sim_json(
        "POST",
        "/sim/mutate",
        Some(json!({"tenant_id": h.tenants[0], "entity": entity, "count": count})),
    )
    .await
}

/// Runs `entities` (full or incremental) to completion with a worker.
pub async fn sync(h: &Harness, entities: &[&str], full: bool) {
    let worker = h.worker(10, 4);
    let runs = h.sync(Some(entities), full).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
}

/// Calls the simulator answered for `endpoint` since the last stats reset.
pub async fn calls(h: &Harness, endpoint: &str) -> u64 {
    let stats = h.sim_stats().await;
    stats["requests"][endpoint]
        .as_object()
        .map_or(0, |by_status| {
            by_status.values().map(|v| v.as_u64().unwrap()).sum()
        })
}

/// Asserts that the set `query` digests equals the simulator's `set`.
pub async fn assert_lines_equal(h: &Harness, set: &str, query: &'static str) {
    let tenant = h.tenants[0];
    let ours = digest_query(&h.db.pool, query, tenant).await.unwrap();
    let theirs = h.sim_digest(tenant, set).await;
    assert_eq!((ours.count, ours.digest), theirs, "{set} differs from Xero");
}

/// One number from the database.
pub async fn scalar_i64(h: &Harness, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&h.db.pool).await.unwrap()
}
