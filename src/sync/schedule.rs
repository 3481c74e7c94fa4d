//! The scheduled-run job: a pair's next run, started when it comes due, incremental or — every
//! `SYNC_FULL_EVERY` — the periodic full re-read (the sweep), which reads summaries where the
//! entity asks for them.

use std::time::Duration;

use sqlx::PgConnection;

use super::engine::Engine;
use super::job::ScheduledRun;
use super::outcome::give_up;
use super::queue::{self, Lease};
use super::start::{StartError, start_run_in};

/// Starts a scheduled run and completes the schedule's job in one transaction. The run is full
/// when `FORCE_FULL_SYNC` says so or the pair's last full run is older than `SYNC_FULL_EVERY`.
pub(super) async fn start_scheduled(
    engine: &Engine,
    lease: Lease<'_>,
    scheduled: ScheduledRun,
) -> anyhow::Result<String> {
    let span = tracing::Span::current();
    span.record(
        "xero.tenant_id",
        tracing::field::display(scheduled.tenant_id),
    );
    span.record("sync.entity", scheduled.entity.as_str());
    let Some(entity) = engine.entity(&scheduled.entity) else {
        let error = engine.unknown_entity(&scheduled.entity);
        return give_up(engine, lease, None, &error).await;
    };
    let settings = engine.settings;
    let mut tx = engine.pool.begin().await?;
    let due = full_due(&mut tx, &scheduled, settings.full_every).await?;
    let full = settings.force_full || due != FullDue::No;
    let started = start_run_in(
        &mut tx,
        &scheduled.entity,
        scheduled.tenant_id,
        full,
        settings.max_attempts,
    )
    .await;
    let started = match started {
        Ok(started) => started,
        Err(e) => {
            drop(tx);
            return not_started(engine, lease, e).await;
        }
    };
    // The periodic re-read of a pair read in full before reads summaries where the entity
    // asks for them; a first full run, or one FORCE_FULL_SYNC asks for, reads whole.
    let sweep = !entity.sweep_query.is_empty();
    if sweep && started.created && due == FullDue::Periodic && !settings.force_full {
        sqlx::query("UPDATE xero.sync_log SET summary = true WHERE run_id = $1")
            .bind(started.run_id)
            .execute(&mut *tx)
            .await?;
    }
    let outcome = format!("scheduled run {} ({:?})", started.run_id, started.mode);
    if !queue::complete(&mut tx, lease, &outcome).await? {
        return Ok("lease lost".into());
    }
    tx.commit().await?;
    tracing::info!(sync.run_id = %started.run_id, sync.mode = ?started.mode, "scheduled run started");
    Ok(outcome)
}

/// A scheduled run that cannot start: its tenant is gone (the job fails), paused (the job waits
/// for it to resume) or disconnected (the job completes; no run).
async fn not_started(engine: &Engine, lease: Lease<'_>, e: StartError) -> anyhow::Result<String> {
    match e {
        StartError::UnknownTenant(t) => {
            let error = format!("tenant {t} is no longer connected");
            give_up(engine, lease, None, &error).await
        }
        StartError::Inactive { status, .. } if status == "paused" => {
            super::tenant::hold(engine, lease).await
        }
        e @ StartError::Inactive { .. } => {
            let mut conn = engine.pool.acquire().await?;
            let note = format!("no run: {e}");
            queue::complete(&mut conn, lease, &note).await?;
            Ok(note)
        }
        StartError::Db(e) => Err(e.into()),
    }
}

/// Whether a scheduled run must read the pair in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FullDue {
    /// No: incremental.
    No,
    /// The pair was never read in full.
    Never,
    /// Its last full run is older than `SYNC_FULL_EVERY`: the periodic re-read (the sweep).
    Periodic,
}

/// Whether the pair's periodic full re-read is due.
async fn full_due(
    conn: &mut PgConnection,
    scheduled: &ScheduledRun,
    every: Option<Duration>,
) -> Result<FullDue, sqlx::Error> {
    let Some(every) = every else {
        return Ok(FullDue::No);
    };
    let due: Option<(bool, Option<bool>)> = sqlx::query_as(
        "SELECT last_full_at IS NULL, last_full_at < now() - make_interval(secs => $3)
           FROM xero.sync_progress WHERE tenant_id = $1 AND entity = $2",
    )
    .bind(scheduled.tenant_id)
    .bind(&scheduled.entity)
    .bind(every.as_secs_f64())
    .fetch_optional(conn)
    .await?;
    Ok(match due {
        Some((true, _)) => FullDue::Never,
        Some((false, Some(true))) => FullDue::Periodic,
        _ => FullDue::No,
    })
}
