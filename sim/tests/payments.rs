//! Payments beyond an invoice's own: the payments a batch made, and refunds of credit, each
//! consistent with its batch or document and with the journals.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;

use serde_json::{Value, json};
use support::{Harness, all_journals, cents, small};

/// Every payment served, by id.
async fn payments(h: &Harness) -> HashMap<String, Value> {
    h.all_pages("Payments", &[], None)
        .await
        .into_iter()
        .map(|p| (p["PaymentID"].as_str().unwrap().to_owned(), p))
        .collect()
}

#[tokio::test]
async fn a_batch_lists_the_payments_made_in_it_and_each_names_its_batch() {
    let h = Harness::start(small()).await;
    let payments = payments(&h).await;
    let batches = h.get_json("BatchPayments", &[], None).await["BatchPayments"]
        .as_array()
        .unwrap()
        .clone();
    let mut linked = std::collections::HashSet::new();
    for batch in &batches {
        let listed = batch["Payments"].as_array().unwrap();
        if listed.is_empty() {
            continue;
        }
        linked.insert(batch["Type"].as_str().unwrap());
        let total: i64 = listed.iter().map(|p| cents(&p["Amount"])).sum();
        assert_eq!(cents(&batch["TotalAmount"]), total, "{batch}");
        let kind = if batch["Type"] == "RECBATCH" {
            "ACCRECPAYMENT"
        } else {
            "ACCPAYPAYMENT"
        };
        for entry in listed {
            let payment = &payments[entry["PaymentID"].as_str().unwrap()];
            assert_eq!(payment["BatchPaymentID"], batch["BatchPaymentID"]);
            assert_eq!(payment["BatchPayment"]["TotalAmount"], batch["TotalAmount"]);
            assert_eq!(payment["Date"], batch["Date"], "paid on the batch's day");
            assert_eq!(payment["PaymentType"], kind);
            assert_eq!(
                payment["Invoice"]["InvoiceID"],
                entry["Invoice"]["InvoiceID"]
            );
            let bills = batch["Type"] == "PAYBATCH";
            assert_eq!(
                payment.get("BankAccountNumber").is_some(),
                bills,
                "{payment}"
            );
        }
    }
    assert_eq!(linked.len(), 2, "batches of both directions: {batches:?}");
    let in_batches = payments
        .values()
        .filter(|p| p.get("BatchPaymentID").is_some())
        .count();
    let listed: usize = batches
        .iter()
        .map(|b| b["Payments"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        in_batches, listed,
        "no payment names a batch that does not list it"
    );
}

#[tokio::test]
async fn a_refund_of_credit_is_a_payment_of_its_document_journalled_through_the_bank() {
    let h = Harness::start(small()).await;
    for entity in ["credit_notes", "overpayments", "prepayments"] {
        h.post("mutate", json!({ "entity": entity, "count": 60 }))
            .await;
    }
    let payments = payments(&h).await;
    let journals = all_journals(&h).await;
    let bank = h
        .get_json("Accounts", &[("where", "Type==\"BANK\"")], None)
        .await["Accounts"][0]["AccountID"]
        .clone();
    let mut refunds = 0;
    for (endpoint, key, types) in [
        (
            "CreditNotes",
            "CreditNote",
            ["ARCREDITPAYMENT", "APCREDITPAYMENT"],
        ),
        (
            "Overpayments",
            "Overpayment",
            ["AROVERPAYMENTPAYMENT", "APOVERPAYMENTPAYMENT"],
        ),
        (
            "Prepayments",
            "Prepayment",
            ["ARPREPAYMENTPAYMENT", "APPREPAYMENTPAYMENT"],
        ),
    ] {
        for doc in h.all_pages(endpoint, &[], None).await {
            let listed = doc["Payments"].as_array().unwrap();
            let allocated: i64 = doc["Allocations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| cents(&a["Amount"]))
                .sum();
            let paid: i64 = listed.iter().map(|p| cents(&p["Amount"])).sum();
            // (A document generated PAID was settled before the history began.)
            if doc["Status"] == "AUTHORISED" || !listed.is_empty() {
                let left = cents(&doc["Total"]) - allocated - paid;
                assert_eq!(cents(&doc["RemainingCredit"]), left, "{doc}");
            }
            for entry in listed {
                refunds += 1;
                let id = entry["PaymentID"].as_str().unwrap();
                let payment = &payments[id];
                let id_key = format!("{key}ID");
                assert_eq!(payment[key][&id_key], doc[&id_key], "{payment}");
                assert!(payment.get("Invoice").is_none());
                assert!(types.contains(&payment["PaymentType"].as_str().unwrap()));
                assert_eq!(cents(&payment["Amount"]), cents(&entry["Amount"]));
                let journal = journals.iter().find(|j| j["SourceID"] == id).unwrap();
                let lines = journal["JournalLines"].as_array().unwrap();
                let through_bank: i64 = lines
                    .iter()
                    .filter(|l| l["AccountID"] == bank)
                    .map(|l| cents(&l["NetAmount"]).abs())
                    .sum();
                assert_eq!(through_bank, cents(&entry["Amount"]), "{journal}");
            }
        }
    }
    assert!(refunds >= 3, "refunds were made: {refunds}");
}
