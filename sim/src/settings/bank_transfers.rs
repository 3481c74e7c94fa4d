//! `GET /BankTransfers`: money moved from the bank account to another. They have no
//! `UpdatedDateUTC`: `If-Modified-Since` filters on `CreatedDateUTC` (kept as the record's
//! `updated_ms`), which a deletion does not move; deleted ones are served only with
//! `includeDeleted=true`.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use crate::book::Book;
use crate::dates::{MsDate, MsDateTime};
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;
use crate::timeline::moment;

/// Transfers a new organisation has.
const TRANSFERS: usize = 12;

fn bank_transfer(rng: &mut SmallRng, book: &Book, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let amount = f64::from(rng.random_range(1_000..900_000_u32)) / 100.0;
    let other = &book.revenue[rng.random_range(0..book.revenue.len())];
    Record {
        key: id.to_string(),
        updated_ms: Some(ms),
        body: json!({
            "BankTransferID": id, "Amount": amount, "Date": MsDate::of_instant(ms),
            "CurrencyRate": 1.0, "Reference": format!("Transfer {n}"), "HasAttachments": false,
            "FromBankAccount": {"AccountID": book.bank.id, "Code": book.bank.code,
                                "Name": book.bank.name},
            "ToBankAccount": {"AccountID": other.id, "Code": other.code, "Name": other.name},
            "FromBankTransactionID": new_id(rng), "ToBankTransactionID": new_id(rng),
            "FromIsReconciled": false, "ToIsReconciled": false,
            "CreatedDateUTC": MsDateTime(ms), "Status": "AUTHORISED",
        }),
    }
}

/// A new organisation's transfers.
pub fn generate(rng: &mut SmallRng, book: &Book, start: i64, end: i64) -> Vec<Record> {
    (0..TRANSFERS)
        .map(|n| {
            let ms = moment(rng, start, end);
            bank_transfer(rng, book, n, ms)
        })
        .collect()
}

/// A transfer made, or one deleted.
pub fn change(
    transfers: &mut Vec<Record>,
    book: &Book,
    rng: &mut SmallRng,
    roll: u32,
    stamp: i64,
    out: &mut Outcome,
) {
    let live: Vec<usize> = (0..transfers.len())
        .filter(|&i| transfers[i].body["Status"] == "AUTHORISED")
        .collect();
    if live.is_empty() || roll < 50 {
        let n = transfers.len();
        transfers.push(bank_transfer(rng, book, n, stamp));
        out.created += 1;
    } else {
        // Deleted in Xero: served with includeDeleted=true, CreatedDateUTC unchanged.
        let i = live[rng.random_range(0..live.len())];
        transfers[i].body["Status"] = json!("DELETED");
        out.deleted += 1;
    }
}
