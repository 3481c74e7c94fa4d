//! `sync --wait`: follows runs until they end — a progress bar per (tenant, entity) on a
//! terminal, a plain line per change otherwise (logs, CI) — and says whether any failed.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use sqlx::PgPool;
use uuid::Uuid;

/// A run being followed, and its label.
#[derive(Debug, Clone)]
pub struct Followed {
    /// The run.
    pub run_id: Uuid,
    /// e.g. `Demo Company / invoices`.
    pub label: String,
}

#[derive(sqlx::FromRow, PartialEq, Clone)]
struct Snapshot {
    run_id: Uuid,
    status: String,
    records: i64,
    pages: i32,
    api_calls: i32,
    elapsed: f64,
    error: Option<String>,
}

/// How often runs are looked at.
const POLL: Duration = Duration::from_millis(500);

/// Follows `runs` until none is running; returns the labels and errors of failed runs.
pub async fn follow(
    pool: &PgPool,
    runs: &[Followed],
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let ids: Vec<Uuid> = runs.iter().map(|r| r.run_id).collect();
    let labels: HashMap<Uuid, &str> = runs.iter().map(|r| (r.run_id, r.label.as_str())).collect();
    let bars = bars(runs);
    let mut last: HashMap<Uuid, Snapshot> = HashMap::new();
    loop {
        let snapshots: Vec<Snapshot> = sqlx::query_as(
            "SELECT run_id, status, records, pages, api_calls,
                    extract(epoch FROM coalesce(finished_at, now()) - started_at)::float8 AS elapsed,
                    error
               FROM xero.sync_log WHERE run_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(pool)
        .await?;
        for s in &snapshots {
            show(s, bars.get(&s.run_id), last.get(&s.run_id), &labels);
            last.insert(s.run_id, s.clone());
        }
        if snapshots.iter().all(|s| s.status != "running") {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(last
        .values()
        .filter(|s| s.status == "failed")
        .map(|s| {
            (
                labels.get(&s.run_id).copied().unwrap_or("?").to_owned(),
                s.error.clone().unwrap_or_default(),
            )
        })
        .collect())
}

/// A spinner per run on a terminal; none otherwise.
fn bars(runs: &[Followed]) -> HashMap<Uuid, ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return HashMap::new();
    }
    let multi = MultiProgress::new();
    let style = ProgressStyle::with_template("{spinner} {prefix:<40} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    runs.iter()
        .map(|r| {
            let bar = multi.add(ProgressBar::new_spinner().with_style(style.clone()));
            bar.set_prefix(r.label.clone());
            (r.run_id, bar)
        })
        .collect()
}

/// Shows a run's state: on its spinner, or as a line when it changed since `last`.
fn show(
    s: &Snapshot,
    bar: Option<&ProgressBar>,
    last: Option<&Snapshot>,
    labels: &HashMap<Uuid, &str>,
) {
    let line = format!(
        "{} — {} records, {} pages, {} calls, {:.1}s",
        s.status, s.records, s.pages, s.api_calls, s.elapsed
    );
    if let Some(bar) = bar {
        bar.set_message(line);
        bar.tick();
        if s.status != "running" && !bar.is_finished() {
            bar.finish();
        }
    } else if last.is_none_or(|p| (p.status.as_str(), p.pages) != (s.status.as_str(), s.pages)) {
        println!("{}: {line}", labels.get(&s.run_id).copied().unwrap_or("?"));
    }
}
