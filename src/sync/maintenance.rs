//! Housekeeping no job owns, done by one leader at a time: every worker runs the loop, and each
//! pass is one small transaction that first takes a transaction-level advisory lock, so passes
//! of different replicas never overlap and a leader that dies simply stops taking turns.
//!
//! A pass
//! - ends or resumes **wedged runs**: a running run whose current batch job is gone (deleted by
//!   hand) or done is resumed with a fresh job; one whose job failed for good (apalis's own
//!   retries exhausted, a poison job) is failed with that job's error, so `request_sync` starts
//!   a new run instead of returning a dead one;
//! - **restores lost schedules**: a finished pair with scheduling on but no scheduled next run;
//! - **starts first runs** (scheduling on): a pair of a connected tenant and an entity the
//!   deployment began to sync after the tenant connected (an upgrade added it, or
//!   `SYNC_ENTITIES` named it later) that has never run;
//! - **prunes** finished jobs and old runs past their retention, and dead workers' rows.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::engine::FollowUp;
use super::job::BatchJob;
use super::queue::{self, Enqueue, QUEUE};
use super::run;

/// The advisory lock key of the maintenance leader ("xero_mnt").
const LEADER_LOCK: i64 = 0x7865_726f_5f6d_6e74;
/// Rows deleted per table and pass, so a pass stays a small transaction after a long outage.
const PRUNE_LIMIT: i64 = 10_000;
/// Dead workers' rows (apalis never removes them) are dropped after this long without a beat.
const WORKER_RETENTION: Duration = Duration::from_secs(86_400);

/// How maintenance behaves.
#[derive(Debug, Clone, Copy)]
pub struct Maintenance {
    /// Time between passes.
    pub every: Duration,
    /// Finished jobs are deleted this long after they finished.
    pub job_retention: Duration,
    /// Finished runs (`xero.sync_log`) are deleted this long after they ended, except each
    /// pair's last run.
    pub log_retention: Duration,
    /// How the next run of a pair is scheduled (`None`: scheduling is off).
    pub follow_up: Option<FollowUp>,
    /// How often each organisation's ledger is verified (`None`: never).
    pub verify_every: Option<Duration>,
    /// How often each organisation's reports are kept as a snapshot (`None`: never).
    pub reports_every: Option<Duration>,
}

impl Maintenance {
    /// The maintenance `MAINTENANCE_*` and the retention settings give, scheduling next runs
    /// as `follow_up` says.
    pub fn from_args(args: &crate::config::WorkerArgs, follow_up: Option<FollowUp>) -> Maintenance {
        Maintenance {
            every: Duration::from_secs(args.maintenance_interval_secs),
            job_retention: args.job_retention.0,
            log_retention: args.log_retention.0,
            follow_up,
            verify_every: Some(args.verify_every.0).filter(|d| !d.is_zero()),
            reports_every: Some(args.reports_every.0).filter(|d| !d.is_zero()),
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Verifications queued for organisations whose runs have settled.
    pub verifications: u64,
    /// Report snapshots queued.
    pub snapshots: u64,
    /// This process held the leader lock for the pass.
    pub leader: bool,
    /// Wedged runs failed because their job failed for good.
    pub runs_failed: u64,
    /// Wedged runs given a fresh job.
    pub runs_resumed: u64,
    /// Lost schedules re-created.
    pub schedules_restored: u64,
    /// First runs started for pairs the deployment began to sync after their tenant connected.
    pub first_runs: u64,
    /// Finished jobs deleted.
    pub jobs_pruned: u64,
    /// Old runs deleted.
    pub runs_pruned: u64,
    /// Dead workers' rows deleted.
    pub workers_pruned: u64,
}

impl Pass {
    /// Adds the pass's actions to the maintenance metric, by kind.
    fn count(&self) {
        let m = crate::metrics::get();
        for (kind, n) in [
            ("runs_failed", self.runs_failed),
            ("runs_resumed", self.runs_resumed),
            ("schedules_restored", self.schedules_restored),
            ("first_runs", self.first_runs),
            ("verifications", self.verifications),
            ("snapshots", self.snapshots),
            ("jobs_pruned", self.jobs_pruned),
            ("runs_pruned", self.runs_pruned),
            ("workers_pruned", self.workers_pruned),
        ] {
            if n > 0 {
                m.maintenance
                    .add(n, &[opentelemetry::KeyValue::new("kind", kind)]);
            }
        }
    }

    /// What a leader's pass that found nothing to do reports.
    fn idle_leader() -> Pass {
        Pass {
            leader: true,
            ..Pass::default()
        }
    }
}

/// Runs passes every `settings.every` until `shutdown` resolves. A failed pass is logged and
/// the next one tries again.
pub async fn run(pool: PgPool, settings: Maintenance, shutdown: impl Future<Output = ()>) {
    crate::shutdown::every(settings.every, shutdown, || async {
        match pass(&pool, &settings).await {
            Ok(done) if done.leader && done != Pass::idle_leader() => {
                done.count();
                tracing::info!(
                    maintenance.runs_failed = done.runs_failed,
                    maintenance.runs_resumed = done.runs_resumed,
                    maintenance.schedules_restored = done.schedules_restored,
                    maintenance.first_runs = done.first_runs,
                    maintenance.verifications = done.verifications,
                    maintenance.snapshots = done.snapshots,
                    maintenance.jobs_pruned = done.jobs_pruned,
                    maintenance.runs_pruned = done.runs_pruned,
                    maintenance.workers_pruned = done.workers_pruned,
                    "maintenance pass"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "maintenance pass failed; the next one retries"),
        }
    })
    .await;
}

/// One pass, in one transaction; does nothing (`leader: false`) when another replica's pass is
/// running.
pub async fn pass(pool: &PgPool, settings: &Maintenance) -> Result<Pass, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let leader: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
        .bind(LEADER_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !leader {
        return Ok(Pass::default());
    }
    let mut done = Pass {
        leader,
        ..Pass::default()
    };
    (done.runs_failed, done.runs_resumed) = wedged_runs(&mut tx, settings).await?;
    if let Some(follow_up) = settings.follow_up {
        done.schedules_restored = lost_schedules(&mut tx, follow_up).await?;
        done.first_runs = first_runs(&mut tx, follow_up.max_attempts).await?;
    }
    if let Some(every) = settings.verify_every {
        done.verifications = super::verifying::due(&mut tx, every).await?;
    }
    if let Some(every) = settings.reports_every {
        done.snapshots = super::reporting::due(&mut tx, every).await?;
    }
    (done.jobs_pruned, done.runs_pruned, done.workers_pruned) = prune(&mut tx, settings).await?;
    tx.commit().await?;
    Ok(done)
}

#[derive(sqlx::FromRow)]
struct Wedged {
    run_id: Uuid,
    tenant_id: Uuid,
    entity: String,
    batches: i32,
    job_id: Option<String>,
    job_status: Option<String>,
    job_error: Option<String>,
}

/// Running runs whose current batch job is not alive: failed for good, done, or missing.
async fn wedged_runs(
    conn: &mut PgConnection,
    settings: &Maintenance,
) -> Result<(u64, u64), sqlx::Error> {
    let wedged: Vec<Wedged> = sqlx::query_as(
        "SELECT l.run_id, l.tenant_id, l.entity, l.batches, j.id AS job_id,
                j.status AS job_status, coalesce(j.last_result ->> 'Err', j.last_result::text) AS job_error
           FROM xero.sync_log l
           LEFT JOIN apalis.jobs j
             ON j.job_type = $1 AND j.idempotency_key = l.run_id::text || ':' || l.batches
          WHERE l.status = 'running'
            AND (j.id IS NULL OR j.status = 'Done'
                 OR (j.status = 'Failed' AND j.attempts >= j.max_attempts))
          FOR UPDATE OF l",
    )
    .bind(QUEUE)
    .fetch_all(&mut *conn)
    .await?;
    let (mut failed, mut resumed) = (0, 0);
    for w in wedged {
        if w.job_status.as_deref() == Some("Failed") {
            let error = format!(
                "its batch job {} failed for good: {}",
                w.job_id.as_deref().unwrap_or_default(),
                w.job_error.as_deref().unwrap_or_default()
            );
            run::fail(conn, w.run_id, &error, settings.follow_up).await?;
            tracing::warn!(sync.run_id = %w.run_id, error, "wedged run failed");
            failed += 1;
        } else {
            resume(conn, w, settings).await?;
            resumed += 1;
        }
    }
    Ok((failed, resumed))
}

/// Gives a wedged run its batch job back: the done one revived, or a missing one queued anew.
async fn resume(
    conn: &mut PgConnection,
    w: Wedged,
    settings: &Maintenance,
) -> Result<(), sqlx::Error> {
    if let Some(job_id) = &w.job_id {
        sqlx::query(
            "UPDATE apalis.jobs SET status = 'Pending', attempts = 0, run_at = now(),
                    lock_by = NULL, lock_at = NULL, done_at = NULL,
                    last_result = '{\"Ok\": \"resumed by maintenance\"}'
              WHERE id = $1",
        )
        .bind(job_id)
        .execute(&mut *conn)
        .await?;
    } else {
        let job = BatchJob {
            run_id: w.run_id,
            tenant_id: w.tenant_id,
            entity: w.entity,
            seq: w.batches,
        };
        let how = Enqueue {
            delay: None,
            max_attempts: settings.follow_up.map_or(8, |f| f.max_attempts),
            priority: 0,
        };
        queue::enqueue(conn, &job, &job.idempotency_key(), how).await?;
    }
    tracing::warn!(sync.run_id = %w.run_id, "wedged run resumed");
    Ok(())
}

/// Finished pairs of registered entities with no scheduled next run: schedule one, due an
/// interval after their last run ended (at once if that is past).
async fn lost_schedules(conn: &mut PgConnection, follow_up: FollowUp) -> Result<u64, sqlx::Error> {
    let lost: Vec<(Uuid, String, Uuid, f64)> = sqlx::query_as(
        "SELECT p.tenant_id, p.entity, p.last_run,
                greatest(0, extract(epoch FROM coalesce(l.finished_at, now())
                                    + make_interval(secs => coalesce(p.interval_secs, $1))
                                    - now()))::float8
           FROM xero.sync_progress p
           JOIN xero.entities e ON e.name = p.entity
           JOIN xero.tenants t ON t.tenant_id = p.tenant_id AND t.status = 'active'
           LEFT JOIN xero.sync_log l ON l.run_id = p.last_run
          WHERE p.current_run IS NULL AND p.last_run IS NOT NULL
            AND NOT EXISTS (
                SELECT 1 FROM apalis.jobs j
                 WHERE xero.open_schedule(j.status, j.idempotency_key)
                       = 'next:' || p.tenant_id || ':' || p.entity || ':')
          FOR UPDATE OF p",
    )
    .bind(follow_up.after.as_secs_f64())
    .fetch_all(&mut *conn)
    .await?;
    let restored = lost.len() as u64;
    for (tenant_id, entity, last_run, due_in) in lost {
        let follow_up = FollowUp {
            after: Duration::from_secs_f64(due_in),
            ..follow_up
        };
        run::restore_schedule(conn, tenant_id, &entity, last_run, follow_up).await?;
        tracing::warn!(xero.tenant_id = %tenant_id, sync.entity = %entity, "lost schedule restored");
    }
    Ok(restored)
}

/// Pairs never run of active connections' tenants and the entities the deployment began to
/// sync after the tenant connected: their first (full) run, through `xero.start_run` as every
/// run starts. A bounded number per pass, taken entity by entity across the tenants, as
/// `app::request_sync` queues them: a pass that cannot start them all starts one entity for
/// many tenants rather than every entity for a few.
async fn first_runs(conn: &mut PgConnection, max_attempts: i32) -> Result<u64, sqlx::Error> {
    let new: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT t.tenant_id, e.name
           FROM xero.tenants t
           JOIN xero.connections c ON c.connection_id = t.connection_id AND c.status = 'active'
           JOIN xero.entities e ON e.enabled AND e.enabled_since > t.created_at
          WHERE t.status = 'active' AND NOT EXISTS (SELECT 1 FROM xero.sync_progress p
                             WHERE p.tenant_id = t.tenant_id AND p.entity = e.name)
          ORDER BY e.position, t.created_at, t.tenant_id
          LIMIT 100",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (tenant_id, entity) in &new {
        sqlx::query("SELECT xero.start_run($1, $2, false, $3)")
            .bind(tenant_id)
            .bind(entity)
            .bind(max_attempts)
            .execute(&mut *conn)
            .await?;
        tracing::info!(xero.tenant_id = %tenant_id, sync.entity = %entity, "first run started");
    }
    Ok(new.len() as u64)
}

/// Deletes finished jobs and runs past retention, and dead workers, a bounded number per pass.
async fn prune(
    conn: &mut PgConnection,
    settings: &Maintenance,
) -> Result<(u64, u64, u64), sqlx::Error> {
    let jobs = sqlx::query(
        "DELETE FROM apalis.jobs WHERE id IN (
             SELECT id FROM apalis.jobs
              WHERE job_type = $1 AND status = 'Done'
                AND done_at < now() - make_interval(secs => $2)
              LIMIT $3)",
    )
    .bind(QUEUE)
    .bind(settings.job_retention.as_secs_f64())
    .bind(PRUNE_LIMIT)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let runs = sqlx::query(
        "DELETE FROM xero.sync_log WHERE run_id IN (
             SELECT l.run_id FROM xero.sync_log l
              WHERE l.status <> 'running'
                AND l.finished_at < now() - make_interval(secs => $1)
                AND NOT EXISTS (SELECT 1 FROM xero.sync_progress p
                                 WHERE p.last_run = l.run_id OR p.current_run = l.run_id)
              LIMIT $2)",
    )
    .bind(settings.log_retention.as_secs_f64())
    .bind(PRUNE_LIMIT)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let workers = sqlx::query(
        "DELETE FROM apalis.workers w
          WHERE w.worker_type = $1 AND w.last_seen < now() - make_interval(secs => $2)
            AND NOT EXISTS (SELECT 1 FROM apalis.jobs j WHERE j.lock_by = w.id)",
    )
    .bind(QUEUE)
    .bind(WORKER_RETENTION.as_secs_f64())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok((jobs, runs, workers))
}
