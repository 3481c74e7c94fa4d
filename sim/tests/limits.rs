//! Rate limits over real HTTP: minute, day, app-minute and concurrent, each with its headers
//! and 429; windows moved with `/sim/clock`, not sleeps.
#![allow(clippy::unwrap_used)]

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::{Harness, header, small, small_with_tenants};
use xero_sync_sim::{LimitSettings, SimConfig};

fn with_limits(limits: LimitSettings) -> SimConfig {
    SimConfig { limits, ..small() }
}

#[tokio::test]
async fn the_sixty_first_call_in_a_minute_is_refused_until_the_window_ends() {
    let h = Harness::start(small()).await;
    for i in 1..=60 {
        let res = h.get("Accounts", &[], None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            header(&res, "x-minlimit-remaining").unwrap(),
            (60 - i).to_string()
        );
        assert_eq!(
            header(&res, "x-daylimit-remaining").unwrap(),
            (5000 - i).to_string()
        );
    }
    let res = h.get("Accounts", &[], None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&res, "x-rate-limit-problem"), Some("minute"));
    assert_eq!(header(&res, "x-minlimit-remaining"), Some("0"));
    let retry: u64 = header(&res, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");

    h.advance(retry as i64).await;
    let res = h.get("Accounts", &[], None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "a new window after Retry-After"
    );
    assert_eq!(header(&res, "x-minlimit-remaining"), Some("59"));
    assert_eq!(
        header(&res, "x-daylimit-remaining"),
        Some("4939"),
        "refused calls are not counted"
    );
    assert_eq!(h.stats().await["rate_limited"]["minute"], 1);
}

#[tokio::test]
async fn a_shrunk_minute_gives_a_shorter_retry_after() {
    let limits = LimitSettings {
        per_minute: 3,
        minute_ms: 2_500,
        ..LimitSettings::default()
    };
    let h = Harness::start(with_limits(limits)).await;
    for _ in 0..3 {
        assert_eq!(h.get("Contacts", &[], None).await.status(), StatusCode::OK);
    }
    let res = h.get("Contacts", &[], None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = header(&res, "retry-after").unwrap().parse().unwrap();
    assert!((1..=3).contains(&retry), "Retry-After {retry}");
}

#[tokio::test]
async fn the_day_limit_refuses_until_the_next_day() {
    let limits = LimitSettings {
        per_day: 5,
        ..LimitSettings::default()
    };
    let mut h = Harness::start(with_limits(limits)).await;
    for _ in 0..5 {
        assert_eq!(h.get("Invoices", &[], None).await.status(), StatusCode::OK);
    }
    let res = h.get("Invoices", &[], None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&res, "x-rate-limit-problem"), Some("day"));
    assert_eq!(header(&res, "x-daylimit-remaining"), Some("0"));
    let retry: i64 = header(&res, "retry-after").unwrap().parse().unwrap();
    assert!(retry > 86_000 && retry <= 86_400, "Retry-After {retry}");
    h.advance(retry).await;
    // A day later the access token has expired too.
    h.token = support::client_credentials(&h.sim, &h.http).await;
    assert_eq!(h.get("Invoices", &[], None).await.status(), StatusCode::OK);
    assert_eq!(h.stats().await["rate_limited"]["day"], 1);
}

#[tokio::test]
async fn the_app_minute_limit_spans_all_tenants() {
    let limits = LimitSettings {
        app_per_minute: 4,
        ..LimitSettings::default()
    };
    let h = Harness::start(SimConfig {
        limits,
        ..small_with_tenants(2)
    })
    .await;
    let tenants = h.sim.tenant_ids();
    for i in 0..4 {
        let res = h.get_for(tenants[i % 2], "Accounts", &[], None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            header(&res, "x-appminlimit-remaining").unwrap(),
            (3 - i).to_string()
        );
    }
    let res = h.get_for(tenants[1], "Accounts", &[], None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&res, "x-rate-limit-problem"), Some("appminute"));
    assert!(header(&res, "retry-after").is_some());
    // /connections and the control API are not limited.
    let res = h.connections().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "x-appminlimit-remaining"), Some("0"));
}

#[tokio::test]
async fn a_sixth_concurrent_call_is_refused() {
    let h = Harness::start(small()).await;
    let slow = json!({ "endpoint": "Invoices", "kind": "slow", "count": 5, "delay_ms": 1_500 });
    h.post("faults", slow).await;
    let in_flight: Vec<_> = (0..5).map(|_| h.get("Invoices", &[], None)).collect();
    let waiting = futures::future::join_all(in_flight);
    let probe = async {
        // Wait (without sleeping blindly) until the five slow calls are all in flight.
        loop {
            let stats = h.stats().await;
            if stats["max_concurrent"][h.tenant.to_string()] == 5 {
                break;
            }
            tokio::task::yield_now().await;
        }
        h.get("Accounts", &[], None).await
    };
    let (done, refused) = tokio::join!(waiting, probe);
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&refused, "x-rate-limit-problem"), Some("concurrent"));
    assert_eq!(header(&refused, "retry-after"), Some("1"));
    assert!(done.iter().all(|r| r.status() == StatusCode::OK));
    let stats = h.stats().await;
    assert_eq!(stats["rate_limited"]["concurrent"], 1);
    assert_eq!(
        h.get("Accounts", &[], None).await.status(),
        StatusCode::OK,
        "slots are freed"
    );
}

#[tokio::test]
async fn latency_keeps_calls_in_flight() {
    let h = Harness::start(SimConfig {
        latency_ms: 300,
        ..small()
    })
    .await;
    let calls: Vec<_> = (0..3).map(|_| h.get("Accounts", &[], None)).collect();
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.status() == StatusCode::OK));
    assert_eq!(h.stats().await["max_concurrent"][h.tenant.to_string()], 3);
}

#[tokio::test]
async fn without_rate_limits_nothing_is_refused_and_no_budget_is_reported() {
    let limits = LimitSettings {
        per_minute: 2,
        ..LimitSettings::default()
    };
    let h = Harness::start(SimConfig {
        rate_limits: false,
        limits,
        ..small()
    })
    .await;
    for _ in 0..10 {
        let res = h.get("Accounts", &[], None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(&res, "x-minlimit-remaining"), None);
        assert_eq!(header(&res, "x-daylimit-remaining"), None);
    }
}
