//! `GET /BatchPayments`: payments of several invoices in one bank line, with
//! `UpdatedDateUTC`. A deleted one stays served with `Status: DELETED`.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use crate::book::Book;
use crate::dates::MsDate;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;
use crate::timeline::moment;

/// Batch payments a new organisation has.
const BATCHES: usize = 6;

fn batch_payment(rng: &mut SmallRng, book: &Book, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let amount = f64::from(rng.random_range(1_000..900_000_u32)) / 100.0;
    Record::stamped(
        id.to_string(),
        ms,
        json!({
            "BatchPaymentID": id, "Type": if n.is_multiple_of(2) { "RECBATCH" } else { "PAYBATCH" },
            "Status": "AUTHORISED", "Date": MsDate::of_instant(ms),
            "Reference": format!("Batch {n}"), "TotalAmount": amount, "IsReconciled": false,
            "Account": {"AccountID": book.bank.id, "Code": book.bank.code},
            "Payments": [],
        }),
    )
}

/// A new organisation's batch payments.
pub fn generate(rng: &mut SmallRng, book: &Book, start: i64, end: i64) -> Vec<Record> {
    (0..BATCHES)
        .map(|n| {
            let ms = moment(rng, start, end);
            batch_payment(rng, book, n, ms)
        })
        .collect()
}

/// A batch payment made, or one deleted.
pub fn change(
    batches: &mut Vec<Record>,
    book: &Book,
    rng: &mut SmallRng,
    roll: u32,
    stamp: i64,
    out: &mut Outcome,
) {
    // A batch that paid invoices stays: deleting it would delete its payments.
    let live: Vec<usize> = (0..batches.len())
        .filter(|&i| {
            let body = &batches[i].body;
            body["Status"] == "AUTHORISED" && body["Payments"].as_array().is_none_or(Vec::is_empty)
        })
        .collect();
    if live.is_empty() || roll < 50 {
        let n = batches.len();
        batches.push(batch_payment(rng, book, n, stamp));
        out.created += 1;
    } else {
        let r = &mut batches[live[rng.random_range(0..live.len())]];
        r.body["Status"] = json!("DELETED");
        r.touch(stamp);
        out.deleted += 1;
    }
}
