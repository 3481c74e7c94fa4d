//! The entities beyond the first four (payments, manual journals, tax rates), each synced from
//! the simulator by a worker the way the endpoint really pages: a full run, a day of changes,
//! an incremental run. Postgres then equals Xero (child tables included), every kind of
//! deletion is there, and an incremental run costs ceil(changed ÷ page) + 1 calls at most.
//! Also: `SYNC_ENTITIES` and `xero-sync entities`.

#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::ledger::{MINUTE, assert_lines_equal, calls, every_entity, mutate, scalar_i64, sync};
use support::{Harness, small_org};
use uuid::Uuid;
use xero_sync_workers::{entities, registry};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_payments_stay_as_deleted_and_their_invoices_are_due_again() {
    let h = every_entity().await;
    let set = ["invoices", "payments", "journals"];
    sync(&h, &set, true).await;
    h.assert_equal(Some(&set)).await;
    let paid = scalar_i64(&h, "SELECT count(*) FROM xero.payments").await;
    assert!(paid > 0, "the organisation has payments");

    h.sim_json("POST", "/sim/stats/reset", None).await;
    let outcome = mutate(&h, "payments", 40).await;
    let deleted = outcome["deleted"].as_u64().unwrap();
    let created = outcome["paid"].as_u64().unwrap();
    assert!(deleted > 0 && created > 0, "{outcome}");
    sync(&h, &set, false).await;
    h.assert_equal(Some(&set)).await;

    // Each deleted payment is kept, with its status; its invoice is authorised and due again.
    let kept: i64 = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.payments p
           JOIN xero.invoices i USING (tenant_id, invoice_id)
          WHERE p.status = 'DELETED' AND i.status = 'AUTHORISED' AND i.amount_due = i.total",
    )
    .await;
    assert_eq!(kept as u64, deleted);
    // Changed payments fit in one page: that page, and the empty one after it.
    let changed = deleted + created;
    let pages = changed.div_ceil(1000) + 1;
    assert!(
        calls(&h, "Payments").await <= pages,
        "more than {pages} calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_journals_keep_their_lines_and_their_voided_and_deleted_versions() {
    let h = every_entity().await;
    let set = ["manual_journals", "journals"];
    sync(&h, &set, true).await;
    h.assert_equal(Some(&set)).await;
    let lines = entities::manual_journals::LINES_DIGEST;
    assert_lines_equal(&h, "manual_journal_lines", lines).await;

    h.sim_json("POST", "/sim/stats/reset", None).await;
    let outcome = mutate(&h, "manual_journals", 60).await;
    let changed = ["updated", "created", "voided", "deleted"]
        .iter()
        .map(|k| outcome[k].as_u64().unwrap())
        .sum::<u64>();
    assert!(outcome["voided"].as_u64() > Some(0), "{outcome}");
    assert!(outcome["deleted"].as_u64() > Some(0), "{outcome}");
    sync(&h, &set, false).await;
    h.assert_equal(Some(&set)).await;
    assert_lines_equal(&h, "manual_journal_lines", lines).await;
    assert!(calls(&h, "ManualJournals").await <= changed.div_ceil(1000) + 1);

    // Voided and deleted journals are there with their status; posted ones are in the ledger
    // (the Journals entity) with their source.
    for status in ["VOIDED", "DELETED"] {
        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM xero.manual_journals WHERE status = $1")
                .bind(status)
                .fetch_one(&h.db.pool)
                .await
                .unwrap();
        assert!(n > 0, "no {status} manual journal");
    }
    let posted = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.journals j
           JOIN xero.manual_journals m ON m.tenant_id = j.tenant_id
                                      AND m.manual_journal_id = j.source_id
          WHERE j.source_type = 'MANJOURNAL'",
    )
    .await;
    assert!(posted > 0, "no manual journal reached the ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tax_rate_removed_in_xero_is_marked_removed_and_one_that_changed_is_updated() {
    let h = every_entity().await;
    sync(&h, &["tax_rates"], true).await;
    h.assert_equal(Some(&["tax_rates"])).await;
    let before = scalar_i64(&h, "SELECT count(*) FROM xero.tax_rates").await;

    let mut removed = 0;
    let mut updated = 0;
    while removed == 0 || updated == 0 {
        let outcome = mutate(&h, "tax_rates", 4).await;
        removed += outcome["deleted"].as_u64().unwrap();
        updated += outcome["updated"].as_u64().unwrap();
    }
    h.sim_json("POST", "/sim/stats/reset", None).await;
    sync(&h, &["tax_rates"], false).await;
    // Present rates equal Xero's; the removed ones are kept, marked with when.
    h.assert_equal(Some(&["tax_rates"])).await;
    let marked = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.tax_rates WHERE removed_at IS NOT NULL",
    )
    .await;
    assert!(
        marked > 0 && marked as u64 <= removed,
        "{marked} marked, {removed} removed"
    );
    assert!(scalar_i64(&h, "SELECT count(*) FROM xero.tax_rates").await >= before);
    // A full-refresh set costs one call a run.
    assert_eq!(calls(&h, "TaxRates").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_entities_chooses_what_all_syncs_and_entities_shows_each_organisations_access() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    // A deployment of payments and tax rates only.
    let output = h
        .command(&["entities", "--json"])
        .env("SYNC_ENTITIES", "payments, tax_rates")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let enabled: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["enabled"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(enabled, ["tax_rates", "payments"]);
    let runs: Vec<Uuid> = sqlx::query_scalar("SELECT xero.request_sync($1, 'all')")
        .bind(tenant)
        .fetch_all(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2, "`all` is the deployment's entities");
    // Any registered entity can still be asked for, for one tenant.
    let one: Vec<Uuid> = sqlx::query_scalar("SELECT xero.request_sync($1, 'manual_journals')")
        .bind(tenant)
        .fetch_all(&h.db.pool)
        .await
        .unwrap();
    // Xero refuses manual journals to this organisation (a user role without them).
    h.sim_json(
        "POST",
        "/sim/entitlements",
        Some(json!({"tenant_id": tenant, "endpoint": "ManualJournals", "entitled": false})),
    )
    .await;
    let worker = h.worker(10, 4);
    let all: Vec<Uuid> = runs.iter().chain(&one).copied().collect();
    let ended = h.wait_ended(&all, MINUTE).await;
    worker.stop().await;
    assert_eq!(ended, ["completed", "completed", "not_entitled"]);

    let output = h.command(&["entities"]).output().await.unwrap();
    assert!(output.status.success());
    let table = String::from_utf8(output.stdout).unwrap();
    let line = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in\n{table}"))
            .to_owned()
    };
    assert!(line("manual_journals").contains("not_entitled"), "{table}");
    assert!(line("manual_journals").contains("keyset"), "{table}");
    assert!(line("payments").contains("entitled"), "{table}");
    assert!(line("tax_rates").contains("full refresh"), "{table}");
    assert!(line("journals").contains("offset"), "{table}");
    assert!(
        line("invoices").contains("accounting.invoices.read"),
        "{table}"
    );

    // A name that is no entity stops the command, naming it and what is valid.
    let output = h
        .command(&["entities"])
        .env("SYNC_ENTITIES", "payments,bills")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("`bills`") && error.contains("manual_journals"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_sets_follow_edits_and_removals_and_a_full_run_sweeps_deleted_items() {
    let h = every_entity().await;
    let timed = ["items", "users"];
    let refreshed = [
        "organisation",
        "currencies",
        "tracking_categories",
        "contact_groups",
        "branding_themes",
    ];
    let all: Vec<&str> = timed.iter().chain(&refreshed).copied().collect();
    sync(&h, &all, true).await;
    h.assert_equal(Some(&all)).await;
    let options = entities::tracking_categories::OPTIONS_DIGEST;
    assert_lines_equal(&h, "tracking_options", options).await;

    // A day of changes: every set edited, and records removed from Xero outright.
    let mut removed = 0;
    let mut items_removed = 0;
    while items_removed == 0 {
        items_removed += mutate(&h, "items", 4).await["deleted"].as_u64().unwrap();
    }
    for (entity, count) in [
        ("users", 2),
        ("currencies", 8),
        ("tracking_categories", 40),
        ("contact_groups", 8),
        ("branding_themes", 1),
        ("organisation", 1),
    ] {
        let outcome = mutate(&h, entity, count).await;
        assert!(outcome["updated"].as_u64() > Some(0) || outcome["created"].as_u64() > Some(0));
        removed += outcome["deleted"].as_u64().unwrap();
    }
    assert!(removed > 0);
    h.sim_json("POST", "/sim/stats/reset", None).await;
    sync(&h, &all, false).await;
    // The full-refresh sets mirror everything in one incremental run, removals included; each
    // costs one call.
    h.assert_equal(Some(&refreshed)).await;
    assert_lines_equal(&h, "tracking_options", options).await;
    for endpoint in [
        "Currencies",
        "TrackingCategories",
        "ContactGroups",
        "Organisation",
    ] {
        assert_eq!(calls(&h, endpoint).await, 1, "{endpoint}");
    }
    let marked = scalar_i64(
        &h,
        "SELECT (SELECT count(*) FROM xero.currencies WHERE removed_at IS NOT NULL)
              + (SELECT count(*) FROM xero.contact_groups WHERE removed_at IS NOT NULL)
              + (SELECT count(*) FROM xero.tracking_options WHERE removed_at IS NOT NULL)",
    )
    .await;
    assert!(marked > 0, "no removal was marked");
    h.assert_equal(Some(&["users"])).await;

    // Items deleted in Xero are invisible to If-Modified-Since: the full run (the sweep that
    // SYNC_FULL_EVERY schedules) finds them gone.
    sync(&h, &["items"], true).await;
    h.assert_equal(Some(&["items"])).await;
    // (An item created and deleted within the day was never stored, so never swept.)
    let swept = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.items WHERE removed_at IS NOT NULL",
    )
    .await;
    assert!(
        swept > 0 && swept as u64 <= items_removed,
        "{swept} swept, {items_removed} deleted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_documents_keep_their_lines_and_their_voided_and_deleted_versions() {
    let h = every_entity().await;
    let set = [
        "credit_notes",
        "purchase_orders",
        "overpayments",
        "prepayments",
        "bank_transactions",
    ];
    sync(&h, &set, true).await;
    h.assert_equal(Some(&set)).await;
    let lines = |name: &str| {
        xero_sync_workers::line_digests()
            .iter()
            .find(|(s, _)| *s == format!("{name}_line_items"))
            .map(|(s, q)| (*s, *q))
            .unwrap()
    };
    for name in set {
        let (s, q) = lines(name);
        assert_lines_equal(&h, s, q).await;
    }

    h.sim_json("POST", "/sim/stats/reset", None).await;
    let mut changed = std::collections::BTreeMap::new();
    for name in set {
        let outcome = mutate(&h, name, 30).await;
        let n: u64 = ["updated", "created", "voided", "deleted"]
            .iter()
            .map(|k| outcome[k].as_u64().unwrap())
            .sum();
        assert!(outcome["voided"].as_u64() > Some(0) || outcome["deleted"].as_u64() > Some(0));
        changed.insert(name, n);
    }
    sync(&h, &set, false).await;
    h.assert_equal(Some(&set)).await;
    for name in set {
        let (s, q) = lines(name);
        assert_lines_equal(&h, s, q).await;
        let endpoint = registry().iter().find(|e| e.name == name).unwrap().endpoint;
        let most = changed[name].div_ceil(1000) + 1;
        assert!(
            calls(&h, endpoint).await <= most,
            "{name}: more than {most} calls"
        );
        let ended: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM xero.{name} WHERE status IN ('VOIDED', 'DELETED')"
        )))
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
        assert!(ended > 0, "no voided or deleted {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_bank_transfers_and_batch_payments_arrive_and_a_deleted_template_is_marked() {
    let h = every_entity().await;
    let set = ["bank_transfers", "batch_payments", "repeating_invoices"];
    sync(&h, &set, true).await;
    h.assert_equal(Some(&set)).await;
    for entity in set {
        let mut deleted = 0;
        while deleted == 0 {
            deleted += mutate(&h, entity, 3).await["deleted"].as_u64().unwrap();
        }
    }
    h.sim_json("POST", "/sim/stats/reset", None).await;
    sync(&h, &set, false).await;
    // A transfer's deletion moves no date, yet it is here: every run reads the whole set.
    h.assert_equal(Some(&set)).await;
    for (sql, what) in [
        (
            "SELECT count(*) FROM xero.bank_transfers WHERE status = 'DELETED'",
            "deleted transfer",
        ),
        (
            "SELECT count(*) FROM xero.batch_payments WHERE status = 'DELETED'",
            "deleted batch",
        ),
    ] {
        assert!(scalar_i64(&h, sql).await > 0, "no {what}");
    }
    // Every stored template Xero no longer has is marked (one created and deleted within the
    // day was never stored).
    let stored = scalar_i64(&h, "SELECT count(*) FROM xero.repeating_invoices").await;
    let marked = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.repeating_invoices WHERE removed_at IS NOT NULL",
    )
    .await;
    let (in_xero, _) = h.sim_digest(h.tenants[0], "repeating_invoices").await;
    assert_eq!(marked as u64, stored as u64 - in_xero);
    for endpoint in ["BankTransfers", "BatchPayments", "RepeatingInvoices"] {
        assert_eq!(calls(&h, endpoint).await, 1, "{endpoint}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merged_contact_is_archived_and_names_the_contact_it_was_merged_into() {
    let h = every_entity().await;
    sync(&h, &["contacts"], true).await;
    let mut merged = 0;
    while merged == 0 {
        merged += mutate(&h, "contacts", 10).await["merged"].as_u64().unwrap();
    }
    sync(&h, &["contacts"], false).await;
    h.assert_equal(Some(&["contacts"])).await;
    let linked = scalar_i64(
        &h,
        "SELECT count(*) FROM xero.contacts m
           JOIN xero.contacts s ON s.tenant_id = m.tenant_id
                               AND s.contact_id = m.merged_to_contact_id
          WHERE m.contact_status = 'ARCHIVED'",
    )
    .await;
    assert!(
        linked > 0 && linked as u64 <= merged,
        "{linked} linked, {merged} merged"
    );
}
