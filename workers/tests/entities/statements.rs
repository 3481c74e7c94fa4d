//! The registry, every statement on an empty page, the official examples, and a large page in
//! one statement per table.

use super::pages::*;
use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;
use xero_sync::digest::{digest, digest_query};
use xero_sync::testing::TestDb;
use xero_sync_workers::entities::{accounts, contacts, invoices, journals};
use xero_sync_workers::{entity, line_digests, registry};

// ---------------------------------------------------------------------------------------------
// Registry and statements

#[test]
fn the_registry_lists_every_entity_under_a_unique_name() {
    let names: Vec<&str> = registry().iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "organisation",
            "currencies",
            "accounts",
            "tax_rates",
            "tracking_categories",
            "items",
            "users",
            "contact_groups",
            "branding_themes",
            "contacts",
            "invoices",
            "repeating_invoices",
            "quotes",
            "credit_notes",
            "purchase_orders",
            "payments",
            "overpayments",
            "prepayments",
            "batch_payments",
            "bank_transactions",
            "bank_transfers",
            "linked_transactions",
            "manual_journals",
            "journals",
            "receipts",
            "expense_claims"
        ]
    );
    // The deprecated ones come last, each saying why.
    let deprecated: Vec<&str> = registry()
        .iter()
        .filter(|e| e.deprecated.is_some_and(|why| why.len() > 40))
        .map(|e| e.name)
        .collect();
    assert_eq!(deprecated, ["receipts", "expense_claims"]);
    for e in registry() {
        assert_eq!(entity(e.name).map(|found| found.endpoint), Some(e.endpoint));
        assert!(!e.store.statements().is_empty(), "{} has no upsert", e.name);
    }
    assert!(entity("widgets").is_none());
    assert_eq!(
        entity("journals").map(|e| e.paging),
        Some(xero_sync::entity::Paging::Offset {
            field: "JournalNumber"
        })
    );
    assert_eq!(
        entity("contacts").map(|e| e.query),
        Some(&[("includeArchived", "true")][..])
    );
}

#[tokio::test]
async fn every_statement_runs_on_an_empty_page() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    for entity in registry() {
        store(
            &db.pool,
            entity,
            tenant_id,
            &json!({ entity.collection: [] }),
        )
        .await;
        // A body without the collection at all stores nothing either.
        store(&db.pool, entity, tenant_id, &json!({"Status": "OK"})).await;
        let empty = digest(&db.pool, entity, tenant_id).await?;
        assert_eq!(empty.count, 0, "{}", entity.name);
    }
    for (name, query) in line_digests() {
        assert_eq!(
            digest_query(&db.pool, query, tenant_id).await?.count,
            0,
            "{name}"
        );
    }
    Ok(())
}

/// Whether `table`'s records keep their lines in a table of their own.
fn lines_of(table: &str) -> bool {
    ["journals", "invoices"].contains(&table)
}

#[tokio::test]
async fn the_official_examples_are_stored_and_digested() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let cases = [
        ("getAccounts.json", accounts::ENTITY),
        ("getContacts.json", contacts::ENTITY),
        ("getInvoices.json", invoices::ENTITY),
        ("getInvoice.json", invoices::ENTITY),
        ("getJournals.json", journals::ENTITY),
    ];
    let mut all: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for (file, entity) in cases {
        let Some(body) = load_example(file) else {
            return Ok(());
        };
        store(&db.pool, &entity, tenant_id, &body).await;
        store(&db.pool, &entity, tenant_id, &body).await;
        let records = body[entity.collection].as_array().unwrap();
        for record in records {
            let id = record[entity.id_field].as_str().unwrap();
            let table = entity.name;
            let key = format!("{}_id", table.trim_end_matches('s'));
            let stored = if lines_of(table) {
                as_sent(&db.pool, table, &key, id).await
            } else {
                raw(&db.pool, table, &key, id).await
            };
            assert_eq!(&stored, record, "{file}");
        }
        all.entry(entity.name)
            .or_default()
            .extend(records.iter().cloned());
    }
    // The single invoice carries its line; the list's summaries carry none.
    assert_eq!(count(&db.pool, "invoice_line_items").await, 1);
    assert_eq!(count(&db.pool, "journal_lines").await, 9);

    // Accounts examples have no UpdatedDateUTC: hashed with an empty version.
    let accounts_digest = digest(&db.pool, &accounts::ENTITY, tenant_id).await?;
    let mut lines: Vec<String> = all["accounts"]
        .iter()
        .map(|a| format!("{}|\n", a["AccountID"].as_str().unwrap()))
        .collect();
    lines.sort();
    assert_eq!(
        accounts_digest.digest,
        hex::encode(Sha256::digest(lines.concat()))
    );
    for (entity, id_field, version) in [
        (
            contacts::ENTITY,
            "ContactID",
            updated_ms as fn(&Value) -> i64,
        ),
        (invoices::ENTITY, "InvoiceID", updated_ms),
        (journals::ENTITY, "JournalID", journal_number),
    ] {
        let expected = expected_digest(&all[entity.name], id_field, version);
        assert_eq!(
            digest(&db.pool, &entity, tenant_id).await?,
            expected,
            "{}",
            entity.name
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_page_of_a_thousand_invoices_is_stored_in_one_statement_per_table() -> anyhow::Result<()>
{
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let records: Vec<Value> = (0..1000)
        .map(|i| {
            let mut invoice = invoice_a(
                &format!("/Date({}+0000)/", 1551981568133i64 + i * 1000),
                (1..=3)
                    .map(|n| {
                        line(
                            &Uuid::new_v4().to_string(),
                            &format!("line {n}"),
                            10.0 * n as f64,
                        )
                    })
                    .collect(),
            );
            invoice["InvoiceID"] = json!(Uuid::new_v4().to_string());
            invoice["InvoiceNumber"] = json!(format!("INV-{i:05}"));
            invoice
        })
        .collect();
    let body = page("Invoices", records.clone());
    println!("page body: {} bytes", body.to_string().len());

    let started = Instant::now();
    store(&db.pool, &invoices::ENTITY, tenant_id, &body).await;
    println!(
        "1,000 invoices x 3 lines, {} statements: first upsert {:?}",
        invoices::ENTITY.store.statements().len(),
        started.elapsed()
    );
    let started = Instant::now();
    store(&db.pool, &invoices::ENTITY, tenant_id, &body).await;
    println!(
        "same page again (nothing to write): {:?}",
        started.elapsed()
    );

    assert_eq!(count(&db.pool, "invoices").await, 1000);
    assert_eq!(count(&db.pool, "invoice_line_items").await, 3000);
    assert_eq!(
        digest(&db.pool, &invoices::ENTITY, tenant_id).await?,
        expected_digest(&records, "InvoiceID", updated_ms)
    );
    assert_eq!(
        digest_query(&db.pool, invoices::LINE_ITEMS_DIGEST, tenant_id).await?,
        expected_line_digest(&records, "InvoiceID", "LineItems", "LineItemID", updated_ms)
    );
    Ok(())
}
