//! Nothing wedges: the maintenance leader resumes runs whose jobs vanished, fails runs whose
//! jobs failed for good, restores lost schedules, starts the first runs of entities the
//! deployment began to sync later and prunes what is past retention; a job
//! that panics fails alone; a job whose outcome cannot be written backs off instead of storming.

#![allow(clippy::unwrap_used)]

mod support;

use std::pin::Pin;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{Harness, eventually, maintenance, small_org, sync_args};
use xero_sync::sync::Engine;
use xero_sync::sync::maintenance::pass;
use xero_sync::sync::queue::Lease;
use xero_sync::worker::WorkerOptions;

const MINUTE: Duration = Duration::from_secs(60);

fn with_maintenance(concurrency: usize) -> WorkerOptions {
    WorkerOptions {
        maintenance: Some(maintenance(Duration::from_millis(500))),
        ..WorkerOptions::new(concurrency, Duration::from_secs(30))
    }
}

async fn exec(h: &Harness, sql: &str) -> u64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&h.db.pool)
        .await
        .unwrap()
        .rows_affected()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_job_was_deleted_is_resumed_and_one_whose_job_failed_for_good_is_failed() {
    let h = Harness::new(small_org()).await;
    let runs = h.sync(Some(&["accounts", "contacts"]), true).await;
    // No worker yet: delete the accounts job by hand, fail the contacts job for good as if
    // apalis's own retries had run out.
    let deleted = exec(
        &h,
        &format!(
            "DELETE FROM apalis.jobs WHERE idempotency_key = '{}:0'",
            runs[0]
        ),
    )
    .await;
    let failed = exec(
        &h,
        &format!(
            "UPDATE apalis.jobs SET status = 'Failed', attempts = max_attempts,
                    last_result = '{{\"Err\": \"the handler gave up\"}}'
              WHERE idempotency_key = '{}:0'",
            runs[1]
        ),
    )
    .await;
    assert_eq!((deleted, failed), (1, 1));
    let worker = h.worker_with(&sync_args(5), with_maintenance(2));
    let ended = h.wait_ended(&runs, MINUTE).await;
    assert_eq!(ended, ["completed", "failed"]);
    let error = h.run_outcome(runs[1]).await.1.unwrap();
    assert!(
        error.contains("failed for good") && error.contains("the handler gave up"),
        "{error}"
    );
    // The pair is not wedged: asking again starts a new run, which completes.
    let again = h.sync(Some(&["contacts"]), true).await;
    assert_ne!(again[0], runs[1]);
    h.wait(&again, MINUTE).await;
    worker.stop().await;
    h.assert_equal(Some(&["accounts", "contacts"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_schedule_is_restored_an_interval_after_the_last_run() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(5, 2);
    let runs = h.sync(Some(&["accounts"]), true).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    let removed = exec(
        &h,
        "DELETE FROM apalis.jobs WHERE starts_with(idempotency_key, 'next:')",
    )
    .await;
    assert_eq!(removed, 1);
    let done = pass(&h.db.pool, &maintenance(MINUTE)).await.unwrap();
    assert!(done.leader);
    assert_eq!(done.schedules_restored, 1);
    let due_in: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM run_at - now())::float8 FROM apalis.jobs
          WHERE starts_with(idempotency_key, 'next:') AND status = 'Pending'",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert!((3500.0..=3600.0).contains(&due_in), "due in {due_in}s");
    let again = pass(&h.db.pool, &maintenance(MINUTE)).await.unwrap();
    assert_eq!(again.schedules_restored, 0, "restored once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pass_runs_at_a_time_and_prunes_what_is_past_retention_but_each_pairs_last_run() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(5, 2);
    for _ in 0..3 {
        let runs = h.sync(Some(&["accounts", "contacts"]), true).await;
        h.wait(&runs, MINUTE).await;
    }
    worker.stop().await;
    // A year passes: every finished job and run is old.
    exec(
        &h,
        "UPDATE apalis.jobs SET done_at = now() - interval '365 days' WHERE status = 'Done'",
    )
    .await;
    exec(
        &h,
        "UPDATE xero.sync_log SET finished_at = now() - interval '365 days'",
    )
    .await;
    let pending_before = exec(&h, "SELECT 1 FROM apalis.jobs WHERE status = 'Pending'").await;

    // While another session holds the leader lock, a pass does nothing.
    let mut other = h.db.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(0x7865_726f_5f6d_6e74_i64)
        .execute(&mut *other)
        .await
        .unwrap();
    let skipped = pass(&h.db.pool, &maintenance(MINUTE)).await.unwrap();
    assert!(!skipped.leader);
    other.rollback().await.unwrap();

    let done = pass(&h.db.pool, &maintenance(MINUTE)).await.unwrap();
    assert!(done.leader);
    assert!(done.jobs_pruned >= 6, "{done:?}");
    assert_eq!(
        done.runs_pruned, 4,
        "two of three runs of two pairs: {done:?}"
    );
    let left: Vec<(String, i64)> = sqlx::query_as(
        "SELECT entity, count(*) FROM xero.sync_log GROUP BY entity ORDER BY entity",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(left, [("accounts".into(), 1), ("contacts".into(), 1)]);
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM xero.sync_progress p JOIN xero.sync_log l ON l.run_id = p.last_run",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(kept, 2, "each pair's last run is kept");
    let done_left = exec(&h, "SELECT 1 FROM apalis.jobs WHERE status = 'Done'").await;
    assert_eq!(done_left, 0);
    let pending_after = exec(&h, "SELECT 1 FROM apalis.jobs WHERE status = 'Pending'").await;
    assert_eq!(pending_after, pending_before, "schedules are never pruned");
}

/// Runs every job, except that a contacts batch panics.
fn panicking<'a>(
    engine: &'a Engine,
    lease: Lease<'a>,
    payload: Value,
) -> Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send + 'a>> {
    Box::pin(async move {
        if payload["entity"] == "contacts" && payload.get("seq").is_some() {
            panic!("a bug in the contacts code");
        }
        xero_sync::sync::run_job(engine, lease, payload).await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_panics_fails_alone_with_the_panic_and_the_worker_keeps_serving() {
    let h = Harness::new(small_org()).await;
    let options = WorkerOptions {
        runner: panicking,
        ..WorkerOptions::new(2, Duration::from_secs(30))
    };
    let worker = h.worker_with(&sync_args(5), options);
    let runs = h.sync(None, true).await;
    let ended = h.wait_ended(&runs, MINUTE).await;
    assert_eq!(ended, ["completed", "failed", "completed", "completed"]);
    let error = h.run_outcome(runs[1]).await.1.unwrap();
    assert!(
        error.contains("panicked: a bug in the contacts code"),
        "{error}"
    );
    let (status, attempts, max): (String, i32, i32) = sqlx::query_as(
        "SELECT status, attempts, max_attempts FROM apalis.jobs WHERE idempotency_key = $1",
    )
    .bind(format!("{}:0", runs[1]))
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(status, "Failed");
    assert!(
        attempts >= max,
        "failed for good on its first run ({attempts}/{max})"
    );
    // Still serving after the panic.
    let later = h.sync(Some(&["accounts"]), true).await;
    h.wait(&later, MINUTE).await;
    worker.stop().await;
}

/// A job whose outcome cannot be written, as when the database refuses every write.
fn unwritable<'a>(
    _engine: &'a Engine,
    _lease: Lease<'a>,
    _payload: Value,
) -> Pin<Box<dyn Future<Output = anyhow::Result<String>> + Send + 'a>> {
    Box::pin(async { anyhow::bail!("the database refused the outcome") })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_outcome_cannot_be_written_backs_off_instead_of_retrying_at_once() {
    let h = Harness::new(small_org()).await;
    let options = WorkerOptions {
        runner: unwritable,
        ..WorkerOptions::new(1, Duration::from_secs(30))
    };
    let worker = h.worker_with(&sync_args(5), options);
    let runs = h.sync(Some(&["accounts"]), true).await;
    let key = format!("{}:0", runs[0]);
    let attempts = || async {
        sqlx::query_scalar::<_, i32>("SELECT attempts FROM apalis.jobs WHERE idempotency_key = $1")
            .bind(&key)
            .fetch_one(&h.db.pool)
            .await
            .unwrap()
    };
    eventually("a first failed attempt", MINUTE, || async {
        (attempts().await >= 1).then_some(())
    })
    .await;
    let first = Instant::now();
    eventually("a second attempt", MINUTE, || async {
        (attempts().await >= 2).then_some(())
    })
    .await;
    let gap = first.elapsed();
    // apalis alone claims a failed job again within milliseconds (25 attempts in 0.4 s).
    assert!(
        gap >= Duration::from_millis(1500),
        "second attempt after {gap:?}"
    );
    assert!(attempts().await < 8, "no retry storm");
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_the_deployment_starts_syncing_later_gets_a_first_run_for_every_organisation() {
    let h = Harness::new(xero_sync_sim::SimConfig {
        tenants: 2,
        ..small_org()
    })
    .await;
    // The organisations connected with the deployment's entities: pairs that never ran are
    // theirs to start (connect, sync), not maintenance's.
    let done = pass(&h.db.pool, &maintenance(MINUTE)).await.unwrap();
    assert_eq!(done.first_runs, 0);

    // The deployment begins to sync quotes (an upgrade added them, or SYNC_ENTITIES names
    // them now): each organisation gets its first run, once.
    let mut names = support::CLASSIC.to_vec();
    names.push("quotes");
    xero_sync::db::choose_entities(&h.db.pool, &names)
        .await
        .unwrap();
    let done = pass(&h.db.pool, &maintenance(MINUTE)).await.unwrap();
    assert_eq!(done.first_runs, 2);
    let again = pass(&h.db.pool, &maintenance(MINUTE)).await.unwrap();
    assert_eq!(again.first_runs, 0, "started once");
    let runs: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT run_id FROM xero.sync_log WHERE entity = 'quotes' AND mode = 'full'",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(runs.len(), 2);
    let worker = h.worker(5, 2);
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    h.assert_equal(Some(&["quotes"])).await;
}
