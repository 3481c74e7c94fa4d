//! The transaction documents other than invoices (bank transactions, credit notes, overpayments,
//! prepayments, purchase orders, quotes, receipts) share one shape: a header with the columns
//! common to Xero's documents, and line items. They are stored by columns, as journals are:
//! decoded here and sent to Postgres as typed arrays, two statements per batch
//! (`xero.store_document_headers` and `xero.store_document_lines`, in
//! `migrations/20261209000001_documents_by_columns.sql`). Each entity declares its store with
//! `store!`.
//!
//! What the tables hold is what they held when Postgres read the JSON: a header's `raw` is the
//! record as sent but its lines, and a line's `raw` what none of its columns holds (see
//! [`crate::columns`]), so `xero.<kind>_as_sent` puts a document back together as sent.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::value::RawValue;
use sqlx::postgres::PgArguments;
use uuid::Uuid;
use xero_sync::xero::dates::{from_ms, parse_ms_date};

use crate::columns::{Bind, Fields};

/// Where a kind's records sit in a batch's body and what they are keyed by.
pub struct Shape {
    /// The array of records (`CreditNotes`).
    pub collection: &'static str,
    /// The id field (`CreditNoteID`).
    pub id_field: &'static str,
    /// The number field (`CreditNoteNumber`), for the kinds that have one.
    pub number_field: Option<&'static str>,
}

/// The [`Store`](xero_sync::entity::Store) of a document kind: its table (`"credit_notes"`; the
/// lines are in `<table>_line_items`), the id column, and where its records sit ([`Shape`]).
macro_rules! store {
    ($table:literal, $id_column:literal, $shape:expr) => {{
        fn encode(
            tenant_id: uuid::Uuid,
            body: &str,
        ) -> Result<Vec<sqlx::postgres::PgArguments>, String> {
            $crate::documents::encode(&$shape, tenant_id, body)
        }
        xero_sync::entity::Store::Columns {
            statements: &[
                concat!(
                    "SELECT xero.store_document_headers('",
                    $table,
                    "', '",
                    $id_column,
                    "', $1, ",
                    "$2::uuid[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[], ",
                    "$8::text[], $9::date[], $10::numeric[], $11::numeric[], $12::numeric[], ",
                    "$13::numeric[], $14::text[], $15::numeric[], $16::uuid[], $17::boolean[], ",
                    "$18::timestamptz[], $19::jsonb[])"
                ),
                concat!(
                    "SELECT xero.store_document_lines('",
                    $table,
                    "', '",
                    $id_column,
                    "', $1, ",
                    "$2::uuid[], $3::timestamptz[], $4::uuid[], $5::uuid[], $6::integer[], ",
                    "$7::text[], $8::numeric[], $9::numeric[], $10::text[], $11::text[], ",
                    "$12::uuid[], $13::text[], $14::numeric[], $15::numeric[], $16::jsonb[], ",
                    "$17::jsonb[])"
                ),
            ],
            encode,
        }
    }};
}
pub(crate) use store;

/// One document, decoded. Numbers are kept as the decimal text sent (exact, for `numeric`).
struct Document {
    id: Uuid,
    kind: Option<String>,
    number: Option<String>,
    reference: Option<String>,
    contact_id: Option<Uuid>,
    status: Option<String>,
    line_amount_types: Option<String>,
    date: Option<NaiveDate>,
    sub_total: Option<String>,
    total_tax: Option<String>,
    total: Option<String>,
    remaining_credit: Option<String>,
    currency_code: Option<String>,
    currency_rate: Option<String>,
    bank_account_id: Option<Uuid>,
    reconciled: Option<bool>,
    updated: Option<DateTime<Utc>>,
    /// The record as sent but its lines (when they are a non-empty array).
    raw: String,
    /// `None`: sent without a `LineItems` array, so its stored lines stay as they are.
    lines: Option<Vec<Line>>,
}

/// One line item, decoded; `raw` holds what no column does.
struct Line {
    id: Option<Uuid>,
    description: Option<String>,
    quantity: Option<String>,
    unit_amount: Option<String>,
    item_code: Option<String>,
    account_code: Option<String>,
    account_id: Option<Uuid>,
    tax_type: Option<String>,
    tax_amount: Option<String>,
    line_amount: Option<String>,
    /// As sent, a JSON `null` included (the column held it so before).
    tracking: Option<String>,
    raw: String,
}

/// The arguments of the headers' and the lines' statements for a batch's body. Of a document
/// sent twice the newest (by `UpdatedDateUTC`), then the last, is kept; a record without an id
/// is skipped, as Xero never sends one.
pub fn encode(shape: &Shape, tenant_id: Uuid, body: &str) -> Result<Vec<PgArguments>, String> {
    let body: &RawValue =
        serde_json::from_str(body).map_err(|e| format!("a batch that is not JSON: {e}"))?;
    let records: Vec<&RawValue> = match Fields::parse(body)?.get(shape.collection) {
        Some(records) if records.get() != "null" => serde_json::from_str(records.get())
            .map_err(|e| format!("{} is not an array: {e}", shape.collection))?,
        _ => Vec::new(),
    };
    let mut documents: Vec<Document> = Vec::with_capacity(records.len());
    let mut at: HashMap<Uuid, usize> = HashMap::with_capacity(records.len());
    for (n, record) in records.into_iter().enumerate() {
        let Some(document) =
            decode(shape, record).map_err(|why| format!("record {} of the batch: {why}", n + 1))?
        else {
            continue;
        };
        match at.get(&document.id) {
            // `None` sorts first: a version with a time beats one without.
            Some(&i) if documents[i].updated > document.updated => {}
            Some(&i) => documents[i] = document,
            None => {
                at.insert(document.id, documents.len());
                documents.push(document);
            }
        }
    }
    Ok(vec![
        headers(tenant_id, &documents)?,
        lines(tenant_id, &documents)?,
    ])
}

/// A document from its JSON; `None` without an id.
fn decode(shape: &Shape, record: &RawValue) -> Result<Option<Document>, String> {
    let mut fields = Fields::parse(record)?;
    let id = match fields.get(shape.id_field).map(|v| v.get()) {
        None | Some("null") => return Ok(None),
        Some(_) => fields
            .uuid(shape.id_field)
            .ok_or_else(|| format!("a {} that is not a UUID", shape.id_field))?,
    };
    let lines = match fields.get("LineItems") {
        Some(lines) if lines.get().starts_with('[') => Some(decode_lines(lines)?),
        _ => None,
    };
    // An empty array stays in `raw`, so the record reads back as sent, lines or none.
    if lines.as_ref().is_some_and(|l| !l.is_empty()) {
        fields.remove("LineItems");
    }
    // The id inside an object the record names (`Contact.ContactID`).
    let nested_id = |object: &str, id: &str| Fields::parse(fields.get(object)?).ok()?.uuid(id);
    let number = |key: &str| number(fields.get(key)?);
    let ms = |key: &str| fields.text(key).as_deref().and_then(parse_ms_date);
    Ok(Some(Document {
        id,
        kind: fields.text("Type"),
        number: shape.number_field.and_then(|f| fields.text(f)),
        reference: fields.text("Reference"),
        contact_id: nested_id("Contact", "ContactID"),
        status: fields.text("Status"),
        line_amount_types: fields.text("LineAmountTypes"),
        date: ms("Date").and_then(from_ms).map(|at| at.date_naive()),
        sub_total: number("SubTotal"),
        total_tax: number("TotalTax"),
        total: number("Total"),
        remaining_credit: number("RemainingCredit"),
        currency_code: fields.text("CurrencyCode"),
        currency_rate: number("CurrencyRate"),
        bank_account_id: nested_id("BankAccount", "AccountID"),
        reconciled: fields.get("IsReconciled").and_then(boolean),
        updated: ms("UpdatedDateUTC").and_then(from_ms),
        raw: fields.to_json(),
        lines,
    }))
}

/// A JSON number's decimal text (a number sent as a string is read as one too, as Postgres
/// read it).
fn number(value: &RawValue) -> Option<String> {
    let text = value.get();
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let numeric = !text.is_empty()
        && text.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && text.parse::<f64>().is_ok_and(f64::is_finite);
    numeric.then(|| text.to_owned())
}

/// A JSON boolean, or a string saying one.
fn boolean(value: &RawValue) -> Option<bool> {
    match value.get().trim_matches('"') {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn decode_lines(lines: &RawValue) -> Result<Vec<Line>, String> {
    let lines: Vec<&RawValue> =
        serde_json::from_str(lines.get()).map_err(|e| format!("LineItems: {e}"))?;
    lines
        .into_iter()
        .map(|line| {
            let mut f = Fields::parse(line).map_err(|e| format!("a line item is {e}"))?;
            let tracking = f.get("Tracking").map(|v| v.get().to_owned());
            f.take_json("Tracking");
            Ok(Line {
                id: f.take_uuid("LineItemID"),
                description: f.take_text("Description"),
                quantity: f.take_number("Quantity"),
                unit_amount: f.take_number("UnitAmount"),
                item_code: f.take_text("ItemCode"),
                account_code: f.take_text("AccountCode"),
                account_id: f.take_uuid("AccountID"),
                tax_type: f.take_text("TaxType"),
                tax_amount: f.take_number("TaxAmount"),
                line_amount: f.take_number("LineAmount"),
                tracking,
                raw: f.to_json(),
            })
        })
        .collect()
}

fn headers(tenant_id: Uuid, documents: &[Document]) -> Result<PgArguments, String> {
    let text = |f: fn(&Document) -> &Option<String>| {
        documents
            .iter()
            .map(|d| f(d).as_deref())
            .collect::<Vec<_>>()
    };
    let id = |f: fn(&Document) -> Option<Uuid>| documents.iter().map(f).collect::<Vec<_>>();
    Ok(Bind::default()
        .push(tenant_id)?
        .push(id(|d| Some(d.id)))?
        .push(text(|d| &d.kind))?
        .push(text(|d| &d.number))?
        .push(text(|d| &d.reference))?
        .push(id(|d| d.contact_id))?
        .push(text(|d| &d.status))?
        .push(text(|d| &d.line_amount_types))?
        .push(documents.iter().map(|d| d.date).collect::<Vec<_>>())?
        .push(text(|d| &d.sub_total))?
        .push(text(|d| &d.total_tax))?
        .push(text(|d| &d.total))?
        .push(text(|d| &d.remaining_credit))?
        .push(text(|d| &d.currency_code))?
        .push(text(|d| &d.currency_rate))?
        .push(id(|d| d.bank_account_id))?
        .push(documents.iter().map(|d| d.reconciled).collect::<Vec<_>>())?
        .push(documents.iter().map(|d| d.updated).collect::<Vec<_>>())?
        .push(documents.iter().map(|d| d.raw.as_str()).collect::<Vec<_>>())?
        .done())
}

fn lines(tenant_id: Uuid, documents: &[Document]) -> Result<PgArguments, String> {
    let sent: Vec<&Document> = documents.iter().filter(|d| d.lines.is_some()).collect();
    let all: Vec<(&Document, i32, &Line)> = sent
        .iter()
        .flat_map(|d| {
            let lines = d.lines.iter().flatten().enumerate();
            lines.map(|(n, line)| (*d, i32::try_from(n + 1).unwrap_or(i32::MAX), line))
        })
        .collect();
    let text = |f: fn(&Line) -> &Option<String>| {
        all.iter()
            .map(|(_, _, l)| f(l).as_deref())
            .collect::<Vec<_>>()
    };
    Ok(Bind::default()
        .push(tenant_id)?
        .push(sent.iter().map(|d| d.id).collect::<Vec<_>>())?
        .push(sent.iter().map(|d| d.updated).collect::<Vec<_>>())?
        .push(all.iter().map(|(_, _, l)| l.id).collect::<Vec<_>>())?
        .push(all.iter().map(|(d, _, _)| d.id).collect::<Vec<_>>())?
        .push(all.iter().map(|(_, n, _)| *n).collect::<Vec<_>>())?
        .push(text(|l| &l.description))?
        .push(text(|l| &l.quantity))?
        .push(text(|l| &l.unit_amount))?
        .push(text(|l| &l.item_code))?
        .push(text(|l| &l.account_code))?
        .push(all.iter().map(|(_, _, l)| l.account_id).collect::<Vec<_>>())?
        .push(text(|l| &l.tax_type))?
        .push(text(|l| &l.tax_amount))?
        .push(text(|l| &l.line_amount))?
        .push(text(|l| &l.tracking))?
        .push(
            all.iter()
                .map(|(_, _, l)| l.raw.as_str())
                .collect::<Vec<_>>(),
        )?
        .done())
}
