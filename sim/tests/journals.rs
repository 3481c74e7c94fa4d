//! Journals and data consistency over real HTTP: offset semantics, immutability, balanced
//! lines, sources that exist, every invoice status present.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use support::{Harness, all_journals, cents, ms, small};

#[tokio::test]
async fn journals_page_by_offset_a_hundred_at_a_time_in_number_order() {
    let h = Harness::start(small()).await;
    let first = h.get_json("Journals", &[], None).await;
    let page = first["Journals"].as_array().unwrap();
    assert_eq!(page.len(), 100);
    assert_eq!(page[0]["JournalNumber"], 1);
    assert!(first.get("pagination").is_none());

    let after = h.get_json("Journals", &[("offset", "250")], None).await;
    let numbers: Vec<u64> = after["Journals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["JournalNumber"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (251..=350).collect::<Vec<_>>());

    let tail = h.get_json("Journals", &[("offset", "850")], None).await;
    assert_eq!(tail["Journals"].as_array().unwrap().len(), 50);
    let end = h.get_json("Journals", &[("offset", "900")], None).await;
    assert_eq!(end["Journals"], json!([]));

    let all = all_journals(&h).await;
    assert_eq!(all.len(), 900, "--journals is the total journal count");
    let created: Vec<i64> = all.iter().map(|j| ms(&j["CreatedDateUTC"])).collect();
    assert!(
        created.windows(2).all(|w| w[0] <= w[1]),
        "CreatedDateUTC follows JournalNumber"
    );
}

#[tokio::test]
async fn journals_with_if_modified_since_start_at_that_second() {
    let h = Harness::start(small()).await;
    let all = all_journals(&h).await;
    let pivot = ms(&all[400]["CreatedDateUTC"]);
    let second = pivot - pivot.rem_euclid(1000);
    let first_number = all
        .iter()
        .find(|j| ms(&j["CreatedDateUTC"]) >= second)
        .unwrap()["JournalNumber"]
        .clone();
    let ims = chrono::DateTime::from_timestamp_millis(second)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let body = h.get_json("Journals", &[], Some(&ims)).await;
    assert_eq!(body["Journals"][0]["JournalNumber"], first_number);
}

#[tokio::test]
async fn the_data_is_consistent() {
    let h = Harness::start(small()).await;
    let accounts = h.get_json("Accounts", &[], None).await["Accounts"]
        .as_array()
        .unwrap()
        .clone();
    let account_ids: HashSet<&str> = accounts
        .iter()
        .map(|a| a["AccountID"].as_str().unwrap())
        .collect();
    let account_codes: HashSet<&str> = accounts
        .iter()
        .map(|a| a["Code"].as_str().unwrap())
        .collect();
    let contacts = h
        .all_pages("Contacts", &[("includeArchived", "true")], None)
        .await;
    let contact_ids: HashSet<&str> = contacts
        .iter()
        .map(|c| c["ContactID"].as_str().unwrap())
        .collect();
    let invoices = h.all_pages("Invoices", &[], None).await;
    let by_id: HashMap<&str, &Value> = invoices
        .iter()
        .map(|i| (i["InvoiceID"].as_str().unwrap(), i))
        .collect();

    let statuses: HashSet<&str> = invoices
        .iter()
        .map(|i| i["Status"].as_str().unwrap())
        .collect();
    for s in [
        "DRAFT",
        "SUBMITTED",
        "AUTHORISED",
        "PAID",
        "VOIDED",
        "DELETED",
    ] {
        assert!(statuses.contains(s), "status {s} present");
    }
    let mut payment_ids = HashSet::new();
    for inv in &invoices {
        assert!(contact_ids.contains(inv["Contact"]["ContactID"].as_str().unwrap()));
        let lines = inv["LineItems"].as_array().unwrap();
        assert!(!lines.is_empty());
        let mut sub = 0;
        let mut tax = 0;
        for l in lines {
            assert!(account_ids.contains(l["AccountID"].as_str().unwrap()));
            assert!(account_codes.contains(l["AccountCode"].as_str().unwrap()));
            sub += cents(&l["LineAmount"]);
            tax += cents(&l["TaxAmount"]);
        }
        assert_eq!(cents(&inv["SubTotal"]), sub);
        assert_eq!(cents(&inv["Total"]), sub + tax);
        if inv["Status"] == "PAID" {
            assert_eq!(cents(&inv["AmountDue"]), 0);
            assert_eq!(cents(&inv["Payments"][0]["Amount"]), cents(&inv["Total"]));
            payment_ids.insert(inv["Payments"][0]["PaymentID"].as_str().unwrap().to_owned());
        }
    }

    // Authorised documents of the kinds that post, by id, with their endpoint.
    let mut documents: HashMap<String, &str> = HashMap::new();
    for (endpoint, key) in [
        ("CreditNotes", "CreditNoteID"),
        ("Overpayments", "OverpaymentID"),
        ("Prepayments", "PrepaymentID"),
        ("BankTransactions", "BankTransactionID"),
    ] {
        let body = h.get_json(endpoint, &[("page", "1")], None).await;
        for d in body[endpoint].as_array().unwrap() {
            if d["Status"] == "AUTHORISED" {
                documents.insert(d[key].as_str().unwrap().to_owned(), endpoint);
            }
        }
    }
    let journals = all_journals(&h).await;
    let mut posted_invoices = HashSet::new();
    let mut posted_documents = 0;
    for j in &journals {
        let lines = j["JournalLines"].as_array().unwrap();
        assert!(lines.len() >= 2);
        let net: i64 = lines.iter().map(|l| cents(&l["NetAmount"])).sum();
        assert_eq!(net, 0, "journal {} balances", j["JournalNumber"]);
        for l in lines {
            assert_eq!(
                cents(&l["GrossAmount"]),
                cents(&l["NetAmount"]) + cents(&l["TaxAmount"])
            );
            assert!(account_ids.contains(l["AccountID"].as_str().unwrap()));
        }
        let source = j["SourceID"].as_str().unwrap();
        match j["SourceType"].as_str().unwrap() {
            "ACCREC" | "ACCPAY" => {
                let inv = by_id
                    .get(source)
                    .expect("an invoice journal points at an existing invoice");
                assert_eq!(inv["Type"], j["SourceType"]);
                assert!(
                    ["AUTHORISED", "PAID", "VOIDED"].contains(&inv["Status"].as_str().unwrap())
                );
                posted_invoices.insert(source);
            }
            "ACCRECPAYMENT" | "ACCPAYPAYMENT" => assert!(payment_ids.contains(source)),
            kind @ ("ACCRECCREDIT" | "ACCPAYCREDIT" | "AROVERPAYMENT" | "APOVERPAYMENT"
            | "ARPREPAYMENT" | "APPREPAYMENT") => {
                let endpoint = match kind {
                    "ACCRECCREDIT" | "ACCPAYCREDIT" => "CreditNotes",
                    "AROVERPAYMENT" | "APOVERPAYMENT" => "Overpayments",
                    _ => "Prepayments",
                };
                assert_eq!(documents.get(source), Some(&endpoint), "{kind} {source}");
                posted_documents += 1;
            }
            "CASHREC" | "CASHPAID" if documents.contains_key(source) => posted_documents += 1,
            other => assert!(
                ["MANJOURNAL", "CASHREC", "CASHPAID"].contains(&other),
                "{other}"
            ),
        }
    }
    // Every authorised document is posted once.
    assert_eq!(posted_documents, documents.len());
    for inv in &invoices {
        let posted = posted_invoices.contains(inv["InvoiceID"].as_str().unwrap());
        let should = ["AUTHORISED", "PAID", "VOIDED"].contains(&inv["Status"].as_str().unwrap());
        assert_eq!(
            posted, should,
            "invoice {} ({})",
            inv["InvoiceNumber"], inv["Status"]
        );
    }
}

#[tokio::test]
async fn journals_are_append_only_and_changes_post_reversals() {
    let h = Harness::start(small()).await;
    let before = all_journals(&h).await;
    let outcome = h
        .post("mutate", json!({ "entity": "invoices", "count": 200 }))
        .await;
    assert!(outcome["voided"].as_u64().unwrap() > 0);
    let after = all_journals(&h).await;
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "existing journals never change"
    );
    let new = &after[before.len()..];
    assert_eq!(
        new.len() as u64,
        outcome["journals_posted"].as_u64().unwrap()
    );
    assert!(
        new.iter()
            .all(|j| j["JournalNumber"].as_u64().unwrap() > before.len() as u64)
    );

    // Each voided invoice's journals net to zero: its posting and the reversal.
    let invoices = h.all_pages("Invoices", &[], None).await;
    for inv in invoices.iter().filter(|i| i["Status"] == "VOIDED") {
        let id = inv["InvoiceID"].as_str().unwrap();
        let mut per_account: HashMap<&str, i64> = HashMap::new();
        for j in after.iter().filter(|j| j["SourceID"] == id) {
            for l in j["JournalLines"].as_array().unwrap() {
                *per_account
                    .entry(l["AccountID"].as_str().unwrap())
                    .or_default() += cents(&l["NetAmount"]);
            }
        }
        assert!(
            per_account.values().all(|&v| v == 0),
            "voided {} nets to zero",
            inv["InvoiceNumber"]
        );
    }
}

#[tokio::test]
async fn a_journal_deleted_without_a_trace_leaves_a_gap_the_offset_walk_steps_over() {
    let h = Harness::start(small()).await;
    let before = all_journals(&h).await;
    let gone = h
        .post("drift", json!({ "kind": "journal_deleted_quietly" }))
        .await;
    let id = gone["journal_id"].as_str().unwrap();
    let after = all_journals(&h).await;
    assert_eq!(after.len(), before.len() - 1);
    assert!(after.iter().all(|j| j["JournalID"] != id));
    // New journals number on from the last one, never reusing a number.
    h.post("mutate", json!({ "entity": "invoices", "count": 50 }))
        .await;
    let numbers: Vec<u64> = all_journals(&h)
        .await
        .iter()
        .map(|j| j["JournalNumber"].as_u64().unwrap())
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "ascending, unique");
    assert!(numbers.len() > after.len());
    assert_eq!(
        numbers.last(),
        Some(&(before.len() as u64 + (numbers.len() - after.len()) as u64))
    );
    // An unknown kind is refused, naming the kinds there are.
    let res = h
        .http
        .post(format!("{}/sim/drift", h.sim.origin()))
        .json(&json!({ "kind": "everything" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("journal_deleted_quietly")
    );
}
