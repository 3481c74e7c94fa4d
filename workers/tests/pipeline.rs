//! The batch pipeline under failure: a database error rolls a whole batch back and the job is
//! retried with progress intact; 429s and 503s snooze jobs without spending attempts; records
//! edited in Xero while a full run pages through them are never lost, not even the record at a
//! page boundary that page-number paging would skip.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Harness, eventually, small_org};
use uuid::Uuid;
use xero_sync_sim::SimConfig;

/// A run's row in `xero.sync_log`.
#[derive(Debug, Clone, sqlx::FromRow)]
struct RunRow {
    status: String,
    mode: String,
    batches: i32,
    pages: i32,
    api_calls: i32,
    records: i64,
}

/// A failed job and its run, read in one snapshot (a retry writes both in one transaction).
#[derive(Debug, sqlx::FromRow)]
struct FailedBatch {
    attempts: i32,
    last_result: Value,
    status: String,
    batches: i32,
    pages: i32,
    api_calls: i32,
    records: i64,
    cursor: Value,
}

async fn run_row(h: &Harness, run: Uuid) -> RunRow {
    sqlx::query_as(
        "SELECT status, mode, batches, pages, api_calls, records FROM xero.sync_log
          WHERE run_id = $1",
    )
    .bind(run)
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}

/// Asserts that the stored set `set` (invoice_line_items, journal_lines) equals Xero's.
async fn assert_lines_equal(h: &Harness, set: &str) {
    let (_, query) = xero_sync_workers::line_digests()
        .iter()
        .find(|(name, _)| *name == set)
        .unwrap();
    for &tenant in &h.tenants {
        let ours = xero_sync::digest::digest_query(&h.db.pool, query, tenant)
            .await
            .unwrap();
        assert_eq!(
            (ours.count, ours.digest),
            h.sim_digest(tenant, set).await,
            "{set}"
        );
    }
}

/// Makes inserting any journal numbered above 400 fail while `public.fault_switch` is armed.
const REFUSE_JOURNALS: &str = "
    CREATE TABLE public.fault_switch (armed boolean NOT NULL);
    INSERT INTO public.fault_switch VALUES (true);
    CREATE FUNCTION public.refuse_journal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.journal_number > 400 AND (SELECT armed FROM public.fault_switch) THEN
            RAISE EXCEPTION 'injected failure inserting journal %', NEW.journal_number;
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_journal BEFORE INSERT ON xero.journals
        FOR EACH ROW EXECUTE FUNCTION public.refuse_journal();";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_error_mid_batch_rolls_the_whole_batch_back_and_the_job_is_retried() {
    let h = Harness::new(small_org()).await;
    sqlx::raw_sql(REFUSE_JOURNALS)
        .execute(&h.db.pool)
        .await
        .unwrap();
    // Three pages of 100 journals per job: the second job (journals 301–600) stores its first
    // page, then fails on journal 401 in its second page.
    let worker = h.worker(3, 2);
    let run = h.sync(Some(&["journals"]), true).await[0];
    let second_job = format!("{run}:1");
    let failed: FailedBatch = eventually(
        "the second batch to fail",
        Duration::from_secs(30),
        || async {
            sqlx::query_as(
                "SELECT j.attempts, j.last_result, l.status, l.batches, l.pages, l.api_calls,
                        l.records, l.cursor
                   FROM apalis.jobs j, xero.sync_log l
                  WHERE j.idempotency_key = $1 AND l.run_id = $2 AND j.status = 'Failed'",
            )
            .bind(&second_job)
            .bind(run)
            .fetch_optional(&h.db.pool)
            .await
            .unwrap()
        },
    )
    .await;
    let FailedBatch {
        attempts,
        last_result,
        status,
        batches,
        pages,
        api_calls,
        records,
        cursor,
    } = failed;
    let error = last_result["Err"].as_str().unwrap();
    assert!(
        error.starts_with("database error committing the batch")
            && error.contains("injected failure inserting journal"),
        "{error}"
    );
    // The run stands where the first batch left it; the failed attempts' calls are counted.
    assert_eq!(status, "running");
    assert_eq!((batches, pages, records), (1, 3, 300));
    assert_eq!(cursor, json!({"kind": "offset", "offset": 300}));
    assert_eq!(api_calls, 3 + 3 * attempts);
    // Nothing of the failed batch is visible, not even the page stored before the error.
    let (journals, greatest, orphan_lines): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM xero.journals), (SELECT max(journal_number) FROM xero.journals),
                (SELECT count(*) FROM xero.journal_lines l WHERE NOT EXISTS (
                    SELECT 1 FROM xero.journals j
                     WHERE j.tenant_id = l.tenant_id AND j.journal_id = l.journal_id))",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!((journals, greatest, orphan_lines), (300, 300, 0));
    let (progress, offset): (String, Option<i64>) = sqlx::query_as(
        "SELECT status, last_offset FROM xero.sync_progress WHERE entity = 'journals'",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!((progress.as_str(), offset), ("running", None));

    // The database recovers; the retry commits the batch and the run completes.
    sqlx::query("UPDATE public.fault_switch SET armed = false")
        .execute(&h.db.pool)
        .await
        .unwrap();
    h.wait(&[run], Duration::from_secs(60)).await;
    worker.stop().await;
    h.assert_equal(Some(&["journals"])).await;
    assert_lines_equal(&h, "journal_lines").await;
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM apalis.jobs WHERE idempotency_key = $1")
            .bind(&second_job)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(status, "Done");
    let failures = attempts - 1;
    assert!(failures >= 1);
    let done = run_row(&h, run).await;
    // 2,500 journals in 25 pages and the empty page that ends the run, each counted once.
    assert_eq!((done.records, done.pages), (2_500, 26));
    assert_eq!(done.api_calls, 26 + 3 * failures);
    let (progress, offset): (String, Option<i64>) = sqlx::query_as(
        "SELECT status, last_offset FROM xero.sync_progress WHERE entity = 'journals'",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!((progress.as_str(), offset), ("completed", Some(2_500)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_an_offline_organisation_snooze_jobs_without_spending_attempts() {
    let h = Harness::new(small_org()).await;
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(json!([
            {"endpoint": "Invoices", "kind": "rate_limit_429", "count": 2, "retry_after_secs": 2},
            {"endpoint": "Contacts", "kind": "offline_503", "count": 1},
        ])),
    )
    .await;
    let worker = h.worker(3, 4);
    let runs = h.sync(Some(&["contacts", "invoices"]), true).await;
    // A snoozed job waits as Pending with no attempt spent.
    let reason: Value = eventually("a snoozed job", Duration::from_secs(20), || async {
        let reason: Option<Value> = sqlx::query_scalar(
            "SELECT last_result FROM apalis.jobs
              WHERE status = 'Pending' AND attempts = 0 AND last_result ? 'Snoozed' LIMIT 1",
        )
        .fetch_optional(&h.db.pool)
        .await
        .unwrap();
        reason
    })
    .await;
    assert!(reason["Snoozed"].is_string(), "{reason}");
    h.wait(&runs, Duration::from_secs(60)).await;
    worker.stop().await;
    h.assert_equal(Some(&["contacts", "invoices"])).await;

    // Every batch job completed on its first and only attempt.
    h.assert_jobs_done_first_time(&runs).await;
    // The refused calls count as calls of their runs.
    let calls: Vec<(String, i32, i32)> = sqlx::query_as(
        "SELECT entity, pages, api_calls FROM xero.sync_log WHERE run_id = ANY($1) ORDER BY entity",
    )
    .bind(&runs)
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    let extra: Vec<(&str, i32)> = calls
        .iter()
        .map(|(e, pages, calls)| (e.as_str(), calls - pages))
        .collect();
    assert_eq!(extra, [("contacts", 1), ("invoices", 2)], "{calls:?}");
    let stats = h.sim_stats().await;
    assert_eq!(stats["rate_limited"]["minute"], 2, "{stats}");
    assert_eq!(stats["requests"]["Invoices"]["429"], 2, "{stats}");
    assert_eq!(stats["requests"]["Contacts"]["503"], 1, "{stats}");
    // The 429's Retry-After blocked the tenant for every replica.
    let blocked: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT blocked_until FROM xero.tenants WHERE tenant_id = $1")
            .bind(h.tenants[0])
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert!(blocked.is_some());
}

/// Invoice ids on one page of a plain page-number listing, as a naive sync would fetch it.
async fn page_of_invoices(h: &Harness, token: &str, page: u32) -> Vec<Uuid> {
    let body: Value = h
        .http
        .get(format!("{}/api.xro/2.0/Invoices", h.sim.origin()))
        .bearer_auth(token)
        .header("xero-tenant-id", h.tenants[0].to_string())
        .header("Accept", "application/json")
        .query(&[("page", page.to_string()), ("pageSize", "1000".into())])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    body["Invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InvoiceID"].as_str().unwrap().parse().unwrap())
        .collect()
}

async fn stored_invoice(h: &Harness, id: Uuid) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM xero.invoices WHERE invoice_id = $1)")
        .bind(id)
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_edited_during_a_full_run_are_never_lost_not_even_at_a_page_boundary() {
    let h = Harness::new(SimConfig {
        invoices: 3_500,
        contacts: 300,
        accounts: 40,
        journals: 500,
        rate_limits: false,
        latency_ms: 300,
        ..SimConfig::default()
    })
    .await;
    // The naive reader's own token: the engine's is sealed in the database.
    let token = h.sim.custom_connection_token().unwrap();
    // The first record of page 2 before anything changes.
    let boundary = page_of_invoices(&h, &token, 2).await[0];
    // One page per job, so the test can act between batches.
    let worker = h.worker(1, 2);
    let run = h.sync(Some(&["invoices"]), true).await[0];
    let mut edited_rounds = 0;
    for batches in [1, 2] {
        let row = eventually("the next batch", Duration::from_secs(30), || async {
            let row = run_row(&h, run).await;
            (row.batches >= batches || row.status != "running").then_some(row)
        })
        .await;
        if row.status != "running" {
            break;
        }
        let outcome = h
            .sim_json(
                "POST",
                "/sim/mutate",
                Some(json!({"entity": "invoices", "count": 100})),
            )
            .await;
        assert!(outcome["updated"].as_u64().unwrap() > 0, "{outcome}");
        edited_rounds += 1;
        if batches == 1 {
            // Records of the page already fetched moved to the end: the boundary record slid
            // back onto page 1, so page-number paging would now skip it.
            let page_two = page_of_invoices(&h, &token, 2).await;
            assert!(!page_two.contains(&boundary), "the edits hit page 1");
        }
    }
    assert_eq!(
        edited_rounds, 2,
        "the run ended before both rounds of edits"
    );
    h.wait(&[run], Duration::from_secs(60)).await;
    assert!(
        stored_invoice(&h, boundary).await,
        "the full run skipped the boundary record"
    );
    // What changed after the run's last page is the next incremental run's.
    let next = h.sync(Some(&["invoices"]), false).await[0];
    h.wait(&[next], Duration::from_secs(60)).await;
    worker.stop().await;
    assert_eq!(run_row(&h, next).await.mode, "incremental");
    h.assert_equal(Some(&["invoices"])).await;
    assert_lines_equal(&h, "invoice_line_items").await;
}

/// The outcome each batch job of `run` recorded, in batch order.
async fn batch_outcomes(h: &Harness, run: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT last_result ->> 'Ok' FROM apalis.jobs
          WHERE split_part(idempotency_key, ':', 1) = $1::text
          ORDER BY split_part(idempotency_key, ':', 2)::int",
    )
    .bind(run)
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_carries_its_run_from_batch_to_batch_without_handing_it_through_the_queue() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(1, 2);
    let runs = h.sync(Some(&["journals"]), true).await;
    h.wait(&runs, Duration::from_secs(60)).await;
    worker.stop().await;
    let outcomes = batch_outcomes(&h, runs[0]).await;
    assert!(outcomes.len() > 20, "{} batches", outcomes.len());
    let (last, carried) = outcomes.split_last().unwrap();
    assert!(last.starts_with("run completed"), "{last}");
    for (seq, outcome) in carried.iter().enumerate() {
        assert_eq!(
            outcome,
            &format!("batch {seq} committed; batch {} carried on", seq + 1)
        );
    }
    h.assert_jobs_done_first_time(&runs).await;
    h.assert_equal(Some(&["journals"])).await;
    // Each batch's page was fetched while the batch before it committed, and used: no page was
    // asked for twice.
    let served = h.sim_served("Journals").await;
    assert_eq!(served.len(), outcomes.len(), "{served:?}");
    assert!(served.iter().all(|(_, n)| *n == 1), "{served:?}");

    // With carrying off, every batch is handed on through the queue.
    let sync = xero_sync::config::SyncArgs {
        carry_secs: 0,
        ..support::sync_args(1)
    };
    let options = xero_sync::worker::WorkerOptions::new(2, Duration::from_secs(30));
    let worker = h.worker_with(&sync, options);
    let again = h.sync(Some(&["journals"]), true).await;
    h.wait(&again, Duration::from_secs(60)).await;
    worker.stop().await;
    let outcomes = batch_outcomes(&h, again[0]).await;
    assert!(
        outcomes[..outcomes.len() - 1]
            .iter()
            .all(|o| o.ends_with("queued"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_run_carried_by_the_only_worker_still_lets_another_organisations_run_through() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        journals: 20_000,
        ..small_org()
    })
    .await;
    // One job at a time, carried for one second at most, one page per batch: the big run
    // takes many seconds.
    let sync = xero_sync::config::SyncArgs {
        carry_secs: 1,
        ..support::sync_args(1)
    };
    let options = xero_sync::worker::WorkerOptions::new(1, Duration::from_secs(30));
    let worker = h.worker_with(&sync, options);
    let big = xero_sync::app::request_sync(
        &h.db.pool,
        xero_sync_workers::registry(),
        &xero_sync::app::Selection {
            tenants: Some(vec![h.tenants[0]]),
            entities: Some(vec!["journals".into()]),
        },
        true,
        8,
    )
    .await
    .unwrap()[0]
        .2
        .run_id;
    eventually("the big run under way", Duration::from_secs(30), || async {
        (run_row(&h, big).await.batches >= 3).then_some(())
    })
    .await;
    let small = xero_sync::app::request_sync(
        &h.db.pool,
        xero_sync_workers::registry(),
        &xero_sync::app::Selection {
            tenants: Some(vec![h.tenants[1]]),
            entities: Some(vec!["accounts".into()]),
        },
        true,
        8,
    )
    .await
    .unwrap()[0]
        .2
        .run_id;
    h.wait(&[small], Duration::from_secs(30)).await;
    let big_row = run_row(&h, big).await;
    assert_eq!(
        big_row.status, "running",
        "the small run finished while the big one was still going"
    );
    h.wait(&[big], Duration::from_secs(120)).await;
    worker.stop().await;
}
