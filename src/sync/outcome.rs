//! How a batch ends when it cannot simply commit: snoozed (Xero said "later"; no attempt
//! spent), retried with backoff (a transient failure), or given up with a clear reason (a
//! revoked connection, a 403, a malformed job). Each outcome is written in one transaction with
//! the job's lease as guard, and decided here, where the error is matched.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use super::batch::Engine;
use super::queue::{self, Lease, Retried};
use super::run::{self, Run};
use crate::vault::VaultError;
use crate::xero::XeroError;

/// The shortest snooze: a job put back for less could be refetched before its own worker let go.
pub(super) const MIN_SNOOZE: TimeDelta = TimeDelta::seconds(1);

/// What stopped a batch before its quota of calls.
#[derive(Debug)]
pub(super) enum Stop {
    Xero(XeroError),
    Token(VaultError),
}

/// A batch that got no page: snooze, retry or give up, by the error.
pub(super) async fn without_pages(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    calls: i32,
    stop: Stop,
) -> anyhow::Result<String> {
    match stop {
        Stop::Token(e) => token_failure(engine, lease, run, e).await,
        Stop::Xero(e @ (XeroError::RateLimited { .. } | XeroError::Unavailable { .. })) => {
            let until = Utc::now() + stop_delay(&Stop::Xero(e));
            snooze(
                engine,
                lease,
                run,
                calls,
                until,
                "Xero asked to come back later",
            )
            .await
        }
        Stop::Xero(e) if e.is_transient() => {
            retry_later(engine, lease, run.run_id, calls, &e.to_string()).await
        }
        Stop::Xero(e) => {
            let mut tx = engine.pool.begin().await?;
            run::count_calls(&mut tx, run.run_id, calls).await?;
            tx.commit().await?;
            give_up(engine, lease, Some(run.run_id), &e.to_string()).await
        }
    }
}

pub(super) async fn token_failure(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    e: VaultError,
) -> anyhow::Result<String> {
    match e {
        VaultError::OAuth(ref inner)
            if matches!(inner, crate::xero::oauth::OAuthError::Transport(_)) =>
        {
            retry_later(engine, lease, run.run_id, 0, &e.to_string()).await
        }
        VaultError::Db(e) => Err(e.into()),
        e => give_up(engine, lease, Some(run.run_id), &e.to_string()).await,
    }
}

pub(super) async fn snooze(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    calls: i32,
    until: DateTime<Utc>,
    reason: &str,
) -> anyhow::Result<String> {
    let until = until.max(Utc::now() + MIN_SNOOZE);
    let mut tx = engine.pool.begin().await?;
    run::count_calls(&mut tx, run.run_id, calls).await?;
    if !queue::snooze(&mut tx, lease, until, reason).await? {
        return Ok("lease lost".into());
    }
    tx.commit().await?;
    tracing::info!(sync.snoozed_until = %until, reason, "job snoozed");
    Ok(format!("snoozed until {until}: {reason}"))
}

pub(super) async fn retry_later(
    engine: &Engine,
    lease: Lease<'_>,
    run_id: Uuid,
    calls: i32,
    error: &str,
) -> anyhow::Result<String> {
    let settings = engine.settings;
    let mut tx = engine.pool.begin().await?;
    run::count_calls(&mut tx, run_id, calls).await?;
    let retried = queue::retry(
        &mut tx,
        lease,
        error,
        settings.retry_base.as_secs_f64(),
        settings.retry_cap.as_secs_f64(),
    )
    .await?;
    if retried == Retried::Exhausted {
        run::fail(
            &mut tx,
            run_id,
            &format!("gave up after all attempts: {error}"),
            engine.follow_up(),
        )
        .await?;
    }
    tx.commit().await?;
    match retried {
        Retried::Later(at) => {
            tracing::warn!(error, sync.retry_at = %at, "batch failed; will retry");
            Ok(format!("retrying at {at}: {error}"))
        }
        Retried::Exhausted => {
            tracing::error!(error, "batch failed for good after all attempts");
            Ok(format!("failed after all attempts: {error}"))
        }
        Retried::LeaseLost => Ok("lease lost".into()),
    }
}

/// Fails the job for good, and its run with it when there is one.
pub(super) async fn give_up(
    engine: &Engine,
    lease: Lease<'_>,
    run_id: Option<Uuid>,
    error: &str,
) -> anyhow::Result<String> {
    let mut tx = engine.pool.begin().await?;
    if !queue::fail(&mut tx, lease, error).await? {
        return Ok("lease lost".into());
    }
    if let Some(run_id) = run_id {
        run::fail(&mut tx, run_id, error, engine.follow_up()).await?;
    }
    tx.commit().await?;
    tracing::error!(error, "job failed");
    Ok(format!("failed: {error}"))
}

pub(super) fn stop_delay(stop: &Stop) -> TimeDelta {
    match stop {
        Stop::Xero(XeroError::RateLimited { retry_after, .. }) => delay(*retry_after),
        Stop::Xero(XeroError::Unavailable { retry_after, .. }) => {
            delay(retry_after.unwrap_or(Duration::from_secs(5)))
        }
        _ => MIN_SNOOZE,
    }
}

pub(super) fn delay(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d)
        .unwrap_or(TimeDelta::MAX)
        .max(MIN_SNOOZE)
}

pub(super) async fn blocked_until(
    pool: &PgPool,
    tenant_id: Uuid,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT blocked_until FROM xero.tenants WHERE tenant_id = $1 AND blocked_until > now()",
    )
    .bind(tenant_id)
    .fetch_optional(pool)
    .await
    .map(Option::flatten)
}

pub(super) async fn block_tenant(
    pool: &PgPool,
    tenant_id: Uuid,
    until: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE xero.tenants SET blocked_until = greatest(blocked_until, $2) WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(until)
    .execute(pool)
    .await?;
    Ok(())
}
