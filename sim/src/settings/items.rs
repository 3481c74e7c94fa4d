//! `GET /Items`: served with `If-Modified-Since` and `UpdatedDateUTC`. An item can be deleted
//! outright, which no incremental read can see.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::json;

use crate::book::Book;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;
use crate::timeline::moment;

/// Items a new organisation has.
const ITEMS: usize = 25;

/// Item number `n`, sold on a revenue account and bought on an expense account.
fn item(rng: &mut SmallRng, book: &Book, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let sales = &book.revenue[rng.random_range(0..book.revenue.len())];
    let purchases = &book.expense[rng.random_range(0..book.expense.len())];
    let price = f64::from(rng.random_range(100..50_000_u32)) / 100.0;
    Record::stamped(
        id.to_string(),
        ms,
        json!({
            "ItemID": id, "Code": format!("ITEM-{n:04}"), "Name": format!("Item {n}"),
            "Description": format!("Item {n} for sale"), "PurchaseDescription": format!("Item {n}"),
            "IsSold": true, "IsPurchased": true, "IsTrackedAsInventory": false,
            "SalesDetails": {"UnitPrice": price, "AccountCode": sales.code, "TaxType": "OUTPUT2"},
            "PurchaseDetails": {"UnitPrice": price / 2.0, "AccountCode": purchases.code,
                                "TaxType": "INPUT2"},
        }),
    )
}

/// A new organisation's items, in `UpdatedDateUTC` order.
pub fn generate(rng: &mut SmallRng, book: &Book, start: i64, end: i64) -> Vec<Record> {
    let mut items: Vec<Record> = (1..=ITEMS)
        .map(|n| {
            let ms = moment(rng, start, end);
            item(rng, book, n, ms)
        })
        .collect();
    items.sort_by_key(|r| r.updated_ms);
    items
}

/// An item edited, deleted outright or created (numbered on from `next_item`).
pub fn change(
    items: &mut Vec<Record>,
    next_item: &mut usize,
    book: &Book,
    rng: &mut SmallRng,
    roll: u32,
    stamp: i64,
    out: &mut Outcome,
) {
    let n = items.len();
    if n == 0 || roll >= 70 {
        *next_item += 1;
        items.push(item(rng, book, *next_item, stamp));
        out.created += 1;
    } else if roll < 50 {
        let r = &mut items[rng.random_range(0..n)];
        r.body["Description"] = json!(format!("Edited at {stamp}"));
        r.touch(stamp);
        out.updated += 1;
    } else {
        items.remove(rng.random_range(0..n));
        out.deleted += 1;
    }
}
