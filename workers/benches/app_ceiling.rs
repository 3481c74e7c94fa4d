//! How close a deployment comes to the whole of a Xero app's ceiling: 200 organisations (a few
//! large, the rest small) synced in full by 3 worker processes against one simulator holding
//! Xero's real limits — 60 calls a minute and 5 at once per organisation, 10,000 a minute for
//! the app — with the minute at `APP_BENCH_MINUTE_MS` (60 s by default). The workers run with
//! the default configuration (`APP_BENCH_BURST` sets their `XERO_BURST`).
//!
//! It prints, for each of the simulator's app windows, the calls made and the calls wanted
//! (each organisation's remaining calls, at most its 60); over the windows where the app's limit
//! was the bound, the calls made per minute as a share of the limit (goal ≥ 95 %). Then the
//! 429s per organisation (goal: at most the first), that every organisation completed and
//! equals the simulator, the slowest small organisation against the median small one (goal
//! within 2×), and the CPU the workers, Postgres and the simulator used, as shares of the
//! machine, so what bounds the ceiling on this machine shows.
//!
//! `cargo bench -p xero-sync-workers --bench app_ceiling`; `APP_BENCH_SHORT=1` runs 40
//! organisations (one large of 5,000 journals) against an app limit of 1,000 a minute, so they
//! want more than two of its windows as the full form's do, and a 15 s minute, for CI, and only
//! reports. The full form exits non-zero on a missed goal.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Harness;
use uuid::Uuid;
use xero_sync_sim::{LimitSettings, SimConfig};

/// Worker processes.
const REPLICAS: usize = 3;
/// The jobs each runs at once, unless `APP_BENCH_CONCURRENCY` says.
const CONCURRENCY: usize = 8;

/// The shape of one run of the benchmark.
struct Shape {
    tenants: usize,
    large: usize,
    /// Journals of each large organisation (the small ones have 3,000).
    large_journals: usize,
    app_limit: u32,
    minute_ms: u64,
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("app_ceiling: run with `cargo bench -p xero-sync-workers --bench app_ceiling`");
        return;
    }
    let short = std::env::var("APP_BENCH_SHORT").is_ok_and(|v| !v.is_empty() && v != "0");
    let minute_ms = std::env::var("APP_BENCH_MINUTE_MS")
        .ok()
        .and_then(|v| v.parse().ok());
    let shape = if short {
        Shape {
            tenants: 40,
            large: 1,
            large_journals: 5_000,
            app_limit: 1_000,
            minute_ms: minute_ms.unwrap_or(15_000),
        }
    } else {
        Shape {
            tenants: 200,
            large: 5,
            large_journals: 20_000,
            app_limit: 10_000,
            minute_ms: minute_ms.unwrap_or(60_000),
        }
    };
    let missed = run(&shape).await;
    if !missed.is_empty() {
        eprintln!("app ceiling goals missed: {}", missed.join("; "));
        if !short {
            std::process::exit(1);
        }
    }
}

async fn run(shape: &Shape) -> Vec<String> {
    let limits = LimitSettings {
        app_per_minute: shape.app_limit,
        minute_ms: shape.minute_ms,
        ..LimitSettings::default()
    };
    let h = Harness::new(SimConfig {
        tenants: shape.tenants,
        journals: 3_000,
        invoices: 150,
        contacts: 80,
        accounts: 30,
        manual_journals: 10,
        first_tenant_journals: Some(shape.large_journals),
        large_tenants: shape.large,
        rate_limits: true,
        limits,
        ..SimConfig::default()
    })
    .await;
    h.choose_current_entities().await;
    let large: Vec<Uuid> = h.sim.tenant_ids()[..shape.large].to_vec();
    let workers = start_workers(&h).await;
    let cpu = Cpu::start(&workers);
    let samples = cpu.sample_every(Duration::from_secs(1));
    let t0: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    let started = Instant::now();
    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(3 * 3600)).await;
    let wall = started.elapsed();
    samples.abort();
    let timeline = samples_of(&cpu);
    let cpu = cpu.stop(wall);
    support::process::stop(workers).await;
    let stats = h.sim_stats().await;
    println!();
    println!(
        "app_ceiling: {} organisations ({} large), {} runs in {:.1} s; minute {:.0} s, app limit {}",
        shape.tenants,
        shape.large,
        runs.len(),
        wall.as_secs_f64(),
        shape.minute_ms as f64 / 1000.0,
        shape.app_limit
    );
    let mut missed = Vec::new();
    missed.extend(windows(&stats, shape, &timeline));
    missed.extend(rate_limited(&stats));
    missed.extend(starvation(&h, t0, &large, &stats).await);
    println!("{cpu}");
    h.assert_equal(None).await;
    println!("  every organisation complete and equal to the simulator");
    missed
}

/// The app windows: calls made and wanted, and the share of the limit made over the windows
/// where the limit was the bound.
fn windows(stats: &Value, shape: &Shape, timeline: &[Sample]) -> Option<String> {
    let windows = stats["app_windows"].as_array().unwrap();
    let mut total: BTreeMap<String, u64> = BTreeMap::new();
    for w in windows {
        for (tenant, n) in w["by_tenant"].as_object().unwrap() {
            *total.entry(tenant.clone()).or_default() += n.as_u64().unwrap();
        }
    }
    let per_minute = u64::from(LimitSettings::default().per_minute);
    let limit = u64::from(shape.app_limit);
    let mut done: BTreeMap<String, u64> = BTreeMap::new();
    let (mut bound_calls, mut bound_minutes) = (0u64, 0f64);
    println!("  window  start    calls  wanted  workers Postgres  bound by");
    for (i, w) in windows.iter().enumerate() {
        let wanted: u64 = total
            .iter()
            .map(|(t, all)| (all - done.get(t).copied().unwrap_or(0)).min(per_minute))
            .sum();
        let calls = w["calls"].as_u64().unwrap();
        let start = w["start_ms"].as_i64().unwrap();
        let bound = wanted >= limit;
        if bound {
            // A window lasts until the next one starts: a pause before it counts against us.
            let end = windows
                .get(i + 1)
                .map_or(start + shape.minute_ms as i64, |n| {
                    n["start_ms"].as_i64().unwrap()
                });
            bound_calls += calls;
            bound_minutes += (end - start) as f64 / shape.minute_ms as f64;
        }
        let first = windows[0]["start_ms"].as_i64().unwrap();
        let next = windows
            .get(i + 1)
            .map_or(i64::MAX, |n| n["start_ms"].as_i64().unwrap());
        let [workers, postgres, _] = share(timeline, start, next);
        println!(
            "  {:>6} {:>6.1} s {:>7} {:>7}  {:>6.0} % {:>6.0} %  {}",
            i + 1,
            (start - first) as f64 / 1000.0,
            calls,
            wanted,
            workers * 100.0,
            postgres * 100.0,
            if bound {
                "the app's limit"
            } else {
                "the organisations' own"
            }
        );
        for (tenant, n) in w["by_tenant"].as_object().unwrap() {
            *done.entry(tenant.clone()).or_default() += n.as_u64().unwrap();
        }
    }
    if bound_minutes == 0.0 {
        println!("  no window where the organisations wanted more than the app's limit");
        return Some("the app's limit was never the bound".into());
    }
    let share = bound_calls as f64 / bound_minutes / limit as f64;
    println!(
        "  while the app's limit was the bound: {:.0} calls a minute = {:.1} % of it (goal ≥ 95 %)",
        bound_calls as f64 / bound_minutes,
        share * 100.0
    );
    (share < 0.95).then(|| format!("{:.1} % of the app's limit", share * 100.0))
}

/// The shares of the machine each used between two instants (epoch milliseconds), from the
/// samples.
fn share(timeline: &[Sample], from: i64, to: i64) -> [f64; 3] {
    let inside: Vec<&Sample> = timeline
        .iter()
        .filter(|(at, _)| *at >= from && *at <= to)
        .collect();
    let (Some(first), Some(last)) = (inside.first(), inside.last()) else {
        return [0.0; 3];
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let secs = (last.0 - first.0) as f64 / 1000.0 * cores;
    if secs <= 0.0 {
        return [0.0; 3];
    }
    [0, 1, 2].map(|i| (last.1[i] - first.1[i]) / secs)
}

/// 429s per organisation: at most the first.
fn rate_limited(stats: &Value) -> Option<String> {
    let per_tenant = stats["rate_limited_tenants"].as_object().unwrap();
    let worst = per_tenant
        .values()
        .filter_map(Value::as_u64)
        .max()
        .unwrap_or(0);
    let all: u64 = per_tenant.values().filter_map(Value::as_u64).sum();
    println!(
        "  429s: {all} in all, at most {worst} for one organisation (goal: none after the first) {}",
        stats["rate_limited"]
    );
    (worst > 1).then(|| format!("{worst} 429s for one organisation"))
}

/// When each organisation's last run ended, from the request: the slowest small one against the
/// median small one.
async fn starvation(
    h: &Harness,
    t0: chrono::DateTime<chrono::Utc>,
    large: &[Uuid],
    stats: &Value,
) -> Option<String> {
    let ends: Vec<(Uuid, f64)> = sqlx::query_as(
        "SELECT tenant_id, extract(epoch FROM max(finished_at) - $1)::float8
           FROM xero.sync_log GROUP BY tenant_id",
    )
    .bind(t0)
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    let mut small: Vec<f64> = ends
        .iter()
        .filter(|(t, _)| !large.contains(t))
        .map(|(_, s)| *s)
        .collect();
    small.sort_by(f64::total_cmp);
    let median = small[small.len() / 2];
    let slowest = *small.last().unwrap();
    let large_end = ends
        .iter()
        .filter(|(t, _)| large.contains(t))
        .map(|(_, s)| *s)
        .fold(0.0, f64::max);
    println!(
        "  small organisations done after {:.1} s (median) to {:.1} s (slowest) = {:.2}× \
         (goal ≤ 2×); the large ones after {large_end:.1} s",
        median,
        slowest,
        slowest / median
    );
    // Why the slowest was late: its 429s (each waits out the rest of Xero's minute) and the
    // entity it finished last.
    if let Some((tenant, _)) = ends
        .iter()
        .filter(|(t, _)| !large.contains(t))
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        let last: Option<String> = sqlx::query_scalar(
            "SELECT entity FROM xero.sync_log WHERE tenant_id = $1 \
              ORDER BY finished_at DESC NULLS LAST LIMIT 1",
        )
        .bind(tenant)
        .fetch_optional(&h.db.pool)
        .await
        .unwrap();
        let limited = stats["rate_limited_tenants"][tenant.to_string()]
            .as_u64()
            .unwrap_or(0);
        println!(
            "  the slowest small organisation met {limited} 429(s) and finished with {}",
            last.unwrap_or_default()
        );
    }
    (slowest > 2.0 * median).then(|| {
        format!(
            "the slowest small organisation {:.2}× the median",
            slowest / median
        )
    })
}

/// `XERO_BURST` of the workers when `APP_BENCH_BURST` sets one; otherwise the default.
fn burst() -> Option<String> {
    std::env::var("APP_BENCH_BURST").ok()
}

fn concurrency() -> usize {
    std::env::var("APP_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CONCURRENCY)
}

/// Worker processes with the harness's configuration, registered before returning.
async fn start_workers(h: &Harness) -> Vec<tokio::process::Child> {
    let workers: Vec<_> = (0..REPLICAS)
        .map(|_| {
            let mut worker = h.command(&["worker"]);
            // Statements slower than a second are expected here: say nothing of them.
            worker
                .env("RUST_LOG", "warn,sqlx::query=error")
                .env("WORKER_CONCURRENCY", concurrency().to_string())
                .env("WORKER_HTTP_ADDR", "off");
            if let Some(burst) = burst() {
                worker.env("XERO_BURST", burst);
            }
            worker.stdout(Stdio::null()).spawn().unwrap()
        })
        .collect();
    h.workers_registered(REPLICAS as i64).await;
    workers
}

/// When (epoch milliseconds) and the CPU seconds of workers, Postgres and this process so far.
type Sample = (i64, [f64; 3]);

/// CPU seconds of the workers, of Postgres (every `postgres` process) and of this process (the
/// simulator and the harness), from `/proc`.
struct Cpu {
    workers: Vec<u32>,
    at_start: [f64; 3],
    samples: std::sync::Arc<std::sync::Mutex<Vec<Sample>>>,
}

/// The samples taken so far.
fn samples_of(cpu: &Cpu) -> Vec<Sample> {
    cpu.samples.lock().unwrap().clone()
}

impl Cpu {
    fn start(workers: &[tokio::process::Child]) -> Cpu {
        let workers: Vec<u32> = workers.iter().filter_map(|w| w.id()).collect();
        let mut cpu = Cpu {
            workers,
            at_start: [0.0; 3],
            samples: Default::default(),
        };
        cpu.at_start = cpu.now();
        cpu
    }

    /// Samples the CPU used so far, stamped with the wall clock (as the simulator's windows
    /// are), every `period` until aborted.
    fn sample_every(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let probe = Cpu {
            workers: self.workers.clone(),
            at_start: [0.0; 3],
            samples: self.samples.clone(),
        };
        tokio::spawn(async move {
            loop {
                let at = chrono::Utc::now().timestamp_millis();
                let now = probe.now();
                probe.samples.lock().unwrap().push((at, now));
                tokio::time::sleep(period).await;
            }
        })
    }

    fn now(&self) -> [f64; 3] {
        let workers = self.workers.iter().map(|p| seconds(*p)).sum();
        let postgres = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "postgres")
            })
            .map(seconds)
            .sum();
        [workers, postgres, seconds(std::process::id())]
    }

    /// What each used, as a share of the machine's cores over `wall`.
    fn stop(self, wall: Duration) -> String {
        let now = self.now();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let machine = wall.as_secs_f64() * cores;
        let [w, p, s] = [0, 1, 2].map(|i| now[i] - self.at_start[i]);
        format!(
            "  CPU of the machine's {cores:.0} cores: workers {:.0} %, Postgres {:.0} %, \
             simulator and harness {:.0} % ({w:.0} s, {p:.0} s, {s:.0} s)",
            w / machine * 100.0,
            p / machine * 100.0,
            s / machine * 100.0
        )
    }
}

/// A process's user and system CPU seconds so far (0 when it is gone).
fn seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace()
        .collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}
