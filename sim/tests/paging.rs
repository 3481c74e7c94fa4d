//! The Accounting API's shape over real HTTP: envelope, headers, paging and clamping, default
//! order, If-Modified-Since formats and semantics, content negotiation.
#![allow(clippy::unwrap_used)]

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{Harness, header, ms, small};

fn ids_and_stamps(items: &[Value], id_key: &str) -> Vec<(i64, String)> {
    items
        .iter()
        .map(|i| {
            (
                ms(&i["UpdatedDateUTC"]),
                i[id_key].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn responses_carry_the_envelope_and_xero_headers() {
    let h = Harness::start(small()).await;
    let res = h.get("Invoices", &[("page", "1")], None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        header(&res, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(header(&res, "x-minlimit-remaining"), Some("59"));
    assert_eq!(header(&res, "x-daylimit-remaining"), Some("4999"));
    assert_eq!(header(&res, "x-appminlimit-remaining"), Some("9999"));
    let correlation = header(&res, "xero-correlation-id").unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Id"], correlation.as_str());
    assert_eq!(body["Status"], "OK");
    assert!(body["ProviderName"].is_string());
    assert!(body["DateTimeUTC"].as_str().unwrap().starts_with("/Date("));
    assert!(
        !body["DateTimeUTC"].as_str().unwrap().contains('+'),
        "the envelope date has no offset"
    );
    let invoice = &body["Invoices"][0];
    assert!(
        invoice["UpdatedDateUTC"]
            .as_str()
            .unwrap()
            .ends_with("+0000)/")
    );
    assert!(
        invoice["DateString"]
            .as_str()
            .unwrap()
            .ends_with("T00:00:00")
    );
    assert!(
        invoice["UpdatedDateUTCString"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        ms(&invoice["Date"]) % 86_400_000,
        0,
        "calendar dates are midnight UTC"
    );
}

#[tokio::test]
async fn pages_follow_the_default_order_and_report_pagination() {
    let h = Harness::start(small()).await;
    let body = h.get_json("Invoices", &[("page", "1")], None).await;
    assert_eq!(body["pagination"]["page"], 1);
    assert_eq!(body["pagination"]["pageSize"], 100);
    assert_eq!(body["pagination"]["itemCount"], 350);
    assert_eq!(body["pagination"]["pageCount"], 4);
    assert_eq!(body["Invoices"].as_array().unwrap().len(), 100);
    assert!(
        !body["Invoices"][0]["LineItems"]
            .as_array()
            .unwrap()
            .is_empty(),
        "paged invoices carry lines"
    );

    let all = h.all_pages("Invoices", &[], None).await;
    let keys = ids_and_stamps(&all, "InvoiceID");
    assert_eq!(keys.len(), 350);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "UpdatedDateUTC ASC, InvoiceID ASC");

    let last = h.get_json("Invoices", &[("page", "4")], None).await;
    assert_eq!(last["Invoices"].as_array().unwrap().len(), 50);
    let past = h.get_json("Invoices", &[("page", "5")], None).await;
    assert_eq!(past["Invoices"], Value::Array(vec![]));
    assert_eq!(past["pagination"]["page"], 5);
    assert_eq!(past["pagination"]["itemCount"], 350);
}

#[tokio::test]
async fn page_sizes_are_clamped_to_one_through_a_thousand() {
    let h = Harness::start(SimConfigExt::with_invoices(1_200)).await;
    let big = h
        .get_json("Invoices", &[("page", "1"), ("pageSize", "5000")], None)
        .await;
    assert_eq!(big["pagination"]["pageSize"], 1000);
    assert_eq!(big["Invoices"].as_array().unwrap().len(), 1000);
    assert_eq!(big["pagination"]["pageCount"], 2);
    let tiny = h
        .get_json("Invoices", &[("page", "3"), ("pageSize", "0")], None)
        .await;
    assert_eq!(tiny["pagination"]["pageSize"], 1);
    assert_eq!(tiny["Invoices"].as_array().unwrap().len(), 1);
    assert_eq!(
        tiny["Invoices"][0]["InvoiceID"],
        big["Invoices"][2]["InvoiceID"]
    );
}

struct SimConfigExt;
impl SimConfigExt {
    fn with_invoices(n: usize) -> xero_sync_sim::SimConfig {
        xero_sync_sim::SimConfig {
            invoices: n,
            journals: 3 * n,
            ..small()
        }
    }
}

#[tokio::test]
async fn without_page_everything_comes_at_once_in_summary_form() {
    let h = Harness::start(small()).await;
    let body = h.get_json("Invoices", &[], None).await;
    assert!(body.get("pagination").is_none());
    let invoices = body["Invoices"].as_array().unwrap();
    assert_eq!(invoices.len(), 350);
    assert!(
        invoices
            .iter()
            .all(|i| i["LineItems"] == Value::Array(vec![]))
    );

    let contacts = h.get_json("Contacts", &[], None).await;
    let first = &contacts["Contacts"][0];
    assert!(
        first.get("Addresses").is_none(),
        "unpaged contacts are a subset"
    );
    let paged = h.get_json("Contacts", &[("page", "1")], None).await;
    assert!(paged["Contacts"][0]["Addresses"].is_array());
}

#[tokio::test]
async fn archived_contacts_appear_only_with_include_archived() {
    let h = Harness::start(small()).await;
    let all = h
        .all_pages("Contacts", &[("includeArchived", "true")], None)
        .await;
    let archived = all
        .iter()
        .filter(|c| c["ContactStatus"] == "ARCHIVED")
        .count();
    assert!(archived > 0);
    let active = h.all_pages("Contacts", &[], None).await;
    assert_eq!(active.len() + archived, all.len());
    assert_eq!(h.digest("contacts").await["count"], all.len());
}

#[tokio::test]
async fn if_modified_since_is_inclusive_at_second_precision_in_every_format() {
    let h = Harness::start(small()).await;
    let all = h.get_json("Invoices", &[], None).await["Invoices"]
        .as_array()
        .unwrap()
        .clone();
    // A record in the middle whose millisecond part is not zero.
    let pivot = all
        .iter()
        .skip(150)
        .find(|i| ms(&i["UpdatedDateUTC"]) % 1000 != 0)
        .unwrap();
    let stamp = ms(&pivot["UpdatedDateUTC"]);
    let second = stamp - stamp.rem_euclid(1000);
    let expected = all
        .iter()
        .filter(|i| ms(&i["UpdatedDateUTC"]) >= second)
        .count();
    assert!(expected < all.len());

    let t = chrono::DateTime::from_timestamp_millis(stamp).unwrap();
    let formats = [
        t.format("%Y-%m-%dT%H:%M:%S").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        format!(
            "{}.{:07}",
            t.format("%Y-%m-%dT%H:%M:%S"),
            stamp.rem_euclid(1000) * 10_000
        ),
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        (t - chrono::Duration::hours(8))
            .format("%Y-%m-%dT%H:%M:%S-08:00")
            .to_string(),
        t.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    ];
    for ims in &formats {
        let body = h.get_json("Invoices", &[], Some(ims)).await;
        let got = body["Invoices"].as_array().unwrap();
        assert_eq!(got.len(), expected, "If-Modified-Since: {ims}");
        assert!(
            got.iter().any(|i| i["InvoiceID"] == pivot["InvoiceID"]),
            "inclusive: {ims}"
        );
    }
    // One second later the pivot is gone.
    let later = (t + chrono::Duration::seconds(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let body = h.get_json("Invoices", &[], Some(&later)).await;
    assert!(
        body["Invoices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["InvoiceID"] != pivot["InvoiceID"])
    );

    let paged = h
        .get_json("Invoices", &[("page", "1")], Some(&formats[0]))
        .await;
    assert_eq!(paged["pagination"]["itemCount"], expected);
}

#[tokio::test]
async fn an_unparseable_if_modified_since_is_a_validation_error() {
    let h = Harness::start(small()).await;
    let res = h.get("Invoices", &[], Some("last tuesday")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Type"], "ValidationException");
    assert_eq!(body["ErrorNumber"], 10);
    let message = body["Elements"][0]["ValidationErrors"][0]["Message"]
        .as_str()
        .unwrap();
    assert!(message.contains("last tuesday"), "{message}");
}

#[tokio::test]
async fn accounts_are_unpaged_and_honour_if_modified_since() {
    let h = Harness::start(small()).await;
    let body = h.get_json("Accounts", &[("page", "1")], None).await;
    assert!(body.get("pagination").is_none());
    let accounts = body["Accounts"].as_array().unwrap().clone();
    assert_eq!(accounts.len(), 40);
    let mut stamps: Vec<i64> = accounts.iter().map(|a| ms(&a["UpdatedDateUTC"])).collect();
    stamps.sort();
    let cut = stamps[30] - stamps[30].rem_euclid(1000);
    let ims = chrono::DateTime::from_timestamp_millis(cut)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let since = h.get_json("Accounts", &[], Some(&ims)).await;
    let expected = stamps.iter().filter(|&&s| s >= cut).count();
    assert_eq!(since["Accounts"].as_array().unwrap().len(), expected);
}

#[tokio::test]
async fn json_must_be_asked_for_as_xero_defaults_to_xml() {
    let h = Harness::start(small()).await;
    let res = h
        .http
        .get(h.api("Invoices"))
        .bearer_auth(&h.token)
        .header("xero-tenant-id", h.tenant.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_ACCEPTABLE);
    let res = h
        .http
        .get(h.api("invoices"))
        .header("accept", "application/json")
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "paths are case-insensitive");
    let res = h.get("Widgets", &[], None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn stats_count_each_page_served_by_cursor() {
    let h = Harness::start(small()).await;
    h.get_json(
        "Invoices",
        &[("page", "2"), ("pageSize", "50")],
        Some("2020-01-01T00:00:00"),
    )
    .await;
    h.get_json(
        "Invoices",
        &[("page", "2"), ("pageSize", "50")],
        Some("2020-01-01T00:00:00.900"),
    )
    .await;
    h.get_json("Journals", &[("offset", "100")], None).await;
    let stats = h.stats().await;
    let served = stats["served"].as_array().unwrap();
    let invoices = served.iter().find(|s| s["endpoint"] == "Invoices").unwrap();
    assert_eq!(
        invoices["cursor"],
        "Invoices?ims=2020-01-01T00:00:00.000Z&page=2&pageSize=50"
    );
    assert_eq!(invoices["count"], 2, "the same second is the same cursor");
    assert_eq!(invoices["tenant_id"], h.tenant.to_string());
    assert!(
        served
            .iter()
            .any(|s| s["cursor"] == "Journals?offset=100&ims=-")
    );
    assert_eq!(stats["requests"]["Invoices"]["200"], 2);
    h.post("stats/reset", serde_json::json!({})).await;
    assert_eq!(h.stats().await["total_requests"], 0);
}
