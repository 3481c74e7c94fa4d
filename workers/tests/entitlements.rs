//! Connecting apps created in 2026: `connect` asks for exactly the granular scopes the
//! registered entities need; the simulator enforces them per endpoint; an entity Xero refuses
//! for a tenant (a missing scope, a plan or a role without it) leaves that pair `not_entitled`,
//! shown in `status` and re-checked later, while the tenant's other entities sync.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Harness, small_org};
use xero_sync_sim::SimConfig;
use xero_sync_workers::registry;

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn connect_asks_for_the_granular_scopes_of_the_registered_entities_or_the_broad_ones() {
    let current = xero_sync::entity::requested(registry(), &[]);
    let granular = xero_sync::entity::scopes(&current, false);
    assert_eq!(
        granular,
        [
            "openid",
            "profile",
            "email",
            "offline_access",
            "accounting.reports.trialbalance.read",
            "accounting.reports.profitandloss.read",
            "accounting.reports.balancesheet.read",
            "accounting.reports.banksummary.read",
            "accounting.settings.read",
            "accounting.contacts.read",
            "accounting.invoices.read",
            "accounting.payments.read",
            "accounting.banktransactions.read",
            "accounting.manualjournals.read",
            "accounting.journals.read"
        ]
    );
    let broad = xero_sync::entity::scopes(&current, true);
    assert!(broad.contains(&"accounting.transactions.read"));
    assert!(!broad.contains(&"accounting.invoices.read"));
    assert!(broad.contains(&"accounting.reports.read"));
    assert!(
        !broad
            .iter()
            .any(|s| s.starts_with("accounting.reports.") && *s != "accounting.reports.read")
    );
    // A deprecated entity's scope only when the deployment syncs it.
    let with_receipts = xero_sync::entity::requested(registry(), &["receipts".to_owned()]);
    let scopes = xero_sync::entity::scopes(&with_receipts, false);
    assert_eq!(scopes.last(), Some(&"accounting.classicexpenses.read"));
    assert_eq!(scopes.len(), granular.len() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_created_in_2026_is_refused_broad_scopes_at_connect_with_a_clear_error() {
    let broad = xero_sync::entity::scopes(registry(), true);
    let refused = Harness::try_with_scopes(small_org(), &broad).await;
    let error = format!("{:#}", refused.err().unwrap());
    assert!(error.contains("invalid_scope"), "{error}");
    // An app created before 2 March 2026 may keep its broad scopes.
    let legacy = SimConfig {
        legacy_app: true,
        ..small_org()
    };
    let h = Harness::with_scopes(legacy, &broad).await;
    let worker = h.worker(5, 2);
    let runs = h.sync(None, true).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    h.assert_equal(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_missing_one_entitys_scope_leaves_that_pair_not_entitled_and_syncs_the_rest() {
    let all = xero_sync::entity::scopes(registry(), false);
    let without_invoices: Vec<&str> = all
        .iter()
        .copied()
        .filter(|s| *s != "accounting.invoices.read")
        .collect();
    let h = Harness::with_scopes(small_org(), &without_invoices).await;
    let worker = h.worker(5, 2);
    let runs = h.sync(None, true).await;
    let ended = h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    assert_eq!(
        ended,
        ["completed", "completed", "not_entitled", "completed"]
    );
    let (_, error, calls) = h.run_outcome(runs[2]).await;
    assert!(error.unwrap().contains("AuthorizationUnsuccessful"));
    assert_eq!(calls, 1, "refused once, not retried");
    h.assert_equal(Some(&["accounts", "contacts", "journals"]))
        .await;

    // `status` shows the pair, and it is re-checked a day later, not failed every hour.
    let output = h.command(&["status", "--json"]).output().await.unwrap();
    assert!(output.status.success());
    let overview: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let pairs = overview["pairs"].as_array().unwrap();
    let invoices = pairs.iter().find(|p| p["entity"] == "invoices").unwrap();
    assert_eq!(invoices["state"], "not_entitled", "{invoices}");
    let due_in: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM run_at - now())::float8 FROM apalis.jobs
          WHERE starts_with(idempotency_key, 'next:') AND status = 'Pending'
            AND convert_from(job, 'UTF8')::jsonb ->> 'entity' = 'invoices'",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert!(due_in > 86_000.0, "re-checked in {due_in}s");
    // Failed jobs are for operators to act on; a refusal is not one.
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM apalis.jobs WHERE status = 'Failed'")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert_eq!(failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journals_refused_to_one_organisation_leave_only_that_pair_not_entitled() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        ..small_org()
    })
    .await;
    let refused = h.tenants[1];
    h.sim_json(
        "POST",
        "/sim/entitlements",
        Some(json!({"tenant_id": refused, "endpoint": "Journals", "entitled": false})),
    )
    .await;
    let worker = h.worker(5, 2);
    let runs = h.sync(Some(&["journals"]), true).await;
    h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    let states: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT tenant_id, status FROM xero.sync_progress WHERE entity = 'journals'",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    for (tenant, state) in states {
        let expected = if tenant == refused {
            "not_entitled"
        } else {
            "completed"
        };
        assert_eq!(state, expected, "{tenant}");
    }
}
