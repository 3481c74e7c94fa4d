//! The sync at its edges, each scenario against real Postgres and the simulator over HTTP:
//! dense seconds edited mid-read, servers that ignore paging, short pages, records dated in the
//! future, outages and absurd `Retry-After`s, oversized responses, and the session limits every
//! database connection carries.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::{Harness, eventually, small_org, sync_args};
use uuid::Uuid;
use xero_sync::config::{Interval, SyncArgs};
use xero_sync::worker::WorkerOptions;
use xero_sync_sim::SimConfig;

const MINUTE: Duration = Duration::from_secs(60);

async fn fault(h: &Harness, spec: Value) {
    h.sim_json("POST", "/sim/faults", Some(spec)).await;
}

async fn mutate(h: &Harness, body: Value) -> Value {
    h.sim_json("POST", "/sim/mutate", Some(body)).await
}

async fn assert_invoices_equal(h: &Harness) {
    h.assert_equal(Some(&["invoices"])).await;
    let (_, query) = xero_sync_workers::line_digests()
        .iter()
        .find(|(set, _)| *set == "invoice_line_items")
        .unwrap();
    let ours = xero_sync::digest::digest_query(&h.db.pool, query, h.tenants[0])
        .await
        .unwrap();
    let theirs = h.sim_digest(h.tenants[0], "invoice_line_items").await;
    assert_eq!((ours.count, ours.digest), theirs, "invoice lines differ");
}

// ---------------------------------------------------------------------------------------------
// Paging

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_import_of_2500_invoices_in_one_second_edited_after_every_page_loses_no_record() {
    let h = Harness::new(SimConfig {
        invoices: 5_000,
        bulk_import: 2_500,
        ..small_org()
    })
    .await;
    // After every page served, the first invoice on it is edited: it moves to the end of
    // Xero's order and everything behind it shifts back one place, so reading the one-second
    // window by page number would lose a record per page for good (its UpdatedDateUTC is older
    // than any watermark).
    fault(
        &h,
        json!({"endpoint": "Invoices", "kind": "edit_served", "count": 100_000}),
    )
    .await;
    let worker = h.worker(1, 2);
    let full = h.sync(Some(&["invoices"]), true).await;
    h.wait(&full, MINUTE).await;
    h.sim_json("DELETE", "/sim/faults", None).await;
    // What was edited after its last page belongs to the next run; what slid back in the
    // window does not (it was never edited): only a complete walk leaves the digests equal.
    let next = h.sync(Some(&["invoices"]), false).await;
    h.wait(&next, MINUTE).await;
    worker.stop().await;
    assert_invoices_equal(&h).await;

    let cursors = h.sim_served("Invoices").await;
    let window: Vec<_> = cursors
        .iter()
        .filter(|(c, _)| !c.contains("pageSize=1000"))
        .collect();
    assert!(
        window.len() >= 2,
        "the dense second was read by position: {cursors:?}"
    );
    let restarts: Option<i64> = sqlx::query_scalar(
        "SELECT max((cursor ->> 'restarts')::bigint) FROM xero.sync_log WHERE run_id = $1",
    )
    .bind(full[0])
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert!(
        restarts.unwrap_or(0) == 0,
        "one edit between reads needs no restart"
    );

    // Every If-Modified-Since went out as RFC 3339 with its zone.
    let stats = h.sim_stats().await;
    let sent: Vec<&str> = stats["if_modified_since"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!sent.is_empty());
    for value in sent {
        assert!(value.ends_with('Z'), "{value}");
        DateTime::parse_from_rfc3339(value).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_ignoring_offset_or_page_fails_the_run_naming_the_endpoint_and_cursor() {
    let h = Harness::new(small_org()).await;
    fault(
        &h,
        json!({"endpoint": "Journals", "kind": "ignore_paging", "count": 1000}),
    )
    .await;
    fault(
        &h,
        json!({"endpoint": "Invoices", "kind": "ignore_paging", "count": 1000}),
    )
    .await;
    let worker = h.worker(10, 2);
    let runs = h.sync(Some(&["invoices", "journals"]), true).await;
    let ended = h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    assert_eq!(ended, ["failed", "failed"]);

    let (_, error, calls) = h.run_outcome(runs[1]).await;
    let error = error.unwrap();
    assert!(
        error.contains("Journals") && error.contains("offset=100") && error.contains("offset"),
        "{error}"
    );
    assert!(calls <= 3, "journals stopped at once: {calls} calls");

    let (_, error, calls) = h.run_outcome(runs[0]).await;
    let error = error.unwrap();
    assert!(
        error.contains("Invoices") && error.contains("`page`") && error.contains("cursor"),
        "{error}"
    );
    assert!(
        calls <= 30,
        "invoices stopped within the restart limit: {calls} calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_page_that_pagination_says_is_not_the_last_does_not_end_the_run() {
    let h = Harness::new(SimConfig {
        invoices: 3_500,
        ..small_org()
    })
    .await;
    fault(
        &h,
        json!({"endpoint": "Invoices", "kind": "short_page", "count": 3}),
    )
    .await;
    let worker = h.worker(2, 2);
    let runs = h.sync(Some(&["invoices"]), true).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    assert!(
        h.sim_json("GET", "/sim/faults", None).await["pending"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the short pages were served"
    );
    assert_invoices_equal(&h).await;
}

// ---------------------------------------------------------------------------------------------
// Watermark

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_dated_a_year_ahead_does_not_hold_back_the_next_incremental_run() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(5, 2);
    let full = h.sync(Some(&["invoices"]), true).await;
    h.wait(&full, MINUTE).await;
    // One invoice edited by a client with its clock a year ahead.
    let year = 365 * 86_400;
    mutate(
        &h,
        json!({"entity": "invoices", "count": 1, "future_secs": year}),
    )
    .await;
    let first = h.sync(Some(&["invoices"]), false).await;
    h.wait(&first, MINUTE).await;
    let watermark: DateTime<Utc> = sqlx::query_scalar(
        "SELECT modified_after FROM xero.sync_progress WHERE entity = 'invoices'",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert!(
        watermark < Utc::now() + chrono::TimeDelta::days(1),
        "the watermark stays at Xero's clock, not the record's: {watermark}"
    );
    // Ordinary changes after it are still fetched by the next incremental run.
    let outcome = mutate(&h, json!({"entity": "invoices", "count": 20})).await;
    assert!(outcome["updated"].as_u64().unwrap() + outcome["created"].as_u64().unwrap() > 0);
    let second = h.sync(Some(&["invoices"]), false).await;
    h.wait(&second, MINUTE).await;
    worker.stop().await;
    assert_invoices_equal(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_run_is_full_again_once_the_last_full_run_is_older_than_sync_full_every() {
    let h = Harness::new(small_org()).await;
    let sync = SyncArgs {
        interval: Interval(Duration::from_secs(1)),
        full_every: Interval(Duration::from_secs(3)),
        ..sync_args(5)
    };
    let worker = h.worker_with(&sync, WorkerOptions::new(2, Duration::from_secs(30)));
    let first = h.sync(Some(&["accounts"]), true).await;
    h.wait(&first, MINUTE).await;
    let modes: Vec<String> = eventually("an incremental run, then a full one", MINUTE, || async {
        let modes: Vec<String> = sqlx::query_scalar(
            "SELECT mode FROM xero.sync_log WHERE status = 'completed' ORDER BY started_at",
        )
        .fetch_all(&h.db.pool)
        .await
        .unwrap();
        let later = modes.get(1..).unwrap_or_default();
        let incremental = later.iter().position(|m| m == "incremental");
        let full_after = incremental.is_some_and(|i| later[i..].iter().any(|m| m == "full"));
        full_after.then_some(modes)
    })
    .await;
    worker.stop().await;
    assert_eq!(modes[0], "full");
}

// ---------------------------------------------------------------------------------------------
// Snoozes

/// Samples how long the tenant is blocked each time its 503 count changes, until the run ends.
async fn sample_offline_blocks(h: &Harness, run: Uuid) -> Vec<(i32, f64)> {
    let mut seen: Vec<(i32, f64)> = Vec::new();
    let deadline = Instant::now() + MINUTE;
    while h.run_outcome(run).await.0 == "running" {
        assert!(Instant::now() < deadline, "the run did not end");
        let (strikes, blocked): (i32, Option<f64>) = sqlx::query_as(
            "SELECT offline_strikes, extract(epoch FROM blocked_until - now())::float8
               FROM xero.tenants",
        )
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
        if strikes > 0 && seen.last().is_none_or(|(s, _)| *s != strikes) {
            seen.push((strikes, blocked.unwrap_or(0.0)));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_organisation_backs_off_exponentially_for_every_replica_and_recovers() {
    let h = Harness::new(small_org()).await;
    fault(
        &h,
        json!({"endpoint": "Invoices", "kind": "offline_503", "count": 3}),
    )
    .await;
    let sync = SyncArgs {
        offline_backoff_secs: 1,
        ..sync_args(5)
    };
    let worker = h.worker_with(&sync, WorkerOptions::new(2, Duration::from_secs(30)));
    let runs = h.sync(Some(&["invoices"]), true).await;
    let blocks = sample_offline_blocks(&h, runs[0]).await;
    assert_eq!(h.wait_ended(&runs, MINUTE).await, ["completed"]);
    // Blocked 0.5–1 s, then 1–2 s, then 2–4 s (base × 2^n, jittered down by up to half).
    let strikes: Vec<i32> = blocks.iter().map(|(s, _)| *s).collect();
    assert_eq!(strikes, [1, 2, 3], "{blocks:?}");
    assert!(blocks[0].1 <= 1.1 && blocks[2].1 >= 1.5, "{blocks:?}");
    assert!(blocks[2].1 > blocks[0].1, "the back-off grows: {blocks:?}");
    // While blocked, the tenant's other entities wait too instead of calling Xero.
    let contacts = h.sync(Some(&["contacts"]), true).await;
    fault(
        &h,
        json!({"endpoint": "Invoices", "kind": "offline_503", "count": 1}),
    )
    .await;
    let again = h.sync(Some(&["invoices"]), false).await;
    h.wait_ended(&[contacts[0], again[0]], MINUTE).await;
    worker.stop().await;
    let strikes: i32 = sqlx::query_scalar("SELECT offline_strikes FROM xero.tenants")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(strikes, 0, "a committed batch clears the 503 streak");
    h.assert_equal(Some(&["invoices", "contacts"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_retry_after_is_clamped_to_a_day_and_never_crashes_the_worker() {
    let h = Harness::new(small_org()).await;
    let huge = 1_000_000_000_000_u64;
    fault(
        &h,
        json!({"endpoint": "Accounts", "kind": "rate_limit_429", "count": 1, "retry_after_secs": huge}),
    )
    .await;
    let worker = h.worker(5, 2);
    let runs = h.sync(Some(&["accounts"]), true).await;
    let due_in: f64 = eventually("the job snoozed", MINUTE, || async {
        sqlx::query_scalar(
            "SELECT extract(epoch FROM run_at - now())::float8 FROM apalis.jobs
              WHERE last_result ? 'Snoozed' AND status = 'Pending'",
        )
        .fetch_optional(&h.db.pool)
        .await
        .unwrap()
    })
    .await;
    let day = 86_400.0;
    assert!((day..=1.2 * day).contains(&due_in), "snoozed {due_in}s");
    let blocked: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM blocked_until - now())::float8 FROM xero.tenants",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert!((day..=1.1 * day).contains(&blocked), "blocked {blocked}s");
    // The worker is alive and well: stopping it is clean.
    worker.stop().await;
    assert_eq!(h.run_outcome(runs[0]).await.0, "running");
}

// ---------------------------------------------------------------------------------------------
// Bounds

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_over_the_size_cap_fails_its_run_naming_the_setting() {
    let mut h = Harness::new(small_org()).await;
    h.xero.max_response_bytes = 50_000;
    let worker = h.worker(5, 2);
    let runs = h.sync(Some(&["invoices", "accounts"]), true).await;
    let ended = h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    assert_eq!(
        ended,
        ["failed", "completed"],
        "1,000 invoices are ~2 MB; 40 accounts fit"
    );
    let error = h.run_outcome(runs[0]).await.1.unwrap();
    assert!(error.contains("XERO_MAX_RESPONSE_BYTES"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_commits_as_soon_as_its_pages_reach_the_byte_budget() {
    let h = Harness::new(small_org()).await;
    let sync = SyncArgs {
        batch_bytes: 1024,
        ..sync_args(10)
    };
    let worker = h.worker_with(&sync, WorkerOptions::new(2, Duration::from_secs(30)));
    let runs = h.sync(Some(&["journals"]), true).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    let (batches, pages): (i32, i32) =
        sqlx::query_as("SELECT batches, pages FROM xero.sync_log WHERE run_id = $1")
            .bind(runs[0])
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert!(pages > 10, "{pages} pages");
    assert_eq!(batches, pages, "one page per batch under a 1 KiB budget");
    h.assert_equal(Some(&["journals"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_database_connection_carries_statement_lock_and_idle_transaction_timeouts() {
    let h = Harness::new(small_org()).await;
    let mut conn = h.db.pool.acquire().await.unwrap();
    for (setting, expected) in [
        ("statement_timeout", "5min"),
        ("lock_timeout", "30s"),
        ("idle_in_transaction_session_timeout", "2min"),
    ] {
        let value: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SHOW {setting}")))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(value, expected, "{setting}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refresh_that_hangs_releases_the_token_row_within_the_call_timeout() {
    let h = Harness::new(small_org()).await;
    // Every access token has expired; the token endpoint holds its next answer 20 s, well past
    // the harness's 5 s Xero timeout.
    h.sim_json("POST", "/sim/clock", Some(json!({"advance_secs": 3600})))
        .await;
    fault(
        &h,
        json!({"endpoint": "token", "kind": "slow", "count": 1, "delay_ms": 20_000}),
    )
    .await;
    let worker = h.worker(5, 1);
    let started = Instant::now();
    let runs = h.sync(Some(&["accounts"]), true).await;
    let locked = || async {
        let mut tx = h.db.pool.begin().await.unwrap();
        let free = sqlx::query("SELECT 1 FROM xero.tokens FOR UPDATE NOWAIT")
            .execute(&mut *tx)
            .await
            .is_ok();
        tx.rollback().await.unwrap();
        !free
    };
    eventually("the refresh holding the row", MINUTE, || async {
        locked().await.then_some(())
    })
    .await;
    eventually("the row released", MINUTE, || async {
        (!locked().await).then_some(())
    })
    .await;
    let held = started.elapsed();
    assert!(
        held < Duration::from_secs(12),
        "held {held:?} of a 20 s call"
    );
    // The job was retried after its back-off with a working token endpoint.
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    h.assert_equal(Some(&["accounts"])).await;
}
