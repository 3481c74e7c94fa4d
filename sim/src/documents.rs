//! The other transaction documents with line items: CreditNotes, BankTransactions,
//! Overpayments, Prepayments and PurchaseOrders (paged like Invoices: `page`, `pageSize`,
//! `If-Modified-Since`, `UpdatedDateUTC ASC` then id), Quotes (numbered pages of 100) and the
//! deprecated Receipts (unpaged). Records are kept as Xero's JSON, each with a real contact of
//! the organisation. `/sim/mutate` of each edits one (fresh line items), voids or deletes one
//! the way Xero allows for its status (both stay served, with their status), creates one, or —
//! credit notes, overpayments and prepayments — allocates one to an open invoice of its
//! contact (see `allocations`).
//!
//! Changes made through `/sim/mutate` post to the journal log as Xero does: an authorised bank
//! transaction, credit note, overpayment or prepayment created posts its journal, an edit
//! reverses it and posts the new one, a void or deletion reverses it. The generated history's
//! journals are not tied to the generated documents, so changing one of those posts only what
//! the change adds.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dates::{MsDate, MsDateTime};
use crate::model::Money;
use crate::mutate::Outcome;
use crate::postings::{self, new_id};
use crate::state::{Book, TenantData};
use crate::store::Keyed;

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
    /// The journal `SourceType`s of its authorised records, for (money in or sales, money out
    /// or purchases); none when the kind posts no journal.
    posts: Option<(&'static str, &'static str)>,
    /// Whether its credit can be allocated to invoices.
    pub allocates: bool,
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
        posts: Some(("ACCRECCREDIT", "ACCPAYCREDIT")),
        allocates: true,
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
        posts: Some(("CASHREC", "CASHPAID")),
        allocates: false,
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
        posts: Some(("AROVERPAYMENT", "APOVERPAYMENT")),
        allocates: true,
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
        posts: Some(("ARPREPAYMENT", "APPREPAYMENT")),
        allocates: true,
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
        posts: None,
        allocates: false,
    },
    Kind {
        endpoint: "Quotes",
        entity: "quotes",
        id_key: "QuoteID",
        number: Some(("QuoteNumber", "QU")),
        types: &[],
        statuses: &[
            "SENT", "ACCEPTED", "DRAFT", "DECLINED", "INVOICED", "DELETED",
        ],
        editable: &["DRAFT", "SENT"],
        ends: &[("DRAFT", "DELETED"), ("SENT", "DELETED")],
        posts: None,
        allocates: false,
    },
    Kind {
        endpoint: "Receipts",
        entity: "receipts",
        id_key: "ReceiptID",
        number: Some(("ReceiptNumber", "")),
        types: &[],
        statuses: &["AUTHORISED", "SUBMITTED", "DRAFT", "DECLINED", "VOIDED"],
        editable: &["DRAFT", "SUBMITTED"],
        ends: &[("DRAFT", "VOIDED"), ("SUBMITTED", "DECLINED")],
        posts: None,
        allocates: false,
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
    /// Index of the journal that currently posts it (what a void or edit reverses).
    pub posting: Option<usize>,
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
    pub sets: Vec<crate::store::Table<Doc>>,
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

/// Stamps a change: `UpdatedDateUTC` in the record and in the index move together.
pub(super) fn touch(doc: &mut Doc, ms: i64) {
    doc.updated_ms = ms;
    doc.body["UpdatedDateUTC"] = json!(MsDateTime(ms));
}

/// Whether a document is a sale or money in (revenue accounts), rather than a purchase.
pub fn is_sale(body: &Value) -> bool {
    body["Type"]
        .as_str()
        .is_none_or(|t| t.starts_with("ACCREC") || t.starts_with("RECEIVE"))
}

/// A contact of the organisation: its id and name.
pub type ContactPick = (Uuid, String);

fn build(
    book: &Book,
    rng: &mut SmallRng,
    k: &Kind,
    spec: (usize, i64, &str),
    contact: &ContactPick,
) -> Doc {
    let (n, ms, status) = spec;
    let id = new_id(rng);
    let kind = k
        .types
        .get(rng.random_range(0..k.types.len().max(1)))
        .copied();
    let mut body = json!({
        k.id_key: id,
        "Contact": {"ContactID": contact.0, "Name": contact.1},
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
        body[key] = json!(if prefix.is_empty() {
            n.to_string()
        } else {
            format!("{prefix}-{n:05}")
        });
    }
    let day = MsDate::of_instant(ms);
    match k.endpoint {
        "BankTransactions" => {
            let bank = &book.bank;
            body["BankAccount"] =
                json!({"AccountID": bank.id, "Code": bank.code, "Name": bank.name});
            body["IsReconciled"] = json!(rng.random_ratio(1, 2));
        }
        "PurchaseOrders" => body["DeliveryDate"] = json!(day.plus_days(14)),
        "Quotes" => {
            body["LineAmountTypes"] = json!("EXCLUSIVE");
            body["ExpiryDate"] = json!(day.plus_days(30));
            body["Title"] = json!("Quote");
            body["Summary"] = json!(format!("Quote {n} for {}", contact.1));
            body["Terms"] = json!("Valid for 30 days");
        }
        "Receipts" => {
            body["User"] = json!({"UserID": new_id(rng), "FirstName": "Claimant",
                                  "LastName": format!("{}", n % 7 + 1)});
        }
        _ => {
            body["RemainingCredit"] = json!(Money(0));
            body["Allocations"] = json!([]);
        }
    }
    let (items, sub, tax) = lines(rng, book, is_sale(&body));
    set_lines(&mut body, items, sub, tax);
    let mut doc = Doc {
        id,
        updated_ms: ms,
        body,
        posting: None,
    };
    touch(&mut doc, ms);
    doc
}

/// A new organisation's documents, from a stream of their own, each with one of `contacts`.
pub fn generate(
    rng: &mut SmallRng,
    book: &Book,
    contacts: &[ContactPick],
    start: i64,
    end: i64,
) -> Documents {
    let mut docs = Documents::default();
    for k in KINDS {
        let stamps = crate::generate::timeline(rng, PER_KIND, start, end, 1);
        let rows = stamps
            .into_iter()
            .enumerate()
            .map(|(i, ms)| {
                let status = k.statuses[rng.random_range(0..k.statuses.len())];
                // An organisation always has a contact (the generator makes at least one).
                let contact = &contacts[rng.random_range(0..contacts.len())];
                build(book, rng, k, (i + 1, ms, status), contact)
            })
            .collect();
        docs.sets.push(crate::store::Table::new(rows));
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
    let roll = data.rng.random_range(0..100);
    if k.allocates && roll < 20 && crate::allocations::allocate(data, i, stamp, out) {
        return true;
    }
    let set = &data.documents.sets[i];
    let n = set.len();
    let rng = &mut data.rng;
    let mut pick = |wanted: &[&str]| {
        (0..40).map(|_| rng.random_range(0..n.max(1))).find(|&j| {
            j < n && {
                let body = &set.row(j).body;
                // Documents with credit allocated keep their lines.
                wanted.iter().any(|s| body["Status"] == *s)
                    && body["Allocations"].as_array().is_none_or(Vec::is_empty)
            }
        })
    };
    let ended: Vec<&str> = k.ends.iter().map(|(from, _)| *from).collect();
    let target = match roll {
        0..45 => pick(k.editable).map(|j| (j, true)),
        45..70 => pick(&ended).map(|j| (j, false)),
        _ => None,
    };
    match target {
        Some((j, true)) => edit(data, i, j, stamp, out),
        Some((j, false)) => end(data, i, j, stamp, out),
        None => create(data, i, stamp, out),
    }
    true
}

/// New lines for document `j` of kind `i`; an authorised one's posting is reversed and posted
/// anew.
fn edit(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let sale = is_sale(&data.documents.sets[i].row(j).body);
    let (items, sub, tax) = lines(&mut data.rng, &data.book, sale);
    data.documents.sets[i].update(j, |d| {
        set_lines(&mut d.body, items, sub, tax);
        touch(d, stamp);
    });
    reverse(data, i, j, stamp, out);
    post(data, i, j, stamp, out);
    out.updated += 1;
}

/// Voids or deletes document `j` of kind `i` as its status allows, reversing its posting.
fn end(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let k = &KINDS[i];
    let mut to = "DELETED";
    data.documents.sets[i].update(j, |d| {
        let from = d.body["Status"].as_str().unwrap_or_default().to_owned();
        to = k
            .ends
            .iter()
            .find(|(f, _)| *f == from)
            .map_or("DELETED", |(_, t)| t);
        d.body["Status"] = json!(to);
        if d.body.get("RemainingCredit").is_some() {
            d.body["RemainingCredit"] = json!(Money(0));
        }
        touch(d, stamp);
    });
    reverse(data, i, j, stamp, out);
    if to == "VOIDED" {
        out.voided += 1;
    } else {
        out.deleted += 1;
    }
}

/// A new document of kind `i` for a contact of the organisation, posted when authorised.
fn create(data: &mut TenantData, i: usize, stamp: i64, out: &mut Outcome) {
    let k = &KINDS[i];
    let n = data.contacts.len();
    let head = &data.contacts.row(data.rng.random_range(0..n)).head;
    let contact = (head.contact_id, head.name.clone());
    data.documents.numbers[i] += 1;
    let number = data.documents.numbers[i];
    let doc = build(
        &data.book,
        &mut data.rng,
        k,
        (number, stamp, k.editable[0]),
        &contact,
    );
    let j = data.documents.sets[i].insert(doc);
    post(data, i, j, stamp, out);
    out.created += 1;
}

/// Posts document `j` of kind `i` if it is authorised and its kind posts journals.
fn post(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let Some((sale_kind, purchase_kind)) = KINDS[i].posts else {
        return;
    };
    let TenantData {
        documents,
        journals,
        book,
        rng,
        ..
    } = data;
    let doc = documents.sets[i].row(j);
    if doc.body["Status"] != "AUTHORISED" {
        return;
    }
    let source_type = if is_sale(&doc.body) {
        sale_kind
    } else {
        purchase_kind
    };
    let items = doc.body["LineItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let lines = postings::document_lines(rng, book, source_type, &items);
    let source = postings::Source {
        id: doc.id,
        kind: source_type,
        reference: doc.body["Reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        date: MsDate::of_instant(stamp),
    };
    let number = journals.next_number();
    let posted = journals.post(postings::journal(rng, number, stamp, source, lines));
    documents.sets[i].update(j, |d| d.posting = Some(posted));
    out.journals_posted += 1;
}

/// Reverses the journal that posts document `j` of kind `i`, if there is one.
fn reverse(data: &mut TenantData, i: usize, j: usize, stamp: i64, out: &mut Outcome) {
    let TenantData {
        documents,
        journals,
        rng,
        ..
    } = data;
    let Some(original) = documents.sets[i]
        .row(j)
        .posting
        .and_then(|p| journals.get(p))
        .cloned()
    else {
        return;
    };
    let lines = postings::reversal_lines(rng, &original.journal_lines);
    let source = postings::Source {
        id: original.source_id,
        kind: original.source_type,
        reference: original.reference.clone(),
        date: MsDate::of_instant(stamp),
    };
    let number = journals.next_number();
    journals.post(postings::journal(rng, number, stamp, source, lines));
    documents.sets[i].update(j, |d| d.posting = None);
    out.journals_posted += 1;
}
