//! Bad input never stops the pipeline: a job row with a garbage payload or an unknown entity
//! fails that one job with a clear error, rows apalis could not even decode are refused at the
//! door by check constraints, a truncated Xero response is retried without losing what was
//! committed, and invalid configuration stops the binary at start naming the variable.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::{Harness, eventually, small_org};
use uuid::Uuid;
use xero_sync_sim::SimConfig;

/// A job row as the queue holds it.
#[derive(Debug, sqlx::FromRow)]
struct JobRow {
    status: String,
    attempts: i32,
    max_attempts: i32,
    last_result: Option<Value>,
    lock_by: Option<String>,
}

async fn job(h: &Harness, id: &str) -> JobRow {
    sqlx::query_as(
        "SELECT status, attempts, max_attempts, last_result, lock_by FROM apalis.jobs
          WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}

/// Inserts a job of our queue the way an operator's psql session would.
async fn insert_job(h: &Harness, payload: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO apalis.jobs (id, job_type, job)
         VALUES (apalis.generate_ulid(), 'xero-sync', convert_to($1, 'UTF8')) RETURNING id",
    )
    .bind(payload)
    .fetch_one(&h.db.pool)
    .await
}

/// Waits until the job has failed for good and returns its error.
async fn failed_for_good(h: &Harness, id: &str) -> String {
    let row = eventually(
        &format!("job {id} to fail"),
        Duration::from_secs(20),
        || async {
            let row = job(h, id).await;
            (row.status == "Failed").then_some(row)
        },
    )
    .await;
    // Failed with no attempts left: apalis never fetches it again.
    assert!(row.attempts >= row.max_attempts, "{row:?}");
    assert_eq!(row.lock_by, None, "{row:?}");
    row.last_result.unwrap()["Err"].as_str().unwrap().to_owned()
}

/// The worker still serves real work: a sync of a small entity completes and matches Xero.
async fn still_serving(h: &Harness) {
    let runs = h.sync(Some(&["accounts", "contacts"]), true).await;
    h.wait(&runs, Duration::from_secs(30)).await;
    h.assert_equal(Some(&["accounts", "contacts"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_with_a_garbage_payload_fails_with_a_clear_error_and_the_worker_keeps_serving() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(3, 2);
    let nonsense = insert_job(&h, r#"{"nonsense":1}"#).await.unwrap();
    let bad_uuid = insert_job(
        &h,
        r#"{"run_id":"not-a-uuid","tenant_id":"x","entity":"accounts","seq":0}"#,
    )
    .await
    .unwrap();
    let bad_schedule = insert_job(&h, r#"{"after_run":5}"#).await.unwrap();

    let error = failed_for_good(&h, &nonsense).await;
    assert!(error.starts_with("undecodable job payload"), "{error}");
    let error = failed_for_good(&h, &bad_uuid).await;
    assert!(error.starts_with("undecodable job payload"), "{error}");
    assert!(error.contains("UUID"), "{error}");
    let error = failed_for_good(&h, &bad_schedule).await;
    assert!(error.starts_with("undecodable scheduled run"), "{error}");

    still_serving(&h).await;
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_apalis_cannot_decode_are_refused_by_check_constraints_naming_the_rule() {
    let h = Harness::new(small_org()).await;
    let refused = |result: Result<String, sqlx::Error>| {
        let error = result.expect_err("the row must be refused");
        let db = error.as_database_error().expect("a database error");
        assert_eq!(db.code().as_deref(), Some("23514"), "{db}");
        db.constraint().unwrap().to_owned()
    };
    // Not JSON at all; JSON that is not an object; deeper than serde_json reads; a number
    // beyond f64. Each would end the worker inside apalis's fetch, before our handler.
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
    for payload in [
        "not json at all",
        "[1, 2]",
        "\"text\"",
        &deep,
        r#"{"n":1e400}"#,
    ] {
        assert_eq!(
            refused(insert_job(&h, payload).await),
            "jobs_xero_sync_payload_is_json_object",
            "{payload}"
        );
    }
    let bytes: Result<String, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO apalis.jobs (id, job_type, job)
         VALUES (apalis.generate_ulid(), 'xero-sync', '\\xfffe7b7d'::bytea) RETURNING id",
    )
    .fetch_one(&h.db.pool)
    .await;
    assert_eq!(refused(bytes), "jobs_xero_sync_payload_is_json_object");
    let bad_id: Result<String, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO apalis.jobs (id, job_type, job)
         VALUES ('job-1', 'xero-sync', convert_to('{}', 'UTF8')) RETURNING id",
    )
    .fetch_one(&h.db.pool)
    .await;
    assert_eq!(refused(bad_id), "jobs_id_is_ulid");
    let null_metadata: Result<String, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO apalis.jobs (id, job_type, job, metadata)
         VALUES (apalis.generate_ulid(), 'xero-sync', convert_to('{}', 'UTF8'),
                 hstore('trace', NULL)) RETURNING id",
    )
    .fetch_one(&h.db.pool)
    .await;
    assert_eq!(refused(null_metadata), "jobs_metadata_no_null_values");
    // Turning a good row bad is refused as well.
    let good = insert_job(&h, r#"{"nonsense":1}"#).await.unwrap();
    let updated: Result<String, sqlx::Error> = sqlx::query_scalar(
        "UPDATE apalis.jobs SET job = convert_to('oops', 'UTF8') WHERE id = $1 RETURNING id",
    )
    .bind(&good)
    .fetch_one(&h.db.pool)
    .await;
    assert_eq!(refused(updated), "jobs_xero_sync_payload_is_json_object");
    // The payload rule is ours: other queues keep their own codecs.
    sqlx::query(
        "INSERT INTO apalis.jobs (id, job_type, job)
         VALUES (apalis.generate_ulid(), 'someone-else', convert_to('not json', 'UTF8'))",
    )
    .execute(&h.db.pool)
    .await
    .unwrap();

    let worker = h.worker(3, 2);
    let error = failed_for_good(&h, &good).await;
    assert!(error.starts_with("undecodable job payload"), "{error}");
    still_serving(&h).await;
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_naming_an_unknown_entity_fails_listing_the_known_entities() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let batch =
        json!({"run_id": Uuid::new_v4(), "tenant_id": tenant, "entity": "widgets", "seq": 0});
    let scheduled = json!({"tenant_id": tenant, "entity": "widgets", "after_run": Uuid::new_v4()});
    let batch = insert_job(&h, &batch.to_string()).await.unwrap();
    let scheduled = insert_job(&h, &scheduled.to_string()).await.unwrap();
    let worker = h.worker(3, 2);
    let names: Vec<&str> = xero_sync_workers::registry()
        .iter()
        .map(|e| e.name)
        .collect();
    let expected = format!("unknown entity `widgets`; known: {}", names.join(", "));
    assert_eq!(failed_for_good(&h, &batch).await, expected);
    assert_eq!(failed_for_good(&h, &scheduled).await, expected);
    still_serving(&h).await;
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_xero_response_is_retried_and_nothing_committed_is_fetched_again() {
    let h = Harness::new(SimConfig {
        latency_ms: 20,
        ..small_org()
    })
    .await;
    let truncate = json!({"endpoint": "Journals", "kind": "truncate", "count": 1});
    // The very first call of the run: its job has nothing to commit and is retried.
    h.sim_json("POST", "/sim/faults", Some(truncate.clone()))
        .await;
    let worker = h.worker(2, 2);
    let runs = h.sync(Some(&["journals"]), true).await;
    let run = runs[0];
    // Later, once batches are committed: whatever call it hits, nothing committed is lost.
    eventually(
        "three committed batches",
        Duration::from_secs(30),
        || async {
            let batches: i32 =
                sqlx::query_scalar("SELECT batches FROM xero.sync_log WHERE run_id = $1")
                    .bind(run)
                    .fetch_one(&h.db.pool)
                    .await
                    .unwrap();
            (batches >= 3).then_some(())
        },
    )
    .await;
    h.sim_json("POST", "/sim/faults", Some(truncate)).await;
    h.wait(&runs, Duration::from_secs(60)).await;
    worker.stop().await;

    let pending = h.sim_json("GET", "/sim/faults", None).await;
    assert_eq!(
        pending["pending"],
        json!([]),
        "both truncations were served"
    );
    h.assert_equal(Some(&["journals"])).await;
    // The first job was retried once (a spent attempt, then done); the truncated answers count
    // as calls, and no record was counted twice.
    let (first_status, first_attempts): (String, i32) = sqlx::query_as(
        "SELECT status, attempts FROM apalis.jobs WHERE idempotency_key = $1 || ':0'",
    )
    .bind(run.to_string())
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!((first_status.as_str(), first_attempts), ("Done", 2));
    let (pages, calls, records): (i32, i32, i64) =
        sqlx::query_as("SELECT pages, api_calls, records FROM xero.sync_log WHERE run_id = $1")
            .bind(run)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(records, 2_500);
    assert_eq!(calls, pages + 2);
    // Every offset was served in full exactly once: no committed page was fetched again.
    let stats = h.sim_stats().await;
    let served: Vec<&Value> = stats["served"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["endpoint"] == "Journals")
        .collect();
    assert_eq!(served.len() as i32, pages, "{served:?}");
    assert!(served.iter().all(|s| s["count"] == 1), "{served:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_configuration_stops_the_worker_at_start_naming_the_variable() {
    let h = Harness::new(small_org()).await;
    let cases = [
        ("SYNC_BATCH_SIZE", "abc"),
        ("SYNC_BATCH_SIZE", "0"),
        ("WORKER_CONCURRENCY", "0"),
        ("WORKER_CONCURRENCY", "many"),
        ("XERO_API_URL", "ftp://x"),
        ("XERO_IDENTITY_URL", "not a url"),
        ("XERO_CLIENT_ID", ""),
        ("XERO_TIMEOUT_SECS", "0"),
        ("FORCE_FULL_SYNC", "maybe"),
        ("SYNC_INTERVAL", "soon"),
        ("DATABASE_URL", "mysql://nowhere"),
    ];
    for (variable, value) in cases {
        let mut command = h.command(&["worker"]);
        command.env(variable, value);
        let output = tokio::time::timeout(Duration::from_secs(30), command.output())
            .await
            .unwrap_or_else(|_| panic!("{variable}={value:?}: the worker kept running"))
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success(),
            "{variable}={value:?} was accepted: {stderr}"
        );
        assert!(
            stderr.contains(variable),
            "{variable}={value:?}: stderr does not name the variable: {stderr}"
        );
    }
    // None of them got as far as registering a worker.
    let workers: i64 = sqlx::query_scalar("SELECT count(*) FROM apalis.workers")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(workers, 0);
}
