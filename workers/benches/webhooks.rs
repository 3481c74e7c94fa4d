//! A simulated day of 20 idle organisations and 2 busy ones, with the simulator sending
//! webhooks and without: what the adaptive schedule costs an idle organisation, and how soon a
//! change made in Xero reaches Postgres.
//!
//! The engine runs at its default schedule (`SYNC_INTERVAL` 1 h, `SYNC_MAX_INTERVAL` 24 h,
//! `SYNC_WEBHOOK_INTERVAL` 6 h, `SYNC_FULL_EVERY` 7 d) with time compressed: every setting is
//! divided by `SPEEDUP` (720: a day passes in two minutes), and the two busy organisations get
//! a change every ten simulated minutes (invoices, contacts, credit notes, payments, in turn).
//! Rate limits are off (they are the budget bench's subject), one worker.
//!
//! Prints, for each mode: Xero calls per idle organisation over the day (mean and most; goal
//! ≤ 300), the busy ones' calls, whether every change is in Postgres at the end (digests equal
//! for every organisation and entity) and how long after the day's end it took, and with
//! webhooks the delay from each event's `eventDateUtc` to its commit (p50, p95; goal p95 ≤ 5 s).
//!
//! `cargo bench -p xero-sync-workers --bench webhooks`; `WEBHOOKS_BENCH_SHORT=1` runs 5 idle
//! organisations and 1 busy one through a day 4× shorter, for CI. The full form exits non-zero
//! when a goal is missed; the short form reports.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::Harness;
use uuid::Uuid;
use xero_sync::config::{Interval, SyncArgs};
use xero_sync::worker::WorkerOptions;
use xero_sync_sim::SimConfig;

const HOUR: u64 = 3_600;
/// The changes the busy organisations get, in turn.
const CHANGES: [&str; 4] = ["invoices", "contacts", "credit_notes", "payments"];
/// The webhook key the simulator signs with and the receiver checks.
const KEY: &str = "YmVuY2gtd2ViaG9vay1rZXk=";

struct Shape {
    idle: usize,
    busy: usize,
    speedup: u64,
}

struct Day {
    webhooks: bool,
    idle_mean: f64,
    idle_most: u64,
    busy_calls: Vec<u64>,
    changes: usize,
    settled: Duration,
    delays: Option<(f64, f64, usize)>,
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("webhooks: run with `cargo bench -p xero-sync-workers --bench webhooks`");
        return;
    }
    let short = std::env::var("WEBHOOKS_BENCH_SHORT").is_ok_and(|v| !v.is_empty() && v != "0");
    let shape = if short {
        Shape {
            idle: 5,
            busy: 1,
            speedup: 2_880,
        }
    } else {
        Shape {
            idle: 20,
            busy: 2,
            speedup: 720,
        }
    };
    let mut days = Vec::new();
    for webhooks in [true, false] {
        days.push(day(&shape, webhooks).await);
    }
    println!();
    println!(
        "webhooks: a simulated day ({} idle + {} busy organisations, {}× faster), one worker",
        shape.idle, shape.busy, shape.speedup
    );
    println!(
        "  mode          calls/idle org (mean, most)  busy org calls  changes  in Postgres after  event→commit p50/p95"
    );
    let mut missed = false;
    for d in &days {
        let delays = match d.delays {
            Some((p50, p95, n)) => format!("{p50:.2} s / {p95:.2} s ({n} events)"),
            None => "-".to_owned(),
        };
        println!(
            "  {:<12}  {:>10.1} {:>6}                {:>14?}  {:>7}  {:>13.1} s  {delays}",
            if d.webhooks {
                "webhooks"
            } else {
                "polling only"
            },
            d.idle_mean,
            d.idle_most,
            d.busy_calls,
            d.changes,
            d.settled.as_secs_f64(),
        );
        missed |= d.idle_most > 300;
        missed |= d.delays.is_some_and(|(_, p95, _)| p95 > 5.0);
    }
    println!("  goals: ≤ 300 calls per idle organisation a day; p95 event→commit ≤ 5 s");
    if missed && !short {
        eprintln!("webhooks: a goal was missed");
        std::process::exit(1);
    }
}

/// The engine's default schedule, `speedup` times faster.
fn compressed(speedup: u64) -> SyncArgs {
    let scaled = |secs: u64| Interval(Duration::from_millis(secs * 1_000 / speedup));
    SyncArgs {
        batch_size: 100,
        interval: scaled(HOUR),
        max_interval: scaled(24 * HOUR),
        webhook_interval: scaled(6 * HOUR),
        full_every: scaled(7 * 24 * HOUR),
        ..SyncArgs::default()
    }
}

async fn day(shape: &Shape, webhooks: bool) -> Day {
    let tenants = shape.idle + shape.busy;
    let h = Harness::new(SimConfig {
        tenants,
        invoices: 150,
        contacts: 40,
        accounts: 30,
        journals: 400,
        manual_journals: 10,
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    // Every entity, as a deployment syncs by default.
    h.choose_current_entities().await;
    let worker = h.worker_with(
        &compressed(shape.speedup),
        WorkerOptions::new(4, Duration::from_secs(30)),
    );
    // The first sync, as a user's first day would start; the day is counted from its end.
    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(300)).await;
    let _receiver = if webhooks {
        Some(subscribe(&h).await)
    } else {
        None
    };
    h.sim_json("POST", "/sim/stats/reset", None).await;
    let busy: Vec<Uuid> = h.tenants[shape.idle..].to_vec();
    let length = Duration::from_millis(24 * HOUR * 1_000 / shape.speedup);
    let step = Duration::from_millis(600 * 1_000 / shape.speedup);
    let started = Instant::now();
    let mut changes = 0;
    while started.elapsed() < length {
        for &tenant in &busy {
            let entity = CHANGES[changes % CHANGES.len()];
            let body = json!({ "tenant_id": tenant, "entity": entity, "count": 2 });
            h.sim_json("POST", "/sim/mutate", Some(body)).await;
        }
        changes += 1;
        let next = step * changes as u32;
        tokio::time::sleep(next.saturating_sub(started.elapsed())).await;
    }
    let calls = calls_by_tenant(&h).await;
    let day_end = Instant::now();
    settle(
        &h,
        Duration::from_millis(2 * HOUR * 1_000 / shape.speedup) + Duration::from_secs(60),
    )
    .await;
    let settled = day_end.elapsed();
    let delays = if webhooks {
        Some(delays(&h).await)
    } else {
        None
    };
    worker.stop().await;
    h.assert_equal_for(&h.tenants, None).await;
    let idle: Vec<u64> = h.tenants[..shape.idle]
        .iter()
        .map(|t| calls.get(t).copied().unwrap_or(0))
        .collect();
    Day {
        webhooks,
        idle_mean: idle.iter().sum::<u64>() as f64 / idle.len() as f64,
        idle_most: idle.iter().copied().max().unwrap_or(0),
        busy_calls: busy
            .iter()
            .map(|t| calls.get(t).copied().unwrap_or(0))
            .collect(),
        changes: changes * busy.len(),
        settled,
        delays,
    }
}

/// A receiver on a free port, and the simulator subscribed to it (after the intent to
/// receive, at Xero's batching window).
async fn subscribe(h: &Harness) -> tokio::task::JoinHandle<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        xero_sync::webhooks::PATH
    );
    let pool = h.db.pool.clone();
    let key = xero_sync::config::Secret::new(KEY);
    let task = tokio::spawn(async move {
        xero_sync::webhooks::serve(listener, pool, key, std::future::pending())
            .await
            .unwrap();
    });
    let answer = h
        .sim_json(
            "POST",
            "/sim/webhooks",
            Some(json!({ "url": url, "key": KEY })),
        )
        .await;
    assert_eq!(answer["status"], "active", "{answer}");
    task
}

/// Accounting calls answered per tenant since the stats were reset.
async fn calls_by_tenant(h: &Harness) -> BTreeMap<Uuid, u64> {
    let stats: Value = h.sim_stats().await;
    let mut calls = BTreeMap::new();
    for (tenant, egress) in stats["egress"].as_object().unwrap() {
        let responses = egress["responses"].as_u64().unwrap_or(0);
        calls.insert(tenant.parse().unwrap(), responses);
    }
    calls
}

/// Waits until every organisation's every entity digests as the simulator's: the changes of
/// the day's last minutes arrive by webhook or by the next scheduled run.
async fn settle(h: &Harness, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let enabled = xero_sync::db::enabled_entities(&h.db.pool).await.unwrap();
    'again: loop {
        assert!(
            Instant::now() < deadline,
            "the day's changes did not reach Postgres"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        for &tenant in &h.tenants {
            for entity in xero_sync_workers::registry() {
                if !enabled.iter().any(|e| e == entity.name) {
                    continue;
                }
                let ours = xero_sync::digest::digest(&h.db.pool, entity, tenant)
                    .await
                    .unwrap();
                if (ours.count, ours.digest) != h.sim_digest(tenant, entity.name).await {
                    continue 'again;
                }
            }
        }
        return;
    }
}

/// p50 and p95 of the delay from an event's `eventDateUtc` to the commit of its records: the
/// fetch by id's commit, or the end of the run it started. Events that found their entity's
/// run already running are left out (that run, or the next, fetched them).
async fn delays(h: &Harness) -> (f64, f64, usize) {
    let (p50, p95, n): (Option<f64>, Option<f64>, i64) = sqlx::query_as(
        "WITH d AS (
           SELECT extract(epoch FROM coalesce(l.finished_at, e.handled_at) - e.event_date)::float8
                  AS secs
             FROM xero.webhook_events e
             LEFT JOIN xero.sync_log l ON e.outcome = 'run ' || l.run_id::text
            WHERE e.known_tenant AND e.handled_at IS NOT NULL
              AND (e.outcome = 'fetched by id' OR l.finished_at IS NOT NULL))
         SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY secs),
                percentile_cont(0.95) WITHIN GROUP (ORDER BY secs), count(*)
           FROM d",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    (p50.unwrap_or(0.0), p95.unwrap_or(0.0), n as usize)
}
