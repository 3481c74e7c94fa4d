//! A batch's commit: what it adds to its run, how its next batch is queued (carried on by this
//! worker, or queued for any), the transaction, and — when the run is carried on — the next
//! batch's calls made while the transaction commits.

use std::time::Duration;

use tracing::Instrument;

use super::engine::Engine;
use super::fetch::Fetched;
use super::job::BatchJob;
use super::outcome::{Stop, give_up, retry_later, stop_delay};
use super::prefetch::{self, Prefetched, Ready};
use super::queue::{self, Lease};
use super::run::{Progress, Run};
use super::store::{Prepared, StoreError};
use super::write::{Done, Next, Writing, write_batch};
use crate::entity::Entity;
use crate::vault::AccessToken;
use crate::xero::dates::from_ms;

/// A batch about to commit: its entity, job and run, and the token for the next one's calls.
pub(super) struct Batch<'a> {
    pub entity: &'a Entity,
    pub job: &'a BatchJob,
    pub run: &'a Run,
    pub token: AccessToken,
}

/// Commits the pages of a batch, the run's progress, the next step and the job's completion;
/// when this worker carries the run on, the next batch's calls are made meanwhile.
pub(super) async fn commit(
    engine: &Engine,
    lease: Lease<'_>,
    batch: Batch<'_>,
    (fetched, prepared): Ready,
    carry: bool,
) -> anyhow::Result<Done> {
    let run_id = batch.run.run_id;
    let writing = plan(engine, batch.run, &fetched, carry).await?;
    let ready = (&fetched, prepared);
    let (written, prefetched) = write_and_prefetch(engine, lease, batch, ready, writing).await;
    match written {
        Ok(Some(mut done)) => {
            if done.carried.is_some() {
                done.prefetched = prefetched;
            }
            Ok(done)
        }
        Ok(None) => {
            tracing::warn!("lost the job's lease before committing; the batch was rolled back");
            Ok(String::from("lease lost; rolled back").into())
        }
        // The same records would fail the same way: the run ends, saying which and why.
        Err(e @ StoreError::Undecodable { .. }) => {
            give_up(engine, lease, Some(run_id), &e.to_string())
                .await
                .map(Done::from)
        }
        Err(StoreError::Db(e)) => {
            // The batch rolled back whole; spend an attempt and try it again later.
            let error = format!("database error committing the batch: {e}");
            tracing::error!(error = %error, "batch rolled back");
            retry_later(engine, lease, run_id, fetched.calls, &error)
                .await
                .map(Done::from)
        }
    }
}

/// What the batch will write besides its pages, and how its run goes on.
async fn plan(
    engine: &Engine,
    run: &Run,
    fetched: &Fetched,
    carry: bool,
) -> anyhow::Result<Writing> {
    let mut progress = progress(fetched);
    // A sweep of summaries moves no watermark: a record it finds changed is fetched whole by the
    // next incremental run, which starts from the watermark.
    if run.summary {
        progress.high_water = None;
    }
    // Whatever stopped the batch early decides when the next one may run.
    let next_delay = match fetched.stop.as_ref() {
        Some(Stop::Xero(e)) => Some(stop_delay(engine, run.tenant_id, e).await?),
        Some(Stop::Budget { wait, .. }) => Some(*wait),
        Some(_) => Some(Duration::from_secs(1)),
        None => None,
    };
    // A batch stopped early (Xero said "later") hands its run back to the queue.
    let priority = queue::priority(&run.mode);
    // Carried on only while no other job waits: when the queue is busy, the next batch takes
    // its turn behind the jobs waiting already (other organisations' among them).
    let carry = carry && next_delay.is_none() && !queue::others_waiting(&engine.pool).await?;
    let next = match next_delay {
        None if carry => Next::Carried(priority),
        delay => Next::Queued(delay, priority),
    };
    Ok(Writing {
        progress,
        summary: run.summary,
        next,
    })
}

/// The batch's transaction and, when the run is carried on, the next batch's calls at the same
/// time.
async fn write_and_prefetch(
    engine: &Engine,
    lease: Lease<'_>,
    batch: Batch<'_>,
    (fetched, prepared): (&Fetched, Option<Result<Prepared, StoreError>>),
    writing: Writing,
) -> (Result<Option<Done>, StoreError>, Option<Prefetched>) {
    let Batch {
        entity,
        job,
        run,
        token,
    } = batch;
    let progress = writing.progress;
    let commit = tracing::info_span!(
        "sync.commit",
        otel.name = format!("commit {}", entity.name),
        db.system.name = "postgresql",
        sync.entity = entity.name,
        rows.upserted = progress.records,
        sync.pages = progress.pages,
    );
    let started = std::time::Instant::now();
    let ahead = matches!(writing.next, Next::Carried(_)) && !fetched.done;
    // The commit is logged and counted the moment it lands, inside the future that writes it:
    // a worker cut off by the shutdown timeout while the next batch's calls are still out must
    // not leave a committed batch unlogged.
    let write = async {
        let written = write_batch(engine, lease, entity, job, fetched, writing, prepared)
            .instrument(commit)
            .await;
        if let Ok(Some(_)) = &written {
            record_commit(
                entity,
                &run.mode,
                &progress,
                fetched.done,
                started.elapsed(),
            );
        }
        written
    };
    if !ahead {
        return (write.await, None);
    }
    let next = prefetch::ahead(
        engine,
        entity,
        run,
        job.seq + 1,
        fetched.cursor.clone(),
        token,
    );
    let (written, prefetched) = tokio::join!(write, next);
    (written, Some(prefetched))
}

/// Logs and counts a batch whose transaction committed.
fn record_commit(entity: &Entity, mode: &str, progress: &Progress, done: bool, took: Duration) {
    let m = crate::metrics::get();
    let entity_label = [opentelemetry::KeyValue::new("entity", entity.name)];
    m.commit_duration.record(took.as_secs_f64(), &entity_label);
    m.rows_upserted
        .add(progress.records.max(0) as u64, &entity_label);
    if done {
        let labels = [
            opentelemetry::KeyValue::new("entity", entity.name),
            opentelemetry::KeyValue::new("mode", mode.to_owned()),
        ];
        m.runs_completed.add(1, &labels);
    }
    tracing::Span::current().record("rows.upserted", progress.records);
    tracing::info!(
        rows.upserted = progress.records,
        sync.pages = progress.pages,
        sync.done = done,
        "batch committed"
    );
}

/// What the batch adds to its run. The high-water mark of each page is capped at Xero's clock
/// when it answered, so a record dated in the future cannot carry the watermark past changes
/// still to come.
fn progress(fetched: &Fetched) -> Progress {
    Progress {
        pages: fetched.pages.len() as i32,
        api_calls: fetched.calls,
        records: fetched.pages.iter().map(|p| p.records as i64).sum(),
        high_water: fetched
            .pages
            .iter()
            .filter_map(|p| match (p.max_updated_ms, p.server_ms) {
                (Some(max), Some(server)) => Some(max.min(server)),
                (max, _) => max,
            })
            .max()
            .and_then(from_ms),
    }
}
