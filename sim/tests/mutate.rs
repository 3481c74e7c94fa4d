//! Mutations, digests and determinism over real HTTP: a day of changes moves the digest, a
//! re-sync by If-Modified-Since sees exactly the changed records, the same seed gives the same
//! data, and large entities contain bulk-import clusters.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{Harness, ms, small};
use xero_sync_sim::SimConfig;

const ENTITIES: [&str; 6] = [
    "accounts",
    "contacts",
    "invoices",
    "journals",
    "invoice_line_items",
    "journal_lines",
];

async fn digests(h: &Harness) -> Vec<Value> {
    let mut out = Vec::new();
    for e in ENTITIES {
        out.push(h.digest(e).await);
    }
    out
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data_and_another_seed_does_not() {
    let a = Harness::start(small()).await;
    let b = Harness::start(small()).await;
    let c = Harness::start(SimConfig { seed: 7, ..small() }).await;
    assert_eq!(a.sim.tenant_ids(), b.sim.tenant_ids());
    assert_eq!(a.sim.client_id(), b.sim.client_id());
    let (da, db, dc) = (digests(&a).await, digests(&b).await, digests(&c).await);
    assert_eq!(da, db);
    for (x, z) in da.iter().zip(&dc) {
        assert_ne!(x["digest"], z["digest"]);
    }
    assert_ne!(a.sim.tenant_ids(), c.sim.tenant_ids());
    assert_eq!(da[2]["count"], 350);
    assert_eq!(da[3]["count"], 900);
}

#[tokio::test]
async fn the_digest_is_what_any_store_of_the_same_records_computes() {
    let h = Harness::start(small()).await;
    let invoices = h.all_pages("Invoices", &[], None).await;
    let mut lines: Vec<String> = invoices
        .iter()
        .map(|i| {
            format!(
                "{}|{}\n",
                i["InvoiceID"].as_str().unwrap(),
                ms(&i["UpdatedDateUTC"])
            )
        })
        .collect();
    lines.sort();
    let digest = hex::encode(Sha256::digest(lines.concat().as_bytes()));
    assert_eq!(
        h.digest("invoices").await,
        json!({ "count": invoices.len(), "digest": digest })
    );
}

#[tokio::test]
async fn a_day_of_changes_moves_the_digest_and_a_resync_sees_exactly_the_changes() {
    let h = Harness::start(small()).await;
    let before: HashMap<String, i64> = h
        .all_pages("Invoices", &[], None)
        .await
        .iter()
        .map(|i| {
            (
                i["InvoiceID"].as_str().unwrap().to_owned(),
                ms(&i["UpdatedDateUTC"]),
            )
        })
        .collect();
    let digest_before = h.digest("invoices").await;
    let clock = h.control(reqwest::Method::GET, "clock", None).await;
    let outcome = h
        .post(
            "mutate",
            json!({ "tenant_id": h.tenant, "entity": "invoices", "count": 120 }),
        )
        .await;
    let changed = ["updated", "created", "voided", "deleted"]
        .iter()
        .map(|k| outcome[k].as_u64().unwrap())
        .sum::<u64>()
        - outcome["paid"].as_u64().unwrap();
    assert!(outcome["created"].as_u64().unwrap() > 0 && outcome["updated"].as_u64().unwrap() > 0);
    assert_ne!(
        h.digest("invoices").await["digest"],
        digest_before["digest"]
    );

    // Everything generated lies in the past; a sync from the mutation's second sees only
    // the records touched since (a record touched twice appears once).
    let since = h
        .all_pages("Invoices", &[], Some(clock["now"].as_str().unwrap()))
        .await;
    assert!(since.len() as u64 <= changed && !since.is_empty());
    let created = since
        .iter()
        .filter(|i| !before.contains_key(i["InvoiceID"].as_str().unwrap()))
        .count();
    assert_eq!(created as u64, outcome["created"].as_u64().unwrap());
    for i in &since {
        if let Some(old) = before.get(i["InvoiceID"].as_str().unwrap()) {
            assert!(ms(&i["UpdatedDateUTC"]) > *old);
        }
    }
    let stamps: Vec<i64> = since.iter().map(|i| ms(&i["UpdatedDateUTC"])).collect();
    let mut unique = stamps.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        stamps.len(),
        "mutation stamps strictly increase"
    );

    // Applying the changes to the old copy gives the new digest.
    let mut copy = before.clone();
    for i in &since {
        copy.insert(
            i["InvoiceID"].as_str().unwrap().to_owned(),
            ms(&i["UpdatedDateUTC"]),
        );
    }
    let mut lines: Vec<String> = copy.iter().map(|(id, v)| format!("{id}|{v}\n")).collect();
    lines.sort();
    let digest = hex::encode(Sha256::digest(lines.concat().as_bytes()));
    assert_eq!(h.digest("invoices").await["digest"], digest);
}

#[tokio::test]
async fn contacts_accounts_and_journals_mutate_too() {
    let h = Harness::start(small()).await;
    for (entity, count) in [("contacts", 30), ("accounts", 10), ("journals", 5)] {
        let before = h.digest(entity).await;
        let outcome = h
            .post("mutate", json!({ "entity": entity, "count": count }))
            .await;
        let after = h.digest(entity).await;
        assert_ne!(before["digest"], after["digest"], "{entity}");
        let created = outcome["created"].as_u64().unwrap();
        assert_eq!(
            after["count"].as_u64().unwrap(),
            before["count"].as_u64().unwrap() + created,
            "{entity}"
        );
    }
    let res = h
        .http
        .post(format!("{}/sim/mutate", h.sim.origin()))
        .json(&json!({ "entity": "unicorns" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_same_mutations_on_the_same_seed_change_the_same_records() {
    let a = Harness::start(small()).await;
    let b = Harness::start(small()).await;
    let oa = a
        .post("mutate", json!({ "entity": "invoices", "count": 50 }))
        .await;
    let ob = b
        .post("mutate", json!({ "entity": "invoices", "count": 50 }))
        .await;
    assert_eq!(oa, ob);
    assert_eq!(
        a.digest("journal_lines").await["count"],
        b.digest("journal_lines").await["count"]
    );
}

#[tokio::test]
async fn large_entities_contain_a_bulk_import_second_of_more_than_a_thousand_records() {
    let config = SimConfig {
        contacts: 3_000,
        invoices: 3_000,
        journals: 6_000,
        ..small()
    };
    let h = Harness::start(config).await;
    for (endpoint, extra) in [
        ("Contacts", vec![("includeArchived", "true")]),
        ("Invoices", vec![]),
    ] {
        let all = h.get_json(endpoint, &extra, None).await[endpoint]
            .as_array()
            .unwrap()
            .clone();
        let mut per_second: BTreeMap<i64, usize> = BTreeMap::new();
        let mut previous = i64::MIN;
        for r in &all {
            let t = ms(&r["UpdatedDateUTC"]);
            assert!(t >= previous, "non-decreasing in default order");
            previous = t;
            *per_second.entry(t.div_euclid(1000)).or_default() += 1;
        }
        let biggest = per_second.values().max().unwrap();
        assert!(
            *biggest > 1_000,
            "{endpoint}: biggest second holds {biggest}"
        );
        assert!(
            all.iter().any(|r| ms(&r["UpdatedDateUTC"]) % 1000 != 0),
            "millisecond parts"
        );
    }
}
