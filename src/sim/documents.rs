//! The other transaction documents with line items, each paged like Invoices (`page`,
//! `pageSize`, `If-Modified-Since`, `UpdatedDateUTC ASC` then id): CreditNotes,
//! BankTransactions, Overpayments, Prepayments and PurchaseOrders. Records are kept as Xero's
//! JSON. `/sim/mutate` of each edits one (fresh line items), voids or deletes one the way Xero
//! allows for its status (both stay served, with their status), or creates one.
//!
//! Not modelled: their journals (the Journals log stays the invoices' and manual journals'),
//! and allocations of credit notes, overpayments and prepayments to invoices (served empty).

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use uuid::Uuid;

use super::dates::{MsDate, MsDateTime};
use super::model::Money;
use super::mutate::Outcome;
use super::postings::new_id;
use super::state::{Book, TenantData};
use super::store::Keyed;

/// Documents of each kind an organisation starts with.
const PER_KIND: usize = 80;

/// One kind of document.
#[derive(Debug)]
pub struct Kind {
    /// The endpoint and collection key.
    pub endpoint: &'static str,
    /// The wire name of the entity (`/sim/mutate`, `/sim/digest`).
    pub entity: &'static str,
    /// The id's key.
    pub id_key: &'static str,
    /// The number's key and prefix, if the kind is numbered.
    number: Option<(&'static str, &'static str)>,
    /// `Type` values (none: the kind has no type).
    types: &'static [&'static str],
    /// Statuses generated records take, most common first.
    statuses: &'static [&'static str],
    /// Statuses whose records may be edited.
    editable: &'static [&'static str],
    /// What a status becomes when the record is deleted or voided.
    ends: &'static [(&'static str, &'static str)],
}

/// Every kind served.
pub const KINDS: &[Kind] = &[
    Kind {
        endpoint: "CreditNotes",
        entity: "credit_notes",
        id_key: "CreditNoteID",
        number: Some(("CreditNoteNumber", "CN")),
        types: &["ACCRECCREDIT", "ACCPAYCREDIT"],
        statuses: &["AUTHORISED", "PAID", "DRAFT", "VOIDED"],
        editable: &["DRAFT", "AUTHORISED"],
        ends: &[("DRAFT", "DELETED"), ("AUTHORISED", "VOIDED")],
    },
    Kind {
        endpoint: "BankTransactions",
        entity: "bank_transactions",
        id_key: "BankTransactionID",
        number: None,
        types: &["RECEIVE", "SPEND"],
        statuses: &["AUTHORISED", "AUTHORISED", "AUTHORISED", "DELETED"],
        editable: &["AUTHORISED"],
        ends: &[("AUTHORISED", "DELETED")],
    },
    Kind {
        endpoint: "Overpayments",
        entity: "overpayments",
        id_key: "OverpaymentID",
        number: None,
        types: &["RECEIVE-OVERPAYMENT", "SPEND-OVERPAYMENT"],
        statuses: &["AUTHORISED", "PAID", "VOIDED"],
        editable: &["AUTHORISED"],
        ends: &[("AUTHORISED", "VOIDED")],
    },
    Kind {
        endpoint: "Prepayments",
        entity: "prepayments",
        id_key: "PrepaymentID",
        number: None,
        types: &["RECEIVE-PREPAYMENT", "SPEND-PREPAYMENT"],
        statuses: &["AUTHORISED", "PAID", "VOIDED"],
        editable: &["AUTHORISED"],
        ends: &[("AUTHORISED", "VOIDED")],
    },
    Kind {
        endpoint: "PurchaseOrders",
        entity: "purchase_orders",
        id_key: "PurchaseOrderID",
        number: Some(("PurchaseOrderNumber", "PO")),
        types: &[],
        statuses: &["AUTHORISED", "BILLED", "DRAFT", "SUBMITTED", "DELETED"],
        editable: &["DRAFT", "SUBMITTED", "AUTHORISED"],
        ends: &[
            ("DRAFT", "DELETED"),
            ("SUBMITTED", "DELETED"),
            ("AUTHORISED", "DELETED"),
        ],
    },
];

/// A document, kept as Xero's JSON.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Its id.
    pub id: Uuid,
    /// `UpdatedDateUTC` in ms.
    pub updated_ms: i64,
    /// The record as served.
    pub body: Value,
}

impl Keyed for Doc {
    fn id(&self) -> Uuid {
        self.id
    }
    fn updated_ms(&self) -> i64 {
        self.updated_ms
    }
}

/// The documents of every kind, in [`KINDS`] order, and the last number given per kind.
#[derive(Debug, Default)]
pub struct Documents {
    /// Per kind.
    pub sets: Vec<super::store::Table<Doc>>,
    numbers: Vec<usize>,
}

/// The kind of an endpoint or entity name.
pub fn kind(name: &str) -> Option<usize> {
    KINDS
        .iter()
        .position(|k| k.endpoint == name || k.entity == name)
}

fn lines(rng: &mut SmallRng, book: &Book, sale: bool) -> (Vec<Value>, Money, Money) {
    let pool = if sale { &book.revenue } else { &book.expense };
    let tax_type = if sale { "OUTPUT2" } else { "INPUT2" };
    let mut sub = 0;
    let mut tax = 0;
    let lines = (0..rng.random_range(1..4))
        .map(|_| {
            let account = &pool[rng.random_range(0..pool.len())];
            let quantity = rng.random_range(1..5_i64);
            let unit = rng.random_range(500..40_000_i64);
            let amount = quantity * unit;
            let line_tax = amount * 15 / 100;
            sub += amount;
            tax += line_tax;
            json!({
                "LineItemID": new_id(rng), "Description": format!("{} line", account.name.0),
                "Quantity": quantity as f64, "UnitAmount": Money(unit),
                "AccountCode": account.code, "AccountID": account.id, "TaxType": tax_type,
                "TaxAmount": Money(line_tax), "LineAmount": Money(amount), "Tracking": [],
            })
        })
        .collect();
    (lines, Money(sub), Money(tax))
}

fn set_lines(body: &mut Value, lines: Vec<Value>, sub: Money, tax: Money) {
    let total = Money(sub.0 + tax.0);
    body["LineItems"] = Value::Array(lines);
    body["SubTotal"] = json!(sub);
    body["TotalTax"] = json!(tax);
    body["Total"] = json!(total);
    if body.get("RemainingCredit").is_some() {
        let paid = body["Status"] == "PAID" || body["Status"] == "VOIDED";
        body["RemainingCredit"] = json!(if paid { Money(0) } else { total });
    }
}

fn touch(doc: &mut Doc, ms: i64) {
    doc.updated_ms = ms;
    doc.body["UpdatedDateUTC"] = json!(MsDateTime(ms));
}

fn build(data_book: &Book, rng: &mut SmallRng, k: &Kind, n: usize, ms: i64, status: &str) -> Doc {
    let id = new_id(rng);
    let kind = k
        .types
        .get(rng.random_range(0..k.types.len().max(1)))
        .copied();
    let sale = kind.is_none_or(|t| t.starts_with("ACCREC") || t.starts_with("RECEIVE"));
    let contact_id = new_id(rng);
    let mut body = json!({
        k.id_key: id,
        "Contact": {"ContactID": contact_id, "Name": format!("Counterparty {n}")},
        "Date": MsDate::of_instant(ms),
        "Status": status,
        "LineAmountTypes": "Exclusive",
        "CurrencyCode": "NZD",
        "CurrencyRate": 1.0,
        "Reference": format!("Ref {n}"),
        "HasAttachments": false,
    });
    if let Some(t) = kind {
        body["Type"] = json!(t);
    }
    if let Some((key, prefix)) = k.number {
        body[key] = json!(format!("{prefix}-{n:05}"));
    }
    match k.endpoint {
        "BankTransactions" => {
            let bank = &data_book.bank;
            body["BankAccount"] =
                json!({"AccountID": bank.id, "Code": bank.code, "Name": bank.name});
            body["IsReconciled"] = json!(rng.random_ratio(1, 2));
        }
        "PurchaseOrders" => {
            body["DeliveryDate"] = json!(MsDate::of_instant(ms).plus_days(14));
        }
        _ => {
            body["RemainingCredit"] = json!(Money(0));
            body["Allocations"] = json!([]);
        }
    }
    let (items, sub, tax) = lines(rng, data_book, sale);
    set_lines(&mut body, items, sub, tax);
    let mut doc = Doc {
        id,
        updated_ms: ms,
        body,
    };
    touch(&mut doc, ms);
    doc
}

/// A new organisation's documents, from a stream of their own.
pub fn generate(rng: &mut SmallRng, book: &Book, start: i64, end: i64) -> Documents {
    let mut docs = Documents::default();
    for k in KINDS {
        let stamps = super::generate::timeline(rng, PER_KIND, start, end, 1);
        let rows = stamps
            .into_iter()
            .enumerate()
            .map(|(i, ms)| {
                let status = k.statuses[rng.random_range(0..k.statuses.len())];
                build(book, rng, k, i + 1, ms, status)
            })
            .collect();
        docs.sets.push(super::store::Table::new(rows));
        docs.numbers.push(PER_KIND);
    }
    docs
}

/// The digest's `(id, version)` of the documents of a kind, or of their lines
/// (`<entity>_line_items`: the line's id and its document's `UpdatedDateUTC`).
pub fn versions(docs: &Documents, name: &str) -> Option<Vec<(Uuid, i64)>> {
    if let Some(i) = kind(name) {
        return Some(docs.sets[i].versions());
    }
    let i = kind(name.strip_suffix("_line_items")?)?;
    Some(
        docs.sets[i]
            .rows()
            .iter()
            .flat_map(|d| {
                let lines = d.body["LineItems"].as_array().cloned().unwrap_or_default();
                lines.into_iter().filter_map(move |l| {
                    let id = Uuid::parse_str(l["LineItemID"].as_str()?).ok()?;
                    Some((id, d.updated_ms))
                })
            })
            .collect(),
    )
}

/// One change to the documents of `entity`; `false` when `entity` is no document kind.
pub fn change(data: &mut TenantData, entity: &str, stamp: i64, out: &mut Outcome) -> bool {
    let Some(i) = kind(entity) else {
        return false;
    };
    let k = &KINDS[i];
    let TenantData {
        documents,
        book,
        rng,
        ..
    } = data;
    let set = &mut documents.sets[i];
    let n = set.len();
    let roll = rng.random_range(0..100);
    let pick = |rng: &mut SmallRng, set: &super::store::Table<Doc>, wanted: &[&str]| {
        (0..40)
            .map(|_| rng.random_range(0..n.max(1)))
            .find(|&j| j < n && wanted.iter().any(|s| set.row(j).body["Status"] == *s))
    };
    let ended: Vec<&str> = k.ends.iter().map(|(from, _)| *from).collect();
    let target = match roll {
        0..45 => pick(rng, set, k.editable).map(|j| (j, true)),
        45..70 => pick(rng, set, &ended).map(|j| (j, false)),
        _ => None,
    };
    match target {
        Some((j, true)) => {
            let sale = set.row(j).body["Type"]
                .as_str()
                .is_none_or(|t| t.starts_with("ACCREC") || t.starts_with("RECEIVE"));
            let (items, sub, tax) = lines(rng, book, sale);
            set.update(j, |d| {
                set_lines(&mut d.body, items, sub, tax);
                touch(d, stamp);
            });
            out.updated += 1;
        }
        Some((j, false)) => {
            set.update(j, |d| {
                let from = d.body["Status"].as_str().unwrap_or_default().to_owned();
                let to = k
                    .ends
                    .iter()
                    .find(|(f, _)| *f == from)
                    .map_or("DELETED", |(_, t)| t);
                d.body["Status"] = json!(to);
                if d.body.get("RemainingCredit").is_some() {
                    d.body["RemainingCredit"] = json!(Money(0));
                }
                touch(d, stamp);
                if to == "VOIDED" {
                    out.voided += 1;
                } else {
                    out.deleted += 1;
                }
            });
        }
        None => {
            documents.numbers[i] += 1;
            let number = documents.numbers[i];
            let status = k.editable[0];
            let doc = build(book, rng, k, number, stamp, status);
            documents.sets[i].insert(doc);
            out.created += 1;
        }
    }
    true
}
