//! The transaction documents stored by columns (workers/src/documents.rs): what a page stores,
//! that a document reads back as sent, which version and which lines win, and that deleting a
//! tenant deletes its documents' lines (their table has no foreign key).

use super::pages::*;

use serde_json::{Value, json};
use xero_sync::testing::TestDb;
use xero_sync_workers::entities::{bank_transactions, credit_notes};

const SPEND: &str = "3b4e5c1a-9a30-4c6e-8c3e-5f0f6f5f9a01";
const LINE_1: &str = "52208ff9-528a-4985-a9ad-b2b1d4210e38";
const LINE_2: &str = "6a3e0e8f-4d4a-4e0b-a0c8-8e3c3d9f2b11";
const BANK: &str = "bd9e85e0-0478-433d-ae9f-0b3c4f04bfe4";
const NOTE: &str = "aea95d78-ea48-456b-9b08-6bc012600072";

fn spend(updated: &str, lines: Value) -> Value {
    json!({
        "BankTransactionID": SPEND, "Type": "SPEND", "Status": "AUTHORISED",
        "Contact": {"ContactID": "430fa14a-f945-44d3-9f97-5df5e28441b8", "Name": "Liam"},
        "BankAccount": {"AccountID": BANK, "Code": "090", "Name": "Business Bank"},
        "IsReconciled": true, "Date": "/Date(1551916800000+0000)/", "DateString": "2019-03-07T00:00:00",
        "Reference": "Fuel", "CurrencyCode": "NZD", "CurrencyRate": 1.0,
        "LineAmountTypes": "Inclusive", "SubTotal": 43.48, "TotalTax": 6.52, "Total": 50.00,
        "UpdatedDateUTC": updated, "HasAttachments": false, "LineItems": lines
    })
}

fn spend_line(id: &str, amount: f64) -> Value {
    json!({
        "LineItemID": id, "Description": "Petrol", "Quantity": 1.0000, "UnitAmount": amount,
        "AccountCode": "449", "TaxType": "INPUT2", "TaxAmount": 6.52, "LineAmount": amount,
        "Tracking": [], "DiscountRate": 0.0, "ValidationErrors": []
    })
}

/// The line ids in a table's snapshot.
fn lines_of(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|row| row["line_item_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_bank_transaction_stores_its_columns_and_reads_back_exactly_as_sent() -> anyhow::Result<()>
{
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let record = spend(
        "/Date(1551981568133+0000)/",
        json!([spend_line(LINE_1, 50.0)]),
    );
    let body = page("BankTransactions", vec![record.clone()]);
    store(&db.pool, &bank_transactions::ENTITY, tenant_id, &body).await;

    let header = typed(&db.pool, "bank_transactions", "bank_transaction_id", SPEND).await;
    let expected = json!({
        "bank_transaction_id": SPEND, "type": "SPEND", "number": null, "reference": "Fuel",
        "contact_id": "430fa14a-f945-44d3-9f97-5df5e28441b8", "status": "AUTHORISED",
        "line_amount_types": "Inclusive", "date": "2019-03-07", "sub_total": 43.48,
        "total_tax": 6.52, "total": 50.00, "remaining_credit": null, "currency_code": "NZD",
        "currency_rate": 1.0, "bank_account_id": BANK, "is_reconciled": true,
        "updated_date_utc": 1_551_981_568_133_i64
    });
    assert_eq!(header, expected);
    let line = typed(
        &db.pool,
        "bank_transactions_line_items",
        "line_item_id",
        LINE_1,
    )
    .await;
    assert_eq!(line["line_amount"], json!(50.0));
    assert_eq!(line["tracking"], json!([]));
    // A line's `raw` holds only what no column holds.
    let line_raw = raw(
        &db.pool,
        "bank_transactions_line_items",
        "line_item_id",
        LINE_1,
    )
    .await;
    assert_eq!(
        line_raw,
        json!({"DiscountRate": 0.0, "ValidationErrors": []})
    );
    assert_eq!(
        as_sent(&db.pool, "bank_transactions", "bank_transaction_id", SPEND).await,
        record
    );

    // Storing it again rewrites no row.
    let before = [
        snapshot(&db.pool, "bank_transactions").await,
        snapshot(&db.pool, "bank_transactions_line_items").await,
    ];
    store(&db.pool, &bank_transactions::ENTITY, tenant_id, &body).await;
    let after = [
        snapshot(&db.pool, "bank_transactions").await,
        snapshot(&db.pool, "bank_transactions_line_items").await,
    ];
    assert_eq!(after, before);
    Ok(())
}

#[tokio::test]
async fn the_newest_version_of_a_document_and_its_lines_win_and_absent_lines_stay()
-> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let entity = &bank_transactions::ENTITY;
    let newer = spend(
        "/Date(1551981600000+0000)/",
        json!([spend_line(LINE_1, 50.0)]),
    );
    let older = spend(
        "/Date(1551981568133+0000)/",
        json!([spend_line(LINE_2, 9.0)]),
    );
    let stored_lines = || snapshot(&db.pool, "bank_transactions_line_items");

    // The newest first in the page: "last wins" alone would be wrong.
    let both = page("BankTransactions", vec![newer.clone(), older.clone()]);
    store(&db.pool, entity, tenant_id, &both).await;
    assert_eq!(lines_of(&stored_lines().await), vec![LINE_1]);
    // An older version sent later changes nothing, lines included.
    store(
        &db.pool,
        entity,
        tenant_id,
        &page("BankTransactions", vec![older]),
    )
    .await;
    assert_eq!(
        as_sent(&db.pool, "bank_transactions", "bank_transaction_id", SPEND).await,
        newer
    );
    assert_eq!(lines_of(&stored_lines().await), vec![LINE_1]);

    // Sent without `LineItems` (a summary): the stored lines stay.
    let mut summary = newer.clone();
    summary.as_object_mut().unwrap().remove("LineItems");
    store(
        &db.pool,
        entity,
        tenant_id,
        &page("BankTransactions", vec![summary]),
    )
    .await;
    assert_eq!(lines_of(&stored_lines().await), vec![LINE_1]);

    // A newer version with other lines replaces them exactly; an empty array leaves none.
    let edited = spend(
        "/Date(1551990000000+0000)/",
        json!([spend_line(LINE_2, 9.0)]),
    );
    store(
        &db.pool,
        entity,
        tenant_id,
        &page("BankTransactions", vec![edited]),
    )
    .await;
    assert_eq!(lines_of(&stored_lines().await), vec![LINE_2]);
    let emptied = spend("/Date(1551999000000+0000)/", json!([]));
    store(
        &db.pool,
        entity,
        tenant_id,
        &page("BankTransactions", vec![emptied.clone()]),
    )
    .await;
    assert_eq!(count(&db.pool, "bank_transactions_line_items").await, 0);
    assert_eq!(
        as_sent(&db.pool, "bank_transactions", "bank_transaction_id", SPEND).await,
        emptied
    );
    Ok(())
}

#[tokio::test]
async fn deleting_a_tenant_deletes_its_document_lines_and_no_one_elses() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let first = tenant(&db.pool).await;
    let second = tenant(&db.pool).await;
    let note = json!({
        "CreditNoteID": NOTE, "CreditNoteNumber": "CN-0002", "Type": "ACCRECCREDIT",
        "Status": "AUTHORISED", "RemainingCredit": 12.5, "Total": 12.5,
        "UpdatedDateUTC": "/Date(1551981568133+0000)/",
        "LineItems": [{"LineItemID": LINE_1, "Description": "Refund", "LineAmount": 12.5}]
    });
    for tenant_id in [first, second] {
        let body = page("CreditNotes", vec![note.clone()]);
        store(&db.pool, &credit_notes::ENTITY, tenant_id, &body).await;
    }
    let (number, remaining): (String, f64) = sqlx::query_as(
        "SELECT number, remaining_credit::float8 FROM xero.credit_notes WHERE tenant_id = $1",
    )
    .bind(first)
    .fetch_one(&db.pool)
    .await?;
    assert_eq!((number.as_str(), remaining), ("CN-0002", 12.5));
    assert_eq!(count(&db.pool, "credit_notes_line_items").await, 2);

    sqlx::query("DELETE FROM xero.tenants WHERE tenant_id = $1")
        .bind(first)
        .execute(&db.pool)
        .await?;
    let left: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT tenant_id FROM xero.credit_notes_line_items")
            .fetch_all(&db.pool)
            .await?;
    assert_eq!(left, vec![second]);
    assert_eq!(count(&db.pool, "credit_notes").await, 1);
    Ok(())
}

#[tokio::test]
async fn a_document_whose_id_is_no_uuid_fails_its_batch_saying_which() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let good = spend("/Date(1551981568133+0000)/", json!([]));
    let mut bad = good.clone();
    bad["BankTransactionID"] = json!("not-a-uuid");
    let body = page("BankTransactions", vec![good, bad]).to_string();
    let mut tx = db.pool.begin().await?;
    let error =
        xero_sync::sync::store::store(&mut tx, &bank_transactions::ENTITY, tenant_id, &body)
            .await
            .expect_err("a batch with an unreadable id");
    let message = error.to_string();
    assert!(
        message.contains("record 2 of the batch") && message.contains("BankTransactionID"),
        "{message}"
    );
    Ok(())
}
