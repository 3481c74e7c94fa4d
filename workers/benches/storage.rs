//! What a synced organisation costs in Postgres against what Xero sent: every entity of an
//! organisation of 20,000 journals, 5,000 invoices and 1,000 contacts synced in full by a real
//! worker, then the bytes of its data tables (heap, TOAST and indexes, after VACUUM) divided by
//! the decoded bytes of the response bodies Xero sent (as the worker counted them). Goal:
//! ≤ 1.5, without losing a field (the tests prove the records can be put back together).
//!
//! `cargo bench -p xero-sync-workers --bench storage` prints each table's share and the ratio,
//! and exits non-zero above the goal. `STORAGE_BENCH_SHORT=1` syncs a tenth of it, for CI, and
//! only reports (small tables weigh more there: every table and index has a minimum size).

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use support::Harness;
use xero_sync_sim::SimConfig;
use xero_sync_workers::registry;

/// The most bytes stored per byte Xero sent.
const GOAL: f64 = 1.5;

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("storage: run with `cargo bench -p xero-sync-workers --bench storage`");
        return;
    }
    let short = std::env::var("STORAGE_BENCH_SHORT").is_ok_and(|v| !v.is_empty() && v != "0");
    let scale = if short { 10 } else { 1 };
    let h = Harness::new(SimConfig {
        journals: 20_000 / scale,
        invoices: 5_000 / scale,
        contacts: 1_000 / scale,
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    let names: Vec<&str> = registry().iter().map(|e| e.name).collect();
    xero_sync::db::choose_entities(&h.db.pool, &names)
        .await
        .unwrap();
    let worker = h.worker(10, 4);
    let started = Instant::now();
    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(1800)).await;
    let took = started.elapsed();
    worker.stop().await;
    h.assert_equal(None).await;

    let pool = &h.db.pool;
    sqlx::query("VACUUM ANALYZE").execute(pool).await.unwrap();
    // The tables that hold what was synced: every one with a record's `raw` and `synced_at`.
    let tables: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT c.relname::text, pg_table_size(c.oid), pg_indexes_size(c.oid)
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'xero' AND c.relkind = 'r'
            AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'raw')
            AND EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'synced_at')
          ORDER BY pg_total_relation_size(c.oid) DESC",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let sent: i64 = sqlx::query_scalar("SELECT sum(decoded_bytes)::int8 FROM xero.egress")
        .fetch_one(pool)
        .await
        .unwrap();
    let stored: i64 = tables.iter().map(|(_, t, i)| t + i).sum();
    let ratio = stored as f64 / sent as f64;
    let mib = |b: i64| b as f64 / (1 << 20) as f64;
    println!();
    println!(
        "storage: every entity synced in {:.1} s; {:.1} MiB of JSON from Xero",
        took.as_secs_f64(),
        mib(sent)
    );
    println!(
        "  {:<30} {:>9} {:>9} {:>7}",
        "table", "data", "indexes", "share"
    );
    for (name, table, index) in tables.iter().filter(|(_, t, i)| t + i > stored / 100) {
        println!(
            "  {:<30} {:>5.1} MiB {:>5.1} MiB {:>6.1} %",
            name,
            mib(*table),
            mib(*index),
            (table + index) as f64 / stored as f64 * 100.0
        );
    }
    let small = tables.iter().filter(|(_, t, i)| t + i <= stored / 100);
    let (count, bytes) = small.fold((0, 0), |(n, b), (_, t, i)| (n + 1, b + t + i));
    println!("  {count} smaller tables: {:.1} MiB", mib(bytes));
    println!(
        "  stored {:.1} MiB for {:.1} MiB sent = {ratio:.2}× (goal ≤ {GOAL})",
        mib(stored),
        mib(sent)
    );
    if ratio > GOAL {
        eprintln!("storage goal missed: {ratio:.2}× the JSON Xero sent");
        if !short {
            std::process::exit(1);
        }
    }
}
