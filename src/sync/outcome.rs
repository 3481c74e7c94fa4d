//! How a batch ends when it cannot simply commit: snoozed (Xero said "later"; no attempt
//! spent), retried with backoff (a transient failure), ended as not entitled (Xero refuses the
//! entity for this tenant), or given up with a clear reason (a revoked connection, a malformed
//! job, a server that does not page). Each outcome is written in one transaction with the job's
//! lease as guard, and decided here, where the error is matched. Every delay is computed on the
//! database's clock, so replicas with skewed clocks agree on when a job is due.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::engine::{Engine, MAX_DELAY, jittered};
use super::queue::{self, Lease, Retried};
use super::run::{self, Ending, Run};
use crate::vault::VaultError;
use crate::xero::XeroError;

/// The shortest snooze: a job put back for less could be refetched before its own worker let go.
const MIN_SNOOZE: Duration = Duration::from_secs(1);
/// The longest `Retry-After` believed: Xero's day window is 24 hours; anything longer is clamped.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(25 * 3600);
/// Longest back-off for an offline organisation (Xero: "a minute to an hour or so").
const OFFLINE_CAP: Duration = Duration::from_secs(3600);

/// What stopped a batch before its quota of calls.
#[derive(Debug)]
pub(super) enum Stop {
    /// Xero answered with an error.
    Xero(XeroError),
    /// No access token could be had.
    Token(VaultError),
    /// The run cannot move forward (the server ignores its paging).
    Stuck(String),
    /// The shared budget has no call for the tenant for a while.
    Budget {
        /// How long until it may.
        wait: Duration,
        /// Why.
        reason: String,
    },
    /// The database failed while taking a call from the budget.
    Database(sqlx::Error),
}

/// A batch that got no page: snooze, retry, end or give up, by the error.
pub(super) async fn without_pages(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    calls: i32,
    stop: Stop,
) -> anyhow::Result<String> {
    match stop {
        Stop::Token(e) => token_failure(engine, lease, run, e).await,
        Stop::Budget { wait, reason } => {
            let reason = format!("waiting for Xero's budget: {reason}");
            snooze(engine, lease, run, calls, wait, Snooze::Budget, &reason).await
        }
        Stop::Database(e) => Err(e.into()),
        Stop::Stuck(error) => {
            count_calls(engine, run.run_id, calls).await?;
            give_up(engine, lease, Some(run.run_id), &error).await
        }
        // A 403 is either this entity refused (a plan, a role) or the whole organisation no
        // longer connected to the app (a user disconnected it in Xero): `/connections` says.
        Stop::Xero(XeroError::NotEntitled { status: 403, .. })
            if super::tenant::still_connected(engine, run.tenant_id).await == Some(false) =>
        {
            count_calls(engine, run.run_id, calls).await?;
            let reason = "Xero no longer lists the organisation among the app's connections \
                          (disconnected in Xero)";
            super::tenant::mark_disconnected(engine, run.tenant_id, reason).await?;
            let mut conn = engine.pool.acquire().await?;
            queue::complete(&mut conn, lease, reason).await?;
            Ok(reason.to_owned())
        }
        Stop::Xero(XeroError::NotEntitled { status, detail }) => {
            let reason = format!("Xero refuses this entity for this tenant ({status}): {detail}");
            not_entitled(engine, lease, run, calls, &reason).await
        }
        Stop::Xero(e @ (XeroError::RateLimited { .. } | XeroError::Unavailable { .. })) => {
            let delay = stop_delay(engine, run.tenant_id, &e).await?;
            let kind = if matches!(e, XeroError::RateLimited { .. }) {
                Snooze::RateLimited
            } else {
                Snooze::Offline
            };
            let reason = format!("Xero asked to come back later: {e}");
            snooze(engine, lease, run, calls, delay, kind, &reason).await
        }
        Stop::Xero(e) if e.is_transient() => {
            retry_later(engine, lease, run.run_id, calls, &e.to_string()).await
        }
        Stop::Xero(e) => {
            count_calls(engine, run.run_id, calls).await?;
            give_up(engine, lease, Some(run.run_id), &e.to_string()).await
        }
    }
}

async fn count_calls(engine: &Engine, run_id: Uuid, calls: i32) -> Result<(), sqlx::Error> {
    let mut conn = engine.pool.acquire().await?;
    run::count_calls(&mut conn, run_id, calls).await
}

/// A token the vault could not hand out: retry a transport failure, give up on the rest.
pub(super) async fn token_failure(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    e: VaultError,
) -> anyhow::Result<String> {
    match e {
        VaultError::OAuth(crate::xero::oauth::OAuthError::Transport(_)) => {
            retry_later(engine, lease, run.run_id, 0, &e.to_string()).await
        }
        VaultError::Db(e) => Err(e.into()),
        e => give_up(engine, lease, Some(run.run_id), &e.to_string()).await,
    }
}

/// Puts the job back for `delay` (plus a little, see [`jittered`], so jobs put off together do
/// not all wake together) without spending an attempt.
/// Why a job was put off, as the `reason` label of the snooze metric.
#[derive(Debug, Clone, Copy)]
pub(super) enum Snooze {
    /// The shared budget had no call for the tenant.
    Budget,
    /// Xero answered 429.
    RateLimited,
    /// Xero answered 503.
    Offline,
}

impl Snooze {
    fn label(self) -> &'static str {
        match self {
            Snooze::Budget => "budget",
            Snooze::RateLimited => "rate_limited",
            Snooze::Offline => "offline",
        }
    }
}

pub(super) async fn snooze(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    calls: i32,
    delay: Duration,
    kind: Snooze,
    reason: &str,
) -> anyhow::Result<String> {
    let delay = jittered(delay.clamp(MIN_SNOOZE, MAX_DELAY));
    let mut tx = engine.pool.begin().await?;
    run::count_calls(&mut tx, run.run_id, calls).await?;
    let Some(until) = queue::snooze(&mut tx, lease, delay, reason).await? else {
        return Ok("lease lost".into());
    };
    super::trace::remember_attempt(&mut tx, lease.job_id).await?;
    tx.commit().await?;
    crate::metrics::get()
        .snoozes
        .add(1, &[opentelemetry::KeyValue::new("reason", kind.label())]);
    tracing::info!(sync.snoozed_until = %until, reason, "job snoozed");
    Ok(format!("snoozed until {until}: {reason}"))
}

/// Spends an attempt and runs the job again after an exponential back-off, or fails it (and
/// its run) when the attempts are used up.
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
        let error = format!("gave up after all attempts: {error}");
        run::fail(&mut tx, run_id, &error, engine.follow_up()).await?;
    } else {
        super::trace::remember_attempt(&mut tx, lease.job_id).await?;
    }
    tx.commit().await?;
    if retried == Retried::Exhausted {
        ended(Ending::Failed);
    }
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
    if run_id.is_some() {
        ended(Ending::Failed);
    }
    tracing::error!(error, "job failed");
    Ok(format!("failed: {error}"))
}

/// Ends the run as `not_entitled`: the job is done (there is nothing to retry), the pair shows
/// the reason in `status`, and it is tried again after the entitlement re-check interval, in
/// case the scope, plan or role comes back. The tenant's other entities are not affected.
async fn not_entitled(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    calls: i32,
    reason: &str,
) -> anyhow::Result<String> {
    let mut tx = engine.pool.begin().await?;
    run::count_calls(&mut tx, run.run_id, calls).await?;
    if !queue::complete(&mut tx, lease, reason).await? {
        return Ok("lease lost".into());
    }
    run::end(
        &mut tx,
        run.run_id,
        Ending::NotEntitled,
        reason,
        engine.recheck(),
    )
    .await?;
    tx.commit().await?;
    ended(Ending::NotEntitled);
    tracing::warn!(reason, "entity not entitled for this tenant");
    Ok(format!("not entitled: {reason}"))
}

/// Counts a run that ended without completing, by how it ended.
fn ended(ending: Ending) {
    crate::metrics::get()
        .runs_ended
        .add(1, &[opentelemetry::KeyValue::new("ending", ending.label())]);
}

/// How long a 429 or 503 puts the tenant off, recorded on the tenant so every replica leaves
/// it alone meanwhile. A 429 waits its `Retry-After` (clamped); "The Organisation is offline"
/// backs off exponentially with jitter over 503s in a row (or its `Retry-After`, if longer).
pub(super) async fn stop_delay(
    engine: &Engine,
    tenant_id: Uuid,
    error: &XeroError,
) -> Result<Duration, sqlx::Error> {
    match error {
        XeroError::RateLimited { retry_after, .. } => {
            let delay = (*retry_after).clamp(MIN_SNOOZE, MAX_RETRY_AFTER);
            block_tenant(&engine.pool, tenant_id, delay).await?;
            Ok(delay)
        }
        XeroError::Unavailable { retry_after, .. } => {
            let asked = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
            let base = engine.settings.offline_backoff;
            offline(&engine.pool, tenant_id, asked, base).await
        }
        _ => Ok(MIN_SNOOZE),
    }
}

/// Blocks the tenant for every replica for `delay` (never shortening a longer block).
pub(super) async fn block_tenant(
    pool: &PgPool,
    tenant_id: Uuid,
    delay: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE xero.tenants SET blocked_until = greatest(blocked_until,
                now() + make_interval(secs => $2))
          WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(delay.as_secs_f64())
    .execute(pool)
    .await?;
    Ok(())
}

/// Counts one more 503 in a row for the tenant and blocks it for the back-off that gives:
/// `base × 2^(503s before)`, capped, scaled by a random 50–100 %, and at least `asked`.
async fn offline(
    pool: &PgPool,
    tenant_id: Uuid,
    asked: Duration,
    base: Duration,
) -> Result<Duration, sqlx::Error> {
    let secs: Option<f64> = sqlx::query_scalar(
        "UPDATE xero.tenants SET offline_strikes = offline_strikes + 1,
                blocked_until = greatest(blocked_until, now() + make_interval(secs => greatest($2,
                    least($4, $3 * power(2, least(offline_strikes, 30))) * (0.5 + random() / 2))))
          WHERE tenant_id = $1
          RETURNING extract(epoch FROM blocked_until - now())::float8",
    )
    .bind(tenant_id)
    .bind(asked.as_secs_f64())
    .bind(base.as_secs_f64())
    .bind(OFFLINE_CAP.as_secs_f64())
    .fetch_optional(pool)
    .await?;
    Ok(Duration::from_secs_f64(
        secs.unwrap_or(0.0)
            .clamp(MIN_SNOOZE.as_secs_f64(), MAX_DELAY.as_secs_f64()),
    ))
}
