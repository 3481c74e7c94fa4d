//! The batch job: up to `SYNC_BATCH_SIZE` Xero calls of one run, then one transaction that
//! upserts every page, advances the run's cursor, enqueues the next batch (or finishes the run)
//! and completes the job itself, fenced by the job's lease. Killed before the commit, nothing of
//! the batch is visible and the job runs again; after it, the job is done and never repeats.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use super::cursor::{Cursor, Step};
use super::outcome::{
    Stop, block_tenant, blocked_until, delay, give_up, retry_later, snooze, stop_delay,
    token_failure, without_pages,
};
use super::queue::{self, Lease};
use super::run::{self, FollowUp, Progress, Run, ScheduledRun, StartError, start_run_in};
use crate::entity::{Entity, Paging};
use crate::vault::{AccessToken, Vault};
use crate::xero::client::Get;
use crate::xero::dates::from_ms;
use crate::xero::{Page, XeroClient, XeroError};

/// The payload of a batch job. Its field names are a wire format: never renamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchJob {
    /// The run this batch belongs to.
    pub run_id: Uuid,
    /// The organisation.
    pub tenant_id: Uuid,
    /// The entity's wire name.
    pub entity: String,
    /// The batch's number within the run, from 0.
    pub seq: i32,
}

impl BatchJob {
    /// One job per (run, batch): a duplicate enqueue is a no-op.
    pub fn idempotency_key(&self) -> String {
        format!("{}:{}", self.run_id, self.seq)
    }
}

/// How batches behave.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Xero calls per job.
    pub batch_size: u32,
    /// Attempts a job gets for transient failures.
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_cap: Duration,
    /// After a run completes, its pair's next run is scheduled this much later (`None`: never).
    pub interval: Option<Duration>,
    /// Scheduled runs ignore the watermark (`FORCE_FULL_SYNC`).
    pub force_full: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            batch_size: crate::config::DEFAULT_BATCH_SIZE,
            max_attempts: 8,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            interval: Some(crate::config::DEFAULT_INTERVAL),
            force_full: false,
        }
    }
}

/// Everything a batch needs. Shared by all jobs of a worker.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The database.
    pub pool: PgPool,
    /// The Accounting API.
    pub xero: XeroClient,
    /// Access tokens.
    pub vault: Vault,
    /// The entities this deployment syncs.
    pub entities: &'static [Entity],
    /// Batch settings.
    pub settings: Settings,
}

impl Engine {
    /// The entity with this wire name.
    pub fn entity(&self, name: &str) -> Option<&'static Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// The next run a finished (completed or failed) run schedules, if scheduling is on.
    pub fn follow_up(&self) -> Option<FollowUp> {
        self.settings.interval.map(|interval| FollowUp {
            at: Utc::now() + TimeDelta::from_std(interval).unwrap_or(TimeDelta::MAX),
            max_attempts: self.settings.max_attempts,
        })
    }

    pub(super) fn entity_names(&self) -> String {
        self.entities
            .iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs one batch job to an explicit outcome written in the database (done, snoozed, retried or
/// failed); the returned text describes it. An `Err` means not even the outcome could be
/// written (the database is gone); apalis then retries the job.
pub async fn run_job(engine: &Engine, lease: Lease<'_>, payload: Value) -> anyhow::Result<String> {
    // Two kinds share the queue; a scheduled run names the run it follows.
    if payload.get("after_run").is_some() {
        return match serde_json::from_value::<ScheduledRun>(payload) {
            Ok(scheduled) => start_scheduled(engine, lease, scheduled).await,
            Err(e) => {
                give_up(
                    engine,
                    lease,
                    None,
                    &format!("undecodable scheduled run: {e}"),
                )
                .await
            }
        };
    }
    let job: BatchJob = match serde_json::from_value(payload) {
        Ok(job) => job,
        Err(e) => {
            return give_up(
                engine,
                lease,
                None,
                &format!("undecodable job payload: {e}"),
            )
            .await;
        }
    };
    run_batch(engine, lease, job).await
}

/// Starts a scheduled run and completes the schedule's job in one transaction.
async fn start_scheduled(
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
    if engine.entity(&scheduled.entity).is_none() {
        let error = format!(
            "unknown entity `{}`; known: {}",
            scheduled.entity,
            engine.entity_names()
        );
        return give_up(engine, lease, None, &error).await;
    }
    let mut tx = engine.pool.begin().await?;
    let settings = engine.settings;
    let started = match start_run_in(
        &mut tx,
        &scheduled.entity,
        scheduled.tenant_id,
        settings.force_full,
        settings.max_attempts,
    )
    .await
    {
        Ok(started) => started,
        Err(StartError::UnknownTenant(t)) => {
            drop(tx);
            let error = format!("tenant {t} is no longer connected");
            return give_up(engine, lease, None, &error).await;
        }
        Err(StartError::Db(e)) => return Err(e.into()),
    };
    let outcome = format!("scheduled run {} ({:?})", started.run_id, started.mode);
    if !queue::complete(&mut tx, lease, &outcome).await? {
        return Ok("lease lost".into());
    }
    tx.commit().await?;
    tracing::info!(sync.run_id = %started.run_id, "scheduled run started");
    Ok(outcome)
}

async fn run_batch(engine: &Engine, lease: Lease<'_>, job: BatchJob) -> anyhow::Result<String> {
    let span = tracing::Span::current();
    span.record("xero.tenant_id", tracing::field::display(job.tenant_id));
    span.record("sync.entity", job.entity.as_str());
    span.record("sync.run_id", tracing::field::display(job.run_id));
    span.record("sync.seq", job.seq);
    let Some(entity) = engine.entity(&job.entity) else {
        let error = format!(
            "unknown entity `{}`; known: {}",
            job.entity,
            engine.entity_names()
        );
        return give_up(engine, lease, Some(job.run_id), &error).await;
    };
    let Some(run) = run::load(&engine.pool, job.run_id).await? else {
        return give_up(engine, lease, None, &format!("no run {}", job.run_id)).await;
    };
    if run.tenant_id != job.tenant_id || run.entity != job.entity {
        let error = format!(
            "job names tenant {} / {} but run {} is {} / {}",
            job.tenant_id, job.entity, run.run_id, run.tenant_id, run.entity
        );
        return give_up(engine, lease, None, &error).await;
    }
    if run.status != "running" || run.batches != job.seq {
        // A duplicate or late job: the run moved on without it. Nothing to do.
        let note = format!("stale: run is {} at batch {}", run.status, run.batches);
        let mut conn = engine.pool.acquire().await?;
        queue::complete(&mut conn, lease, &note).await?;
        return Ok(note);
    }
    if let Some(until) = blocked_until(&engine.pool, job.tenant_id).await? {
        return snooze(engine, lease, &run, 0, until, "tenant rate-limited by Xero").await;
    }
    let token = match engine.vault.access_token(job.tenant_id, None).await {
        Ok(token) => token,
        Err(e) => return token_failure(engine, lease, &run, e).await,
    };
    let cursor = match run.cursor(entity.paging) {
        Ok(cursor) => cursor,
        Err(error) => return give_up(engine, lease, Some(run.run_id), &error).await,
    };
    let fetched = fetch(engine, entity, &run, cursor, token).await;
    if fetched.pages.is_empty() {
        let error = fetched
            .stop
            .unwrap_or(Stop::Xero(XeroError::Malformed("no page".into())));
        return without_pages(engine, lease, &run, fetched.calls, error).await;
    }
    commit(engine, lease, entity, &job, fetched).await
}

struct Fetched {
    pages: Vec<Page>,
    cursor: Cursor,
    done: bool,
    calls: i32,
    stop: Option<Stop>,
}

async fn fetch(
    engine: &Engine,
    entity: &Entity,
    run: &Run,
    cursor: Cursor,
    mut token: AccessToken,
) -> Fetched {
    let number_field = match entity.paging {
        Paging::Offset { field } => Some(field),
        _ => None,
    };
    let mut fetched = Fetched {
        pages: Vec::new(),
        cursor,
        done: false,
        calls: 0,
        stop: None,
    };
    let mut refreshed = false;
    while fetched.pages.len() < engine.settings.batch_size as usize {
        let ask = fetched.cursor.ask();
        let mut query = ask.query;
        query.extend(entity.query.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let get = Get {
            tenant_id: run.tenant_id,
            endpoint: entity.endpoint,
            query,
            modified_since: ask.modified_since,
        };
        fetched.calls += 1;
        let answer = engine.xero.get(token.token.expose(), &get).await;
        let page = answer.and_then(|a| Page::parse(a.body, entity.collection, number_field));
        match page {
            Ok(page) => {
                let step = fetched.cursor.advance(&page);
                fetched.pages.push(page);
                match step {
                    Step::Next(next) => fetched.cursor = next,
                    Step::Done => {
                        fetched.done = true;
                        break;
                    }
                }
            }
            // A token Xero refuses before its time (revoked, rotated elsewhere): one refresh.
            Err(XeroError::Unauthorized { .. }) if !refreshed => {
                refreshed = true;
                match engine
                    .vault
                    .access_token(run.tenant_id, Some(&token.token))
                    .await
                {
                    Ok(fresh) => token = fresh,
                    Err(e) => {
                        fetched.stop = Some(Stop::Token(e));
                        break;
                    }
                }
            }
            Err(e) => {
                if let XeroError::RateLimited {
                    retry_after,
                    problem,
                } = &e
                {
                    // Every replica sees the block and leaves this tenant alone meanwhile.
                    let until = Utc::now() + delay(*retry_after);
                    if let Err(db) = block_tenant(&engine.pool, run.tenant_id, until).await {
                        tracing::warn!(error = %db, "could not record the rate-limit block");
                    }
                    tracing::info!(xero.rate_limit_problem = %problem, "Xero rate limit reached");
                }
                fetched.stop = Some(Stop::Xero(e));
                break;
            }
        }
    }
    fetched
}

/// Commits the pages of a batch, the run's progress, the next step and the job's completion.
async fn commit(
    engine: &Engine,
    lease: Lease<'_>,
    entity: &Entity,
    job: &BatchJob,
    fetched: Fetched,
) -> anyhow::Result<String> {
    let progress = Progress {
        pages: fetched.pages.len() as i32,
        api_calls: fetched.calls,
        records: fetched.pages.iter().map(|p| p.records as i64).sum(),
        high_water: fetched
            .pages
            .iter()
            .filter_map(|p| p.max_updated_ms)
            .max()
            .and_then(from_ms),
    };
    // Whatever stopped the batch early decides when the next one may run.
    let next_at = fetched
        .stop
        .as_ref()
        .map(|stop| Utc::now() + stop_delay(stop));
    match write_batch(engine, lease, entity, job, &fetched, progress, next_at).await {
        Ok(Some(outcome)) => {
            tracing::info!(
                rows.upserted = progress.records,
                sync.pages = progress.pages,
                sync.done = fetched.done,
                "batch committed"
            );
            Ok(outcome)
        }
        Ok(None) => {
            tracing::warn!("lost the job's lease before committing; the batch was rolled back");
            Ok("lease lost; rolled back".into())
        }
        Err(e) => {
            // The batch rolled back whole; spend an attempt and try it again later.
            let error = format!("database error committing the batch: {e}");
            tracing::error!(error = %error, "batch rolled back");
            retry_later(engine, lease, job.run_id, fetched.calls, &error).await
        }
    }
}

async fn write_batch(
    engine: &Engine,
    lease: Lease<'_>,
    entity: &Entity,
    job: &BatchJob,
    fetched: &Fetched,
    progress: Progress,
    next_at: Option<DateTime<Utc>>,
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = engine.pool.begin().await?;
    for page in &fetched.pages {
        for statement in entity.upsert {
            sqlx::query(*statement)
                .bind(job.tenant_id)
                .bind(&page.body)
                .execute(&mut *tx)
                .await?;
        }
    }
    if !run::advance(&mut tx, job.run_id, job.seq, &fetched.cursor, progress).await? {
        return Ok(None);
    }
    let outcome = if fetched.done {
        run::finish(&mut tx, job, &fetched.cursor, engine.follow_up()).await?;
        format!("run completed with batch {}", job.seq)
    } else {
        let next = BatchJob {
            seq: job.seq + 1,
            ..job.clone()
        };
        let key = next.idempotency_key();
        queue::enqueue(&mut tx, &next, &key, next_at, engine.settings.max_attempts).await?;
        format!("batch {} committed; batch {} queued", job.seq, next.seq)
    };
    if !queue::complete(&mut tx, lease, &outcome).await? {
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(outcome))
}
