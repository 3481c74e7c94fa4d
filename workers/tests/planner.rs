//! The planner through the real runner: after a full run each run fetches only what changed
//! since the stored watermark; every completed run leaves exactly one next run pending for its
//! pair, however runs complete; `xero.request_sync` starts runs from plain SQL; and
//! `FORCE_FULL_SYNC` fetches everything despite a watermark.
//!
//! Waits poll the database for the state they need, with a deadline, never a fixed sleep.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgDatabaseError;
use support::{Harness, small_org};
use uuid::Uuid;
use xero_sync::config::{Interval, SyncArgs};
use xero_sync::sync::Engine;
use xero_sync::worker::{self, WorkerOptions};
use xero_sync_sim::SimConfig;
use xero_sync_workers::registry;

// ---------------------------------------------------------------------------------------------
// Helpers

const HOUR: Duration = Duration::from_secs(3600);

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Batch settings with a given interval and `FORCE_FULL_SYNC`.
fn sync_args(batch_size: u32, interval: Duration, force_full: bool) -> SyncArgs {
    SyncArgs {
        force_full,
        interval: Interval(interval),
        ..support::sync_args(batch_size)
    }
}

/// An in-process worker built from our own settings (the harness's always has a 1 h interval).
struct Worker {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Worker {
    fn start(h: &Harness, sync: &SyncArgs, concurrency: usize) -> Worker {
        let engine: Arc<Engine> =
            xero_sync::app::engine(h.db.pool.clone(), &h.http, &h.xero, sync, registry()).unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let options = WorkerOptions::new(concurrency, secs(30));
        let task = tokio::spawn(worker::run(
            engine,
            options,
            worker::unique_name(),
            async move {
                let _ = stopped.await;
                Ok(())
            },
        ));
        Worker { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(secs(40), self.task)
            .await
            .expect("the worker stops within 40 s")
            .unwrap()
            .unwrap();
    }
}

/// A deadline for polling loops: `tick` waits a little, and fails the test once time is up.
struct Deadline {
    until: Instant,
}

impl Deadline {
    fn after(limit: Duration) -> Deadline {
        Deadline {
            until: Instant::now() + limit,
        }
    }

    async fn tick(&self, waiting_for: &str) {
        assert!(
            Instant::now() < self.until,
            "timed out waiting for {waiting_for}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One scheduled next run (`next:{tenant}:{entity}:{after_run}` in `apalis.jobs`).
#[derive(Debug, Clone)]
struct FollowUp {
    tenant_id: Uuid,
    entity: String,
    after_run: Uuid,
    key: String,
    status: String,
    run_at: DateTime<Utc>,
    last_result: Option<String>,
}

/// Every scheduled next run, pending or not, oldest first.
async fn follow_ups(pool: &PgPool) -> Vec<FollowUp> {
    type Row = (Value, String, String, DateTime<Utc>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT convert_from(job, 'UTF8')::jsonb, idempotency_key, status, run_at,
                last_result::text
           FROM apalis.jobs
          WHERE starts_with(idempotency_key, 'next:')
          ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(job, key, status, run_at, last_result)| FollowUp {
            tenant_id: job["tenant_id"].as_str().unwrap().parse().unwrap(),
            entity: job["entity"].as_str().unwrap().to_owned(),
            after_run: job["after_run"].as_str().unwrap().parse().unwrap(),
            key,
            status,
            run_at,
            last_result,
        })
        .collect()
}

/// The pending scheduled next runs, by (tenant, entity).
async fn pending_follow_ups(pool: &PgPool) -> BTreeMap<(Uuid, String), Vec<FollowUp>> {
    let mut by_pair: BTreeMap<(Uuid, String), Vec<FollowUp>> = BTreeMap::new();
    for f in follow_ups(pool).await {
        if f.status == "Pending" {
            by_pair
                .entry((f.tenant_id, f.entity.clone()))
                .or_default()
                .push(f);
        }
    }
    by_pair
}

/// A run as `xero.sync_log` records it.
#[derive(Debug, Clone)]
struct LoggedRun {
    run_id: Uuid,
    tenant_id: Uuid,
    entity: String,
    mode: String,
    status: String,
    finished_at: Option<DateTime<Utc>>,
    api_calls: i32,
    records: i64,
}

/// Every run, in the order they started.
async fn runs(pool: &PgPool) -> Vec<LoggedRun> {
    type Row = (
        Uuid,
        Uuid,
        String,
        String,
        String,
        Option<DateTime<Utc>>,
        i32,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT run_id, tenant_id, entity, mode, status, finished_at, api_calls, records
           FROM xero.sync_log ORDER BY started_at, entity",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(
            |(run_id, tenant_id, entity, mode, status, finished_at, api_calls, records)| {
                LoggedRun {
                    run_id,
                    tenant_id,
                    entity,
                    mode,
                    status,
                    finished_at,
                    api_calls,
                    records,
                }
            },
        )
        .collect()
}

async fn run(pool: &PgPool, run_id: Uuid) -> LoggedRun {
    runs(pool)
        .await
        .into_iter()
        .find(|r| r.run_id == run_id)
        .unwrap_or_else(|| panic!("no run {run_id}"))
}

/// Asserts that every pair of `completed` has exactly one pending next run: it follows that
/// run and is due one `interval` after the run finished.
async fn assert_one_follow_up_per_pair(pool: &PgPool, completed: &[LoggedRun], interval: Duration) {
    let pending = pending_follow_ups(pool).await;
    let pairs: Vec<(Uuid, String)> = completed
        .iter()
        .map(|r| (r.tenant_id, r.entity.clone()))
        .collect();
    assert_eq!(
        pending.keys().cloned().collect::<Vec<_>>(),
        {
            let mut sorted = pairs.clone();
            sorted.sort();
            sorted
        },
        "pending follow-ups: {pending:#?}"
    );
    for run in completed {
        let for_pair = &pending[&(run.tenant_id, run.entity.clone())];
        assert_eq!(for_pair.len(), 1, "{}: {for_pair:#?}", run.entity);
        let next = &for_pair[0];
        assert_eq!(
            next.after_run, run.run_id,
            "{} follows its last run",
            run.entity
        );
        assert_eq!(
            next.key,
            format!("next:{}:{}:{}", run.tenant_id, run.entity, run.run_id)
        );
        // The worker's clock sets `run_at`, Postgres's `finished_at`: the same machine.
        let gap = (next.run_at - run.finished_at.unwrap()).to_std().unwrap();
        assert!(
            gap.abs_diff(interval) < secs(3),
            "{} is due {gap:?} after its run finished, not {interval:?}",
            run.entity
        );
    }
}

/// Xero calls per endpoint in `/sim/stats`, whatever their status.
fn calls_by_endpoint(stats: &Value) -> BTreeMap<String, u64> {
    stats["requests"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(endpoint, by_status)| {
            let n = by_status
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_u64().unwrap())
                .sum();
            (endpoint.clone(), n)
        })
        .collect()
}

/// The cursor keys the simulator answered for one endpoint (`Invoices?ims=…&page=1&…`).
fn served_cursors(stats: &Value, endpoint: &str) -> Vec<String> {
    stats["served"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["endpoint"] == endpoint)
        .map(|s| s["cursor"].as_str().unwrap().to_owned())
        .collect()
}

/// A pair's stored watermark.
async fn watermark(
    pool: &PgPool,
    tenant: Uuid,
    entity: &str,
) -> (Option<DateTime<Utc>>, Option<i64>) {
    sqlx::query_as(
        "SELECT modified_after, last_offset FROM xero.sync_progress
          WHERE tenant_id = $1 AND entity = $2",
    )
    .bind(tenant)
    .bind(entity)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Mutates `count` records of `entity` in the simulator; returns its outcome.
async fn mutate(h: &Harness, tenant: Uuid, entity: &str, count: usize) -> Value {
    h.sim_json(
        "POST",
        "/sim/mutate",
        Some(json!({"tenant_id": tenant, "entity": entity, "count": count})),
    )
    .await
}

/// `SELECT xero.request_sync(...)` as an operator would type it in psql: plain SQL text.
async fn request_sync_sql(pool: &PgPool, call: String) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {call}")))
        .fetch_all(pool)
        .await
}

fn pg_error(error: &sqlx::Error) -> &PgDatabaseError {
    error
        .as_database_error()
        .unwrap_or_else(|| panic!("not a database error: {error}"))
        .downcast_ref::<PgDatabaseError>()
}

// ---------------------------------------------------------------------------------------------
// Incremental runs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_full_sync_and_500_changes_an_incremental_run_fetches_only_the_changed_records() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let worker = h.worker(3, 4);
    let full = h.sync(None, true).await;
    h.wait(&full, secs(60)).await;
    let mut before = BTreeMap::new();
    for entity in support::synced() {
        before.insert(entity.name, watermark(pool, tenant, entity.name).await);
    }

    // A day of changes: 500 across the entities (invoice changes also post journals).
    h.sim_json("POST", "/sim/stats/reset", None).await;
    for (entity, count) in [
        ("invoices", 250),
        ("contacts", 150),
        ("accounts", 20),
        ("journals", 80),
    ] {
        let outcome = mutate(&h, tenant, entity, count).await;
        eprintln!("mutated {entity}: {outcome}");
    }
    let incremental = h.sync(None, false).await;
    h.wait(&incremental, secs(60)).await;
    worker.stop().await;

    h.assert_equal(None).await;
    let stats = h.sim_stats().await;
    let calls = calls_by_endpoint(&stats);
    eprintln!("incremental calls by endpoint: {calls:?}");
    let logged = runs(pool).await;
    for entity in support::synced() {
        let name = entity.name;
        // sync_log records both runs of the pair, the full one first.
        let pair: Vec<&LoggedRun> = logged.iter().filter(|r| r.entity == name).collect();
        let modes: Vec<(&str, &str)> = pair
            .iter()
            .map(|r| (r.mode.as_str(), r.status.as_str()))
            .collect();
        assert_eq!(
            modes,
            [("full", "completed"), ("incremental", "completed")],
            "{name}"
        );
        let run = pair[1];
        assert!(incremental.contains(&run.run_id));
        let endpoint_calls = calls[entity.endpoint];
        assert_eq!(
            run.api_calls as u64, endpoint_calls,
            "{name}: sync_log and the simulator count the same calls"
        );

        let (old_since, old_offset) = before[name];
        let (new_since, new_offset) = watermark(pool, tenant, name).await;
        let (changed, fetched_expected, page_size) = if name == "journals" {
            // Journals continue from the stored greatest JournalNumber; 100 per call.
            let old = old_offset.unwrap();
            let (new, greatest): (i64, i64) = sqlx::query_as(
                "SELECT count(*), max(journal_number) FROM xero.journals
                  WHERE tenant_id = $1 AND journal_number > $2",
            )
            .bind(tenant)
            .bind(old)
            .fetch_one(pool)
            .await
            .unwrap();
            assert_eq!(new_offset, Some(greatest), "journals watermark");
            assert!(cursor_offsets(&stats, "Journals").iter().all(|&o| o >= old));
            (new, new, 100)
        } else {
            // Keyset and unpaged entities ask If-Modified-Since = watermark second - 1 s, so
            // what comes back is the changed records plus the few in that overlap.
            let old = old_since.unwrap();
            let since = old.duration_trunc(TimeDelta::seconds(1)).unwrap() - TimeDelta::seconds(1);
            let (changed, from_since, greatest): (i64, i64, DateTime<Utc>) =
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT count(*) FILTER (WHERE updated_date_utc > $2),
                            count(*) FILTER (WHERE updated_date_utc >= $3),
                            max(updated_date_utc)
                       FROM xero.{name} WHERE tenant_id = $1"
                )))
                .bind(tenant)
                .bind(old)
                .bind(since)
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(new_since, Some(greatest), "{name} watermark");
            let ims = format!("ims={}", since.format("%Y-%m-%dT%H:%M:%S"));
            let served = served_cursors(&stats, entity.endpoint);
            assert!(
                !served.is_empty() && served.iter().all(|c| c.contains(&ims)),
                "{name} asked If-Modified-Since {since}: {served:?}"
            );
            assert!(
                from_since - changed <= 5,
                "{name}: {} already-synced records in the one-second overlap",
                from_since - changed
            );
            (changed, from_since, 1000)
        };
        assert!(changed > 0, "{name} changed");
        assert_eq!(
            run.records, fetched_expected,
            "{name}: only the changed records (and the overlap) were fetched"
        );
        let bound = if name == "accounts" {
            1
        } else {
            (changed as u64).div_ceil(page_size) + 1
        };
        eprintln!(
            "{name}: changed {changed}, fetched {}, calls {endpoint_calls} (bound {bound})",
            run.records
        );
        assert!(
            endpoint_calls <= bound,
            "{name}: {endpoint_calls} calls for {changed} changes, more than {bound}"
        );
        let progress: (String, String, Option<Uuid>, Option<Uuid>) = sqlx::query_as(
            "SELECT status, mode, current_run, last_run FROM xero.sync_progress
              WHERE tenant_id = $1 AND entity = $2",
        )
        .bind(tenant)
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(
            progress,
            (
                "completed".to_owned(),
                "incremental".to_owned(),
                None,
                Some(run.run_id)
            ),
            "{name} progress"
        );
    }
}

/// The offsets the simulator answered for an offset-paged endpoint.
fn cursor_offsets(stats: &Value, endpoint: &str) -> Vec<i64> {
    served_cursors(stats, endpoint)
        .iter()
        .map(|c| {
            let after = c.split("offset=").nth(1).unwrap();
            after.split('&').next().unwrap().parse().unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_force_full_sync_a_pair_with_a_watermark_is_fetched_in_full_and_stays_equal() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let first = h.worker(3, 4);
    let full = h.sync(None, true).await;
    h.wait(&full, secs(60)).await;
    first.stop().await;
    let full_runs = runs(pool).await;
    for (entity, count) in [("invoices", 100), ("contacts", 50)] {
        mutate(&h, tenant, entity, count).await;
    }
    h.sim_json("POST", "/sim/stats/reset", None).await;

    // `xero-sync sync` with FORCE_FULL_SYNC=true in its environment queues full runs, even
    // though every pair has a watermark.
    let output = h
        .command(&["sync", "--all-tenants", "--all-entities"])
        .env("FORCE_FULL_SYNC", "true")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "xero-sync sync: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let requested: Vec<LoggedRun> = runs(pool)
        .await
        .into_iter()
        .filter(|r| full_runs.iter().all(|f| f.run_id != r.run_id))
        .collect();
    assert_eq!(requested.len(), support::CLASSIC.len());
    assert!(requested.iter().all(|r| r.mode == "full"), "{requested:#?}");

    // A worker with FORCE_FULL_SYNC runs them, and its scheduled runs are full too: the hour
    // of the scheduled runs is made to pass by moving their `run_at`.
    let worker = Worker::start(&h, &sync_args(3, HOUR, true), 4);
    let ids: Vec<Uuid> = requested.iter().map(|r| r.run_id).collect();
    h.wait(&ids, secs(60)).await;
    h.assert_equal(None).await;
    assert_fetched_in_full(&h, &ids).await;
    h.sim_json("POST", "/sim/stats/reset", None).await;
    let before_scheduled: Vec<Uuid> = runs(pool).await.iter().map(|r| r.run_id).collect();
    sqlx::query(
        "UPDATE apalis.jobs SET run_at = now()
          WHERE status = 'Pending' AND starts_with(idempotency_key, 'next:')",
    )
    .execute(pool)
    .await
    .unwrap();
    let deadline = Deadline::after(secs(30));
    let scheduled = loop {
        let new: Vec<LoggedRun> = runs(pool)
            .await
            .into_iter()
            .filter(|r| !before_scheduled.contains(&r.run_id))
            .collect();
        if new.len() == support::CLASSIC.len() && new.iter().all(|r| r.status == "completed") {
            break new;
        }
        assert!(new.iter().all(|r| r.status != "failed"), "{new:#?}");
        deadline.tick("the scheduled runs").await;
    };
    worker.stop().await;
    h.assert_equal(None).await;
    let ids: Vec<Uuid> = scheduled.iter().map(|r| r.run_id).collect();
    assert_fetched_in_full(&h, &ids).await;
}

/// Asserts that `runs` were full runs that fetched every record: each started without
/// If-Modified-Since (journals from offset 0) and fetched at least every record Postgres now
/// holds (a keyset run re-reads the few records of its one-second overlaps). Reads
/// `/sim/stats`, so reset it before the runs.
async fn assert_fetched_in_full(h: &Harness, ids: &[Uuid]) {
    let stats = h.sim_stats().await;
    for id in ids {
        let r = run(&h.db.pool, *id).await;
        assert_eq!(r.mode, "full", "{r:#?}");
        let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM xero.{} WHERE tenant_id = $1",
            r.entity
        )))
        .bind(r.tenant_id)
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
        assert!(
            (total..=total + 5).contains(&r.records),
            "{} fetched {} records of {total}",
            r.entity,
            r.records
        );
        let endpoint = xero_sync_workers::entity(&r.entity).unwrap().endpoint;
        let start = if r.entity == "journals" {
            "offset=0&"
        } else {
            "ims=-"
        };
        let served = served_cursors(&stats, endpoint);
        assert!(
            served.iter().any(|c| c.contains(start)),
            "{} never asked for {start}: {served:?}",
            r.entity
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Follow-ups

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_finishing_runs_at_once_leave_exactly_one_next_run_per_pair() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        ..small_org()
    })
    .await;
    let pool = &h.db.pool;
    // Two replicas on one queue, one batch each at a time and small batches, so that runs of
    // both replicas finish side by side.
    let a = h.worker(1, 2);
    let b = h.worker(1, 2);
    let ids = h.sync(None, true).await;
    assert_eq!(ids.len(), 8);
    h.wait(&ids, secs(60)).await;
    a.stop().await;
    b.stop().await;
    let completed = runs(pool).await;
    assert_eq!(completed.len(), 8);
    assert_one_follow_up_per_pair(pool, &completed, HOUR).await;
    let all = follow_ups(pool).await;
    assert_eq!(all.len(), 8, "nothing superseded: {all:#?}");
    let now = Utc::now();
    for f in &all {
        let due_in = (f.run_at - now).num_seconds();
        assert!(
            (3540..=3600).contains(&due_in),
            "{} due in {due_in}s",
            f.entity
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_request_while_a_next_run_is_pending_supersedes_it_instead_of_adding_one() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let worker = h.worker(3, 4);
    let first = h.sync(None, true).await;
    h.wait(&first, secs(60)).await;
    let scheduled_first = follow_ups(pool).await;
    assert_eq!(scheduled_first.len(), 4);

    let manual = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'all')"))
        .await
        .unwrap();
    assert_eq!(manual.len(), 4);
    h.wait(&manual, secs(60)).await;
    worker.stop().await;

    let mut completed = Vec::new();
    for id in &manual {
        let r = run(pool, *id).await;
        assert_eq!(r.mode, "incremental");
        completed.push(r);
    }
    assert_one_follow_up_per_pair(pool, &completed, HOUR).await;
    // The next runs scheduled by the first runs are done, marked as superseded.
    for old in &scheduled_first {
        let now = follow_ups(pool)
            .await
            .into_iter()
            .find(|f| f.key == old.key)
            .unwrap();
        assert_eq!(now.status, "Done", "{now:#?}");
        assert!(
            now.last_result
                .as_deref()
                .unwrap_or("")
                .contains("superseded"),
            "{now:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_next_run_coming_due_while_its_pair_runs_returns_that_run_instead_of_a_second_one() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let first_worker = h.worker(3, 4);
    let first = h.sync(None, true).await;
    h.wait(&first, secs(60)).await;
    first_worker.stop().await;
    let scheduled = follow_ups(pool).await;
    assert_eq!(scheduled.len(), 4);

    // Manual runs whose first batches are held back an hour, and next runs due now: the next
    // runs surely find their pairs active.
    let manual = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'all')"))
        .await
        .unwrap();
    sqlx::query(
        "UPDATE apalis.jobs SET run_at = CASE WHEN starts_with(idempotency_key, 'next:')
                THEN now() ELSE now() + interval '1 hour' END
          WHERE status = 'Pending'",
    )
    .execute(pool)
    .await
    .unwrap();
    let worker = h.worker(3, 4);
    let deadline = Deadline::after(secs(20));
    let fired = loop {
        let fired = follow_ups(pool).await;
        if fired.iter().all(|f| f.status == "Done") {
            break fired;
        }
        deadline.tick("the next runs to fire").await;
    };
    for f in &fired {
        let active = manual
            .iter()
            .find(|id| {
                f.last_result
                    .as_deref()
                    .is_some_and(|r| r.contains(&id.to_string()))
            })
            .unwrap_or_else(|| panic!("{} did not return the active run: {f:#?}", f.entity));
        assert_eq!(run(pool, *active).await.entity, f.entity);
    }
    assert_eq!(runs(pool).await.len(), 8, "no second run of any pair");

    sqlx::query("UPDATE apalis.jobs SET run_at = now() WHERE status = 'Pending'")
        .execute(pool)
        .await
        .unwrap();
    h.wait(&manual, secs(60)).await;
    worker.stop().await;
    let mut completed = Vec::new();
    for id in &manual {
        completed.push(run(pool, *id).await);
    }
    assert_one_follow_up_per_pair(pool, &completed, HOUR).await;
    assert_eq!(runs(pool).await.len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retried_batches_and_a_requeued_final_batch_schedule_one_next_run_per_pair() {
    let h = Harness::new(small_org()).await;
    let pool = &h.db.pool;
    // The first call of every entity fails with a 500: for accounts that is its only (last)
    // page, so the batch that completes the run is a retry.
    let faults: Vec<Value> = support::synced()
        .iter()
        .map(|e| json!({"endpoint": e.endpoint, "kind": "status_500", "count": 1}))
        .collect();
    h.sim_json("POST", "/sim/faults", Some(Value::Array(faults)))
        .await;
    let worker = h.worker(3, 4);
    let ids = h.sync(None, true).await;
    h.wait(&ids, secs(60)).await;
    let stats = h.sim_stats().await;
    for e in support::synced() {
        assert_eq!(
            stats["requests"][e.endpoint]["500"], 1,
            "{}: one failed call",
            e.endpoint
        );
    }
    let retried: Vec<(String, i32)> = sqlx::query_as(
        "SELECT convert_from(job, 'UTF8')::jsonb ->> 'entity', attempts FROM apalis.jobs
          WHERE idempotency_key LIKE '%:0' AND NOT starts_with(idempotency_key, 'next:')
          ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(retried.iter().all(|(_, a)| *a == 2), "{retried:?}");
    let completed = runs(pool).await;
    assert_one_follow_up_per_pair(pool, &completed, HOUR).await;

    // A final batch job re-queued after its run completed (`xero-sync jobs retry`, a duplicate
    // delivery) finds its run finished and schedules nothing.
    let accounts = completed.iter().find(|r| r.entity == "accounts").unwrap();
    let key = format!("{}:0", accounts.run_id);
    let requeued = sqlx::query(
        "UPDATE apalis.jobs SET status = 'Pending', run_at = now(), lock_by = NULL,
                lock_at = NULL, done_at = NULL
          WHERE idempotency_key = $1 AND status = 'Done'",
    )
    .bind(&key)
    .execute(pool)
    .await
    .unwrap();
    assert_eq!(requeued.rows_affected(), 1);
    let deadline = Deadline::after(secs(20));
    let outcome = loop {
        let (status, result): (String, Option<String>) = sqlx::query_as(
            "SELECT status, last_result::text FROM apalis.jobs WHERE idempotency_key = $1",
        )
        .bind(&key)
        .fetch_one(pool)
        .await
        .unwrap();
        if status == "Done" {
            break result.unwrap_or_default();
        }
        deadline.tick("the re-queued batch").await;
    };
    worker.stop().await;
    assert!(outcome.contains("stale"), "{outcome}");
    assert_one_follow_up_per_pair(pool, &completed, HOUR).await;
    assert_eq!(follow_ups(pool).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_two_second_interval_the_scheduled_jobs_alone_keep_running_incremental_runs() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let interval = secs(2);
    let worker = Worker::start(&h, &sync_args(3, interval, false), 4);
    let entities = ["accounts", "contacts"];
    let first = h.sync(Some(&entities), true).await;
    h.wait(&first, secs(30)).await;
    mutate(&h, tenant, "contacts", 20).await;

    // Nobody requests anything more: each pair's next run starts from its scheduled job.
    let deadline = Deadline::after(secs(40));
    loop {
        let logged = runs(pool).await;
        assert!(logged.iter().all(|r| r.status != "failed"), "{logged:#?}");
        let incremental_done = |entity: &str| {
            logged
                .iter()
                .filter(|r| r.entity == entity && r.mode == "incremental")
                .filter(|r| r.status == "completed")
                .count()
        };
        if entities.iter().all(|e| incremental_done(e) >= 2) {
            break;
        }
        deadline
            .tick("two scheduled incremental runs per pair")
            .await;
    }
    worker.stop().await;
    h.assert_equal(Some(&entities)).await;

    // Whenever the worker stopped, each pair has either its next run pending or a run in
    // progress (started by a follow-up just before the stop) — never both, never two.
    let logged = runs(pool).await;
    let pending = pending_follow_ups(pool).await;
    for entity in entities {
        let pair = (tenant, entity.to_owned());
        let waiting = pending.get(&pair).map_or(0, Vec::len);
        let running = logged
            .iter()
            .filter(|r| r.entity == entity && r.status == "running")
            .count();
        assert_eq!(waiting + running, 1, "{entity}: {pending:#?} {logged:#?}");
    }
    // Each incremental run was started by the follow-up of the run before it.
    let done = follow_ups(pool).await;
    for r in logged.iter().filter(|r| r.mode == "incremental") {
        assert!(
            done.iter().any(|f| f.entity == r.entity
                && f.status == "Done"
                && f.last_result
                    .as_deref()
                    .unwrap_or("")
                    .contains(&r.run_id.to_string())),
            "no scheduled job started {} run {}: {done:#?}",
            r.entity,
            r.run_id
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Enqueueing from SQL

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_sync_from_plain_sql_starts_a_run_a_running_worker_completes_and_returns_it_again_while_active()
 {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let worker = h.worker(3, 4);
    // Hold Xero's first Invoices answer for a while, so the run is surely active when the
    // second request comes.
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(json!({"endpoint": "Invoices", "kind": "slow", "delay_ms": 1500, "count": 1})),
    )
    .await;
    let first = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'invoices')"))
        .await
        .unwrap();
    let again = request_sync_sql(
        pool,
        format!("xero.request_sync(tenant_id => '{tenant}', entity => 'invoices')"),
    )
    .await
    .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(again, first, "the active run is returned, not a second one");
    // Twice in one transaction, as a trigger might: the same run again.
    let mut tx = pool.begin().await.unwrap();
    for _ in 0..2 {
        let id: Uuid = sqlx::query_scalar("SELECT xero.request_sync($1, 'invoices', false)")
            .bind(tenant)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(id, first[0]);
    }
    tx.commit().await.unwrap();
    h.wait(&first, secs(60)).await;
    let r = run(pool, first[0]).await;
    assert_eq!((r.mode.as_str(), r.status.as_str()), ("full", "completed"));
    h.assert_equal(Some(&["invoices"])).await;

    // After it completed, a request starts a new run, incremental from the watermark; `all`
    // starts (or returns) one per entity, in registry order, and twice returns the same runs.
    let all = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'all')"))
        .await
        .unwrap();
    let all_again = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'all')"))
        .await
        .unwrap();
    assert_eq!(all.len(), support::CLASSIC.len());
    assert!(!all.contains(&first[0]));
    let every: Vec<Uuid> = all.iter().chain(&all_again).copied().collect();
    h.wait(&every, secs(60)).await;
    worker.stop().await;
    let mut entities = Vec::new();
    for id in &all {
        let r = run(pool, *id).await;
        let expected = if r.entity == "invoices" {
            "incremental"
        } else {
            "full"
        };
        assert_eq!(r.mode, expected, "{r:#?}");
        entities.push(r.entity);
    }
    assert_eq!(entities, support::CLASSIC);
    // The second `all` came right after the first: any run still active was returned as is.
    for (id, again) in all.iter().zip(&all_again) {
        if id != again {
            let first_run = run(pool, *id).await;
            assert_eq!(first_run.status, "completed");
        }
    }
    h.assert_equal(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_sync_rejects_unknown_tenants_and_entities_with_a_hint_listing_the_valid_ones() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let stranger = Uuid::new_v4();
    let names: Vec<&str> = registry().iter().map(|e| e.name).collect();
    let valid = format!("valid entities: {}, or all", names.join(", "));
    let cases = [
        (
            format!("xero.request_sync('{stranger}', 'invoices')"),
            format!("unknown tenant {stranger}"),
            format!("connected tenants: {tenant} ("),
        ),
        (
            "xero.request_sync(NULL, 'invoices')".to_owned(),
            "unknown tenant NULL".to_owned(),
            format!("connected tenants: {tenant} ("),
        ),
        (
            format!("xero.request_sync('{stranger}', 'all')"),
            format!("unknown tenant {stranger}"),
            format!("connected tenants: {tenant} ("),
        ),
        (
            format!("xero.request_sync('{tenant}', 'bills')"),
            "unknown entity 'bills'".to_owned(),
            valid.clone(),
        ),
        (
            format!("xero.request_sync('{tenant}', NULL)"),
            "unknown entity NULL".to_owned(),
            valid.clone(),
        ),
    ];
    for (call, message, hint) in cases {
        let error = request_sync_sql(pool, call.clone()).await.unwrap_err();
        let pg = pg_error(&error);
        assert_eq!(pg.code(), "22023", "{call}: invalid_parameter_value");
        assert_eq!(pg.message(), message, "{call}");
        let got = pg.hint().unwrap_or_default();
        assert!(got.starts_with(&hint), "{call}: hint {got:?}");
    }
    // A mistyped argument is Postgres's own error, before the function runs.
    let error = request_sync_sql(pool, "xero.request_sync('not-a-uuid', 'invoices')".into())
        .await
        .unwrap_err();
    assert_eq!(pg_error(&error).code(), "22P02");
    // Nothing was started by any of them.
    let (logged, jobs): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM xero.sync_log), (SELECT count(*) FROM apalis.jobs)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((logged, jobs), (0, 0));
}
