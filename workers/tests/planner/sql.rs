//! `xero.request_sync(...)` from plain SQL: it starts a run, returns it again while active, and
//! refuses bad arguments with a hint.

use super::helpers::*;

use crate::support::{Harness, small_org};
use serde_json::json;
use uuid::Uuid;
use xero_sync_workers::registry;

// ---------------------------------------------------------------------------------------------
// Enqueueing from SQL

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_sync_from_plain_sql_starts_a_run_a_running_worker_completes_and_returns_it_again_while_active()
 {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let worker = h.worker(3, 4);
    // Hold Xero's first Invoices answer for a while, so the run is surely active when the
    // second request comes.
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(json!({"endpoint": "Invoices", "kind": "slow", "delay_ms": 1500, "count": 1})),
    )
    .await;
    let first = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'invoices')"))
        .await
        .unwrap();
    let again = request_sync_sql(
        pool,
        format!("xero.request_sync(tenant_id => '{tenant}', entity => 'invoices')"),
    )
    .await
    .unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(again, first, "the active run is returned, not a second one");
    // Twice in one transaction, as a trigger might: the same run again.
    let mut tx = pool.begin().await.unwrap();
    for _ in 0..2 {
        let id: Uuid = sqlx::query_scalar("SELECT xero.request_sync($1, 'invoices', false)")
            .bind(tenant)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(id, first[0]);
    }
    tx.commit().await.unwrap();
    h.wait(&first, secs(60)).await;
    let r = run(pool, first[0]).await;
    assert_eq!((r.mode.as_str(), r.status.as_str()), ("full", "completed"));
    h.assert_equal(Some(&["invoices"])).await;

    // After it completed, a request starts a new run, incremental from the watermark; `all`
    // starts (or returns) one per entity, in registry order, and twice returns the same runs.
    let all = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'all')"))
        .await
        .unwrap();
    let all_again = request_sync_sql(pool, format!("xero.request_sync('{tenant}', 'all')"))
        .await
        .unwrap();
    assert_eq!(all.len(), crate::support::CLASSIC.len());
    assert!(!all.contains(&first[0]));
    let every: Vec<Uuid> = all.iter().chain(&all_again).copied().collect();
    h.wait(&every, secs(60)).await;
    worker.stop().await;
    let mut entities = Vec::new();
    for id in &all {
        let r = run(pool, *id).await;
        let expected = if r.entity == "invoices" {
            "incremental"
        } else {
            "full"
        };
        assert_eq!(r.mode, expected, "{r:#?}");
        entities.push(r.entity);
    }
    assert_eq!(entities, crate::support::CLASSIC);
    // The second `all` came right after the first: any run still active was returned as is.
    for (id, again) in all.iter().zip(&all_again) {
        if id != again {
            let first_run = run(pool, *id).await;
            assert_eq!(first_run.status, "completed");
        }
    }
    h.assert_equal(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_sync_rejects_unknown_tenants_and_entities_with_a_hint_listing_the_valid_ones() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let pool = &h.db.pool;
    let stranger = Uuid::new_v4();
    let names: Vec<&str> = registry().iter().map(|e| e.name).collect();
    let valid = format!("valid entities: {}, or all", names.join(", "));
    let cases = [
        (
            format!("xero.request_sync('{stranger}', 'invoices')"),
            format!("unknown tenant {stranger}"),
            format!("connected tenants: {tenant} ("),
        ),
        (
            "xero.request_sync(NULL, 'invoices')".to_owned(),
            "unknown tenant NULL".to_owned(),
            format!("connected tenants: {tenant} ("),
        ),
        (
            format!("xero.request_sync('{stranger}', 'all')"),
            format!("unknown tenant {stranger}"),
            format!("connected tenants: {tenant} ("),
        ),
        (
            format!("xero.request_sync('{tenant}', 'bills')"),
            "unknown entity 'bills'".to_owned(),
            valid.clone(),
        ),
        (
            format!("xero.request_sync('{tenant}', NULL)"),
            "unknown entity NULL".to_owned(),
            valid.clone(),
        ),
    ];
    for (call, message, hint) in cases {
        let error = request_sync_sql(pool, call.clone()).await.unwrap_err();
        let pg = pg_error(&error);
        assert_eq!(pg.code(), "22023", "{call}: invalid_parameter_value");
        assert_eq!(pg.message(), message, "{call}");
        let got = pg.hint().unwrap_or_default();
        assert!(got.starts_with(&hint), "{call}: hint {got:?}");
    }
    // A mistyped argument is Postgres's own error, before the function runs.
    let error = request_sync_sql(pool, "xero.request_sync('not-a-uuid', 'invoices')".into())
        .await
        .unwrap_err();
    assert_eq!(pg_error(&error).code(), "22P02");
    // Nothing was started by any of them.
    let (logged, jobs): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM xero.sync_log), (SELECT count(*) FROM apalis.jobs)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!((logged, jobs), (0, 0));
}
