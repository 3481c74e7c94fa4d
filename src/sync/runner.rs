//! Running a claimed job: a batch job, carried on from batch to batch by the worker that
//! committed the one before for up to `SYNC_CARRY_SECS`, or a scheduled run's start. Every job
//! ends in an explicit outcome written in the database.

use std::time::Duration;

use serde_json::Value;
use tracing::Instrument;

use super::batch::run_batch;
use super::engine::Engine;
use super::job::{BatchJob, Payload};
use super::outcome::give_up;
use super::prefetch::Prefetched;
use super::queue::{self, Lease};
use super::write::Done;

/// Runs one job to an explicit outcome written in the database (done, snoozed, retried or
/// failed); the returned text describes it. An `Err` means not even the outcome could be
/// written (the database is gone); the worker then backs off and apalis retries the job.
pub async fn run_job(engine: &Engine, lease: Lease<'_>, payload: Value) -> anyhow::Result<String> {
    match Payload::decode(payload) {
        Ok(Payload::Batch(job)) => carry(engine, lease, job).await,
        Ok(Payload::Scheduled(scheduled)) => {
            super::schedule::start_scheduled(engine, lease, scheduled).await
        }
        Ok(Payload::Hooks(hooks)) => super::hooks::follow(engine, lease, hooks).await,
        Ok(Payload::Verify(job)) => super::verifying::check(engine, lease, job).await,
        Ok(Payload::Reports(job)) => super::reporting::snapshot(engine, lease, job).await,
        Err(error) => give_up(engine, lease, None, &error).await,
    }
}

/// Runs a batch and then, for up to `SYNC_CARRY_SECS`, each next batch of its run, without
/// handing it through the queue: the transaction that commits a batch inserts the next one
/// already claimed by this worker (leased exactly as apalis's fetch would lease it), so the run
/// goes on at once instead of waiting for a poll, a notification and a fetch. When other jobs
/// are waiting, after the slice, or on shutdown, the next batch is queued like any job and
/// waits its turn behind the jobs already waiting, so one large run cannot keep a worker from
/// other organisations.
async fn carry(engine: &Engine, lease: Lease<'_>, job: BatchJob) -> anyhow::Result<String> {
    let until = std::time::Instant::now() + engine.settings.carry_for;
    let may_carry = || engine.may_carry() && std::time::Instant::now() < until;
    let mut done = timed(engine, lease, job, may_carry(), None).await?;
    while let Some((job_id, next)) = done.carried.take() {
        let lease = Lease {
            job_id: &job_id,
            worker: lease.worker,
        };
        let span = super::trace::job_span(&job_id, lease.worker);
        super::trace::adopt_batch(engine, &span, &next).await;
        let prefetched = done.prefetched.take();
        done = match timed(engine, lease, next, may_carry(), prefetched)
            .instrument(span)
            .await
        {
            Ok(done) => done,
            Err(e) => {
                // The error reaches apalis for the job it fetched, which is long done; the
                // carried job must go back to the queue by our hand.
                hand_back(engine, &job_id, lease.worker, &e).await;
                return Err(e);
            }
        };
    }
    Ok(done.outcome)
}

/// Hands a carried job back to the queue once the database answers again, trying for about
/// forty seconds; a database away for longer also stops apalis's side of the worker, and the
/// supervisor's restart releases every job the worker held.
async fn hand_back(engine: &Engine, job_id: &str, worker: &str, error: &anyhow::Error) {
    let why = format!("carried batch failed without an outcome: {error:#}; released");
    for attempt in 0..8u32 {
        match queue::release_one(&engine.pool, job_id, worker, &why).await {
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, job.id = job_id, "cannot hand the carried job back yet");
                tokio::time::sleep(Duration::from_millis(500u64 << attempt.min(4))).await;
            }
        }
    }
    tracing::error!(job.id = job_id, "could not hand the carried job back");
}

/// [`run_batch`], timed for the job duration metric.
async fn timed(
    engine: &Engine,
    lease: Lease<'_>,
    job: BatchJob,
    carry: bool,
    prefetched: Option<Prefetched>,
) -> anyhow::Result<Done> {
    let started = std::time::Instant::now();
    let done = run_batch(engine, lease, job, carry, prefetched).await;
    let label = if done.is_ok() { "done" } else { "error" };
    crate::metrics::get().job_done("batch", label, started.elapsed());
    done
}

/// Fails a job whose run panicked, and its run: a panic is a bug no retry fixes, and failing
/// the job keeps it from taking the next worker down too.
pub async fn fail_panicked(
    engine: &Engine,
    lease: Lease<'_>,
    payload: &Value,
    error: &str,
) -> anyhow::Result<String> {
    let run_id = match Payload::decode(payload.clone()) {
        Ok(Payload::Batch(job)) => Some(job.run_id),
        _ => None,
    };
    give_up(engine, lease, run_id, error).await
}
