//! `GET /RepeatingInvoices`: the templates of recurring sales, without `UpdatedDateUTC` (the
//! digest versions them by content). A removed one is simply gone.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use crate::book::Book;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;

/// Repeating invoices a new organisation has.
const TEMPLATES: usize = 5;

fn repeating_invoice(rng: &mut SmallRng, book: &Book, n: usize) -> Record {
    let id = new_id(rng);
    let account = &book.revenue[rng.random_range(0..book.revenue.len())];
    let amount = f64::from(rng.random_range(1_000..90_000_u32)) / 100.0;
    let tax = (amount * 0.15 * 100.0).round() / 100.0;
    Record {
        key: id.to_string(),
        updated_ms: None,
        body: json!({
            "RepeatingInvoiceID": id, "ID": id, "Type": "ACCREC",
            "Contact": {"ContactID": new_id(rng), "Name": format!("Subscriber {n}")},
            "Schedule": {"Period": 1, "Unit": "MONTHLY", "DueDate": 20,
                         "DueDateType": "OFFOLLOWINGMONTH"},
            "LineItems": [{"LineItemID": new_id(rng), "Description": "Monthly subscription",
                           "Quantity": 1.0, "UnitAmount": amount, "AccountCode": account.code,
                           "TaxType": "OUTPUT2", "TaxAmount": tax, "LineAmount": amount}],
            "LineAmountTypes": "Exclusive", "Reference": format!("Subscription {n}"),
            "CurrencyCode": "NZD", "Status": "AUTHORISED", "SubTotal": amount, "TotalTax": tax,
            "Total": amount + tax, "HasAttachments": false,
        }),
    }
}

/// A new organisation's repeating invoices.
pub fn generate(rng: &mut SmallRng, book: &Book) -> Vec<Record> {
    (0..TEMPLATES)
        .map(|n| repeating_invoice(rng, book, n))
        .collect()
}

/// A template renamed, removed or created.
pub fn change(
    templates: &mut Vec<Record>,
    book: &Book,
    rng: &mut SmallRng,
    roll: u32,
    stamp: i64,
    out: &mut Outcome,
) {
    let n = templates.len();
    match roll {
        0..40 if n > 0 => {
            let r = &mut templates[rng.random_range(0..n)];
            r.body["Reference"] = json!(format!("Subscription renamed {stamp}"));
            out.updated += 1;
        }
        40..60 if n > 0 => {
            templates.remove(rng.random_range(0..n));
            out.deleted += 1;
        }
        _ => {
            templates.push(repeating_invoice(rng, book, n + 100));
            out.created += 1;
        }
    }
}
