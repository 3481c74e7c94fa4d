//! Every finished run leaves exactly one next run per pair, whatever races, retries and
//! manual requests happen meanwhile; the scheduled runs alone keep a pair current.

use super::helpers::*;

use crate::support::{Harness, small_org};
use chrono::Utc;
use serde_json::{Value, json};
use xero_sync_sim::SimConfig;

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
    let faults: Vec<Value> = crate::support::synced()
        .iter()
        .map(|e| json!({"endpoint": e.endpoint, "kind": "status_500", "count": 1}))
        .collect();
    h.sim_json("POST", "/sim/faults", Some(Value::Array(faults)))
        .await;
    let worker = h.worker(3, 4);
    let ids = h.sync(None, true).await;
    h.wait(&ids, secs(60)).await;
    let stats = h.sim_stats().await;
    for e in crate::support::synced() {
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
