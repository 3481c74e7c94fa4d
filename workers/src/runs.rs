//! Waiting for runs to end, saying how far they are while they go (the demo's progress).

use std::time::{Duration, Instant};

use anyhow::bail;
use sqlx::PgPool;
use uuid::Uuid;

/// Waits until none of `runs` is running; fails if one failed or time runs out.
pub async fn wait_for_runs(pool: &PgPool, runs: &[Uuid], timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut said = Instant::now();
    loop {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT entity, status, error FROM xero.sync_log WHERE run_id = ANY($1)",
        )
        .bind(runs)
        .fetch_all(pool)
        .await?;
        if let Some((entity, _, error)) = rows.iter().find(|(_, s, _)| s == "failed") {
            bail!(
                "the {entity} run failed: {}",
                error.as_deref().unwrap_or("no error recorded")
            );
        }
        if rows.iter().all(|(_, s, _)| s == "completed") {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("runs did not finish within {}s", timeout.as_secs());
        }
        if said.elapsed() >= PROGRESS_EVERY {
            said = Instant::now();
            let done = rows.iter().filter(|(_, s, _)| s == "completed").count();
            println!(
                "  {done} of {} runs done{}",
                runs.len(),
                waiting(pool).await?
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How often a wait says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// What the runs wait for, when jobs are put off until Xero's rate-limit window passes.
async fn waiting(pool: &PgPool) -> anyhow::Result<String> {
    let (snoozed, longest): (i64, Option<f64>) = sqlx::query_as(
        "SELECT count(*), max(extract(epoch FROM run_at - now()))::float8 FROM apalis.jobs
          WHERE status = 'Pending' AND run_at > now() AND last_result ? 'Snoozed'",
    )
    .fetch_one(pool)
    .await?;
    Ok(match longest {
        Some(secs) if snoozed > 0 => {
            format!("; {snoozed} job(s) wait out Xero's rate-limit minute (about {secs:.0}s more)")
        }
        _ => String::new(),
    })
}
