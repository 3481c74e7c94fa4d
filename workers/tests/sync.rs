//! Full syncs through the real runner: a worker drains the queue against the simulator over
//! HTTP, and Postgres ends equal to Xero.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{Harness, small_org};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_of_all_entities_leaves_postgres_equal_to_xero() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(3, 4);
    let runs = h.sync(None, true).await;
    assert_eq!(runs.len(), 4);
    h.wait(&runs, Duration::from_secs(120)).await;
    worker.stop().await;
    h.assert_equal(None).await;
    let stats = h.sim_stats().await;
    let log: Vec<(String, i32, i64, String)> = sqlx::query_as(
        "SELECT entity, api_calls, records, status FROM xero.sync_log ORDER BY entity",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert!(log.iter().all(|(_, _, _, s)| s == "completed"), "{log:?}");
    let failed: i64 = sqlx::query_scalar("SELECT count(*) FROM apalis.jobs WHERE status <> 'Done'")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(failed, 0, "every job is done: {:?}", h.job_counts().await);
    eprintln!("sim stats: {stats}");
}
