//! The entities against a real Postgres (a fresh database per test): what a page of each entity
//! stores, that storing is idempotent and set-based, that invoice lines follow their invoice, and
//! that `xero_sync::digest` agrees with a SHA-256 computed here from the input JSON alone.
//!
//! Pages are written by hand below; the official Xero examples under `../shared` (beside the
//! checkout) are used too when present (the test says so and returns when they are not).

#![allow(clippy::unwrap_used)]

#[path = "support/skip.rs"]
mod skip;

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;
use xero_sync::digest::{Digest, digest, digest_query};
use xero_sync::entity::Entity;
use xero_sync::testing::TestDb;
use xero_sync_workers::entities::{accounts, contacts, invoices, journals};
use xero_sync_workers::{entity, line_digests, registry};

const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/reference/xero-openapi/examples"
);

// ---------------------------------------------------------------------------------------------
// Helpers

/// Creates a connection and a tenant (data tables reference `xero.tenants`).
async fn tenant(pool: &PgPool) -> Uuid {
    let tenant_id = Uuid::new_v4();
    let connection_id: Uuid = sqlx::query_scalar(
        "INSERT INTO xero.connections (grant_type) VALUES ('client_credentials') \
         RETURNING connection_id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name) VALUES ($1, $2, 'Demo')",
    )
    .bind(tenant_id)
    .bind(connection_id)
    .execute(pool)
    .await
    .unwrap();
    tenant_id
}

/// Stores one page the way the engine does: every statement of `upsert`, in order, in one
/// transaction, with the tenant and the body as text.
async fn store(pool: &PgPool, entity: &Entity, tenant_id: Uuid, page: &Value) {
    let body = page.to_string();
    let mut tx = pool.begin().await.unwrap();
    for statement in entity.upsert {
        sqlx::query(*statement)
            .bind(tenant_id)
            .bind(&body)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{} upsert failed: {e}", entity.name));
    }
    tx.commit().await.unwrap();
}

/// A response envelope around `records`, as Xero sends it.
fn page(collection: &str, records: Vec<Value>) -> Value {
    json!({
        "Id": "516f400a-b764-4c88-831b-12d2b210fa24",
        "Status": "OK",
        "ProviderName": "xero-sync tests",
        "DateTimeUTC": "/Date(1551981658323)/",
        collection: records,
    })
}

/// The milliseconds of a Xero `/Date(ms+0000)/` value, parsed independently of the SQL.
fn ms(value: &str) -> i64 {
    let inner = value.strip_prefix("/Date(").unwrap();
    let end = inner[1..].find(['+', '-', ')']).unwrap() + 1;
    inner[..end].parse().unwrap()
}

/// The digest of `records` computed from the JSON alone: per id (lower-case) the newest version
/// (ties: the last), lines `"{id}|{version}\n"` sorted by id bytes, hex SHA-256.
fn expected_digest(records: &[Value], id_field: &str, version: impl Fn(&Value) -> i64) -> Digest {
    let mut newest: BTreeMap<String, i64> = BTreeMap::new();
    for record in records {
        let id = record[id_field].as_str().unwrap().to_lowercase();
        let v = version(record);
        if newest.get(&id).is_none_or(|&old| v >= old) {
            newest.insert(id, v);
        }
    }
    let mut hasher = Sha256::new();
    for (id, v) in &newest {
        hasher.update(format!("{id}|{v}\n").as_bytes());
    }
    Digest {
        count: newest.len() as u64,
        digest: hex::encode(hasher.finalize()),
    }
}

/// The digest of the lines of `records` (newest version of each parent, ties: the last), each
/// line versioned by its parent, computed from the JSON alone.
fn expected_line_digest(
    records: &[Value],
    id_field: &str,
    lines_field: &str,
    line_id_field: &str,
    version: impl Fn(&Value) -> i64,
) -> Digest {
    let mut newest: BTreeMap<String, &Value> = BTreeMap::new();
    for record in records {
        let id = record[id_field].as_str().unwrap().to_lowercase();
        if newest
            .get(&id)
            .is_none_or(|old| version(record) >= version(old))
        {
            newest.insert(id, record);
        }
    }
    let lines: Vec<Value> = newest
        .values()
        .flat_map(|record| {
            record[lines_field]
                .as_array()
                .unwrap()
                .iter()
                .map(|line| json!({ "id": line[line_id_field], "version": version(record) }))
        })
        .collect();
    expected_digest(&lines, "id", |line| line["version"].as_i64().unwrap())
}

/// How a test reads a record's digest version from its JSON.
type Version = fn(&Value) -> i64;

fn updated_ms(record: &Value) -> i64 {
    ms(record["UpdatedDateUTC"].as_str().unwrap())
}

fn journal_number(record: &Value) -> i64 {
    record["JournalNumber"].as_i64().unwrap()
}

/// The typed columns of one row as JSON (numbers as numbers, dates as `YYYY-MM-DD`), with
/// timestamps as epoch milliseconds and without `tenant_id`, `raw` and `synced_at`.
async fn typed(pool: &PgPool, table: &str, key: &str, id: &str) -> Value {
    let sql = format!(
        "SELECT to_jsonb(t) - 'tenant_id' - 'raw' - 'synced_at' - 'updated_date_utc' \
                - 'created_date_utc' \
                || CASE WHEN to_jsonb(t) ? 'updated_date_utc' THEN jsonb_build_object( \
                       'updated_date_utc', xero.epoch_ms((to_jsonb(t) ->> 'updated_date_utc')::timestamptz)) \
                   ELSE '{{}}' END \
                || CASE WHEN to_jsonb(t) ? 'created_date_utc' THEN jsonb_build_object( \
                       'created_date_utc', xero.epoch_ms((to_jsonb(t) ->> 'created_date_utc')::timestamptz)) \
                   ELSE '{{}}' END \
         FROM xero.{table} AS t WHERE {key} = $1::uuid"
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("no row {id} in {table}: {e}"))
}

async fn raw(pool: &PgPool, table: &str, key: &str, id: &str) -> Value {
    let sql = format!("SELECT raw FROM xero.{table} WHERE {key} = $1::uuid");
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM xero.{table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Every row of a table, with `xmin` (the transaction that last wrote it): equal snapshots mean
/// no row was inserted, deleted or even rewritten.
async fn snapshot(pool: &PgPool, table: &str) -> Value {
    let sql = format!(
        "SELECT coalesce(jsonb_agg(to_jsonb(t) || jsonb_build_object('xmin', t.xmin::text) \
                                   ORDER BY to_jsonb(t)::text), '[]') FROM xero.{table} AS t"
    );
    sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The line item ids of an invoice, in line order.
async fn line_ids(pool: &PgPool, invoice_id: &str) -> Vec<(i32, String)> {
    sqlx::query_as(
        "SELECT line_number, line_item_id::text FROM xero.invoice_line_items \
         WHERE invoice_id = $1::uuid ORDER BY line_number",
    )
    .bind(invoice_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn load_example(name: &str) -> Option<Value> {
    let path = format!("{EXAMPLES}/{name}");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) => {
            skip::skip(
                "the_official_examples_are_stored_and_digested",
                &format!("{path} is not present"),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-written pages

fn account_records() -> Vec<Value> {
    vec![
        json!({
            "AccountID": "ebd06280-af70-4bed-97c6-7451a454ad85",
            "Code": "091", "Name": "Business Savings Account", "Type": "BANK", "Status": "ACTIVE",
            "TaxType": "NONE", "Class": "ASSET", "EnablePaymentsToAccount": false,
            "BankAccountNumber": "0209087654321050", "BankAccountType": "BANK",
            "CurrencyCode": "NZD", "ReportingCode": "ASS", "ReportingCodeName": "Assets",
            "UpdatedDateUTC": "/Date(1550797359120+0000)/"
        }),
        json!({
            "AccountID": "7d05a53d-613d-4eb2-a2fc-dcb6adb80b80",
            "Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE",
            "TaxType": "OUTPUT2", "Class": "REVENUE",
            "Description": "Income from any normal business activity",
            "ReportingCode": "REV.TRA.GOO", "UpdatedDateUTC": "/Date(1551981568133+0000)/"
        }),
        // Archived, with every optional field missing.
        json!({
            "AccountID": "13918178-849a-4823-9a31-57b7eac713d7",
            "Name": "Old Expenses", "Type": "EXPENSE", "Status": "ARCHIVED",
            "UpdatedDateUTC": "/Date(0+0000)/"
        }),
    ]
}

fn contact_records() -> Vec<Value> {
    vec![
        json!({
            "ContactID": "5cc8cf28-567e-4d43-b287-687cfcaec47c",
            "ContactStatus": "ACTIVE", "Name": "Katherine Warren", "FirstName": "Katherine",
            "LastName": "Warren", "EmailAddress": "kat.warren@clampett.com",
            "AccountNumber": "KW-001", "TaxNumber": "12-345-678",
            "Addresses": [{"AddressType": "POBOX", "City": "Palo Alto", "Region": "CA"}],
            "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "847-1294"}],
            "UpdatedDateUTC": "/Date(1503348544227+0000)/",
            "IsSupplier": true, "IsCustomer": true,
            "Balances": {"AccountsReceivable": {"Outstanding": 760.0, "Overdue": 920.0}}
        }),
        // Upper-case id: stored and digested lower-case.
        json!({
            "ContactID": "3EC601AD-EDDC-4CCB-A8AC-736E88293B1B",
            "ContactStatus": "ARCHIVED", "Name": "Lisa Parker",
            "MergedToContactID": "5cc8cf28-567e-4d43-b287-687cfcaec47c",
            "UpdatedDateUTC": "/Date(1503348546760+0000)/",
            "IsSupplier": false, "IsCustomer": false
        }),
        // A summary-style contact: no flags, no names.
        json!({
            "ContactID": "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7",
            "Name": "Barney Rubble-83203",
            "UpdatedDateUTC": "/Date(-86400001+0000)/"
        }),
    ]
}

const INV_A: &str = "a03ffcd2-5d91-4c7e-b483-318584e9e439";
const INV_B: &str = "046d8a6d-1ae1-4b4d-9340-5601bdf41b87";
const INV_C: &str = "7ef31b20-de17-4312-8382-412f869b1510";
const LINE_A1: &str = "b18f39d9-7739-4246-9288-72afe939d2d5";
const LINE_A2: &str = "c2a5f5a1-0c7e-4e0f-9d0e-1f6c2b0e8a01";
const LINE_A3: &str = "d3b6e6b2-1d8f-4f1a-8e1f-2a7d3c1f9b02";
const LINE_B1: &str = "e4c7f7c3-2e9a-4a2b-9f2a-3b8e4d2a0c03";
const LINE_C1: &str = "f5d8a8d4-3fab-4b3c-8a3b-4c9f5e3b1d04";

fn tracking(name: &str, option: &str) -> Value {
    json!({
        "TrackingCategoryID": "e2f2f732-e92a-4f3a-9c4d-ee4da0182a13",
        "TrackingOptionID": "cd0a4b7e-0a24-4dc5-9c0e-5bd4cd5a2b3b",
        "Name": name, "Option": option
    })
}

fn invoice_a(updated: &str, lines: Vec<Value>) -> Value {
    json!({
        "Type": "ACCREC", "InvoiceID": INV_A, "InvoiceNumber": "INV-0006", "Reference": "Tour",
        "Contact": {"ContactID": "430fa14a-f945-44d3-9f97-5df5e28441b8", "Name": "Liam Gallagher"},
        "DateString": "2019-03-07T00:00:00", "Date": "/Date(1551916800000+0000)/",
        "DueDateString": "2019-03-13T00:00:00", "DueDate": "/Date(1552435200000+0000)/",
        "Status": "PAID", "LineAmountTypes": "Exclusive", "LineItems": lines,
        "SubTotal": 148062.76, "TotalTax": 0.0, "Total": 148062.76,
        "AmountDue": 0.0, "AmountPaid": 148062.76, "AmountCredited": 0.0,
        "CurrencyCode": "NZD", "CurrencyRate": 1.0,
        "UpdatedDateUTC": updated, "UpdatedDateUTCString": "2019-03-07T17:59:28Z",
        "FullyPaidOnDate": "/Date(1552953600000+0000)/",
        "Payments": [{"PaymentID": "38928000-e9a0-420c-8884-f624bab2a351", "Amount": 148062.76}]
    })
}

fn line(id: &str, description: &str, amount: f64) -> Value {
    json!({
        "LineItemID": id, "Description": description, "Quantity": 1.0, "UnitAmount": amount,
        "ItemCode": "123", "AccountCode": "200", "TaxType": "NONE", "TaxAmount": 0.0,
        "LineAmount": amount, "Tracking": [], "ValidationErrors": []
    })
}

fn invoice_records() -> Vec<Value> {
    let mut tracked = line(LINE_A2, "Amplifier", 62.76);
    tracked["Tracking"] = json!([tracking("Region", "North"), tracking("Salesperson", "Ann")]);
    tracked["DiscountRate"] = json!(12.5);
    vec![
        invoice_a(
            "/Date(1551981568133+0000)/",
            vec![
                line(LINE_A1, "Guitars Fender Strat", 148000.0),
                tracked,
                line(LINE_A3, "Strings", 0.0),
            ],
        ),
        json!({
            "Type": "ACCPAY", "InvoiceID": INV_B, "InvoiceNumber": "BILL-17",
            "Contact": {"ContactID": "a3675fc4-f8dd-4f03-ba5b-f1870566bcd7"},
            "Date": "/Date(1539993600000+0000)/", "DueDate": "/Date(1546128000000+0000)/",
            "Status": "AUTHORISED", "LineAmountTypes": "Inclusive",
            "LineItems": [{
                "LineItemID": LINE_B1, "Description": "Freight", "Quantity": 2.5,
                "UnitAmount": 40.1234, "AccountCode": "425", "TaxType": "INPUT2",
                "TaxAmount": 13.08, "LineAmount": 100.31
            }],
            "SubTotal": 87.23, "TotalTax": 13.08, "Total": 100.31,
            "AmountDue": 50.31, "AmountPaid": 0.0, "AmountCredited": 50.0,
            "CurrencyCode": "AUD", "CurrencyRate": 0.924271,
            "UpdatedDateUTC": "/Date(1541176592690+0000)/"
        }),
        // A draft with nothing optional, dated at the epoch.
        json!({
            "Type": "ACCREC", "InvoiceID": INV_C, "Date": "/Date(0+0000)/", "Status": "DRAFT",
            "LineItems": [{"LineItemID": LINE_C1, "Description": "To be priced"}],
            "UpdatedDateUTC": "/Date(1541176648927+0000)/"
        }),
    ]
}

const JOURNAL_1: &str = "1b31feeb-aa23-404c-8c19-24c827c53661";
const JOURNAL_2: &str = "772e8133-7f12-4edc-ab98-aa6dceb16c9d";
const JLINE_1A: &str = "81e6b1bf-d812-4f87-8dc4-698558ae043e";
const JLINE_1B: &str = "ad221a8c-ebee-4c1b-88ed-d574e27e8803";
const JLINE_2A: &str = "33469836-642f-4973-a708-0e99339dff4a";

fn journal_records() -> Vec<Value> {
    vec![
        json!({
            "JournalID": JOURNAL_1, "JournalDate": "/Date(1539993600000+0000)/",
            "JournalNumber": 1, "CreatedDateUTC": "/Date(1541176243467+0000)/",
            "Reference": "Red Fish, Blue Fish",
            "SourceID": "d4956132-ed94-4dd7-9eaa-aa22dfdf06f2", "SourceType": "ACCREC",
            "JournalLines": [
                {"JournalLineID": JLINE_1A, "AccountID": "b94495d0-44ab-4199-a1d0-427a4877e100",
                 "AccountCode": "610", "AccountType": "CURRENT",
                 "AccountName": "Accounts Receivable", "Description": "",
                 "NetAmount": 40.0, "GrossAmount": 46.0, "TaxAmount": 6.0,
                 "TrackingCategories": []},
                {"JournalLineID": JLINE_1B, "AccountID": "e0a5d892-9f9f-44f0-a153-5cb7db125170",
                 "AccountCode": "200", "AccountType": "REVENUE", "AccountName": "Sales",
                 "Description": "Acme Tires", "NetAmount": -40.0, "GrossAmount": -46.0,
                 "TaxAmount": -6.0, "TaxType": "OUTPUT2", "TaxName": "15% GST on Income",
                 "TrackingCategories": [tracking("Region", "North"), tracking("Dept", "Sales")]}
            ]
        }),
        // A manual journal at the epoch, no source, one line without optional fields.
        json!({
            "JournalID": JOURNAL_2, "JournalDate": "/Date(0+0000)/", "JournalNumber": 30,
            "CreatedDateUTC": "/Date(-1+0000)/",
            "JournalLines": [{"JournalLineID": JLINE_2A, "NetAmount": 0.0}]
        }),
    ]
}

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
    for record in &records {
        let id = record["InvoiceID"].as_str().unwrap();
        assert_eq!(&raw(&db.pool, "invoices", "invoice_id", id).await, record);
    }
    assert_eq!(
        raw(&db.pool, "invoice_line_items", "line_item_id", LINE_A1).await,
        records[0]["LineItems"][0]
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
            "journal_line_id": JLINE_1B, "journal_id": JOURNAL_1,
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
            "journal_line_id": JLINE_2A, "journal_id": JOURNAL_2, "account_id": null,
            "account_code": null, "account_type": null, "account_name": null,
            "description": null, "net_amount": 0.0, "gross_amount": null, "tax_amount": null,
            "tax_type": null, "tax_name": null, "tracking_name": null, "tracking_option": null,
            "tracking": null
        })
    );
    let empty_tracking = typed(&db.pool, "journal_lines", "journal_line_id", JLINE_1A).await;
    assert_eq!(empty_tracking["tracking_name"], Value::Null);
    assert_eq!(empty_tracking["tracking"], json!([]));
    for record in &records {
        let id = record["JournalID"].as_str().unwrap();
        assert_eq!(&raw(&db.pool, "journals", "journal_id", id).await, record);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Idempotence, duplicates, versions

#[tokio::test]
async fn storing_the_same_page_twice_rewrites_no_row() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let cases = [
        (
            accounts::ENTITY,
            page("Accounts", account_records()),
            vec!["accounts"],
        ),
        (
            contacts::ENTITY,
            page("Contacts", contact_records()),
            vec!["contacts"],
        ),
        (
            invoices::ENTITY,
            page("Invoices", invoice_records()),
            vec!["invoices", "invoice_line_items"],
        ),
        (
            journals::ENTITY,
            page("Journals", journal_records()),
            vec!["journals", "journal_lines"],
        ),
    ];
    for (entity, body, tables) in &cases {
        store(&db.pool, entity, tenant_id, body).await;
        let mut before = Vec::new();
        for table in tables {
            before.push(snapshot(&db.pool, table).await);
        }
        store(&db.pool, entity, tenant_id, body).await;
        for (table, before) in tables.iter().zip(&before) {
            assert_eq!(&snapshot(&db.pool, table).await, before, "{table} changed");
        }
    }
    Ok(())
}

#[tokio::test]
async fn an_edited_invoice_keeps_exactly_its_new_lines() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", invoice_records()),
    )
    .await;

    // Xero's edit: the second line removed, the first changed, a new line (new id) appended.
    let new_line = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let edited = invoice_a(
        "/Date(1551981600000+0000)/",
        vec![
            line(LINE_A1, "Guitars Fender Strat, relic", 147000.0),
            line(LINE_A3, "Strings", 0.0),
            line(new_line, "Case", 1062.76),
        ],
    );
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![edited]),
    )
    .await;

    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![
            (1, LINE_A1.to_owned()),
            (2, LINE_A3.to_owned()),
            (3, new_line.to_owned())
        ]
    );
    let first = typed(&db.pool, "invoice_line_items", "line_item_id", LINE_A1).await;
    assert_eq!(first["description"], "Guitars Fender Strat, relic");
    assert_eq!(first["line_amount"], json!(147000.0));
    // The other invoices' lines are untouched.
    assert_eq!(count(&db.pool, "invoice_line_items").await, 5);

    // An empty LineItems array from a paged response is the whole (empty) set of lines.
    let emptied = invoice_a("/Date(1551981700000+0000)/", vec![]);
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![emptied]),
    )
    .await;
    assert_eq!(line_ids(&db.pool, INV_A).await, vec![]);
    assert_eq!(count(&db.pool, "invoice_line_items").await, 2);
    Ok(())
}

#[tokio::test]
async fn an_invoice_sent_without_line_items_keeps_its_stored_lines() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", invoice_records()),
    )
    .await;

    let mut summary = invoice_a("/Date(1551981600000+0000)/", vec![]);
    summary.as_object_mut().unwrap().remove("LineItems");
    summary["Status"] = json!("VOIDED");
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![summary]),
    )
    .await;

    assert_eq!(
        typed(&db.pool, "invoices", "invoice_id", INV_A).await["status"],
        "VOIDED"
    );
    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![
            (1, LINE_A1.to_owned()),
            (2, LINE_A2.to_owned()),
            (3, LINE_A3.to_owned())
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_page_with_the_same_record_twice_keeps_its_newest_version() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;

    // The newest version comes first here, so "last wins" alone would be wrong.
    let newer = invoice_a(
        "/Date(1551981600000+0000)/",
        vec![line(LINE_A1, "New", 1.0)],
    );
    let older = invoice_a(
        "/Date(1551981568133+0000)/",
        vec![line(LINE_A2, "Old", 2.0), line(LINE_A3, "Old", 3.0)],
    );
    let mut records = vec![newer.clone(), older, newer.clone()];
    records.extend(invoice_records().into_iter().skip(1));
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", records),
    )
    .await;
    assert_eq!(count(&db.pool, "invoices").await, 3);
    assert_eq!(raw(&db.pool, "invoices", "invoice_id", INV_A).await, newer);
    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![(1, LINE_A1.to_owned())]
    );

    let mut contacts_page = contact_records();
    contacts_page.push(contact_records()[0].clone());
    store(
        &db.pool,
        &contacts::ENTITY,
        tenant_id,
        &page("Contacts", contacts_page),
    )
    .await;
    assert_eq!(count(&db.pool, "contacts").await, 3);

    let accounts_page = [account_records(), account_records()].concat();
    store(
        &db.pool,
        &accounts::ENTITY,
        tenant_id,
        &page("Accounts", accounts_page),
    )
    .await;
    assert_eq!(count(&db.pool, "accounts").await, 3);

    let journals_page = [journal_records(), journal_records()].concat();
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &page("Journals", journals_page),
    )
    .await;
    assert_eq!(count(&db.pool, "journals").await, 2);
    assert_eq!(count(&db.pool, "journal_lines").await, 3);
    Ok(())
}

#[tokio::test]
async fn an_older_version_never_overwrites_a_newer_one() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let newer = invoice_a(
        "/Date(1551981600000+0000)/",
        vec![line(LINE_A1, "New", 1.0)],
    );
    let older = invoice_a(
        "/Date(1551981568133+0000)/",
        vec![line(LINE_A2, "Old", 2.0)],
    );
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![newer.clone()]),
    )
    .await;
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![older]),
    )
    .await;
    assert_eq!(raw(&db.pool, "invoices", "invoice_id", INV_A).await, newer);
    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![(1, LINE_A1.to_owned())]
    );

    // Same UpdatedDateUTC, other content: stored (Xero changes some fields without a bump).
    let mut balance_changed = contact_records()[0].clone();
    store(
        &db.pool,
        &contacts::ENTITY,
        tenant_id,
        &page("Contacts", vec![balance_changed.clone()]),
    )
    .await;
    balance_changed["IsSupplier"] = json!(false);
    store(
        &db.pool,
        &contacts::ENTITY,
        tenant_id,
        &page("Contacts", vec![balance_changed]),
    )
    .await;
    let stored = typed(
        &db.pool,
        "contacts",
        "contact_id",
        "5cc8cf28-567e-4d43-b287-687cfcaec47c",
    );
    assert_eq!(stored.await["is_supplier"], false);
    Ok(())
}

#[tokio::test]
async fn tenants_are_kept_apart_and_deleting_one_deletes_its_rows() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let first = tenant(&db.pool).await;
    let second = tenant(&db.pool).await;
    for tenant_id in [first, second] {
        store(
            &db.pool,
            &invoices::ENTITY,
            tenant_id,
            &page("Invoices", invoice_records()),
        )
        .await;
        store(
            &db.pool,
            &journals::ENTITY,
            tenant_id,
            &page("Journals", journal_records()),
        )
        .await;
    }
    assert_eq!(count(&db.pool, "invoice_line_items").await, 10);

    sqlx::query("DELETE FROM xero.tenants WHERE tenant_id = $1")
        .bind(first)
        .execute(&db.pool)
        .await?;
    for (table, rows) in [
        ("invoices", 3),
        ("invoice_line_items", 5),
        ("journals", 2),
        ("journal_lines", 3),
    ] {
        assert_eq!(count(&db.pool, table).await, rows, "{table}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Digest and dates

#[tokio::test]
async fn the_digest_equals_a_hash_computed_from_the_pages() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let other_tenant = tenant(&db.pool).await;

    let mut invoice_page = invoice_records();
    invoice_page.push(invoice_a("/Date(1551981600000+0000)/", vec![]));
    let cases: [(Entity, &str, Vec<Value>, Version); 4] = [
        (accounts::ENTITY, "AccountID", account_records(), updated_ms),
        (contacts::ENTITY, "ContactID", contact_records(), updated_ms),
        (invoices::ENTITY, "InvoiceID", invoice_page, updated_ms),
        (
            journals::ENTITY,
            "JournalID",
            journal_records(),
            journal_number,
        ),
    ];
    for (entity, id_field, records, version) in cases {
        let body = page(entity.collection, records.clone());
        store(&db.pool, &entity, tenant_id, &body).await;
        // Another tenant's rows must not count.
        store(
            &db.pool,
            &entity,
            other_tenant,
            &page(entity.collection, records[..1].to_vec()),
        )
        .await;
        let expected = expected_digest(&records, id_field, version);
        assert_eq!(
            digest(&db.pool, &entity, tenant_id).await?,
            expected,
            "{}",
            entity.name
        );
    }
    // The lines, as the simulator digests them: versioned by their invoice or journal. The
    // newest INV_A of the page has no lines, so its three older lines must be gone.
    let mut invoice_page = invoice_records();
    invoice_page.push(invoice_a("/Date(1551981600000+0000)/", vec![]));
    let expected = [
        expected_line_digest(
            &invoice_page,
            "InvoiceID",
            "LineItems",
            "LineItemID",
            updated_ms,
        ),
        expected_line_digest(
            &journal_records(),
            "JournalID",
            "JournalLines",
            "JournalLineID",
            journal_number,
        ),
    ];
    assert_eq!(expected[0].count, 2);
    for ((name, query), expected) in line_digests().iter().zip(expected) {
        assert_eq!(
            digest_query(&db.pool, query, tenant_id).await?,
            expected,
            "{name}"
        );
    }

    let empty = digest(&db.pool, &accounts::ENTITY, Uuid::new_v4()).await?;
    assert_eq!(empty, expected_digest(&[], "AccountID", updated_ms));
    assert_eq!(
        empty.digest,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    Ok(())
}

#[tokio::test]
async fn updated_date_utc_keeps_its_milliseconds_exactly() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let values = [
        1551981568133i64,
        0,
        -1,
        1,
        -1551981568133,
        999,
        -999,
        1_000,
        -86_400_001,
        253_402_300_799_999, // 9999-12-31T23:59:59.999Z
        -62_135_596_800_000, // 0001-01-01T00:00:00Z
    ];
    let records: Vec<Value> = values
        .iter()
        .map(|ms| {
            json!({
                "AccountID": Uuid::new_v4().to_string(),
                "Name": format!("at {ms}"),
                "UpdatedDateUTC": format!("/Date({ms}+0000)/"),
            })
        })
        .collect();
    store(
        &db.pool,
        &accounts::ENTITY,
        tenant_id,
        &page("Accounts", records.clone()),
    )
    .await;
    for (record, ms) in records.iter().zip(values) {
        let id = record["AccountID"].as_str().unwrap();
        let stored = typed(&db.pool, "accounts", "account_id", id).await;
        assert_eq!(stored["updated_date_utc"], json!(ms), "{ms}");
    }

    // And every millisecond of a few sweeps, through the same SQL functions the upserts use.
    let mismatches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
             SELECT ms FROM generate_series(-200000, 200000) AS ms
             UNION ALL SELECT 1551981568133 + ms FROM generate_series(-100000, 100000) AS ms
             UNION ALL SELECT -1551981568133 + ms FROM generate_series(-100000, 100000) AS ms
             UNION ALL SELECT (random() * 4e12)::bigint - 2e12 FROM generate_series(1, 100000)
         ) AS t
         WHERE xero.epoch_ms(xero.ms_timestamp('/Date(' || ms || '+0000)/')) <> ms",
    )
    .fetch_one(&db.pool)
    .await?;
    assert_eq!(mismatches, 0);
    Ok(())
}

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
        assert!(!e.upsert.is_empty(), "{} has no upsert", e.name);
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
            assert_eq!(&raw(&db.pool, table, &key, id).await, record, "{file}");
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
        invoices::ENTITY.upsert.len(),
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

// ---------------------------------------------------------------------------------------------
// Against the simulator's real responses

/// A plain client of the simulator: a client_credentials token and GETs of raw bodies. Paging
/// here is the naive one (page numbers, no `If-Modified-Since`); the engine's cursors are tested
/// with the engine.
struct SimClient {
    sim: xero_sync_sim::Simulator,
    http: reqwest::Client,
    token: String,
    tenant_id: Uuid,
}

impl SimClient {
    async fn start() -> SimClient {
        // reqwest is built with `rustls-no-provider`: even plain HTTP needs a provider installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = xero_sync_sim::Simulator::start(xero_sync_sim::SimConfig {
            accounts: 40,
            contacts: 150,
            invoices: 350,
            journals: 900,
            rate_limits: false,
            ..Default::default()
        })
        .await
        .unwrap();
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!("{}/connect/token", sim.origin()))
            .basic_auth(sim.client_id(), Some(sim.client_secret()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tenant_id = sim.tenant_ids()[0];
        SimClient {
            token: token["access_token"].as_str().unwrap().to_owned(),
            sim,
            http,
            tenant_id,
        }
    }

    /// The body of one Accounting GET, as text (what the engine hands to the upserts).
    async fn get(&self, entity: &Entity, extra: &[(&str, String)]) -> String {
        let res = self
            .http
            .get(format!(
                "{}/api.xro/2.0/{}",
                self.sim.origin(),
                entity.endpoint
            ))
            .query(entity.query)
            .query(extra)
            .header("accept", "application/json")
            .header("xero-tenant-id", self.tenant_id.to_string())
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "GET {}: {}",
            entity.endpoint,
            res.status()
        );
        res.text().await.unwrap()
    }

    /// Fetches every record of `entity` and stores each page as the engine would.
    async fn sync(&self, pool: &PgPool, entity: &Entity, tenant_id: Uuid) {
        use xero_sync::entity::Paging;
        let run = Uuid::new_v4();
        let mut cursor = 0i64;
        loop {
            let extra = match entity.paging {
                Paging::Unpaged { .. } => vec![],
                Paging::Keyset => vec![
                    ("page", (cursor + 1).to_string()),
                    ("pageSize", "1000".to_owned()),
                ],
                Paging::Numbered { .. } => vec![("page", (cursor + 1).to_string())],
                Paging::Offset { .. } => vec![("offset", cursor.to_string())],
            };
            let text = self.get(entity, &extra).await;
            let body: Value = serde_json::from_str(&text).unwrap();
            let records = body[entity.collection].as_array().unwrap();
            let last = match entity.paging {
                Paging::Unpaged { .. } => true,
                Paging::Numbered { size, .. } => records.len() < size as usize,
                _ => records.is_empty(),
            };
            if records.is_empty() && !matches!(entity.paging, Paging::Numbered { .. }) {
                return;
            }
            // Stamped with the run; a whole set read to its end is marked, as the engine does.
            let mut text = text;
            xero_sync::xero::Page::mark_run(&mut text, run);
            let whole = matches!(
                entity.paging,
                Paging::Unpaged { .. }
                    | Paging::Numbered {
                        modified_since: false,
                        ..
                    }
            );
            if last && whole {
                xero_sync::xero::Page::mark_complete(&mut text);
            }
            store_text(pool, entity, tenant_id, &text).await;
            if last {
                return;
            }
            cursor = match entity.paging {
                Paging::Offset { field } => records.last().unwrap()[field].as_i64().unwrap(),
                _ => cursor + 1,
            };
        }
    }

    async fn digest(&self, set: &str) -> Digest {
        let url = format!(
            "{}/sim/digest?tenant_id={}&entity={set}",
            self.sim.origin(),
            self.tenant_id
        );
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn mutate(&self, entity: &str, count: usize) {
        let res = self
            .http
            .post(format!("{}/sim/mutate", self.sim.origin()))
            .json(&json!({ "tenant_id": self.tenant_id, "entity": entity, "count": count }))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "mutate {entity}: {}",
            res.status()
        );
    }
}

/// [`store`] for a body kept as the text Xero sent.
async fn store_text(pool: &PgPool, entity: &Entity, tenant_id: Uuid, body: &str) {
    let mut tx = pool.begin().await.unwrap();
    for statement in entity.upsert {
        sqlx::query(*statement)
            .bind(tenant_id)
            .bind(body)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("{} upsert failed: {e}", entity.name));
    }
    tx.commit().await.unwrap();
}

/// Every entity and line set digested here equals the simulator's digest of it.
async fn assert_same_as_simulator(pool: &PgPool, sim: &SimClient, tenant_id: Uuid) {
    for entity in registry() {
        let ours = digest(pool, entity, tenant_id).await.unwrap();
        assert!(ours.count > 0, "{} stored nothing", entity.name);
        assert_eq!(ours, sim.digest(entity.name).await, "{}", entity.name);
    }
    for (name, query) in line_digests() {
        let ours = digest_query(pool, query, tenant_id).await.unwrap();
        assert_eq!(ours, sim.digest(name).await, "{name}");
    }
}

#[tokio::test]
async fn pages_served_by_the_simulator_are_stored_exactly_as_it_digests_them() -> anyhow::Result<()>
{
    let db = TestDb::new().await?;
    let sim = SimClient::start().await;
    let connection_id: Uuid = sqlx::query_scalar(
        "INSERT INTO xero.connections (grant_type) VALUES ('client_credentials') \
         RETURNING connection_id",
    )
    .fetch_one(&db.pool)
    .await?;
    sqlx::query(
        "INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name) VALUES ($1, $2, 'Sim')",
    )
    .bind(sim.tenant_id)
    .bind(connection_id)
    .execute(&db.pool)
    .await?;

    for entity in registry() {
        sim.sync(&db.pool, entity, sim.tenant_id).await;
    }
    assert_same_as_simulator(&db.pool, &sim, sim.tenant_id).await;

    // A day of changes: edited invoices get fresh lines, journals are appended. Fetch it all
    // again (a full run over stored rows) and the copy still equals the simulator.
    let lines_before = sim.digest("invoice_line_items").await;
    for entity in [
        "invoices",
        "contacts",
        "accounts",
        "journals",
        "payments",
        "manual_journals",
        "tax_rates",
        "items",
        "users",
        "currencies",
        "tracking_categories",
        "contact_groups",
        "branding_themes",
        "organisation",
        "credit_notes",
        "purchase_orders",
        "overpayments",
        "prepayments",
        "bank_transactions",
        "bank_transfers",
        "batch_payments",
        "repeating_invoices",
        "quotes",
        "linked_transactions",
        "receipts",
        "expense_claims",
    ] {
        sim.mutate(entity, 40).await;
    }
    assert_ne!(
        sim.digest("invoice_line_items").await,
        lines_before,
        "no line was edited"
    );
    for entity in registry() {
        sim.sync(&db.pool, entity, sim.tenant_id).await;
    }
    assert_same_as_simulator(&db.pool, &sim, sim.tenant_id).await;
    Ok(())
}
