//! Building documents: a new organisation's documents of every kind, each record's fields
//! (those every kind has, and those of its kind), and fresh line items with their totals.
//! Shared by the generation and by `/sim/mutate`, so both make the same kind of record.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use uuid::Uuid;

use super::doc::{Doc, Documents, is_sale, settle, touch};
use super::kinds::{KINDS, Kind};
use crate::book::Book;
use crate::dates::{MsDate, MsDateTime, UtcSecondString};
use crate::model::Money;
use crate::postings::new_id;
use crate::store::Table;
use crate::timeline::timeline;

/// Documents of each kind an organisation starts with.
const PER_KIND: usize = 80;

/// A contact of the organisation: its id and name.
pub type ContactPick = (Uuid, String);

/// Fresh line items on revenue (`sale`) or expense accounts, with GST: the lines, their
/// subtotal and their tax.
pub fn lines(rng: &mut SmallRng, book: &Book, sale: bool) -> (Vec<Value>, Money, Money) {
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

/// Fresh line items of a document of kind `k`: an overpayment's one line is on the control
/// account (receivable for money in, payable for money out) without tax, as Xero codes it, so
/// its credit sits in the control account until allocated; every other kind's lines are
/// [`lines`].
pub fn lines_of(
    rng: &mut SmallRng,
    book: &Book,
    k: &Kind,
    sale: bool,
) -> (Vec<Value>, Money, Money) {
    if k.endpoint != "Overpayments" {
        return lines(rng, book, sale);
    }
    let account = if sale {
        &book.receivable
    } else {
        &book.payable
    };
    let amount = rng.random_range(500..200_000_i64);
    let line = json!({
        "LineItemID": new_id(rng), "Description": "Overpayment",
        "Quantity": 1.0, "UnitAmount": Money(amount),
        "AccountCode": account.code, "AccountID": account.id, "TaxType": "NONE",
        "TaxAmount": Money(0), "LineAmount": Money(amount), "Tracking": [],
    });
    (vec![line], Money(amount), Money(0))
}

/// Replaces a document's lines and recomputes its totals (and the credit left, for kinds that
/// have one: the total less what is allocated).
pub fn set_lines(body: &mut Value, lines: Vec<Value>, sub: Money, tax: Money) {
    let total = Money(sub.0 + tax.0);
    body["LineItems"] = Value::Array(lines);
    body["SubTotal"] = json!(sub);
    body["TotalTax"] = json!(tax);
    body["Total"] = json!(total);
    if body.get("RemainingCredit").is_some() {
        let paid = body["Status"] == "PAID" || body["Status"] == "VOIDED";
        let allocated: i64 = body["Allocations"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| Money::of(&a["Amount"]).0)
            .sum();
        let left = Money((total.0 - allocated).max(0));
        body["RemainingCredit"] = json!(if paid { Money(0) } else { left });
    }
}

/// Document number `n` of kind `k` (`spec`: number, `UpdatedDateUTC`, status) for `contact`,
/// with fresh lines.
pub fn build(
    book: &Book,
    rng: &mut SmallRng,
    k: &Kind,
    spec: (usize, i64, &str),
    contact: &ContactPick,
) -> Doc {
    let (n, ms, _) = spec;
    let id = new_id(rng);
    let kind = k
        .types
        .get(rng.random_range(0..k.types.len().max(1)))
        .copied();
    let mut body = common_fields(k, id, kind, spec, contact);
    kind_fields(&mut body, book, rng, k, (n, ms), contact);
    if k.endpoint == "Overpayments" {
        body["LineAmountTypes"] = json!("NoTax");
    }
    let (items, sub, tax) = lines_of(rng, book, k, is_sale(&body));
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

/// The fields every kind has: id, contact, date, status, amounts' basis, reference; the type
/// and number for kinds that have them.
fn common_fields(
    k: &Kind,
    id: Uuid,
    kind: Option<&str>,
    (n, ms, status): (usize, i64, &str),
    contact: &ContactPick,
) -> Value {
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
    body
}

/// The fields of one kind: a bank transaction's account, a purchase order's delivery date, a
/// quote's terms, a receipt's user; credit for the kinds whose credit can be allocated.
fn kind_fields(
    body: &mut Value,
    book: &Book,
    rng: &mut SmallRng,
    k: &Kind,
    (n, ms): (usize, i64),
    contact: &ContactPick,
) {
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
        _ => credit_fields(body, book, k, ms),
    }
}

/// The fields of the kinds whose credit can be allocated: the credit left and its allocations,
/// the refunds (none: only allocations settle credit here), the second-precision update stamp;
/// a sale's branding theme, and a credit note's sent flag and errors. A PAID one is settled on
/// the day of its last change.
fn credit_fields(body: &mut Value, book: &Book, k: &Kind, ms: i64) {
    body["RemainingCredit"] = json!(Money(0));
    body["Allocations"] = json!([]);
    body["Payments"] = json!([]);
    body["UpdatedDateUTCString"] = json!(UtcSecondString(MsDateTime(ms)));
    let sale = is_sale(body);
    if let Some(theme) = book.branding_theme.filter(|_| sale) {
        body["BrandingThemeID"] = json!(theme);
    }
    if k.dates_paid {
        body["SentToContact"] = json!(sale && body["Status"] != "DRAFT");
        body["HasErrors"] = json!(false);
    }
    if body["Status"] == "PAID" {
        settle(body, k, MsDate::of_instant(ms));
    }
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
        let stamps = timeline(rng, PER_KIND, start, end, 1);
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
        docs.sets.push(Table::new(rows));
        docs.numbers.push(PER_KIND);
    }
    docs
}
