//! Access tokens during a sync: every expiry is refreshed exactly once even with several workers
//! racing for the same connection (the vault refreshes under a row lock), Xero never sees an
//! expired token when lifetimes are short, and a revoked refresh token marks the connection
//! `needs_reauth` and fails its runs once, with a clear message, instead of retrying.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Harness, eventually, small_org};
use uuid::Uuid;
use xero_sync_sim::SimConfig;

/// Several organisations behind one connection, so chains of every tenant use (and race for)
/// the same token; one page per job and some latency, so the sync lasts a few seconds.
fn racing_org() -> SimConfig {
    SimConfig {
        tenants: 3,
        journals: 5_000,
        invoices: 1_200,
        contacts: 300,
        accounts: 40,
        rate_limits: false,
        latency_ms: 40,
        ..SimConfig::default()
    }
}

async fn refresh_count(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT refresh_count FROM xero.tokens")
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
}

/// Batches committed so far by all runs.
async fn committed_batches(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT coalesce(sum(batches), 0)::int8 FROM xero.sync_log")
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
}

async fn wait_for_batches(h: &Harness, at_least: i64) {
    eventually(
        &format!("{at_least} committed batches"),
        Duration::from_secs(30),
        || async { (committed_batches(h).await >= at_least).then_some(()) },
    )
    .await;
}

/// Responses with this status across the Accounting endpoints (named like `Invoices`; the
/// identity endpoints are `token`, `authorize`, `connections`).
fn responses(stats: &Value, status: &str) -> u64 {
    stats["requests"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(endpoint, _)| endpoint.starts_with(char::is_uppercase))
        .filter_map(|(_, by_status)| by_status[status].as_u64())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_token_expiry_during_a_sync_is_refreshed_exactly_once_by_racing_workers() {
    let h = Harness::new(racing_org()).await;
    let workers = [h.worker(1, 2), h.worker(1, 2), h.worker(1, 2)];
    let runs = h.sync(None, true).await;
    assert_eq!(runs.len(), 12);

    // Expiry seen by our clock: the stored token enters the refresh margin, and every job
    // starting now wants a fresh one.
    wait_for_batches(&h, 10).await;
    assert_eq!(refresh_count(&h).await, 0);
    sqlx::query("UPDATE xero.tokens SET expires_at = now() + interval '10 seconds'")
        .execute(&h.db.pool)
        .await
        .unwrap();
    eventually("the first refresh", Duration::from_secs(10), || async {
        (refresh_count(&h).await == 1).then_some(())
    })
    .await;

    // Expiry seen only by Xero's clock: in-flight calls get 401 with the same stale token.
    let batches = committed_batches(&h).await;
    wait_for_batches(&h, batches + 10).await;
    h.sim_json("POST", "/sim/clock", Some(json!({"advance_secs": 1_900})))
        .await;
    h.wait(&runs, Duration::from_secs(60)).await;
    for worker in workers {
        worker.stop().await;
    }

    let stats = h.sim_stats().await;
    assert_eq!(stats["token_grants"]["refresh_token"], 2, "{stats}");
    assert_eq!(stats["invalid_grant"], 0, "{stats}");
    assert!(
        responses(&stats, "401") >= 1,
        "Xero refused the expired token: {stats}"
    );
    assert_eq!(refresh_count(&h).await, 2);
    // A refused token costs no attempt: the batch refreshed and carried on.
    h.assert_jobs_done_first_time(&runs).await;
    h.assert_equal(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_token_lifetime_is_refreshed_before_xero_refuses_it() {
    // A token is due for refresh 60 s before it expires: at 62 s, two seconds after issue.
    let h = Harness::new(SimConfig {
        tenants: 2,
        token_lifetime_secs: 62,
        ..racing_org()
    })
    .await;
    let started = Instant::now();
    let workers = [h.worker(1, 2), h.worker(1, 2), h.worker(1, 2)];
    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(60)).await;
    let elapsed = started.elapsed();
    for worker in workers {
        worker.stop().await;
    }

    let stats = h.sim_stats().await;
    let grants = stats["token_grants"]["refresh_token"].as_u64().unwrap();
    assert_eq!(
        responses(&stats, "401"),
        0,
        "Xero saw an expired token: {stats}"
    );
    assert_eq!(stats["invalid_grant"], 0, "{stats}");
    // Every refresh was stored (none lost to a race), and no two fell in one token's window:
    // a refreshed token is good for two seconds, so racing workers refreshing on their own
    // would exceed this bound.
    assert_eq!(refresh_count(&h).await, grants as i64);
    let windows = elapsed.as_secs() / 2 + 1;
    eprintln!("{grants} refreshes in {elapsed:?}");
    assert!(
        (1..=windows).contains(&grants),
        "{grants} refreshes in {elapsed:?}"
    );
    h.assert_jobs_done_first_time(&runs).await;
    h.assert_equal(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_marks_the_connection_for_reauthorisation_without_a_retry_storm() {
    let h = Harness::new(small_org()).await;
    let runs = h.sync(None, true).await;
    h.sim_json("POST", "/sim/tokens/revoke", None).await;
    sqlx::query("UPDATE xero.tokens SET expires_at = now() - interval '1 minute'")
        .execute(&h.db.pool)
        .await
        .unwrap();
    // Four runs, three workers: their jobs race to refresh the same revoked token.
    let workers = [h.worker(3, 2), h.worker(3, 2), h.worker(3, 2)];
    let errors: Vec<(String, String)> =
        eventually("every run to fail", Duration::from_secs(30), || async {
            let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT entity, status, error FROM xero.sync_log WHERE run_id = ANY($1)",
            )
            .bind(&runs)
            .fetch_all(&h.db.pool)
            .await
            .unwrap();
            rows.iter()
                .all(|(_, status, _)| status == "failed")
                .then(|| {
                    rows.into_iter()
                        .map(|(entity, _, error)| (entity, error.unwrap()))
                        .collect()
                })
        })
        .await;
    for worker in workers {
        worker.stop().await;
    }

    let (status, reason): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM xero.connections")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "needs_reauth");
    assert!(reason.unwrap().contains("invalid_grant"));
    for (entity, error) in &errors {
        assert!(
            error.contains("needs re-authorisation") && error.contains("xero-sync connect"),
            "{entity}: {error}"
        );
    }
    // One refresh attempt in all: the others waited on the row lock and found the verdict.
    let stats = h.sim_stats().await;
    assert_eq!(stats["invalid_grant"], 1, "{stats}");
    assert_eq!(
        stats["token_grants"]["refresh_token"],
        Value::Null,
        "{stats}"
    );
    assert_eq!(
        responses(&stats, "200") + responses(&stats, "401"),
        0,
        "{stats}"
    );
    // Failed for good, attempts used up: apalis never fetches them again.
    let jobs: Vec<(String, i32, i32)> = sqlx::query_as(
        "SELECT status, attempts, max_attempts FROM apalis.jobs
          WHERE split_part(idempotency_key, ':', 1) = ANY($1::text[])",
    )
    .bind(runs.iter().map(Uuid::to_string).collect::<Vec<_>>())
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(jobs.len(), 4);
    assert!(
        jobs.iter().all(|(s, a, max)| s == "Failed" && a >= max),
        "{jobs:?}"
    );
}
