//! What continuous verification costs in Xero calls. An organisation is synced (accounts,
//! contacts, invoices, journals, organisation); then a worker runs as deployed, its maintenance
//! checking every few hundred milliseconds whether a verification or a snapshot of the reports
//! is due at the defaults (`VERIFY_EVERY`, `REPORTS_EVERY`: a day), for a window of many such
//! passes. Every call the simulator answers in that window is counted by endpoint: the checks
//! and snapshots made, their calls, and so the calls per organisation a day (goal ≤ 10). Then
//! drift is injected in Xero and a check that finds it is let heal: what one healed difference
//! costs, once.
//!
//! `cargo bench -p xero-sync-workers --bench verify_cost`; `VERIFY_BENCH_SHORT=1` uses a smaller
//! organisation and window, for CI. The full form exits non-zero when the goal is missed.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Harness, eventually, small_org, sync_for_verify, verifying_worker};
use xero_sync_sim::SimConfig;

/// The default `VERIFY_EVERY`.
const DAY: Duration = Duration::from_secs(86_400);
/// The calls verification may cost an organisation a day at the defaults.
const GOAL_PER_DAY: f64 = 10.0;

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("verify_cost: run with `cargo bench -p xero-sync-workers --bench verify_cost`");
        return;
    }
    let short = std::env::var("VERIFY_BENCH_SHORT").is_ok_and(|v| !v.is_empty() && v != "0");
    let (journals, window) = if short {
        (2_500, Duration::from_secs(4))
    } else {
        (20_000, Duration::from_secs(20))
    };
    let h = Harness::new(SimConfig {
        journals,
        ..small_org()
    })
    .await;
    let ended = sync_for_verify(&h, Duration::from_secs(600)).await;
    assert!(ended.iter().all(|s| s == "completed"), "{ended:?}");

    // As deployed: maintenance every 200 ms, verifying and snapshotting what is due once a day.
    let before = calls(&h).await;
    let worker = verifying_worker(&h, DAY);
    let started = Instant::now();
    eventually(
        "the first check and snapshot",
        Duration::from_secs(60),
        || async { (checks(&h).await > 0 && snapshots(&h).await >= 4).then_some(()) },
    )
    .await;
    tokio::time::sleep(window.saturating_sub(started.elapsed())).await;
    worker.stop().await;
    let spent = delta(&before, &calls(&h).await);
    let checked = checks(&h).await;
    let reports = snapshots(&h).await;
    let total: u64 = spent.values().sum();
    let passes = window.as_millis() / 200;
    println!(
        "verify_cost: {journals} journals; a worker at VERIFY_EVERY=1d and REPORTS_EVERY=1d for \
         {:.1} s (~{passes} maintenance passes): {checked} check(s), {reports} report(s) kept, \
         {total} Xero call(s) {spent:?}",
        started.elapsed().as_secs_f64()
    );
    // One check and one snapshot a day, so a day costs what they cost once.
    let per_day = total as f64 / checked.max(1) as f64;
    println!(
        "verify_cost: {per_day:.1} Xero calls per organisation a day at the defaults (goal ≤ \
         {GOAL_PER_DAY})"
    );
    let missed = checked != 1 || reports != 4 || per_day > GOAL_PER_DAY;

    // A difference in Xero: found by the next check, healed once, checked again.
    h.sim_json(
        "POST",
        "/sim/drift",
        Some(serde_json::json!({"tenant_id": h.tenants[0]})),
    )
    .await;
    // A day passes: the next check is due (checked hourly from here, since a check is queued
    // once per window of VERIFY_EVERY and the day's window is still today's).
    sqlx::query(
        "UPDATE xero.verifications SET verified_at = verified_at - interval '1 day'
          WHERE tenant_id = $1",
    )
    .bind(h.tenants[0])
    .execute(&h.db.pool)
    .await
    .unwrap();
    let before = calls(&h).await;
    let worker = verifying_worker(&h, Duration::from_secs(3600));
    eventually(
        "the drift to be healed",
        Duration::from_secs(120),
        || async { healed(&h).await.then_some(()) },
    )
    .await;
    worker.stop().await;
    let spent = delta(&before, &calls(&h).await);
    let total: u64 = spent.values().sum();
    println!(
        "verify_cost: one difference found and healed: {total} Xero call(s) {spent:?} (the \
         journals and accounts read again in full, and the checks before and after)"
    );
    if missed {
        eprintln!("verify_cost: goal missed: {checked} check(s), {per_day:.1} calls a day");
        if !short {
            std::process::exit(1);
        }
    }
}

/// Accounting API calls answered so far, by endpoint (identity calls are not Xero API calls).
async fn calls(h: &Harness) -> BTreeMap<String, u64> {
    let stats: Value = h.sim_stats().await;
    stats["requests"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(endpoint, _)| {
            !["authorize", "token", "revocation", "connections"].contains(&endpoint.as_str())
        })
        .map(|(endpoint, by_status)| {
            let n = by_status
                .as_object()
                .unwrap()
                .values()
                .filter_map(Value::as_u64)
                .sum();
            (endpoint.clone(), n)
        })
        .collect()
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(e, n)| (e.clone(), n - before.get(e).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

async fn checks(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM xero.verifications WHERE tenant_id = $1")
        .bind(h.tenants[0])
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
}

/// Reports kept in `xero.report_snapshots`.
async fn snapshots(h: &Harness) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM xero.report_snapshots")
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
}

async fn healed(h: &Harness) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM xero.verifications
                         WHERE tenant_id = $1 AND outcome = 'equal' AND healed_from IS NOT NULL)",
    )
    .bind(h.tenants[0])
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}
