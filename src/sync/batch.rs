//! The batch job: up to `SYNC_BATCH_SIZE` Xero calls of one run, then one transaction that
//! upserts every page, advances the run's cursor, enqueues the next batch (or finishes the run)
//! and completes the job itself, fenced by the job's lease. Killed before the commit, nothing of
//! the batch is visible and the job runs again; after it, the job is done and never repeats.

use std::time::Duration;

use serde_json::Value;
use tracing::Instrument;

use super::engine::Engine;
use super::fetch::{Fetched, fetch};
use super::job::{BatchJob, Payload};
use super::outcome::without_pages;
use super::outcome::{Stop, give_up, retry_later, stop_delay, token_failure};
use super::prefetch::Prefetched;
use super::queue::{self, Enqueue, Lease};
use super::run::{self, Progress, Run};
use crate::entity::Entity;
use crate::vault::AccessToken;
use crate::xero::dates::from_ms;
use crate::xero::{Page, XeroError};

/// Runs one job to an explicit outcome written in the database (done, snoozed, retried or
/// failed); the returned text describes it. An `Err` means not even the outcome could be
/// written (the database is gone); the worker then backs off and apalis retries the job.
pub async fn run_job(engine: &Engine, lease: Lease<'_>, payload: Value) -> anyhow::Result<String> {
    match Payload::decode(payload) {
        Ok(Payload::Batch(job)) => carry(engine, lease, job).await,
        Ok(Payload::Scheduled(scheduled)) => {
            super::schedule::start_scheduled(engine, lease, scheduled).await
        }
        Err(error) => give_up(engine, lease, None, &error).await,
    }
}

/// What a batch did, and the next batch of its run when this worker carries it on, with the
/// pages fetched for it while this batch committed.
struct Done {
    outcome: String,
    carried: Option<(String, BatchJob)>,
    prefetched: Option<Prefetched>,
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

async fn run_batch(
    engine: &Engine,
    lease: Lease<'_>,
    job: BatchJob,
    carry: bool,
    prefetched: Option<Prefetched>,
) -> anyhow::Result<Done> {
    let span = tracing::Span::current();
    span.record("xero.tenant_id", tracing::field::display(job.tenant_id));
    span.record("sync.entity", job.entity.as_str());
    span.record("sync.run_id", tracing::field::display(job.run_id));
    span.record("sync.seq", job.seq);
    let Some(entity) = engine.entity(&job.entity) else {
        let error = engine.unknown_entity(&job.entity);
        return give_up(engine, lease, Some(job.run_id), &error)
            .await
            .map(Done::from);
    };
    let run = match checked_run(engine, &job).await? {
        Ok(run) => run,
        Err(Refusal::Stale(note)) => {
            // A duplicate or late job: the run moved on without it. Nothing to do.
            let mut conn = engine.pool.acquire().await?;
            queue::complete(&mut conn, lease, &note).await?;
            return Ok(note.into());
        }
        Err(Refusal::Invalid(error)) => {
            return give_up(engine, lease, None, &error).await.map(Done::from);
        }
    };
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
    let ahead = prefetched.and_then(|p| p.take_for(&run, &cursor));
    let mut fetched = match ahead {
        Some(fetched) => fetched,
        None => fetch(engine, entity, &run, cursor, token.clone()).await,
    };
    if fetched.pages.is_empty() {
        let stop = fetched
            .stop
            .take()
            .unwrap_or(Stop::Xero(XeroError::Malformed("no page".into())));
        return without_pages(engine, lease, &run, fetched.calls, stop)
            .await
            .map(Done::from);
    }
    let batch = Batch {
        entity,
        job: &job,
        run: &run,
        token,
    };
    commit(engine, lease, batch, fetched, carry).await
}

/// A batch about to commit: its entity, job and run, and the token for the next one's calls.
struct Batch<'a> {
    entity: &'a Entity,
    job: &'a BatchJob,
    run: &'a Run,
    token: AccessToken,
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

/// Commits the pages of a batch, the run's progress, the next step and the job's completion;
/// when this worker carries the run on, the next batch's calls are made meanwhile.
async fn commit(
    engine: &Engine,
    lease: Lease<'_>,
    batch: Batch<'_>,
    fetched: Fetched,
    carry: bool,
) -> anyhow::Result<Done> {
    let Batch {
        entity,
        job,
        run,
        token,
    } = batch;
    let mut progress = progress(&fetched);
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
    let commit = tracing::info_span!(
        "sync.commit",
        otel.name = format!("commit {}", entity.name),
        db.system.name = "postgresql",
        sync.entity = entity.name,
        rows.upserted = progress.records,
        sync.pages = progress.pages,
    );
    let started = std::time::Instant::now();
    let writing = Writing {
        progress,
        summary: run.summary,
        next,
    };
    let ahead = matches!(writing.next, Next::Carried(_)) && !fetched.done;
    // The commit is logged and counted the moment it lands, inside the future that writes it:
    // a worker cut off by the shutdown timeout while the next batch's calls are still out must
    // not leave a committed batch unlogged.
    let write = async {
        let written = write_batch(engine, lease, entity, job, &fetched, writing)
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
    let (written, prefetched) = if ahead {
        let cursor = fetched.cursor.clone();
        let next = fetch(engine, entity, run, cursor.clone(), token);
        let (written, next) = tokio::join!(write, next);
        let prefetched = Prefetched {
            run_id: run.run_id,
            seq: job.seq + 1,
            cursor,
            fetched: next,
        };
        (written, Some(prefetched))
    } else {
        (write.await, None)
    };
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
        Err(e) => {
            // The batch rolled back whole; spend an attempt and try it again later.
            let error = format!("database error committing the batch: {e}");
            tracing::error!(error = %error, "batch rolled back");
            retry_later(engine, lease, job.run_id, fetched.calls, &error)
                .await
                .map(Done::from)
        }
    }
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

/// How the next batch of a run that goes on is queued, at its run's claim priority.
enum Next {
    /// Claimed by this worker, which runs it at once.
    Carried(i32),
    /// Queued for any worker, due after the delay (none: now).
    Queued(Option<Duration>, i32),
}

/// What a batch writes besides its pages: the run's progress, whether its records are
/// summaries, and how the next batch is queued.
struct Writing {
    progress: Progress,
    summary: bool,
    next: Next,
}

async fn write_batch(
    engine: &Engine,
    lease: Lease<'_>,
    entity: &Entity,
    job: &BatchJob,
    fetched: &Fetched,
    writing: Writing,
) -> Result<Option<Done>, sqlx::Error> {
    let Writing {
        progress,
        summary,
        next,
    } = writing;
    // One statement per table for the whole batch, not per page: a tenth of the round trips,
    // each carrying a large parameter (which, without TCP_NODELAY on the driver's socket,
    // waits on a delayed ACK per statement).
    let mut body = Page::combined(&fetched.pages, entity.collection);
    Page::mark_run(&mut body, job.run_id);
    if summary {
        Page::mark_summary(&mut body);
    }
    // The run has read the whole set: say so, so that the entity's statements may mirror
    // removals (what is stored and was not met in this run is gone in Xero).
    if fetched.done && fetched.cursor.whole_set() {
        Page::mark_complete(&mut body);
    }
    let mut tx = engine.pool.begin().await?;
    for statement in entity.upsert {
        let table = target_table(statement);
        let span = tracing::info_span!(
            "db.upsert",
            otel.name = format!("upsert {table}"),
            db.system.name = "postgresql",
            db.operation.name = "INSERT",
            db.collection.name = table.as_str(),
            db.response.returned_rows = tracing::field::Empty,
        );
        let done = sqlx::query(*statement)
            .bind(job.tenant_id)
            .bind(&body)
            .execute(&mut *tx)
            .instrument(span.clone())
            .await?;
        span.record("db.response.returned_rows", done.rows_affected());
    }
    if !run::advance(&mut tx, job.run_id, job.seq, &fetched.cursor, progress).await? {
        return Ok(None);
    }
    // Xero answered: an organisation that was offline is back.
    sqlx::query(
        "UPDATE xero.tenants SET offline_strikes = 0 WHERE tenant_id = $1 AND offline_strikes > 0",
    )
    .bind(job.tenant_id)
    .execute(&mut *tx)
    .await?;
    let mut carried = None;
    let outcome = if fetched.done {
        run::finish(&mut tx, job, &fetched.cursor, engine.follow_up()).await?;
        format!("run completed with batch {}", job.seq)
    } else {
        let successor = job.next();
        let key = successor.idempotency_key();
        let max_attempts = engine.settings.max_attempts;
        match next {
            Next::Carried(priority) => {
                let how = Enqueue {
                    delay: None,
                    max_attempts,
                    priority,
                };
                let id =
                    queue::enqueue_claimed(&mut tx, &successor, &key, how, lease.worker).await?;
                carried = id.map(|id| (id, successor.clone()));
            }
            Next::Queued(delay, priority) => {
                let how = Enqueue {
                    delay,
                    max_attempts,
                    priority,
                };
                queue::enqueue(&mut tx, &successor, &key, how).await?;
            }
        }
        let how = if carried.is_some() {
            "carried on"
        } else {
            "queued"
        };
        format!("batch {} committed; batch {} {how}", job.seq, successor.seq)
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

/// The table an entity's statement writes (`xero.invoices`), for its span: the first
/// `INSERT INTO` or `UPDATE` target, else the kind a `SELECT xero.upsert_documents('…'`
/// call stores.
fn target_table(statement: &str) -> String {
    let named = ["INSERT INTO ", "UPDATE "].iter().find_map(|verb| {
        let (_, rest) = statement.split_once(verb)?;
        let table = rest.split_whitespace().next()?.trim_end_matches('(');
        table.starts_with("xero.").then(|| table.to_owned())
    });
    named
        .or_else(|| {
            let (_, rest) = statement.split_once("upsert_documents('")?;
            Some(format!("xero.{}", rest.split('\'').next()?))
        })
        .unwrap_or_else(|| "?".to_owned())
}
