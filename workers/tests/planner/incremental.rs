//! Incremental runs fetch only what changed; a forced full run fetches everything again.

use super::helpers::*;
use std::collections::BTreeMap;

use crate::support::{Harness, small_org};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::Value;
use uuid::Uuid;

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
    for entity in crate::support::synced() {
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
    for entity in crate::support::synced() {
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
    assert_eq!(requested.len(), crate::support::CLASSIC.len());
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
        if new.len() == crate::support::CLASSIC.len() && new.iter().all(|r| r.status == "completed")
        {
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
