//! The transaction of a batch: every page upserted (one statement per table for the whole
//! batch), the run advanced, the next batch enqueued or the run finished, and the job completed,
//! fenced by its lease. Nothing of it is visible unless all of it is.

use std::time::Duration;

use sqlx::PgConnection;

use super::engine::{Engine, FollowUp};
use super::fetch::Fetched;
use super::job::BatchJob;
use super::prefetch::Prefetched;
use super::queue::{self, Enqueue, Lease};
use super::run::{self, Progress};
use super::store::{self, Prepared, StoreError, target_table};
use crate::entity::Entity;

/// What a batch did, and the next batch of its run when this worker carries it on, with the
/// pages fetched for it while this batch committed.
pub(super) struct Done {
    /// What the job did, as its apalis result.
    pub outcome: String,
    /// The run's next batch (its job id and payload), when this worker carries it on.
    pub carried: Option<(String, BatchJob)>,
    /// The pages fetched for that batch while this one committed.
    pub prefetched: Option<Prefetched>,
}

impl From<String> for Done {
    fn from(outcome: String) -> Done {
        Done {
            outcome,
            carried: None,
            prefetched: None,
        }
    }
}

/// How the next batch of a run that goes on is queued, at its run's claim priority.
pub(super) enum Next {
    /// Claimed by this worker, which runs it at once.
    Carried(i32),
    /// Queued for any worker, due after the delay (none: now).
    Queued(Option<Duration>, i32),
}

/// What a batch writes besides its pages: the run's progress, whether its records are
/// summaries, and how the next batch is queued.
pub(super) struct Writing {
    /// What the batch adds to its run.
    pub progress: Progress,
    /// The records are summaries (the sweep of invoices).
    pub summary: bool,
    /// How the next batch is queued.
    pub next: Next,
}

/// Writes the batch in one transaction; `None` when the job's lease was lost (rolled back).
/// `prepared`: its records made ready beforehand (while the batch before committed), else
/// they are made ready now.
pub(super) async fn write_batch(
    engine: &Engine,
    lease: Lease<'_>,
    entity: &Entity,
    job: &BatchJob,
    fetched: &Fetched,
    writing: Writing,
    prepared: Option<Result<Prepared, StoreError>>,
) -> Result<Option<Done>, StoreError> {
    let prepared = match prepared {
        Some(prepared) => prepared?,
        None => store::prepare_pages(entity, job.run_id, job.tenant_id, fetched, writing.summary)?,
    };
    let mut tx = engine.pool.begin().await?;
    store::execute(&mut tx, prepared).await?;
    if !run::advance(
        &mut tx,
        job.run_id,
        job.seq,
        &fetched.cursor,
        writing.progress,
    )
    .await?
    {
        return Ok(None);
    }
    // Xero answered: an organisation that was offline or unreachable is back.
    sqlx::query(
        "UPDATE xero.tenants SET offline_strikes = 0, unreachable_since = NULL,
                unreachable_error = NULL
          WHERE tenant_id = $1 AND (offline_strikes > 0 OR unreachable_since IS NOT NULL)",
    )
    .bind(job.tenant_id)
    .execute(&mut *tx)
    .await?;
    let (outcome, carried) = if fetched.done {
        finish(&mut tx, engine, entity, job, fetched).await?;
        (format!("run completed with batch {}", job.seq), None)
    } else {
        enqueue_next(&mut tx, engine, lease, job, writing.next).await?
    };
    if !queue::complete(&mut tx, lease, &outcome).await? {
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(Done {
        outcome,
        carried,
        prefetched: None,
    }))
}

/// Completes the run and schedules the pair's next one after the interval it has learnt.
async fn finish(
    tx: &mut PgConnection,
    engine: &Engine,
    entity: &Entity,
    job: &BatchJob,
    fetched: &Fetched,
) -> Result<(), sqlx::Error> {
    let table = entity
        .store
        .statements()
        .first()
        .map_or_else(String::new, |s| target_table(s));
    let changed = run::finish(tx, job, &fetched.cursor, &table).await?;
    if let Some(follow_up) = engine.follow_up() {
        let after = super::cadence::next_interval(
            tx,
            engine,
            entity,
            job.tenant_id,
            changed,
            follow_up.after,
        )
        .await?;
        let follow_up = FollowUp { after, ..follow_up };
        run::schedule_next(tx, job.tenant_id, &job.entity, job.run_id, follow_up).await?;
    }
    Ok(())
}

/// Enqueues the run's next batch — claimed by this worker when it carries the run on — and
/// says so; the carried job's id and payload come back with the outcome.
async fn enqueue_next(
    tx: &mut PgConnection,
    engine: &Engine,
    lease: Lease<'_>,
    job: &BatchJob,
    next: Next,
) -> Result<(String, Option<(String, BatchJob)>), sqlx::Error> {
    let successor = job.next();
    let key = successor.idempotency_key();
    let max_attempts = engine.settings.max_attempts;
    let carried = match next {
        Next::Carried(priority) => {
            let how = Enqueue {
                delay: None,
                max_attempts,
                priority,
            };
            let id = queue::enqueue_claimed(tx, &successor, &key, how, lease.worker).await?;
            id.map(|id| (id, successor.clone()))
        }
        Next::Queued(delay, priority) => {
            let how = Enqueue {
                delay,
                max_attempts,
                priority,
            };
            queue::enqueue(tx, &successor, &key, how).await?;
            None
        }
    };
    let how = if carried.is_some() {
        "carried on"
    } else {
        "queued"
    };
    let outcome = format!("batch {} committed; batch {} {how}", job.seq, successor.seq);
    Ok((outcome, carried))
}
