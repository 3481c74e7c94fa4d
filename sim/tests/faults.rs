//! Faults over real HTTP: each scripted kind, matching by endpoint and tenant, clearing, and
//! random faults by rate.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Harness, header, small, small_with_tenants};
use xero_sync_sim::SimConfig;

#[tokio::test]
async fn the_next_three_invoice_calls_fail_with_500_then_recover() {
    let h = Harness::start(small()).await;
    let pending = h
        .post(
            "faults",
            json!({ "endpoint": "Invoices", "kind": "status_500", "count": 3 }),
        )
        .await;
    assert_eq!(pending["pending"][0]["count"], 3);
    assert_eq!(
        h.get("Accounts", &[], None).await.status(),
        StatusCode::OK,
        "other endpoints unaffected"
    );
    for _ in 0..3 {
        let res = h.get("Invoices", &[], None).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            header(&res, "x-minlimit-remaining").is_some(),
            "a failed call still counts"
        );
    }
    assert_eq!(h.get("Invoices", &[], None).await.status(), StatusCode::OK);
    assert_eq!(h.stats().await["requests"]["Invoices"]["500"], 3);
}

#[tokio::test]
async fn an_offline_organisation_answers_503() {
    let h = Harness::start(small()).await;
    h.post("faults", json!({ "kind": "offline_503" })).await;
    let res = h.get("Contacts", &[], None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.text().await.unwrap(), "The Organisation is offline");
}

#[tokio::test]
async fn a_scripted_429_carries_the_minute_problem_and_retry_after() {
    let h = Harness::start(small()).await;
    h.post(
        "faults",
        json!({ "endpoint": "Journals", "kind": "rate_limit_429", "retry_after_secs": 7 }),
    )
    .await;
    let res = h.get("Journals", &[], None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&res, "x-rate-limit-problem"), Some("minute"));
    assert_eq!(header(&res, "retry-after"), Some("7"));
    assert_eq!(h.stats().await["rate_limited"]["minute"], 1);
}

#[tokio::test]
async fn a_slow_response_outlasts_a_client_timeout() {
    let h = Harness::start(small()).await;
    h.post("faults", json!({ "kind": "slow", "delay_ms": 2_000 }))
        .await;
    let started = std::time::Instant::now();
    let err = h
        .http
        .get(h.api("Accounts"))
        .header("accept", "application/json")
        .header("xero-tenant-id", h.tenant.to_string())
        .bearer_auth(&h.token)
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_millis(1_500));
}

#[tokio::test]
async fn a_truncated_body_is_a_complete_response_with_invalid_json() {
    let h = Harness::start(small()).await;
    h.post(
        "faults",
        json!({ "endpoint": "Invoices", "kind": "truncate" }),
    )
    .await;
    let res = h.get("Invoices", &[("page", "1")], None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(&res, "content-type"),
        Some("application/json; charset=utf-8")
    );
    let declared: usize = header(&res, "content-length").unwrap().parse().unwrap();
    let body = res.bytes().await.unwrap();
    assert_eq!(
        body.len(),
        declared,
        "the transport is fine, the JSON is not"
    );
    assert!(body.starts_with(b"{\"Id\":"));
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    let stats = h.stats().await;
    assert!(
        stats["served"].as_array().unwrap().is_empty(),
        "a truncated page does not count as served"
    );
}

#[tokio::test]
async fn faults_can_target_one_tenant_and_be_cleared() {
    let h = Harness::start(small_with_tenants(2)).await;
    let [a, b] = [h.sim.tenant_ids()[0], h.sim.tenant_ids()[1]];
    h.post(
        "faults",
        json!({ "tenant_id": b, "kind": "status_500", "count": 10 }),
    )
    .await;
    assert_eq!(
        h.get_for(a, "Accounts", &[], None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        h.get_for(b, "Accounts", &[], None).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let cleared = h.control(reqwest::Method::DELETE, "faults", None).await;
    assert_eq!(cleared["pending"], json!([]));
    assert_eq!(
        h.get_for(b, "Accounts", &[], None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_fault_rate_of_one_fails_every_call_in_one_of_three_ways() {
    let h = Harness::start(SimConfig {
        fault_rate: 1.0,
        ..small()
    })
    .await;
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..30 {
        let res = h.get("Accounts", &[], None).await;
        let status = res.status();
        let body = res.bytes().await.unwrap();
        let kind = match status {
            StatusCode::INTERNAL_SERVER_ERROR => "500",
            StatusCode::SERVICE_UNAVAILABLE => "503",
            StatusCode::OK => {
                assert!(
                    serde_json::from_slice::<Value>(&body).is_err(),
                    "an OK body must be truncated"
                );
                "truncate"
            }
            other => panic!("unexpected {other}"),
        };
        kinds.insert(kind);
    }
    assert_eq!(kinds.len(), 3, "{kinds:?}");
}
