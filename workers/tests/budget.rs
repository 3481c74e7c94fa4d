//! One Xero budget for every replica: calls in flight per tenant stay under the limit across
//! replicas, a dead replica's leases come back, no span of a minute holds more than a minute's
//! calls, an `appminute` 429 pauses every tenant, a spent
//! day snoozes jobs until the reset (full runs first, keeping the rest for incremental ones),
//! and the egress table holds exactly the bytes Xero sent.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Harness, small_org, sync_args};
use xero_sync::budget::{Budget, Limits, Take};
use xero_sync::worker::WorkerOptions;
use xero_sync_sim::{LimitSettings, SimConfig};

const MINUTE: Duration = Duration::from_secs(60);

fn options(concurrency: usize) -> WorkerOptions {
    WorkerOptions::new(concurrency, Duration::from_secs(30))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_have_more_calls_in_flight_for_a_tenant_than_its_limit() {
    // Xero's limit shrunk to two calls in flight, so four entities' chains contend for it.
    let h = Harness::new(SimConfig {
        latency_ms: 40,
        rate_limits: true,
        limits: LimitSettings {
            concurrent: 2,
            ..LimitSettings::default()
        },
        ..small_org()
    })
    .await;
    let replicas = [
        h.worker_with(&sync_args(3), options(4)),
        h.worker_with(&sync_args(3), options(4)),
    ];
    let runs = h.sync(None, true).await;
    h.wait(&runs, MINUTE).await;
    for replica in replicas {
        replica.stop().await;
    }
    h.assert_equal(None).await;
    let stats = h.sim_stats().await;
    let peak = stats["max_concurrent"][h.tenants[0].to_string()]
        .as_u64()
        .unwrap();
    assert_eq!(peak, 2, "{stats}");
    assert!(
        stats["rate_limited"].as_object().unwrap().is_empty(),
        "no 429: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_of_a_replica_that_died_mid_call_come_back_when_they_expire() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    let budget = Budget::new(
        h.db.pool.clone(),
        Limits {
            lease: Duration::from_secs(1),
            ..Limits::default()
        },
    );
    // A replica takes five calls and dies without giving them back.
    for _ in 0..5 {
        assert!(matches!(
            budget.take(tenant, false).await.unwrap(),
            Take::Granted(_)
        ));
    }
    match budget.take(tenant, false).await.unwrap() {
        Take::Wait(wait, reason) => {
            assert!(reason.contains("concurrent"), "{reason}");
            assert!(wait < Duration::from_secs(1));
        }
        granted => panic!("a sixth call in flight: {granted:?}"),
    }
    let back = support::eventually("the dead replica's leases expired", MINUTE, || async {
        match budget.take(tenant, false).await.unwrap() {
            Take::Granted(lease) => Some(lease),
            Take::Wait(..) => None,
        }
    })
    .await;
    assert!(back > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_held_back_at_the_end_of_its_window_never_makes_a_minutes_calls_within_a_minute() {
    let h = Harness::new(small_org()).await;
    let tenant = h.tenants[0];
    // Three calls a one-second "minute", none given back: their leases keep the database's
    // own time of every take.
    let budget = Budget::new(
        h.db.pool.clone(),
        Limits {
            per_minute: 3,
            burst: 3,
            concurrent: 100,
            window: Duration::from_secs(1),
            ..Limits::default()
        },
    );
    assert!(matches!(
        budget.take(tenant, false).await.unwrap(),
        Take::Granted(_)
    ));
    // Held back until just before its window ends, the tenant then takes all it may, and goes
    // on taking for three windows.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let until = std::time::Instant::now() + Duration::from_secs(3);
    let mut reasons = Vec::new();
    while std::time::Instant::now() < until {
        if let Take::Wait(wait, reason) = budget.take(tenant, false).await.unwrap() {
            reasons.push(reason);
            tokio::time::sleep(wait.min(Duration::from_millis(20))).await;
        }
    }
    let taken: Vec<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM taken_at)::float8 FROM xero.call_leases
          WHERE tenant_id = $1 ORDER BY taken_at",
    )
    .bind(tenant)
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    // Xero's window starts when a call arrives, so it may start at any of ours: no second
    // anywhere holds a fourth call.
    for (i, pair) in taken.windows(4).enumerate() {
        assert!(
            pair[3] - pair[0] >= 1.0,
            "calls {i} to {} within {:.3} s: {taken:?}",
            i + 3,
            pair[3] - pair[0]
        );
    }
    // And the tenant still gets about three a window: some eleven in these four seconds, at
    // least seven however busy the machine.
    assert!(taken.len() >= 7, "{} calls: {taken:?}", taken.len());
    assert!(
        reasons.iter().any(|r| r == "minute limit reached"),
        "{reasons:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_minutes_calls_are_logged_under_xeros_limit_less_those_that_never_reached_xero_and_not_when_the_limit_stands_for_none()
 {
    let h = Harness::new(SimConfig {
        tenants: 2,
        ..small_org()
    })
    .await;
    let (xero, none) = (h.tenants[0], h.tenants[1]);
    for (tenant, per_minute) in [(xero, 60), (none, 1_000_000)] {
        let budget = Budget::new(
            h.db.pool.clone(),
            Limits {
                per_minute,
                ..Limits::default()
            },
        );
        for _ in 0..3 {
            assert!(matches!(
                budget.take(tenant, false).await.unwrap(),
                Take::Granted(_)
            ));
        }
    }
    let logged: Vec<(uuid::Uuid, i32)> = sqlx::query_as(
        "SELECT tenant_id, cardinality(recent) FROM xero.tenant_budget ORDER BY tenant_id = $1 DESC",
    )
    .bind(xero)
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(logged, vec![(xero, 3), (none, 0)]);
    // A call that never reached Xero leaves the log by its own take time, not the last one's.
    let first: i64 =
        sqlx::query_scalar("SELECT min(lease_id) FROM xero.call_leases WHERE tenant_id = $1")
            .bind(xero)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    Budget::new(h.db.pool.clone(), Limits::default())
        .unreached(first, xero, "connection refused")
        .await
        .unwrap();
    let (left, logged): (
        Vec<chrono::DateTime<chrono::Utc>>,
        Vec<chrono::DateTime<chrono::Utc>>,
    ) = sqlx::query_as(
        "SELECT (SELECT array_agg(taken_at ORDER BY taken_at) FROM xero.call_leases
                      WHERE tenant_id = $1),
                    recent FROM xero.tenant_budget WHERE tenant_id = $1",
    )
    .bind(xero)
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(left.len(), 2);
    assert_eq!(logged, left);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_appminute_429_for_one_tenant_pauses_every_tenant() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        ..small_org()
    })
    .await;
    let fault = json!({"endpoint": "Invoices", "tenant_id": h.tenants[0], "kind": "rate_limit_429",
                       "problem": "appminute", "retry_after_secs": 3, "count": 1});
    h.sim_json("POST", "/sim/faults", Some(fault)).await;
    let worker = h.worker(5, 2);
    let first = h.sync(Some(&["invoices"]), true).await;
    let blocked = support::eventually("the app blocked", MINUTE, || async {
        sqlx::query_scalar::<_, Option<f64>>(
            "SELECT extract(epoch FROM blocked_until - now())::float8 FROM xero.app_budget",
        )
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
        .filter(|s| *s > 0.5)
    })
    .await;
    assert!(blocked <= 3.0, "blocked for {blocked}s");
    // The other organisation has not had its own 429, yet it waits too.
    let contacts = h.sync(Some(&["contacts"]), true).await;
    let waiting = support::eventually("the other tenant's job snoozed", MINUTE, || async {
        sqlx::query_scalar::<_, String>(
            "SELECT last_result ->> 'Snoozed' FROM apalis.jobs
              WHERE last_result ->> 'Snoozed' LIKE '%appminute%'
                AND convert_from(job, 'UTF8')::jsonb ->> 'tenant_id' = $1::text",
        )
        .bind(h.tenants[1])
        .fetch_optional(&h.db.pool)
        .await
        .unwrap()
    })
    .await;
    assert!(waiting.contains("app rate-limited"), "{waiting}");
    let all: Vec<_> = first.iter().chain(&contacts).copied().collect();
    h.wait(&all, MINUTE).await;
    worker.stop().await;
    h.assert_equal(Some(&["invoices", "contacts"])).await;
    let stats = h.sim_stats().await;
    assert_eq!(
        stats["rate_limited"]["appminute"], 1,
        "one 429 in all: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_day_snoozes_full_runs_first_then_everything_until_the_reset() {
    // Ten calls a day (the Starter tier's 1,000, shrunk): full runs stop at nine, keeping the
    // last call for incremental runs.
    let h = Harness::new(SimConfig {
        rate_limits: true,
        limits: LimitSettings {
            per_day: 10,
            ..LimitSettings::default()
        },
        ..small_org()
    })
    .await;
    let worker = h.worker(1, 2);
    let full = h.sync(Some(&["accounts", "journals"]), true).await;
    h.wait(&full[..1], MINUTE).await;
    let snoozed = support::eventually("the full journals run put off", MINUTE, || async {
        sqlx::query_as::<_, (String, f64, i32)>(
            "SELECT last_result ->> 'Snoozed', extract(epoch FROM run_at - now())::float8, attempts
               FROM apalis.jobs WHERE last_result ? 'Snoozed'
                AND convert_from(job, 'UTF8')::jsonb ->> 'entity' = 'journals'",
        )
        .fetch_optional(&h.db.pool)
        .await
        .unwrap()
    })
    .await;
    assert!(
        snoozed.0.contains("kept for incremental runs"),
        "{snoozed:?}"
    );
    assert!(snoozed.1 > 80_000.0, "until the day resets: {snoozed:?}");
    assert_eq!(snoozed.2, 0, "no attempt spent");
    let used: i32 = sqlx::query_scalar("SELECT day_used FROM xero.tenant_budget")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(used, 9);
    // An incremental run still gets the reserved call; after it the day is spent for all.
    let incremental = h.sync(Some(&["accounts"]), false).await;
    h.wait(&incremental, MINUTE).await;
    let contacts = h.sync(Some(&["contacts"]), false).await;
    let reason = support::eventually("the contacts run put off", MINUTE, || async {
        sqlx::query_scalar::<_, String>(
            "SELECT last_result ->> 'Snoozed' FROM apalis.jobs WHERE last_result ? 'Snoozed'
                AND convert_from(job, 'UTF8')::jsonb ->> 'entity' = 'contacts'",
        )
        .fetch_optional(&h.db.pool)
        .await
        .unwrap()
    })
    .await;
    assert!(reason.contains("day limit"), "{reason}");
    worker.stop().await;
    for run in [full[1], contacts[0]] {
        assert_eq!(h.run_outcome(run).await.0, "running", "waiting, not failed");
    }
    let stats = h.sim_stats().await;
    assert!(
        stats["rate_limited"].as_object().unwrap().is_empty(),
        "no 429: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_egress_table_holds_exactly_the_bytes_the_simulator_sent_compressed() {
    let h = Harness::new(small_org()).await;
    let worker = h.worker(3, 2);
    let runs = h.sync(None, true).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    let (calls, wire, decoded): (i64, i64, i64) = sqlx::query_as(
        "SELECT sum(calls)::bigint, sum(wire_bytes)::bigint, sum(decoded_bytes)::bigint
           FROM xero.egress",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    let stats = h.sim_stats().await;
    let sent = &stats["egress"][h.tenants[0].to_string()];
    assert_eq!(calls, sent["responses"].as_i64().unwrap());
    assert_eq!(wire, sent["wire_bytes"].as_i64().unwrap());
    assert_eq!(decoded, sent["decoded_bytes"].as_i64().unwrap());
    assert!(
        wire * 3 < decoded,
        "gzip saves most of it: {wire} of {decoded}"
    );
    let api_calls: i64 = sqlx::query_scalar("SELECT sum(api_calls)::bigint FROM xero.sync_log")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    assert_eq!(calls, api_calls);
    // `status` shows each pair's share of the month.
    let workers = xero_sync::status::workers(&h.db.pool).await.unwrap();
    let pairs = xero_sync::status::status(&h.db.pool, &workers)
        .await
        .unwrap();
    let shown: i64 = pairs.iter().map(|p| p.egress.wire_bytes).sum();
    assert_eq!(shown, wire);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_monthly_egress_budget_holds_back_full_runs_but_not_incremental_ones() {
    let mut h = Harness::new(small_org()).await;
    let worker = h.worker(3, 2);
    let runs = h.sync(Some(&["accounts"]), true).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    // The month's budget is 1 MB and a fake earlier run already spent it.
    sqlx::query(
        "UPDATE xero.egress SET wire_bytes = 2000000
          WHERE month = date_trunc('month', now() AT TIME ZONE 'UTC')::date",
    )
    .execute(&h.db.pool)
    .await
    .unwrap();
    h.xero.egress_budget_mb = 1;
    let worker = h.worker(3, 2);
    let full = h.sync(Some(&["contacts"]), true).await;
    let incremental = h.sync(Some(&["accounts"]), false).await;
    h.wait(&incremental, MINUTE).await;
    let reason = support::eventually("the full run put off", MINUTE, || async {
        sqlx::query_scalar::<_, String>(
            "SELECT last_result ->> 'Snoozed' FROM apalis.jobs WHERE last_result ? 'Snoozed'",
        )
        .fetch_optional(&h.db.pool)
        .await
        .unwrap()
    })
    .await;
    worker.stop().await;
    assert!(reason.contains("egress"), "{reason}");
    assert_eq!(h.run_outcome(full[0]).await.0, "running");
}
