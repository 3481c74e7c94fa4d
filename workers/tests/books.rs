//! The entities that complete the books, each synced from the simulator by a worker: quotes on
//! numbered pages (a burst of changes read by position, checked page by page, while Xero users
//! edit what was just served), linked transactions read whole every run (deletions mirrored),
//! credit allocated to invoices and the journals documents post, the views over a contact's
//! nested lists, the deprecated Classic Expenses entities, off until named, and the periodic
//! re-read of invoices as summaries.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::ledger::{MINUTE, assert_lines_equal, calls, every_entity, mutate, scalar_i64, sync};
use support::{Harness, eventually, small_org, sync_args};
use xero_sync::config::{Interval, SyncArgs};
use xero_sync::sync::engine::FollowUp;
use xero_sync::worker::WorkerOptions;
use xero_sync_workers::{entities, line_digests};

fn changed(outcome: &Value) -> u64 {
    ["updated", "created", "voided", "deleted"]
        .iter()
        .map(|k| outcome[k].as_u64().unwrap())
        .sum()
}

/// The simulator's records of `endpoint` as `(id, UpdatedDateUTC ms)`.
async fn versions(h: &Harness, endpoint: &str) -> Vec<(String, i64)> {
    let id_key = format!("{}ID", endpoint.trim_end_matches('s'));
    h.sim_records(endpoint)
        .await
        .iter()
        .map(|r| {
            let stamp = r["UpdatedDateUTC"].as_str().unwrap();
            let ms = stamp
                .trim_start_matches("/Date(")
                .split(['+', ')'])
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (r[&id_key].as_str().unwrap().to_owned(), ms)
        })
        .collect()
}

async fn faults(h: &Harness, endpoint: &str, kind: &str, count: u32) {
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(json!({"endpoint": endpoint, "kind": kind, "count": count})),
    )
    .await;
}

fn digest_of(set: &str) -> &'static str {
    line_digests()
        .iter()
        .find(|(name, _)| *name == set)
        .map(|(_, query)| *query)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_quote_changes_is_read_by_checked_pages_and_none_is_lost_to_edits_mid_walk() {
    let h = every_entity().await;
    sync(&h, &["quotes"], true).await;
    h.assert_equal(Some(&["quotes"])).await;
    assert_lines_equal(&h, "quotes_line_items", digest_of("quotes_line_items")).await;

    // A few changes fit in one numbered page: one call.
    h.sim_json("POST", "/sim/stats/reset", None).await;
    mutate(&h, "quotes", 30).await;
    sync(&h, &["quotes"], false).await;
    h.assert_equal(Some(&["quotes"])).await;
    assert_eq!(calls(&h, "Quotes").await, 1);

    // 300 changes in a burst: a hundred and more share one second, a whole page that the
    // keyset cannot move past, so the window is read by position. Each time a page is
    // served, a Xero user edits its first quote, which moves it to the end and slides
    // every later quote back one place.
    let outcome = mutate(&h, "quotes", 300).await;
    let n = changed(&outcome);
    h.sim_json("POST", "/sim/stats/reset", None).await;
    faults(&h, "Quotes", "edit_served", 2).await;
    let started = h.sim_json("GET", "/sim/clock", None).await["now_ms"]
        .as_i64()
        .unwrap();
    sync(&h, &["quotes"], false).await;
    let pending = h.sim_json("GET", "/sim/faults", None).await;
    assert_eq!(pending["pending"], json!([]), "the walk took both edits");
    let cursors = h.sim_served("Quotes").await;
    let walked = calls(&h, "Quotes").await;
    // Every quote as it was when the run started is here: a quote the walk skipped would
    // still hold its version from before the burst. (The two edited mid-walk are newer in
    // Xero than the run's reads of them may be: the next run's changes.)
    let ours: std::collections::HashMap<String, i64> =
        sqlx::query_as("SELECT quote_id::text, xero.epoch_ms(updated_date_utc) FROM xero.quotes")
            .fetch_all(&h.db.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let theirs = versions(&h, "Quotes").await;
    let before: Vec<&(String, i64)> = theirs.iter().filter(|(_, v)| *v <= started).collect();
    assert!(before.len() + 2 >= theirs.len());
    for (id, version) in before {
        assert_eq!(ours.get(id), Some(version), "quote {id} was skipped");
    }
    sync(&h, &["quotes"], false).await;
    h.assert_equal(Some(&["quotes"])).await;
    assert_lines_equal(&h, "quotes_line_items", digest_of("quotes_line_items")).await;
    let checked = cursors
        .iter()
        .any(|(cursor, count)| cursor.ends_with("&page=1") && *count >= 2);
    assert!(
        checked && cursors.iter().any(|(c, _)| c.ends_with("&page=2")),
        "no page was checked: {cursors:?}"
    );
    // Two calls a page where positions are read, and the few the edits add.
    let most = 2 * (n + 2).div_ceil(100) + 3;
    assert!(walked <= most, "{walked} calls, more than {most}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_transactions_deleted_in_xero_are_marked_removed_by_the_next_walk() {
    let h = every_entity().await;
    // More than a page of them, so the walk checks pages.
    while h.sim_digest(h.tenants[0], "linked_transactions").await.0 <= 150 {
        mutate(&h, "linked_transactions", 40).await;
    }
    sync(&h, &["linked_transactions"], true).await;
    h.assert_equal(Some(&["linked_transactions"])).await;
    let stored = scalar_i64(&h, "SELECT count(*) FROM xero.linked_transactions").await;

    let mut deleted = 0;
    while deleted == 0 {
        deleted += mutate(&h, "linked_transactions", 10).await["deleted"]
            .as_u64()
            .unwrap();
    }
    // Links edited as their page is served slide every later one back a place, mid-walk.
    h.sim_json("POST", "/sim/stats/reset", None).await;
    faults(&h, "LinkedTransactions", "edit_served", 2).await;
    sync(&h, &["linked_transactions"], false).await;
    let pending = h.sim_json("GET", "/sim/faults", None).await;
    assert_eq!(pending["pending"], json!([]), "the walk took both edits");
    let walked = calls(&h, "LinkedTransactions").await;
    // Exactly the links Xero no longer has are marked: one the walk missed would be marked
    // too. (A link edited after its last read is the next run's change.)
    let (in_xero, _) = h.sim_digest(h.tenants[0], "linked_transactions").await;
    let marked = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.linked_transactions WHERE removed_at IS NOT NULL",
    )
    .await;
    let now_stored = scalar_i64(&h, "SELECT count(*) FROM xero.linked_transactions").await;
    assert_eq!(marked as u64, now_stored as u64 - in_xero);
    assert!(marked > 0 && now_stored >= stored, "{marked} marked");
    // No If-Modified-Since: the whole set, every page but the last read twice.
    let pages = (in_xero + 3).div_ceil(100) + 1;
    let most = 2 * pages + 3;
    assert!(walked <= most, "{walked} calls, more than {most}");
    sync(&h, &["linked_transactions"], false).await;
    h.assert_equal(Some(&["linked_transactions"])).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_allocated_to_invoices_and_the_journals_of_changed_documents_reach_postgres() {
    let h = every_entity().await;
    let set = [
        "invoices",
        "credit_notes",
        "overpayments",
        "prepayments",
        "bank_transactions",
        "journals",
    ];
    sync(&h, &set, true).await;
    let mut allocated = 0;
    while allocated < 3 {
        for kind in ["credit_notes", "overpayments", "prepayments"] {
            allocated += mutate(&h, kind, 20).await["allocated"].as_u64().unwrap();
        }
    }
    let posted = mutate(&h, "bank_transactions", 30).await["journals_posted"]
        .as_u64()
        .unwrap();
    assert!(posted > 0, "no bank transaction posted");
    sync(&h, &set, false).await;
    h.assert_equal(Some(&set)).await;
    assert_lines_equal(&h, "allocations", digest_of("allocations")).await;
    assert_lines_equal(&h, "journal_lines", entities::journals::LINES_DIGEST).await;

    // Every allocation names an invoice held here, and the invoices credited show it.
    let allocations = scalar_i64(&h, "SELECT count(*) FROM xero.allocations").await;
    assert!(allocations >= allocated as i64, "{allocations} allocations");
    let orphans = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.allocations a
          WHERE NOT EXISTS (SELECT 1 FROM xero.invoices i
                             WHERE i.tenant_id = a.tenant_id AND i.invoice_id = a.invoice_id)",
    )
    .await;
    assert_eq!(orphans, 0);
    let credited = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.invoices WHERE amount_credited > 0",
    )
    .await;
    assert!(credited > 0, "no invoice shows its credit");
    // The journals of the changed bank transactions are in the ledger with their source.
    let journaled = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.journals j
           JOIN xero.bank_transactions b ON b.tenant_id = j.tenant_id
                                        AND b.bank_transaction_id = j.source_id
          WHERE j.source_type IN ('CASHREC', 'CASHPAID')",
    )
    .await;
    assert!(journaled > 0, "no bank transaction reached the ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_addresses_phones_and_people_follow_each_stored_version() {
    let h = every_entity().await;
    sync(&h, &["contacts"], true).await;
    let parts = ["contact_addresses", "contact_phones", "contact_persons"];
    for part in parts {
        assert_lines_equal(&h, part, digest_of(part)).await;
    }
    assert!(scalar_i64(&h, "SELECT count(*) FROM xero.contact_persons").await > 0);
    mutate(&h, "contacts", 40).await;
    sync(&h, &["contacts"], false).await;
    for part in parts {
        assert_lines_equal(&h, part, digest_of(part)).await;
    }
    // Typed columns over the record's own lists: a street address per contact.
    let streets = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.contact_addresses WHERE address_type = 'STREET'",
    )
    .await;
    let contacts = scalar_i64(&h, "SELECT count(*) FROM xero.contacts").await;
    assert_eq!(streets, contacts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deprecated_entities_are_off_until_named_and_sync_like_any_other_when_asked() {
    let h = Harness::new(small_org()).await;
    let listed = |env: &'static str| {
        let mut command = h.command(&["entities", "--json"]);
        command.env("SYNC_ENTITIES", env);
        async move {
            let output = command.output().await.unwrap();
            assert!(output.status.success());
            let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
            rows.as_array()
                .unwrap()
                .iter()
                .filter(|r| r["enabled"] == true)
                .map(|r| r["name"].as_str().unwrap().to_owned())
                .collect::<Vec<String>>()
        }
    };
    // `all` is every entity but the deprecated ones; naming one adds it.
    let all = listed("all").await;
    assert!(
        all.contains(&"quotes".to_owned()) && all.len() == 24,
        "{all:?}"
    );
    assert!(!all.iter().any(|n| n == "receipts" || n == "expense_claims"));
    let with = listed("all, receipts").await;
    assert_eq!(with.len(), 25);
    assert!(with.contains(&"receipts".to_owned()));
    let output = h.command(&["entities"]).output().await.unwrap();
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(
        table.contains("deprecated at Xero") && table.contains("expense_claims: Classic"),
        "{table}"
    );

    // Asked for by name, they sync, full then incremental, like any entity.
    let set = ["receipts", "expense_claims"];
    sync(&h, &set, true).await;
    h.assert_equal(Some(&set)).await;
    assert_lines_equal(&h, "receipts_line_items", digest_of("receipts_line_items")).await;
    for entity in set {
        mutate(&h, entity, 20).await;
    }
    h.sim_json("POST", "/sim/stats/reset", None).await;
    sync(&h, &set, false).await;
    h.assert_equal(Some(&set)).await;
    assert_eq!(calls(&h, "Receipts").await, 1);
    assert_eq!(calls(&h, "ExpenseClaims").await, 1);
}

/// Invoices whose due date or sent flag here differs from the simulator's.
async fn stale_invoices(h: &Harness) -> usize {
    let ours: std::collections::HashMap<String, (String, bool, bool)> = sqlx::query_as(
        "SELECT invoice_id::text, raw ->> 'DueDate', coalesce((raw ->> 'SentToContact')::boolean, false),
                due_date IS NOT DISTINCT FROM xero.ms_date(raw ->> 'DueDate')
           FROM xero.invoices",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(id, due, sent, typed)| (id, (due, sent, typed)))
    .collect();
    h.sim_records("Invoices")
        .await
        .iter()
        .filter(|inv| {
            let id = inv["InvoiceID"].as_str().unwrap();
            let theirs = (
                inv["DueDate"].as_str().unwrap().to_owned(),
                inv["SentToContact"].as_bool().unwrap(),
                true,
            );
            ours.get(id) != Some(&theirs)
        })
        .count()
}

async fn invoice_bytes(h: &Harness) -> i64 {
    scalar_i64(
        h,
        "SELECT coalesce(sum(decoded_bytes), 0)::bigint FROM xero.egress WHERE entity = 'invoices'",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_re_read_of_invoices_reads_summaries_and_brings_in_what_moved_no_date() {
    let h = every_entity().await;
    // Runs are started here, none scheduled by the worker.
    let settings = SyncArgs {
        interval: Interval(Duration::ZERO),
        ..sync_args(10)
    };
    let worker = h.worker_with(&settings, WorkerOptions::new(4, Duration::from_secs(30)));
    let first = h.sync(Some(&["invoices"]), true).await;
    h.wait(&first, MINUTE).await;
    let full_bytes = invoice_bytes(&h).await;
    assert_eq!(stale_invoices(&h).await, 0);

    // Xero moves due dates and marks invoices sent without a new UpdatedDateUTC: an
    // incremental run cannot see it.
    let moved = mutate(&h, "invoice_due_dates", 25).await["updated"]
        .as_u64()
        .unwrap();
    assert!(moved > 0);
    let incremental = h.sync(Some(&["invoices"]), false).await;
    h.wait(&incremental, MINUTE).await;
    assert!(stale_invoices(&h).await > 0, "the incremental run saw it");
    let watermark: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT modified_after FROM xero.sync_progress")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();

    // The periodic re-read comes due (SYNC_FULL_EVERY after the last full run) and the
    // pair's schedule starts it.
    sqlx::query("UPDATE xero.sync_progress SET last_full_at = now() - interval '8 days'")
        .execute(&h.db.pool)
        .await
        .unwrap();
    let before = invoice_bytes(&h).await;
    h.sim_json("POST", "/sim/stats/reset", None).await;
    let mut conn = h.db.pool.acquire().await.unwrap();
    let now = FollowUp {
        after: Duration::ZERO,
        max_attempts: 8,
    };
    xero_sync::sync::run::schedule_next(&mut conn, h.tenants[0], "invoices", incremental[0], now)
        .await
        .unwrap();
    eventually("the sweep to complete", MINUTE, || async {
        let done: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM xero.sync_log
                             WHERE summary AND mode = 'full' AND status = 'completed')",
        )
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
        done.then_some(())
    })
    .await;
    worker.stop().await;

    // It brought in every moved due date, typed column and raw alike, and kept every line.
    assert_eq!(stale_invoices(&h).await, 0);
    h.assert_equal(Some(&["invoices"])).await;
    assert_lines_equal(
        &h,
        "invoice_line_items",
        entities::invoices::LINE_ITEMS_DIGEST,
    )
    .await;
    // What summaries leave out stays: the payments in `raw`, the lines in their table.
    let without_lines = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.invoices_as_sent
          WHERE NOT record ? 'LineItems' OR NOT record ? 'Payments'",
    )
    .await;
    assert_eq!(without_lines, 0);
    // Summaries on every call, at well under half the bytes of the full read; no watermark
    // moved, and it counts as the pair's full read.
    let cursors = h.sim_served("Invoices").await;
    let paged: Vec<&(String, u64)> = cursors
        .iter()
        .filter(|(c, _)| c.contains("&page="))
        .collect();
    assert!(
        !paged.is_empty() && paged.iter().all(|(c, _)| c.contains("summaryOnly=true")),
        "{cursors:?}"
    );
    let sweep_bytes = invoice_bytes(&h).await - before;
    assert!(
        sweep_bytes * 2 < full_bytes,
        "{sweep_bytes} bytes swept, {full_bytes} read in full"
    );
    let (after, recent): (Option<chrono::DateTime<chrono::Utc>>, bool) = sqlx::query_as(
        "SELECT modified_after, last_full_at > now() - interval '1 minute' FROM xero.sync_progress",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(after, watermark);
    assert!(recent);
}
