//! What a page of each entity stores: typed columns beside the raw JSON, lines in order.

use super::pages::*;

use serde_json::{Value, json};
use uuid::Uuid;
use xero_sync::testing::TestDb;
use xero_sync_workers::entities::{accounts, contacts, invoices, journals};

// ---------------------------------------------------------------------------------------------
// What a page stores

#[tokio::test]
async fn an_accounts_page_stores_its_typed_columns_and_raw_json() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let records = account_records();
    store(
        &db.pool,
        &accounts::ENTITY,
        tenant_id,
        &page("Accounts", records.clone()),
    )
    .await;

    assert_eq!(count(&db.pool, "accounts").await, 3);
    let key = "account_id";
    assert_eq!(
        typed(
            &db.pool,
            "accounts",
            key,
            "ebd06280-af70-4bed-97c6-7451a454ad85"
        )
        .await,
        json!({
            "account_id": "ebd06280-af70-4bed-97c6-7451a454ad85", "code": "091",
            "name": "Business Savings Account", "type": "BANK", "status": "ACTIVE",
            "tax_type": "NONE", "class": "ASSET", "description": null,
            "bank_account_number": "0209087654321050", "currency_code": "NZD",
            "reporting_code": "ASS", "updated_date_utc": 1550797359120i64
        })
    );
    assert_eq!(
        typed(
            &db.pool,
            "accounts",
            key,
            "13918178-849a-4823-9a31-57b7eac713d7"
        )
        .await,
        json!({
            "account_id": "13918178-849a-4823-9a31-57b7eac713d7", "code": null,
            "name": "Old Expenses", "type": "EXPENSE", "status": "ARCHIVED", "tax_type": null,
            "class": null, "description": null, "bank_account_number": null,
            "currency_code": null, "reporting_code": null, "updated_date_utc": 0
        })
    );
    for record in &records {
        let id = record["AccountID"].as_str().unwrap();
        assert_eq!(&raw(&db.pool, "accounts", key, id).await, record);
    }
    Ok(())
}

#[tokio::test]
async fn a_contacts_page_stores_its_typed_columns_and_raw_json() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let records = contact_records();
    store(
        &db.pool,
        &contacts::ENTITY,
        tenant_id,
        &page("Contacts", records.clone()),
    )
    .await;

    assert_eq!(count(&db.pool, "contacts").await, 3);
    let key = "contact_id";
    assert_eq!(
        typed(
            &db.pool,
            "contacts",
            key,
            "5cc8cf28-567e-4d43-b287-687cfcaec47c"
        )
        .await,
        json!({
            "contact_id": "5cc8cf28-567e-4d43-b287-687cfcaec47c", "name": "Katherine Warren",
            "first_name": "Katherine", "last_name": "Warren",
            "email_address": "kat.warren@clampett.com", "contact_status": "ACTIVE",
            "is_supplier": true, "is_customer": true, "account_number": "KW-001",
            "tax_number": "12-345-678", "updated_date_utc": 1503348544227i64,
            "merged_to_contact_id": null
        })
    );
    assert_eq!(
        typed(
            &db.pool,
            "contacts",
            key,
            "3ec601ad-eddc-4ccb-a8ac-736e88293b1b"
        )
        .await,
        json!({
            "contact_id": "3ec601ad-eddc-4ccb-a8ac-736e88293b1b", "name": "Lisa Parker",
            "first_name": null, "last_name": null, "email_address": null,
            "contact_status": "ARCHIVED", "is_supplier": false, "is_customer": false,
            "account_number": null, "tax_number": null, "updated_date_utc": 1503348546760i64,
            "merged_to_contact_id": "5cc8cf28-567e-4d43-b287-687cfcaec47c"
        })
    );
    assert_eq!(
        typed(
            &db.pool,
            "contacts",
            key,
            "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7"
        )
        .await,
        json!({
            "contact_id": "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7", "name": "Barney Rubble-83203",
            "first_name": null, "last_name": null, "email_address": null,
            "contact_status": null, "is_supplier": null, "is_customer": null,
            "account_number": null, "tax_number": null, "updated_date_utc": -86400001i64,
            "merged_to_contact_id": null
        })
    );
    for record in &records {
        let id = record["ContactID"].as_str().unwrap();
        assert_eq!(&raw(&db.pool, "contacts", key, id).await, record);
    }
    Ok(())
}

#[tokio::test]
async fn an_invoices_page_stores_headers_and_line_items_in_order() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let records = invoice_records();
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", records.clone()),
    )
    .await;

    assert_eq!(count(&db.pool, "invoices").await, 3);
    assert_eq!(count(&db.pool, "invoice_line_items").await, 5);
    assert_eq!(
        typed(&db.pool, "invoices", "invoice_id", INV_B).await,
        json!({
            "invoice_id": INV_B, "type": "ACCPAY", "invoice_number": "BILL-17",
            "reference": null, "contact_id": "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7",
            "status": "AUTHORISED", "line_amount_types": "Inclusive",
            "date": "2018-10-20", "due_date": "2018-12-30",
            "sub_total": 87.23, "total_tax": 13.08, "total": 100.31, "amount_due": 50.31,
            "amount_paid": 0.0, "amount_credited": 50.0, "currency_code": "AUD",
            "currency_rate": 0.924271, "fully_paid_on_date": null,
            "updated_date_utc": 1541176592690i64
        })
    );
    assert_eq!(
        typed(&db.pool, "invoices", "invoice_id", INV_C).await,
        json!({
            "invoice_id": INV_C, "type": "ACCREC", "invoice_number": null, "reference": null,
            "contact_id": null, "status": "DRAFT", "line_amount_types": null,
            "date": "1970-01-01", "due_date": null, "sub_total": null, "total_tax": null,
            "total": null, "amount_due": null, "amount_paid": null, "amount_credited": null,
            "currency_code": null, "currency_rate": null, "fully_paid_on_date": null,
            "updated_date_utc": 1541176648927i64
        })
    );
    let paid = typed(&db.pool, "invoices", "invoice_id", INV_A).await;
    assert_eq!(paid["fully_paid_on_date"], "2019-03-19");
    assert_eq!(paid["total"], json!(148062.76));

    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![
            (1, LINE_A1.to_owned()),
            (2, LINE_A2.to_owned()),
            (3, LINE_A3.to_owned())
        ]
    );
    assert_eq!(
        typed(&db.pool, "invoice_line_items", "line_item_id", LINE_A2).await,
        json!({
            "line_item_id": LINE_A2, "invoice_id": INV_A, "line_number": 2,
            "description": "Amplifier", "quantity": 1.0, "unit_amount": 62.76,
            "item_code": "123", "account_code": "200", "tax_type": "NONE", "tax_amount": 0.0,
            "line_amount": 62.76, "discount_rate": 12.5,
            "tracking": [tracking("Region", "North"), tracking("Salesperson", "Ann")]
        })
    );
    assert_eq!(
        typed(&db.pool, "invoice_line_items", "line_item_id", LINE_B1).await,
        json!({
            "line_item_id": LINE_B1, "invoice_id": INV_B, "line_number": 1,
            "description": "Freight", "quantity": 2.5, "unit_amount": 40.1234,
            "item_code": null, "account_code": "425", "tax_type": "INPUT2", "tax_amount": 13.08,
            "line_amount": 100.31, "discount_rate": null, "tracking": null
        })
    );
    assert_eq!(
        typed(&db.pool, "invoice_line_items", "line_item_id", LINE_C1).await,
        json!({
            "line_item_id": LINE_C1, "invoice_id": INV_C, "line_number": 1,
            "description": "To be priced", "quantity": null, "unit_amount": null,
            "item_code": null, "account_code": null, "tax_type": null, "tax_amount": null,
            "line_amount": null, "discount_rate": null, "tracking": null
        })
    );
    // Each field once: an invoice's `raw` is the invoice but its lines, a line's `raw` what
    // no column of it holds; put back together they are what Xero sent.
    for record in &records {
        let id = record["InvoiceID"].as_str().unwrap();
        let mut header = record.clone();
        header.as_object_mut().unwrap().remove("LineItems");
        assert_eq!(raw(&db.pool, "invoices", "invoice_id", id).await, header);
        assert_eq!(
            &as_sent(&db.pool, "invoices", "invoice_id", id).await,
            record
        );
    }
    assert_eq!(
        raw(&db.pool, "invoice_line_items", "line_item_id", LINE_A1).await,
        json!({"ValidationErrors": []})
    );
    Ok(())
}

#[tokio::test]
async fn a_journals_page_stores_lines_with_their_first_tracking_category() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let records = journal_records();
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &page("Journals", records.clone()),
    )
    .await;

    assert_eq!(count(&db.pool, "journals").await, 2);
    assert_eq!(count(&db.pool, "journal_lines").await, 3);
    assert_eq!(
        typed(&db.pool, "journals", "journal_id", JOURNAL_1).await,
        json!({
            "journal_id": JOURNAL_1, "journal_number": 1, "journal_date": "2018-10-20",
            "created_date_utc": 1541176243467i64, "reference": "Red Fish, Blue Fish",
            "source_id": "d4956132-ed94-4dd7-9eaa-aa22dfdf06f2", "source_type": "ACCREC"
        })
    );
    assert_eq!(
        typed(&db.pool, "journals", "journal_id", JOURNAL_2).await,
        json!({
            "journal_id": JOURNAL_2, "journal_number": 30, "journal_date": "1970-01-01",
            "created_date_utc": -1, "reference": null, "source_id": null, "source_type": null
        })
    );
    assert_eq!(
        typed(&db.pool, "journal_lines", "journal_line_id", JLINE_1B).await,
        json!({
            "journal_line_id": JLINE_1B, "journal_id": JOURNAL_1, "line_number": 2,
            "account_id": "e0a5d892-9f9f-44f0-a153-5cb7db125170", "account_code": "200",
            "account_type": "REVENUE", "account_name": "Sales", "description": "Acme Tires",
            "net_amount": -40.0, "gross_amount": -46.0, "tax_amount": -6.0,
            "tax_type": "OUTPUT2", "tax_name": "15% GST on Income",
            "tracking_name": "Region", "tracking_option": "North",
            "tracking": [tracking("Region", "North"), tracking("Dept", "Sales")]
        })
    );
    assert_eq!(
        typed(&db.pool, "journal_lines", "journal_line_id", JLINE_2A).await,
        json!({
            "journal_line_id": JLINE_2A, "journal_id": JOURNAL_2, "line_number": 1,
            "account_id": "b94495d0-44ab-4199-a1d0-427a4877e100",
            "account_code": null, "account_type": null, "account_name": null,
            "description": null, "net_amount": 0.0, "gross_amount": null, "tax_amount": null,
            "tax_type": null, "tax_name": null, "tracking_name": null, "tracking_option": null,
            "tracking": null
        })
    );
    let empty_tracking = typed(&db.pool, "journal_lines", "journal_line_id", JLINE_1A).await;
    assert_eq!(empty_tracking["tracking_name"], Value::Null);
    assert_eq!(empty_tracking["tracking"], json!([]));
    // Every field is stored once: a journal's and a line's `raw` hold what no column holds;
    // together they are what Xero sent.
    for record in &records {
        let id = record["JournalID"].as_str().unwrap();
        assert_eq!(raw(&db.pool, "journals", "journal_id", id).await, json!({}));
        assert_eq!(
            &as_sent(&db.pool, "journals", "journal_id", id).await,
            record
        );
    }
    assert_eq!(
        raw(&db.pool, "journal_lines", "journal_line_id", JLINE_1B).await,
        json!({})
    );
    // Capitals a UUID column cannot keep, and a field no column holds, stay as sent.
    assert_eq!(
        raw(&db.pool, "journal_lines", "journal_line_id", JLINE_2A).await,
        json!({"AccountID": "B94495D0-44AB-4199-A1D0-427A4877E100",
               "ValidationErrors": [{"Message": "none"}]})
    );
    Ok(())
}

#[tokio::test]
async fn a_journal_an_offset_walk_covered_but_did_not_meet_is_set_aside_and_one_that_comes_back_returns()
-> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let records = journal_records();
    let walked = |journals: &[Value], after: i64, through: Option<i64>| {
        let mut body = page("Journals", journals.to_vec());
        body["numbers"] = json!({ "after": after, "through": through });
        body
    };
    let stored = |table: &'static str| count(&db.pool, table);
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &page("Journals", records.clone()),
    )
    .await;
    // Records that are no walk's batch (a fetch by id) and a walk past both journals move
    // nothing.
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &page("Journals", records[1..].to_vec()),
    )
    .await;
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &walked(&[], 30, None),
    )
    .await;
    assert_eq!(
        (stored("journals").await, stored("journal_lines").await),
        (2, 3)
    );

    // Numbers 1 to 30 walked and only the second met: the first is gone from Xero.
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &walked(&records[1..], 0, Some(30)),
    )
    .await;
    assert_eq!(
        (stored("journals").await, stored("journal_lines").await),
        (1, 1)
    );
    let kept: Value = sqlx::query_scalar(
        "SELECT record FROM xero.removed_journals WHERE tenant_id = $1 AND journal_id = $2",
    )
    .bind(tenant_id)
    .bind(Uuid::parse_str(JOURNAL_1)?)
    .fetch_one(&db.pool)
    .await?;
    assert_eq!(kept, records[0], "kept as sent, lines and all");

    // It comes back: stored again, and no longer set aside.
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &walked(&records[..1], 0, Some(1)),
    )
    .await;
    assert_eq!(
        (stored("journals").await, stored("journal_lines").await),
        (2, 3)
    );
    assert_eq!(stored("removed_journals").await, 0);
    Ok(())
}
