//! The whole path over real HTTP: the simulator's own webhooks (signed, batched, after Xero's
//! intent-to-receive series) reach the receiver, and a worker follows them. The schedule is an
//! hour away in these tests: whatever reaches Postgres arrives by webhook.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{CLASSIC, Harness, eventually, small_org};
use super::{KEY, delivery, event, post_signed, receiver};

const MINUTE: Duration = Duration::from_secs(60);

/// A synced organisation (the harness's entities and `more`), a receiver, the simulator
/// subscribed to it, and a worker.
async fn subscribed(more: &[&str]) -> (Harness, super::support::InProcessWorker) {
    let h = Harness::new(small_org()).await;
    let entities: Vec<&str> = CLASSIC.iter().chain(more).copied().collect();
    xero_sync::db::choose_entities(&h.db.pool, &entities)
        .await
        .unwrap();
    let worker = h.worker(100, 4);
    let runs = h.sync(None, true).await;
    h.wait(&runs, MINUTE).await;
    let (url, task) = receiver(h.db.pool.clone()).await;
    // Dropping the handle detaches the task: the receiver lives as long as the test's runtime.
    drop(task);
    let answer = h
        .sim_json(
            "POST",
            "/sim/webhooks",
            Some(json!({ "url": url, "key": KEY, "batch_ms": 100 })),
        )
        .await;
    assert_eq!(
        answer["status"], "active",
        "the receiver passed the intent: {answer}"
    );
    (h, worker)
}

async fn mutate(h: &Harness, entity: &str, count: usize) {
    let body = json!({ "tenant_id": h.tenants[0], "entity": entity, "count": count });
    let outcome = h.sim_json("POST", "/sim/mutate", Some(body)).await;
    assert!(outcome.get("error").is_none(), "{entity}: {outcome}");
}

/// Calls the simulator answered for `endpoint`, whatever their status.
async fn calls(h: &Harness, endpoint: &str) -> u64 {
    let stats = h.sim_stats().await;
    stats["requests"][endpoint]
        .as_object()
        .map_or(0, |by_status| {
            by_status.values().filter_map(Value::as_u64).sum()
        })
}

/// Waits until at least `at_least` events are stored and every one is handled; returns the
/// events' outcomes by category.
async fn handled(h: &Harness, at_least: i64) -> BTreeMap<String, Vec<String>> {
    eventually("every webhook event handled", MINUTE, || async {
        let (total, open): (i64, i64) = sqlx::query_as(
            "SELECT count(*), count(*) FILTER (WHERE handled_at IS NULL) FROM xero.webhook_events",
        )
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
        (total >= at_least && open == 0).then_some(())
    })
    .await;
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT category, outcome FROM xero.webhook_events ORDER BY event_id")
            .fetch_all(&h.db.pool)
            .await
            .unwrap();
    let mut by_category: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (category, outcome) in rows {
        by_category.entry(category).or_default().push(outcome);
    }
    by_category
}

/// Runs of `entity` the sync log holds.
async fn runs_of(h: &Harness, entity: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM xero.sync_log WHERE entity = $1")
        .bind(entity)
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_invoices_and_contacts_arrive_by_id_even_when_their_updated_date_stays() {
    let (h, worker) = subscribed(&[]).await;
    let invoice_calls = calls(&h, "Invoices").await;
    mutate(&h, "invoices", 5).await;
    mutate(&h, "contacts", 3).await;
    // Due dates moved without a new UpdatedDateUTC: polling alone would never see these.
    mutate(&h, "invoice_due_dates", 4).await;
    let outcomes = handled(&h, 12).await;
    assert!(
        outcomes["INVOICE"].iter().all(|o| o == "fetched by id"),
        "{outcomes:?}"
    );
    assert!(
        outcomes["CONTACT"].iter().all(|o| o == "fetched by id"),
        "{outcomes:?}"
    );
    h.assert_equal(Some(&["invoices", "contacts"])).await;
    let fetched = calls(&h, "Invoices").await - invoice_calls;
    let theirs: BTreeMap<String, String> = h
        .sim_records("Invoices")
        .await
        .iter()
        .map(|i| {
            let id = i["InvoiceID"].as_str().unwrap().to_ascii_lowercase();
            (id, i["DueDate"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let ours: BTreeMap<String, String> = sqlx::query_as(
        "SELECT invoice_id::text, coalesce(raw->>'DueDate', '') FROM xero.invoices
          WHERE tenant_id = $1",
    )
    .bind(h.tenants[0])
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(
        ours, theirs,
        "every due date as Xero has it, the silent changes too"
    );
    // No run: the records came by id, one call per delivery at most.
    assert_eq!(runs_of(&h, "invoices").await, 1, "only the first sync ran");
    let deliveries: i64 =
        sqlx::query_scalar("SELECT count(*) FROM xero.webhook_deliveries WHERE NOT intent")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert!(
        (1..=deliveries as u64).contains(&fetched),
        "{fetched} Invoices calls for {deliveries} deliveries"
    );
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_note_events_start_an_early_incremental_run() {
    let (h, worker) = subscribed(&["credit_notes"]).await;
    assert_eq!(runs_of(&h, "credit_notes").await, 1);
    mutate(&h, "credit_notes", 3).await;
    let outcomes = handled(&h, 3).await;
    let credit_notes = &outcomes["CREDITNOTE"];
    assert!(
        credit_notes.iter().all(|o| o.starts_with("run ")),
        "{outcomes:?}"
    );
    let runs: Vec<Uuid> = sqlx::query_scalar(
        "SELECT run_id FROM xero.sync_log WHERE entity = 'credit_notes' AND mode = 'incremental'",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert!(!runs.is_empty(), "an incremental run started");
    h.wait(&runs, MINUTE).await;
    h.assert_equal(Some(&["credit_notes", "invoices"])).await;
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_a_thousand_events_costs_a_call_per_fifty_records() {
    let (h, worker) = subscribed(&[]).await;
    let tenant = h.tenants[0];
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT invoice_id FROM xero.invoices WHERE tenant_id = $1 ORDER BY invoice_id LIMIT 1000",
    )
    .bind(tenant)
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(ids.len(), 1_000);
    let url = h.sim_json("GET", "/sim/webhooks", None).await["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = calls(&h, "Invoices").await;
    let deliveries = 10;
    for (n, chunk) in ids.chunks(ids.len() / deliveries).enumerate() {
        let events = chunk
            .iter()
            .map(|&id| event(tenant, "INVOICE", id, "2026-12-03T10:00:00.000"))
            .collect();
        let answer = post_signed(&url, delivery(events, n as i64 + 1)).await;
        assert_eq!(answer.status, 200);
    }
    handled(&h, 1_000).await;
    let fetched = calls(&h, "Invoices").await - before;
    // Ids go 50 a call; a job that claims a part of the burst rounds up once.
    let most = (1_000 / xero_sync::sync::hooks::IDS_PER_CALL + deliveries) as u64;
    assert!(
        (20..=most).contains(&fetched),
        "{fetched} calls for 1,000 events"
    );
    eprintln!("1,000 events in {deliveries} deliveries: {fetched} Invoices calls");
    assert_eq!(runs_of(&h, "invoices").await, 1, "no run started");
    h.assert_equal(Some(&["invoices"])).await;
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_organisations_events_are_kept_and_not_followed() {
    let (h, worker) = subscribed(&[]).await;
    sqlx::query("SELECT xero.pause_tenant($1)")
        .bind(h.tenants[0])
        .execute(&h.db.pool)
        .await
        .unwrap();
    let before = calls(&h, "Invoices").await;
    mutate(&h, "invoices", 4).await;
    let outcomes = handled(&h, 4).await;
    assert!(
        outcomes["INVOICE"].iter().all(|o| o.starts_with("ignored")),
        "{outcomes:?}"
    );
    assert_eq!(
        calls(&h, "Invoices").await,
        before,
        "no call for a paused organisation"
    );
    worker.stop().await;
}
