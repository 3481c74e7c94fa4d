//! Memory stays flat as data grows: the peak RSS of a real `xero-sync worker` process syncing
//! 126,800 journals (the organisation from the field) against syncing 12,680. Each batch holds
//! only its own pages and commits them, so ten times the journals must not mean ten times the
//! memory; the ratio of the two peaks is allowed up to 1.5.
//!
//! `cargo bench -p xero-sync-workers --bench memory` prints both peaks (VmHWM of the worker
//! process, read from `/proc` just before it is stopped), their ratio, the elapsed time and
//! journals per second, and exits non-zero when the ratio exceeds the limit.
//! `MEMORY_BENCH_SHORT=1` measures 1,268 against 12,680 instead, for CI.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support::Harness;
use xero_sync_sim::SimConfig;

/// The largest peak allowed, as a multiple of the small run's peak.
const MAX_RATIO: f64 = 1.5;

/// One measured sync.
struct Measure {
    journals: usize,
    peak_kib: u64,
    elapsed: Duration,
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it
    // and should not spend minutes syncing.
    if !std::env::args().any(|a| a == "--bench") {
        println!("memory: run with `cargo bench -p xero-sync-workers --bench memory`");
        return;
    }
    let short = std::env::var("MEMORY_BENCH_SHORT").is_ok_and(|v| !v.is_empty() && v != "0");
    let (small, large) = if short {
        (1_268, 12_680)
    } else {
        (12_680, 126_800)
    };
    let small = measure(small).await;
    let large = measure(large).await;
    let ratio = large.peak_kib as f64 / small.peak_kib as f64;
    println!();
    println!("journals    peak RSS    elapsed    journals/s");
    for m in [&small, &large] {
        println!(
            "{:>8}  {:>7.1} MiB  {:>7.2} s  {:>12.0}",
            m.journals,
            m.peak_kib as f64 / 1024.0,
            m.elapsed.as_secs_f64(),
            m.journals as f64 / m.elapsed.as_secs_f64()
        );
    }
    println!(
        "peak ratio {:.2} ({}× the journals; limit {MAX_RATIO})",
        ratio,
        large.journals / small.journals
    );
    if ratio > MAX_RATIO {
        eprintln!("memory grows with the data: ratio {ratio:.2} > {MAX_RATIO}");
        std::process::exit(1);
    }
}

/// Syncs `journals` journals with a fresh worker process and returns its peak RSS.
async fn measure(journals: usize) -> Measure {
    let h = Harness::new(SimConfig {
        journals,
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    let worker = h
        .command(&["worker"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = worker.id().unwrap();
    // Time the sync, not the process start: wait until the worker has registered.
    h.workers_registered(1).await;
    let started = Instant::now();
    let runs = h.sync(Some(&["journals"]), true).await;
    h.wait(&runs, Duration::from_secs(1800)).await;
    let elapsed = started.elapsed();
    // VmHWM is the process's high-water mark since it started: one read at the end suffices.
    let peak_kib = vm_hwm_kib(pid);
    support::process::stop(vec![worker]).await;
    h.assert_equal(Some(&["journals"])).await;
    eprintln!(
        "{journals} journals: peak {peak_kib} KiB, {:.2} s",
        elapsed.as_secs_f64()
    );
    Measure {
        journals,
        peak_kib,
        elapsed,
    }
}

/// The `VmHWM` (peak resident set) of a live process, in KiB.
fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
