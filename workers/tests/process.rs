//! The worker as a real `xero-sync worker` process: killed with SIGKILL mid-sync it loses nothing
//! committed and fetches nothing committed again; stopped with SIGTERM it lets its in-flight
//! batches commit and leaves no job locked; two replicas on one queue process every batch once.
//!
//! Waits poll the database (or the child) for the state they need, never a fixed sleep.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use support::process::WorkerProcess;
use support::{Harness, eventually};
use uuid::Uuid;
use xero_sync_sim::SimConfig;
use xero_sync_workers::line_digests;

// ---------------------------------------------------------------------------------------------
// Helpers

/// What a run has committed: its status, batches and (for journals) the offset of its cursor.
/// What a worker logs when it claims a job a dead worker held.
const TAKE_OVER: &str = "taking over a job whose worker stopped heartbeating";

async fn committed(h: &Harness, run: Uuid) -> (String, i32, Option<i64>) {
    sqlx::query_as(
        "SELECT status, batches, (cursor->>'offset')::bigint FROM xero.sync_log
          WHERE run_id = $1",
    )
    .bind(run)
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}

/// Jobs some worker holds (claimed and not finished).
async fn locked_jobs(h: &Harness) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT id, status, lock_by FROM apalis.jobs
          WHERE lock_by IS NOT NULL AND status IN ('Pending', 'Queued', 'Running')",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
}

/// A batch job as `apalis.jobs` holds it.
#[derive(Debug, sqlx::FromRow)]
struct BatchRow {
    run_id: String,
    seq: i32,
    status: String,
    attempts: i32,
}

/// Every batch job (scheduled follow-up runs share the queue and are left out).
async fn batch_jobs(h: &Harness) -> Vec<BatchRow> {
    sqlx::query_as(
        "SELECT p->>'run_id' AS run_id, (p->>'seq')::int AS seq, status, attempts
           FROM apalis.jobs, LATERAL (SELECT convert_from(job, 'UTF8')::jsonb AS p) j
          WHERE p ? 'seq' ORDER BY 1, 2",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
}

/// `/sim/stats` `served` entries of one endpoint: cursor key → times answered in full.
async fn served(h: &Harness, endpoint: &str) -> BTreeMap<(String, String), u64> {
    let stats = h.sim_stats().await;
    stats["served"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| endpoint.is_empty() || s["endpoint"] == endpoint)
        .map(|s| {
            let key = (
                s["tenant_id"].as_str().unwrap().to_owned(),
                s["cursor"].as_str().unwrap().to_owned(),
            );
            (key, s["count"].as_u64().unwrap())
        })
        .collect()
}

/// The `offset` of a `Journals?offset=N&ims=-` cursor key.
fn offset_of(cursor: &str) -> i64 {
    let query = cursor.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("offset="))
        .unwrap()
        .parse()
        .unwrap()
}

/// Asserts the journals (and their lines) of every tenant equal the simulator's, each stored once.
async fn assert_journals_equal(h: &Harness) {
    h.assert_equal(Some(&["journals"])).await;
    let (_, query) = line_digests()
        .iter()
        .find(|(set, _)| *set == "journal_lines")
        .unwrap();
    for &tenant in &h.tenants {
        let ours = xero_sync::digest::digest_query(&h.db.pool, query, tenant)
            .await
            .unwrap();
        let theirs = h.sim_digest(tenant, "journal_lines").await;
        assert_eq!((ours.count, ours.digest), theirs, "journal lines differ");
    }
    let (rows, ids, numbers): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT (tenant_id, journal_id)),
                count(DISTINCT (tenant_id, journal_number)) FROM xero.journals",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!((rows, rows), (ids, numbers), "a journal is stored twice");
}

// ---------------------------------------------------------------------------------------------
// Crash mid-sync

/// Journals of the crash test: at least 20,000, so the run has many batches to be killed in.
const CRASH_JOURNALS: usize = 20_000;
/// Pages per job in the crash test: 500 journals per commit, 40 commits in the run.
const CRASH_BATCH: i32 = 5;
/// Pages a worker may hold uncommitted: a batch committing, and the next one fetched meanwhile.
const IN_FLIGHT: usize = 2 * CRASH_BATCH as usize;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_three_times_mid_sync_loses_nothing_and_refetches_no_committed_batch() {
    let h = Harness::new(SimConfig {
        journals: CRASH_JOURNALS,
        rate_limits: false,
        // A little latency per call stretches a batch over tens of milliseconds, so a kill
        // lands inside one rather than between runs.
        latency_ms: 5,
        ..SimConfig::default()
    })
    .await;
    let runs = h.sync(Some(&["journals"]), true).await;
    let run = runs[0];
    let batch = CRASH_BATCH.to_string();
    let env = [
        ("SYNC_BATCH_SIZE", batch.as_str()),
        ("WORKER_CONCURRENCY", "2"),
    ];

    // Kill at three different points of the run; the pause after seeing the target commit
    // varies where in the next batch (fetching, upserting, committing) the kill falls.
    let mut kills = Vec::new();
    let mut took_over = Vec::new();
    let mut worker = WorkerProcess::start(&h, &env);
    for (i, (target, pause_ms)) in [(3, 0), (12, 40), (24, 90)].into_iter().enumerate() {
        eventually(
            "the run to reach its kill point",
            Duration::from_secs(60),
            || async {
                let (_, batches, _) = committed(&h, run).await;
                (batches >= target).then_some(())
            },
        )
        .await;
        tokio::time::sleep(Duration::from_millis(pause_ms)).await;
        if i > 0 {
            took_over.push(worker.logged(TAKE_OVER));
        }
        worker.kill().await;
        // The process is dead: what the run shows now is exactly what it had committed.
        let (status, batches, offset) = committed(&h, run).await;
        assert_eq!(status, "running", "killed before the run ended");
        kills.push((batches, offset.unwrap()));
        // A fresh process (a fresh worker name) rescues the dead one's job once its heartbeat
        // is stale, and carries on.
        worker = WorkerProcess::start(&h, &env);
    }
    h.wait(&runs, Duration::from_secs(120)).await;
    took_over.push(worker.logged(TAKE_OVER));
    worker.kill().await;
    assert!(
        took_over.contains(&true),
        "a rescuing worker says it takes a dead worker's job over: {took_over:?}"
    );

    let offsets: Vec<i64> = kills.iter().map(|(_, offset)| *offset).collect();
    assert!(
        offsets.windows(2).all(|w| w[0] < w[1]),
        "each kill came later in the run: {kills:?}"
    );
    assert_journals_equal(&h).await;

    // Every offset the run asked for, once each, except the pages of the batch each kill
    // interrupted: those began at the committed offset and were fetched again after it.
    let served = served(&h, "Journals").await;
    let by_offset: BTreeMap<i64, u64> = served
        .iter()
        .map(|((_, cursor), count)| (offset_of(cursor), *count))
        .collect();
    // A kill interrupts at most the batch after the committed offset and the one a worker
    // carrying the run fetches while that batch commits: their pages (the first
    // 2 × CRASH_BATCH offsets from there) may have been served once to the dead worker. Every
    // other offset, including every one committed before a kill, was served exactly once.
    let interrupted = |offset: i64| {
        offsets
            .iter()
            .filter(|&&at| {
                by_offset
                    .range(at..)
                    .take(IN_FLIGHT)
                    .any(|(o, _)| *o == offset)
            })
            .count() as u64
    };
    let refetched: Vec<_> = by_offset
        .iter()
        .filter(|&(&offset, &count)| count > 1 + interrupted(offset))
        .collect();
    assert!(
        refetched.is_empty(),
        "committed pages fetched again (offset, times): {refetched:?}; kills at {kills:?}"
    );
    let last = *by_offset.keys().last().unwrap();
    assert_eq!(
        by_offset.len(),
        CRASH_JOURNALS / 100 + 1,
        "one key per page of 100 plus the empty page at {last}"
    );
    let jobs = batch_jobs(&h).await;
    assert!(
        jobs.iter().all(|j| j.status == "Done"),
        "every batch job is done: {jobs:?}"
    );
    assert_eq!(
        jobs.len(),
        41,
        "40 batches of 500 journals and the empty page"
    );
    let again: Vec<_> = by_offset.iter().filter(|(_, c)| **c > 1).collect();
    eprintln!("kills at (batches, offset): {kills:?}; interrupted pages fetched again: {again:?}");
}

// ---------------------------------------------------------------------------------------------
// Graceful stop

/// `WORKER_SHUTDOWN_TIMEOUT_SECS` of the graceful-stop test.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_batches_commit_releases_every_job_and_a_new_worker_finishes() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        journals: 5_000,
        rate_limits: false,
        // 5 calls of 100 ms: each batch is in flight for half a second, long enough to be
        // caught by the signal, far shorter than the shutdown timeout.
        latency_ms: 100,
        ..SimConfig::default()
    })
    .await;
    let runs = h.sync(Some(&["journals"]), true).await;
    let timeout = SHUTDOWN_TIMEOUT.as_secs().to_string();
    let env = [
        ("SYNC_BATCH_SIZE", "5"),
        ("WORKER_CONCURRENCY", "2"),
        ("WORKER_SHUTDOWN_TIMEOUT_SECS", timeout.as_str()),
    ];
    let mut worker = WorkerProcess::start(&h, &env);
    let total_batches = async || -> i64 {
        sqlx::query_scalar("SELECT sum(batches) FROM xero.sync_log WHERE run_id = ANY($1)")
            .bind(&runs)
            .fetch_one(&h.db.pool)
            .await
            .unwrap()
    };
    let before = eventually(
        "a batch in flight after one committed",
        Duration::from_secs(60),
        || async {
            let batches = total_batches().await;
            (batches >= 2 && !locked_jobs(&h).await.is_empty()).then_some(batches)
        },
    )
    .await;

    let signalled = Instant::now();
    worker.terminate();
    let status = worker
        .exited_within(SHUTDOWN_TIMEOUT + Duration::from_secs(5))
        .await;
    let took = signalled.elapsed();
    assert!(status.success(), "the worker exits cleanly: {status}");
    assert!(
        worker.logged("shutdown signal: draining"),
        "the worker says it drains"
    );
    assert!(took <= SHUTDOWN_TIMEOUT, "exited {took:?} after SIGTERM");
    assert_eq!(locked_jobs(&h).await, vec![], "no job is left locked");
    let after = total_batches().await;
    assert!(
        after > before,
        "the in-flight batches committed ({before} → {after})"
    );
    for &run in &runs {
        let (status, _, _) = committed(&h, run).await;
        assert_eq!(status, "running", "stopped mid-run");
    }

    let mut next = WorkerProcess::start(&h, &env);
    h.wait(&runs, Duration::from_secs(60)).await;
    next.terminate();
    assert!(next.exited_within(SHUTDOWN_TIMEOUT).await.success());
    assert_journals_equal(&h).await;
    // Nothing was cut off mid-batch, so no page was fetched twice.
    let twice: Vec<_> = served(&h, "Journals")
        .await
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .collect();
    assert_eq!(twice, vec![], "pages fetched more than once");
    let jobs = batch_jobs(&h).await;
    assert!(jobs.iter().all(|j| j.status == "Done"), "{jobs:?}");
    eprintln!("SIGTERM → exit in {took:?}; batches {before} → {after} during the drain");
}

// ---------------------------------------------------------------------------------------------
// Two replicas

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_on_one_queue_process_every_batch_exactly_once() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        journals: 3_000,
        rate_limits: false,
        latency_ms: 5,
        ..SimConfig::default()
    })
    .await;
    // One page per job: many small jobs, so both replicas claim from every chain.
    let env = [("SYNC_BATCH_SIZE", "1"), ("WORKER_CONCURRENCY", "2")];
    let mut replicas = [
        WorkerProcess::start(&h, &env),
        WorkerProcess::start(&h, &env),
    ];
    h.workers_registered(2).await;
    let runs = h.sync(None, true).await;
    assert_eq!(runs.len(), 8, "four entities of two tenants");
    h.wait(&runs, Duration::from_secs(90)).await;
    for replica in &mut replicas {
        replica.terminate();
        assert!(replica.exited_within(SHUTDOWN_TIMEOUT * 4).await.success());
    }
    h.assert_equal(None).await;

    // Every batch of every run: one job, done on its first attempt.
    let jobs = batch_jobs(&h).await;
    let expected: i64 = sqlx::query_scalar(
        "SELECT sum(batches) FROM xero.sync_log WHERE run_id = ANY($1) AND status = 'completed'",
    )
    .bind(&runs)
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(jobs.len() as i64, expected, "one job per committed batch");
    let not_once: Vec<_> = jobs
        .iter()
        .filter(|j| j.status != "Done" || j.attempts != 1)
        .collect();
    assert!(
        not_once.is_empty(),
        "jobs not done in one attempt: {not_once:?}"
    );
    let keys: BTreeSet<(&str, i32)> = jobs.iter().map(|j| (j.run_id.as_str(), j.seq)).collect();
    assert_eq!(keys.len(), jobs.len(), "a (run, seq) was enqueued twice");

    // Xero answered every cursor once: no page was fetched by both replicas.
    let twice: Vec<_> = served(&h, "")
        .await
        .into_iter()
        .filter(|(_, count)| *count > 1)
        .collect();
    assert_eq!(twice, vec![], "cursors served more than once");

    // The replicas' logs split the batches between them without overlap.
    let [a, b] = replicas.map(|r| r.committed_batches().into_iter().collect::<BTreeSet<_>>());
    assert!(
        !a.is_empty() && !b.is_empty(),
        "both replicas did work: {} and {}",
        a.len(),
        b.len()
    );
    assert!(
        a.is_disjoint(&b),
        "a batch committed by both: {:?}",
        a.intersection(&b).collect::<Vec<_>>()
    );
    assert_eq!(
        a.len() + b.len(),
        jobs.len(),
        "every batch was committed by one replica"
    );
    eprintln!("replica batches: {} and {}", a.len(), b.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_outlasting_the_shutdown_timeout_is_cut_off_rolled_back_and_released_at_once() {
    let h = Harness::new(SimConfig {
        journals: 3_000,
        rate_limits: false,
        latency_ms: 20,
        ..SimConfig::default()
    })
    .await;
    let runs = h.sync(Some(&["journals"]), true).await;
    let run = runs[0];
    let env = [
        ("SYNC_BATCH_SIZE", "5"),
        ("WORKER_CONCURRENCY", "1"),
        ("WORKER_SHUTDOWN_TIMEOUT_SECS", "1"),
    ];
    let mut worker = WorkerProcess::start(&h, &env);
    eventually("a committed batch", Duration::from_secs(30), || async {
        let (_, batches, _) = committed(&h, run).await;
        (batches >= 1).then_some(())
    })
    .await;
    // The next call is held for four seconds: longer than the shutdown timeout, shorter than
    // the client's timeout, so the batch it belongs to is still fetching when the worker gives
    // up on it. Which batch that is depends on timing — the batch after the last commit, or the
    // one after that when its calls are made while the batch before commits — so the test
    // learns the call's offset from the simulator rather than guessing.
    let fault =
        serde_json::json!({"endpoint": "Journals", "kind": "slow", "count": 1, "delay_ms": 4000});
    h.sim_json("POST", "/sim/faults", Some(fault)).await;
    let slow_offset: i64 = eventually(
        "the slow call in flight",
        Duration::from_secs(30),
        || async {
            let faults = h.sim_json("GET", "/sim/faults", None).await;
            let taken = faults["taken"].as_array().unwrap().first()?.clone();
            taken["query"]["offset"].as_str()?.parse().ok()
        },
    )
    .await;
    let signalled = Instant::now();
    worker.terminate();
    let status = worker.exited_within(Duration::from_secs(10)).await;
    let took = signalled.elapsed();
    assert!(status.success(), "{status}");
    assert!(
        took < Duration::from_secs(3),
        "exited {took:?} after SIGTERM"
    );

    // The process is gone, so no transaction of it is open: what Postgres holds is final.
    // The rule: a batch whose transaction committed is done, logged and never repeated; the
    // batch cut before its commit left nothing behind and its job is free for the next worker.
    let (status, batches, offset) = committed(&h, run).await;
    assert_eq!(status, "running", "stopped mid-run");
    let jobs: Vec<BatchRow> = batch_jobs(&h)
        .await
        .into_iter()
        .filter(|j| j.run_id == run.to_string())
        .collect();
    let done: Vec<i32> = jobs
        .iter()
        .filter(|j| j.status == "Done")
        .map(|j| j.seq)
        .collect();
    assert_eq!(
        done,
        (0..batches).collect::<Vec<_>>(),
        "the committed batches' jobs are done: {jobs:?}"
    );
    let logged: BTreeSet<i64> = worker
        .committed_batches()
        .into_iter()
        .filter(|(r, _)| *r == run.to_string())
        .map(|(_, seq)| seq)
        .collect();
    assert_eq!(
        logged,
        (0..i64::from(batches)).collect::<BTreeSet<_>>(),
        "every committed batch was logged"
    );
    let offset = offset.unwrap();
    let stored: i64 =
        sqlx::query_scalar("SELECT coalesce(max(journal_number), 0)::bigint FROM xero.journals")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(
        stored, offset,
        "nothing past the committed cursor is stored"
    );
    assert!(
        offset <= slow_offset,
        "the batch holding the slow call (offset {slow_offset}) did not commit; cursor at {offset}"
    );
    let open: Vec<(i32, &str)> = jobs
        .iter()
        .filter(|j| j.status != "Done")
        .map(|j| (j.seq, j.status.as_str()))
        .collect();
    assert_eq!(
        open,
        vec![(batches, "Pending")],
        "the cut batch's job is back in the queue"
    );
    assert_eq!(
        locked_jobs(&h).await,
        vec![],
        "the cut batch's job is released"
    );
    eprintln!("slow call at offset {slow_offset}; committed {batches} batches to offset {offset}");

    // Released, not orphaned: a new worker takes it up without waiting out a heartbeat window.
    let restarted = Instant::now();
    let mut next = WorkerProcess::start(&h, &env);
    h.wait(&runs, Duration::from_secs(60)).await;
    assert!(
        restarted.elapsed() < Duration::from_secs(10),
        "finished in {:?}",
        restarted.elapsed()
    );
    next.terminate();
    assert!(next.exited_within(SHUTDOWN_TIMEOUT).await.success());
    assert_journals_equal(&h).await;
}

// ---------------------------------------------------------------------------------------------
// Poison jobs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_dies_five_times_is_failed_as_poison_and_the_replicas_carry_on() {
    let h = Harness::new(SimConfig {
        journals: 500,
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    // Every Journals call hangs for a minute: whoever takes the job is mid-call when killed,
    // as a replica killed for memory by one huge response would be.
    let hang = serde_json::json!({"endpoint": "Journals", "kind": "slow", "count": 100, "delay_ms": 60_000});
    h.sim_json("POST", "/sim/faults", Some(hang)).await;
    let runs = h.sync(Some(&["journals"]), true).await;
    let job_key = format!("{}:0", runs[0]);
    let env = [
        ("WORKER_HEARTBEAT_SECS", "1"),
        ("MAINTENANCE_INTERVAL_SECS", "1"),
        ("XERO_TIMEOUT_SECS", "15"),
        ("WORKER_CONCURRENCY", "2"),
    ];
    let holder = async |h: &Harness| -> Option<String> {
        sqlx::query_scalar(
            "SELECT lock_by FROM apalis.jobs WHERE idempotency_key = $1
                AND status IN ('Queued', 'Running')",
        )
        .bind(&job_key)
        .fetch_optional(&h.db.pool)
        .await
        .unwrap()
        .flatten()
    };
    let mut previous = None;
    for kill in 1..=5 {
        let mut worker = WorkerProcess::start(&h, &env);
        let took = eventually(
            "a replica holding the job",
            Duration::from_secs(60),
            || async { holder(&h).await.filter(|w| Some(w) != previous.as_ref()) },
        )
        .await;
        previous = Some(took);
        // Mid-call: the slow fault for this attempt has been taken.
        eventually("the call in flight", Duration::from_secs(30), || async {
            let pending = h.sim_json("GET", "/sim/faults", None).await;
            let left = pending["pending"][0]["count"].as_u64().unwrap_or(0);
            (left <= 100 - kill).then_some(())
        })
        .await;
        worker.kill().await;
    }
    // The next replica's orphan recovery is the fifth for this job: it is failed as poison,
    // and maintenance fails its run, instead of the replica taking it and dying too.
    let mut survivor = WorkerProcess::start(&h, &env);
    let ended = h.wait_ended(&runs, Duration::from_secs(60)).await;
    assert_eq!(ended, ["failed"]);
    let error = h.run_outcome(runs[0]).await.1.unwrap();
    assert!(
        error.contains("poison") && error.contains("died 5 times"),
        "{error}"
    );
    h.sim_json("DELETE", "/sim/faults", None).await;
    let later = h.sync(Some(&["accounts"]), true).await;
    h.wait(&later, Duration::from_secs(60)).await;
    survivor.terminate();
    assert!(survivor.exited_within(SHUTDOWN_TIMEOUT).await.success());
}

// ---------------------------------------------------------------------------------------------
// The database goes away

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_database_connection_terminated_three_times_mid_sync_is_survived_without_refetching()
{
    let h = Harness::new(SimConfig {
        journals: CRASH_JOURNALS,
        rate_limits: false,
        latency_ms: 5,
        ..SimConfig::default()
    })
    .await;
    let runs = h.sync(Some(&["journals"]), true).await;
    let run = runs[0];
    let batch = CRASH_BATCH.to_string();
    let env = [
        ("SYNC_BATCH_SIZE", batch.as_str()),
        ("WORKER_CONCURRENCY", "2"),
    ];
    let mut worker = WorkerProcess::start(&h, &env);
    let mut cuts = Vec::new();
    for target in [3, 12, 24] {
        eventually(
            "the run to reach its cut point",
            Duration::from_secs(60),
            || async { (committed(&h, run).await.1 >= target).then_some(()) },
        )
        .await;
        // Every session of the database but this one: the worker's pool, its LISTEN
        // connection, a batch mid-commit. As a restarted server does to them.
        let terminated: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&h.db.pool)
        .await
        .unwrap();
        assert!(!terminated.is_empty());
        let (_, batches, offset) = committed(&h, run).await;
        cuts.push((batches, offset.unwrap()));
    }
    h.wait(&runs, Duration::from_secs(120)).await;
    assert!(
        worker.child.try_wait().unwrap().is_none(),
        "the worker outlived its database connections"
    );
    worker.terminate();
    assert!(worker.exited_within(SHUTDOWN_TIMEOUT).await.success());
    assert_journals_equal(&h).await;

    // As after a kill: only the batches in flight at a cut may be fetched again.
    let by_offset: BTreeMap<i64, u64> = served(&h, "Journals")
        .await
        .iter()
        .map(|((_, cursor), count)| (offset_of(cursor), *count))
        .collect();
    let offsets: Vec<i64> = cuts.iter().map(|(_, o)| *o).collect();
    let refetched: Vec<_> = by_offset
        .iter()
        .filter(|&(&offset, &count)| {
            let interrupted = offsets
                .iter()
                .filter(|&&at| {
                    by_offset
                        .range(at..)
                        .take(IN_FLIGHT)
                        .any(|(o, _)| *o == offset)
                })
                .count() as u64;
            count > 1 + interrupted
        })
        .collect();
    assert!(
        refetched.is_empty(),
        "committed pages fetched again: {refetched:?}; cuts {cuts:?}"
    );
    eprintln!("connections cut at (batches, offset): {cuts:?}");
}
