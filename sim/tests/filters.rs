//! `where` and `order` as Xero's clients send them: applied before paging on every list
//! endpoint that takes them, or refused with a 400 naming what the simulator cannot evaluate —
//! never ignored (an unfiltered answer would flatter a client that relies on the filter).
#![allow(clippy::unwrap_used)]

mod support;

use reqwest::StatusCode;
use serde_json::Value;
use support::{Harness, ms, small};

fn records<'a>(body: &'a Value, key: &str) -> &'a Vec<Value> {
    body[key].as_array().unwrap()
}

#[tokio::test]
async fn where_filters_before_paging_and_order_sorts() {
    let h = Harness::start(small()).await;
    let all = h.get_json("Invoices", &[], None).await;
    let all = records(&all, "Invoices");
    let authorised: Vec<&Value> = all.iter().filter(|i| i["Status"] == "AUTHORISED").collect();
    assert!(!authorised.is_empty() && authorised.len() < all.len());

    let body = h
        .get_json("Invoices", &[("where", r#"Status=="AUTHORISED""#)], None)
        .await;
    let got = records(&body, "Invoices");
    assert_eq!(got.len(), authorised.len());
    assert!(got.iter().all(|i| i["Status"] == "AUTHORISED"));

    // Paged: the pagination counts the filtered selection; `order` sorts it.
    let receivable = all.iter().filter(|i| i["Type"] == "ACCREC").count();
    let query = [
        ("where", r#"Type=="ACCREC" AND Total > 0"#),
        ("order", "Total DESC"),
        ("page", "1"),
        ("pageSize", "10"),
    ];
    let body = h.get_json("Invoices", &query, None).await;
    let page = records(&body, "Invoices");
    let positive = all
        .iter()
        .filter(|i| i["Type"] == "ACCREC" && i["Total"].as_f64().unwrap() > 0.0)
        .count();
    assert!(positive <= receivable);
    assert_eq!(body["pagination"]["itemCount"], positive);
    assert_eq!(page.len(), 10.min(positive));
    let totals: Vec<f64> = page.iter().map(|i| i["Total"].as_f64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");

    // OR, a contact's id as Guid(…) in any case, and dates.
    let contact = all[0]["Contact"]["ContactID"].as_str().unwrap().to_owned();
    let theirs = all
        .iter()
        .filter(|i| i["Contact"]["ContactID"] == contact.as_str())
        .count();
    let by_contact = format!(
        r#"Contact.ContactID==Guid("{}") OR Contact.ContactID==Guid("{}")"#,
        contact.to_uppercase(),
        uuid::Uuid::nil()
    );
    let body = h
        .get_json("Invoices", &[("where", &by_contact)], None)
        .await;
    assert_eq!(records(&body, "Invoices").len(), theirs);
    let mut dates: Vec<i64> = all.iter().map(|i| ms(&i["Date"])).collect();
    dates.sort();
    let median = chrono::DateTime::from_timestamp_millis(dates[dates.len() / 2]).unwrap();
    let since = median.format("Date>=DateTime(%Y, %m, %d)").to_string();
    let body = h.get_json("Invoices", &[("where", &since)], None).await;
    let later = dates
        .iter()
        .filter(|&&d| d >= dates[dates.len() / 2])
        .count();
    assert_eq!(records(&body, "Invoices").len(), later, "{since}");

    // An unpaged endpoint too.
    let accounts = h.get_json("Accounts", &[], None).await;
    let banks = records(&accounts, "Accounts")
        .iter()
        .filter(|a| a["Type"] == "BANK")
        .count();
    let body = h
        .get_json("Accounts", &[("where", r#"Type=="BANK""#)], None)
        .await;
    assert_eq!(records(&body, "Accounts").len(), banks);
    assert!(banks > 0);
}

#[tokio::test]
async fn what_the_simulator_cannot_evaluate_is_a_400_naming_it() {
    let h = Harness::start(small()).await;
    for (endpoint, query, names) in [
        (
            "Contacts",
            [("where", r#"Name.Contains("a")"#)],
            "Name.Contains",
        ),
        ("Contacts", [("where", "Name")], "Name"),
        ("Invoices", [("order", "Total SIDEWAYS")], "SIDEWAYS"),
        (
            "Journals",
            [("where", r#"SourceType=="ACCREC""#)],
            "Journals",
        ),
    ] {
        let res = h.get(endpoint, &query, None).await;
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "{endpoint} {query:?}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Type"], "ValidationException");
        let message = body["Elements"][0]["ValidationErrors"][0]["Message"]
            .as_str()
            .unwrap();
        assert!(message.contains(names), "{message}");
    }
}
