//! One batch job: checked against its run (a duplicate or late job completes doing nothing),
//! its pages fetched with a fresh access token — or taken from those fetched while the batch
//! before committed — then handed to the commit.

use super::commit::{Batch, commit};
use super::engine::Engine;
use super::fetch::{Fetched, fetch};
use super::job::BatchJob;
use super::outcome::{Stop, give_up, token_failure, without_pages};
use super::prefetch::Prefetched;
use super::queue::{self, Lease};
use super::run::{self, Run};
use super::tenant::{self, TenantState};
use super::write::Done;
use crate::xero::XeroError;

/// Runs one batch of a run: checks the job against its run, fetches its pages (or takes those
/// fetched during the commit before) and commits them.
pub(super) async fn run_batch(
    engine: &Engine,
    lease: Lease<'_>,
    job: BatchJob,
    carry: bool,
    prefetched: Option<Prefetched>,
) -> anyhow::Result<Done> {
    record_job(&job);
    let Some(entity) = engine.entity(&job.entity) else {
        let error = engine.unknown_entity(&job.entity);
        return give_up(engine, lease, Some(job.run_id), &error)
            .await
            .map(Done::from);
    };
    let run = match checked_run(engine, &job).await? {
        Ok(run) => run,
        Err(refusal) => return refuse(engine, lease, refusal).await,
    };
    match tenant::state(engine, job.tenant_id).await? {
        TenantState::Active => {}
        TenantState::Paused => return tenant::hold(engine, lease).await.map(Done::from),
        TenantState::Disconnected(reason) => {
            return disconnected(engine, lease, &run, &reason).await;
        }
    }
    let token = match engine.vault.access_token(job.tenant_id, None).await {
        Ok(token) => token,
        Err(e) => return token_failure(engine, lease, &run, e).await.map(Done::from),
    };
    let overlap = chrono::TimeDelta::from_std(engine.settings.overlap).unwrap_or_default();
    let cursor = match run.cursor(entity.paging, overlap) {
        Ok(cursor) => cursor,
        Err(error) => {
            return give_up(engine, lease, Some(run.run_id), &error)
                .await
                .map(Done::from);
        }
    };
    let (fetched, prepared) = match prefetched.and_then(|p| p.take_for(&run, &cursor)) {
        Some(ready) => ready,
        None => (
            fetch(engine, entity, &run, cursor, token.clone()).await,
            None,
        ),
    };
    if fetched.pages.is_empty() {
        return no_pages(engine, lease, &run, fetched).await;
    }
    let batch = Batch {
        entity,
        job: &job,
        run: &run,
        token,
    };
    commit(engine, lease, batch, (fetched, prepared), carry).await
}

/// Ends a batch whose calls brought no page, by what stopped them.
async fn no_pages(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    mut fetched: Fetched,
) -> anyhow::Result<Done> {
    let stop = fetched
        .stop
        .take()
        .unwrap_or(Stop::Xero(XeroError::Malformed("no page".into())));
    without_pages(engine, lease, run, fetched.calls, stop)
        .await
        .map(Done::from)
}

/// The job's identity on its span.
fn record_job(job: &BatchJob) {
    let span = tracing::Span::current();
    span.record("xero.tenant_id", tracing::field::display(job.tenant_id));
    span.record("sync.entity", job.entity.as_str());
    span.record("sync.run_id", tracing::field::display(job.run_id));
    span.record("sync.seq", job.seq);
}

/// Why a batch job does not match its run.
enum Refusal {
    /// The run moved past this job (a duplicate or late one).
    Stale(String),
    /// The job names something that is not there.
    Invalid(String),
}

async fn checked_run(engine: &Engine, job: &BatchJob) -> Result<Result<Run, Refusal>, sqlx::Error> {
    let Some(run) = run::load(&engine.pool, job.run_id).await? else {
        return Ok(Err(Refusal::Invalid(format!("no run {}", job.run_id))));
    };
    if run.tenant_id != job.tenant_id || run.entity != job.entity {
        return Ok(Err(Refusal::Invalid(format!(
            "job names tenant {} / {} but run {} is {} / {}",
            job.tenant_id, job.entity, run.run_id, run.tenant_id, run.entity
        ))));
    }
    if run.status != "running" || run.batches != job.seq {
        let note = format!("stale: run is {} at batch {}", run.status, run.batches);
        return Ok(Err(Refusal::Stale(note)));
    }
    Ok(Ok(run))
}

/// Ends the run of a disconnected tenant (no next run) and completes its job.
async fn disconnected(
    engine: &Engine,
    lease: Lease<'_>,
    run: &Run,
    reason: &str,
) -> anyhow::Result<Done> {
    let mut tx = engine.pool.begin().await?;
    let error = format!("tenant disconnected: {reason}");
    run::fail(&mut tx, run.run_id, &error, None).await?;
    queue::complete(&mut tx, lease, &error).await?;
    tx.commit().await?;
    Ok(error.into())
}

/// Ends a job its run refused: a stale one completes, an invalid one is failed.
async fn refuse(engine: &Engine, lease: Lease<'_>, refusal: Refusal) -> anyhow::Result<Done> {
    match refusal {
        Refusal::Stale(note) => {
            // A duplicate or late job: the run moved on without it. Nothing to do.
            let mut conn = engine.pool.acquire().await?;
            queue::complete(&mut conn, lease, &note).await?;
            Ok(note.into())
        }
        Refusal::Invalid(error) => give_up(engine, lease, None, &error).await.map(Done::from),
    }
}
