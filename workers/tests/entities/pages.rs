//! What the entity tests share: a tenant in a fresh database, storing a page through an
//! entity's statements, digests computed here from the JSON alone, and pages written by hand.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;
use xero_sync::digest::Digest;
use xero_sync::entity::Entity;

pub const EXAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/reference/xero-openapi/examples"
);

// ---------------------------------------------------------------------------------------------
// Helpers

/// Creates a connection and a tenant (data tables reference `xero.tenants`).
pub async fn tenant(pool: &PgPool) -> Uuid {
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

/// Stores one page the way the engine does ([`xero_sync::sync::store`]), in one transaction.
pub async fn store(pool: &PgPool, entity: &Entity, tenant_id: Uuid, page: &Value) {
    store_text(pool, entity, tenant_id, &page.to_string()).await;
}

/// [`store`] for a body kept as the text Xero sent.
pub async fn store_text(pool: &PgPool, entity: &Entity, tenant_id: Uuid, body: &str) {
    let mut tx = pool.begin().await.unwrap();
    xero_sync::sync::store::store(&mut tx, entity, tenant_id, body)
        .await
        .unwrap_or_else(|e| panic!("{} upsert failed: {e}", entity.name));
    tx.commit().await.unwrap();
}

/// A response envelope around `records`, as Xero sends it.
pub fn page(collection: &str, records: Vec<Value>) -> Value {
    json!({
        "Id": "516f400a-b764-4c88-831b-12d2b210fa24",
        "Status": "OK",
        "ProviderName": "xero-sync tests",
        "DateTimeUTC": "/Date(1551981658323)/",
        collection: records,
    })
}

/// The milliseconds of a Xero `/Date(ms+0000)/` value, parsed independently of the SQL.
pub fn ms(value: &str) -> i64 {
    let inner = value.strip_prefix("/Date(").unwrap();
    let end = inner[1..].find(['+', '-', ')']).unwrap() + 1;
    inner[..end].parse().unwrap()
}

/// The digest of `records` computed from the JSON alone: per id (lower-case) the newest version
/// (ties: the last), lines `"{id}|{version}\n"` sorted by id bytes, hex SHA-256.
pub fn expected_digest(
    records: &[Value],
    id_field: &str,
    version: impl Fn(&Value) -> i64,
) -> Digest {
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
pub fn expected_line_digest(
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
pub type Version = fn(&Value) -> i64;

pub fn updated_ms(record: &Value) -> i64 {
    ms(record["UpdatedDateUTC"].as_str().unwrap())
}

pub fn journal_number(record: &Value) -> i64 {
    record["JournalNumber"].as_i64().unwrap()
}

/// The typed columns of one row as JSON (numbers as numbers, dates as `YYYY-MM-DD`), with
/// timestamps as epoch milliseconds and without `tenant_id`, `raw` and `synced_at`.
pub async fn typed(pool: &PgPool, table: &str, key: &str, id: &str) -> Value {
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

pub async fn raw(pool: &PgPool, table: &str, key: &str, id: &str) -> Value {
    let sql = format!("SELECT raw FROM xero.{table} WHERE {key} = $1::uuid");
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A record put back together as Xero sent it, from its row and its lines' rows
/// (`xero.<table>_as_sent`).
pub async fn as_sent(pool: &PgPool, table: &str, key: &str, id: &str) -> Value {
    let sql = format!("SELECT record FROM xero.{table}_as_sent WHERE {key} = $1::uuid");
    sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("no record {id} in {table}_as_sent: {e}"))
}

pub async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM xero.{table}")))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Every row of a table, with `xmin` (the transaction that last wrote it): equal snapshots mean
/// no row was inserted, deleted or even rewritten.
pub async fn snapshot(pool: &PgPool, table: &str) -> Value {
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
pub async fn line_ids(pool: &PgPool, invoice_id: &str) -> Vec<(i32, String)> {
    sqlx::query_as(
        "SELECT line_number, line_item_id::text FROM xero.invoice_line_items \
         WHERE invoice_id = $1::uuid ORDER BY line_number",
    )
    .bind(invoice_id)
    .fetch_all(pool)
    .await
    .unwrap()
}

pub fn load_example(name: &str) -> Option<Value> {
    let path = format!("{EXAMPLES}/{name}");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) => {
            crate::skip::skip(
                "the_official_examples_are_stored_and_digested",
                &format!("{path} is not present"),
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-written pages

pub fn account_records() -> Vec<Value> {
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

pub fn contact_records() -> Vec<Value> {
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

pub const INV_A: &str = "a03ffcd2-5d91-4c7e-b483-318584e9e439";
pub const INV_B: &str = "046d8a6d-1ae1-4b4d-9340-5601bdf41b87";
pub const INV_C: &str = "7ef31b20-de17-4312-8382-412f869b1510";
pub const LINE_A1: &str = "b18f39d9-7739-4246-9288-72afe939d2d5";
pub const LINE_A2: &str = "c2a5f5a1-0c7e-4e0f-9d0e-1f6c2b0e8a01";
pub const LINE_A3: &str = "d3b6e6b2-1d8f-4f1a-8e1f-2a7d3c1f9b02";
pub const LINE_B1: &str = "e4c7f7c3-2e9a-4a2b-9f2a-3b8e4d2a0c03";
pub const LINE_C1: &str = "f5d8a8d4-3fab-4b3c-8a3b-4c9f5e3b1d04";

pub fn tracking(name: &str, option: &str) -> Value {
    json!({
        "TrackingCategoryID": "e2f2f732-e92a-4f3a-9c4d-ee4da0182a13",
        "TrackingOptionID": "cd0a4b7e-0a24-4dc5-9c0e-5bd4cd5a2b3b",
        "Name": name, "Option": option
    })
}

pub fn invoice_a(updated: &str, lines: Vec<Value>) -> Value {
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

pub fn line(id: &str, description: &str, amount: f64) -> Value {
    json!({
        "LineItemID": id, "Description": description, "Quantity": 1.0, "UnitAmount": amount,
        "ItemCode": "123", "AccountCode": "200", "TaxType": "NONE", "TaxAmount": 0.0,
        "LineAmount": amount, "Tracking": [], "ValidationErrors": []
    })
}

pub fn invoice_records() -> Vec<Value> {
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

pub const JOURNAL_1: &str = "1b31feeb-aa23-404c-8c19-24c827c53661";
pub const JOURNAL_2: &str = "772e8133-7f12-4edc-ab98-aa6dceb16c9d";
pub const JLINE_1A: &str = "81e6b1bf-d812-4f87-8dc4-698558ae043e";
pub const JLINE_1B: &str = "ad221a8c-ebee-4c1b-88ed-d574e27e8803";
pub const JLINE_2A: &str = "33469836-642f-4973-a708-0e99339dff4a";

pub fn journal_records() -> Vec<Value> {
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
        // A manual journal at the epoch, no source, one line without optional fields but an
        // account id in capitals and a field no column holds.
        json!({
            "JournalID": JOURNAL_2, "JournalDate": "/Date(0+0000)/", "JournalNumber": 30,
            "CreatedDateUTC": "/Date(-1+0000)/",
            "JournalLines": [{"JournalLineID": JLINE_2A, "NetAmount": 0.0,
                              "AccountID": "B94495D0-44AB-4199-A1D0-427A4877E100",
                              "ValidationErrors": [{"Message": "none"}]}]
        }),
    ]
}
