//! How fast the simulator serves: time to generate a large organisation (126,800 journals and
//! 50,000 invoices) and the median time to serve a 1,000-invoice page with limits off, measured
//! over real HTTP on loopback (request sent to body fully received).
//!
//! `cargo bench -p xero-sync-sim --bench page`; `SIM_BENCH_SHORT=1` runs a small version for CI.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use xero_sync_sim::{SimConfig, Simulator};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let short = std::env::var("SIM_BENCH_SHORT").is_ok_and(|v| v == "1");
    let (invoices, journals, rounds) = if short {
        (5_000, 12_680, 5)
    } else {
        (50_000, 126_800, 41)
    };
    let config = SimConfig {
        invoices,
        journals,
        contacts: 5_000,
        accounts: 120,
        rate_limits: false,
        ..SimConfig::default()
    };

    let started = Instant::now();
    let sim = Simulator::start(config).await.unwrap();
    println!(
        "sim_page: generated {invoices} invoices, {journals} journals, 5000 contacts in {:.2?}",
        started.elapsed()
    );

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let token = sim.custom_connection_token().unwrap();
    let url = format!("{}/api.xro/2.0/Invoices", sim.origin());

    let mut samples = Vec::with_capacity(rounds);
    let mut bytes = 0;
    for round in 0..rounds + 1 {
        let page = (round % (invoices / 1_000) + 1).to_string();
        let t = Instant::now();
        let body = http
            .get(&url)
            .query(&[("page", page.as_str()), ("pageSize", "1000")])
            .header("accept", "application/json")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        // The first round warms up connections and caches.
        if round > 0 {
            samples.push(t.elapsed());
        }
        bytes = body.len();
    }
    let worst = *samples.iter().max().unwrap();
    println!(
        "sim_page: 1000-invoice page ({} KiB) served in {:.2?} median, {:.2?} worst, over {} rounds",
        bytes / 1024,
        median(samples),
        worst,
        rounds
    );
    sim.shutdown().await;
}
