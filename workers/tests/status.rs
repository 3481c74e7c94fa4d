//! What operators see: `xero-sync status --json` (the real binary) reflects a completed, a
//! running, a snoozed and a failed run; `jobs failed` lists the failure with its error and
//! `jobs retry` brings the failed run back to completion; whether any worker is alive; an
//! organisation whose Xero calls cannot connect is shown unreachable and not charged for them.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::process::WorkerProcess;
use support::{Harness, small_org};
use xero_sync::app::{self, Selection};
use xero_sync_workers::registry;

async fn run_binary(h: &Harness, args: &[&str]) -> String {
    let output = h.command(args).output().await.unwrap();
    assert!(
        output.status.success(),
        "xero-sync {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn status(h: &Harness) -> Vec<Value> {
    let overview: Value =
        serde_json::from_str(&run_binary(h, &["status", "--json"]).await).unwrap();
    overview["pairs"].as_array().unwrap().clone()
}

fn pair<'a>(pairs: &'a [Value], entity: &str) -> &'a Value {
    pairs
        .iter()
        .find(|p| p["entity"] == entity)
        .unwrap_or_else(|| panic!("no {entity} in {pairs:?}"))
}

/// Polls `status --json` until `check` holds for `entity`, or fails after 60 s.
async fn until(h: &Harness, entity: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pairs = status(h).await;
        let p = pair(&pairs, entity).clone();
        if check(&p) {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "{entity} never became {what}: {p:#}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn request(h: &Harness, entity: &str, max_attempts: i32) {
    let selection = Selection {
        tenants: None,
        entities: Some(vec![entity.to_owned()]),
    };
    app::request_sync(&h.db.pool, registry(), &selection, false, max_attempts)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_reflects_completed_running_snoozed_and_failed_runs() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(2, 4);

    // Completed.
    request(&h, "accounts", 8).await;
    let accounts = until(&h, "accounts", "completed", |p| p["state"] == "completed").await;
    assert_eq!(accounts["last_run"]["status"], "completed");
    assert_eq!(accounts["last_run"]["records"], 40);
    assert_eq!(accounts["records_stored"], 40, "{accounts:#}");
    assert_eq!(accounts["jobs"]["scheduled"], 1);
    assert!(accounts["watermark"].is_string());
    assert_eq!(accounts["connection"], "active");

    // Failed: every Journals call answers 500 and the job has two attempts.
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(json!({"endpoint": "Journals", "kind": "status_500", "count": 100})),
    )
    .await;
    request(&h, "journals", 2).await;
    let journals = until(&h, "journals", "failed", |p| p["state"] == "failed").await;
    assert_eq!(journals["last_run"]["status"], "failed");
    assert!(
        journals["last_run"]["error"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{journals:#}"
    );
    assert_eq!(journals["jobs"]["failed"], 1);
    assert_eq!(
        journals["jobs"]["scheduled"], 1,
        "a failed pair keeps its schedule"
    );

    // `jobs failed` names it; `jobs retry --all` resumes the run, which now completes.
    let failed: Vec<Value> =
        serde_json::from_str(&run_binary(&h, &["jobs", "failed", "--json"]).await).unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["entity"], "journals");
    assert!(failed[0]["error"].as_str().unwrap().contains("500"));
    h.sim_json("DELETE", "/sim/faults", None).await;
    let retried = run_binary(&h, &["jobs", "retry", "--all"]).await;
    assert!(retried.starts_with("1 job(s) re-queued"), "{retried}");
    let journals = until(&h, "journals", "completed", |p| p["state"] == "completed").await;
    assert_eq!(journals["jobs"]["failed"], 0);
    assert_eq!(journals["last_run"]["run_id"], failed[0]["run_id"]);

    // Snoozed: a 429 with a long Retry-After puts the invoices job back without an attempt.
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(json!({"endpoint": "Invoices", "kind": "rate_limit_429", "count": 1, "retry_after_secs": 600})),
    )
    .await;
    request(&h, "invoices", 8).await;
    let invoices = until(&h, "invoices", "snoozed", |p| p["jobs"]["snoozed"] == 1).await;
    assert_eq!(invoices["state"], "running");
    assert_eq!(invoices["current_run"]["status"], "running");
    worker.stop().await;

    // Running, with its first job queued and no worker to take it: the stopped worker said
    // goodbye, so status does not pretend it runs.
    request(&h, "contacts", 8).await;
    let overview: Value =
        serde_json::from_str(&run_binary(&h, &["status", "--json"]).await).unwrap();
    assert_eq!(overview["workers"]["alive"], json!([]), "{overview:#}");
    assert!(overview["workers"]["last_seen"].is_string());
    let pairs = status(&h).await;
    let contacts = pair(&pairs, "contacts");
    assert_eq!(contacts["state"], "waiting for a worker");
    assert_eq!(contacts["mode"], "full");
    assert_eq!(contacts["current_run"]["status"], "running");
    assert_eq!(contacts["jobs"]["queued"], 1);
    assert_eq!(pair(&pairs, "invoices")["jobs"]["snoozed"], 1);

    // The table form names every entity.
    let table = run_binary(&h, &["status"]).await;
    for entity in ["accounts", "contacts", "invoices", "journals"] {
        assert!(table.contains(entity), "{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_wait_follows_runs_to_the_end_and_exits_non_zero_when_one_fails() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(2, 4);

    // Not a terminal: one plain line per change, ending with each run completed.
    let ok = h
        .command(&[
            "sync",
            "--all-tenants",
            "--entity",
            "accounts",
            "--entity",
            "contacts",
            "--wait",
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for entity in ["accounts", "contacts"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(entity) && l.contains("completed") && l.contains("records")),
            "no completed line for {entity}:\n{stdout}"
        );
    }

    // A run that fails for good makes `--wait` exit non-zero with its error.
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(json!({"endpoint": "Invoices", "kind": "status_500", "count": 100})),
    )
    .await;
    let failed = h
        .command(&["sync", "--all-tenants", "--entity", "invoices", "--wait"])
        .env("SYNC_MAX_ATTEMPTS", "2")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        !failed.status.success(),
        "--wait succeeded although the run failed"
    );
    assert!(
        stderr.contains("invoices: failed") && stderr.contains("500"),
        "{stderr}"
    );
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_whose_xero_calls_cannot_connect_is_shown_unreachable_and_not_charged() {
    let h = Harness::new(small_org()).await;
    // A port nothing listens on once the listener is dropped: every call is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let api = format!("http://{closed}");
    let mut worker = WorkerProcess::start(&h, &[("XERO_API_URL", &api)]);
    request(&h, "accounts", 8).await;
    let accounts = until(&h, "accounts", "unreachable", |p| {
        p["xero_unreachable"].is_object()
    })
    .await;
    let error = accounts["xero_unreachable"]["error"].as_str().unwrap();
    assert!(!error.is_empty(), "{accounts:#}");
    assert_eq!(accounts["state"], "running", "{accounts:#}");
    let table = run_binary(&h, &["status"]).await;
    assert!(table.contains("Xero UNREACHABLE since"), "{table}");
    assert!(table.contains("workers: 1 alive"), "{table}");
    worker.terminate();
    assert!(
        worker
            .exited_within(Duration::from_secs(40))
            .await
            .success()
    );
    let (day_used, minute_used): (i32, i32) =
        sqlx::query_as("SELECT day_used, minute_used FROM xero.tenant_budget WHERE tenant_id = $1")
            .bind(h.tenants[0])
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(
        (day_used, minute_used),
        (0, 0),
        "calls that never reached Xero are not charged"
    );

    // Xero reachable again: the run completes and the mark is gone.
    let worker = h.worker(2, 4);
    let accounts = until(&h, "accounts", "completed", |p| p["state"] == "completed").await;
    assert!(accounts["xero_unreachable"].is_null(), "{accounts:#}");
    worker.stop().await;
}
