//! Full syncs through the real runner: a worker drains the queue against the simulator over
//! HTTP, and Postgres ends equal to Xero.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{Harness, small_org};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_of_all_entities_leaves_postgres_equal_to_xero() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(3, 4);
    let runs = h.sync(None, true).await;
    assert_eq!(runs.len(), 4);
    h.wait(&runs, Duration::from_secs(120)).await;
    worker.stop().await;
    h.assert_equal(None).await;
    let stats = h.sim_stats().await;
    let log: Vec<(String, i32, i64, String)> = sqlx::query_as(
        "SELECT entity, api_calls, records, status FROM xero.sync_log ORDER BY entity",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert!(log.iter().all(|(_, _, _, s)| s == "completed"), "{log:?}");
    // Every batch job is done; what remains is exactly one scheduled next run per pair, due
    // one interval (1 h) after its run completed.
    let pending: Vec<(String, String, f64)> = sqlx::query_as(
        "SELECT status, convert_from(job, 'UTF8')::jsonb ->> 'entity',
                extract(epoch FROM run_at - now())::float8
           FROM apalis.jobs WHERE status <> 'Done' ORDER BY 2",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    let entities: Vec<&str> = pending.iter().map(|(_, e, _)| e.as_str()).collect();
    assert_eq!(
        entities,
        ["accounts", "contacts", "invoices", "journals"],
        "{pending:?}"
    );
    for (status, entity, due_in) in &pending {
        assert_eq!(status, "Pending", "{entity}");
        assert!(
            (3500.0..=3600.0).contains(due_in),
            "{entity} is due in {due_in}s"
        );
    }
    eprintln!("sim stats: {stats}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_many_tenants_queues_each_entity_for_every_tenant_before_the_next_entity() {
    let h = Harness::new(xero_sync_sim::SimConfig {
        tenants: 3,
        ..small_org()
    })
    .await;
    let entities = ["accounts", "contacts"];
    let started = xero_sync::app::request_sync(
        &h.db.pool,
        xero_sync_workers::registry(),
        &xero_sync::app::Selection {
            tenants: Some(h.tenants.clone()),
            entities: Some(entities.iter().map(|e| (*e).to_owned()).collect()),
        },
        true,
        8,
    )
    .await
    .unwrap();
    // Reported tenant by tenant, as asked.
    let reported: Vec<(uuid::Uuid, &str)> = started.iter().map(|(t, e, _)| (*t, e.name)).collect();
    let tenant_major: Vec<(uuid::Uuid, &str)> = h
        .tenants
        .iter()
        .flat_map(|t| entities.iter().map(move |e| (*t, *e)))
        .collect();
    assert_eq!(reported, tenant_major);
    // Queued (the order workers claim in: oldest first) entity by entity.
    let queued: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "SELECT (convert_from(job, 'UTF8')::jsonb ->> 'tenant_id')::uuid,
                convert_from(job, 'UTF8')::jsonb ->> 'entity'
           FROM apalis.jobs ORDER BY priority DESC, run_at, id",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    let entity_major: Vec<(uuid::Uuid, String)> = entities
        .iter()
        .flat_map(|e| h.tenants.iter().map(move |t| (*t, (*e).to_owned())))
        .collect();
    assert_eq!(queued, entity_major);
}
