//! `GET /TrackingCategories`: a full-refresh set without `UpdatedDateUTC`, each category with
//! its options; archived categories and options are served only with `includeArchived=true`.
//! A deleted option is simply gone.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::book::Book;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;

fn tracking_category(id: Uuid, name: &str, options: &[(Uuid, String)]) -> Record {
    let options: Vec<Value> = options
        .iter()
        .map(|(oid, o)| json!({"TrackingOptionID": oid, "Name": o, "Status": "ACTIVE"}))
        .collect();
    Record::named(
        id.to_string(),
        json!({"TrackingCategoryID": id, "Name": name, "Status": "ACTIVE", "Options": options}),
    )
}

/// The organisation's categories as its book has them (invoice lines use their options).
pub fn generate(book: &Book) -> Vec<Record> {
    book.tracking
        .iter()
        .map(|t| {
            let options: Vec<(Uuid, String)> = t
                .options
                .iter()
                .map(|(id, n)| (*id, n.0.to_string()))
                .collect();
            tracking_category(t.category_id, &t.name.0, &options)
        })
        .collect()
}

/// Tracking options are added, renamed, archived and deleted; a category is archived now and
/// then (archived ones are served only with `includeArchived=true`).
pub fn change(tracking: &mut [Record], rng: &mut SmallRng, roll: u32, out: &mut Outcome) {
    let n = tracking.len();
    if n == 0 {
        return;
    }
    let category = &mut tracking[rng.random_range(0..n)];
    if roll < 5 {
        category.body["Status"] = json!("ARCHIVED");
        out.updated += 1;
        return;
    }
    let Some(options) = category.body["Options"].as_array_mut() else {
        return;
    };
    match roll {
        5..45 => {
            let id = new_id(rng);
            options.push(
                json!({"TrackingOptionID": id, "Name": format!("Option {id}"),
                                "Status": "ACTIVE"}),
            );
            out.created += 1;
        }
        65..80 if !options.is_empty() => {
            let i = rng.random_range(0..options.len());
            options[i]["Status"] = json!("ARCHIVED");
            out.updated += 1;
        }
        _ => rename_or_delete(options, rng, roll, out),
    }
}

/// Only options no invoice line uses (those added by a change) are renamed or deleted, as
/// Xero allows.
fn rename_or_delete(options: &mut Vec<Value>, rng: &mut SmallRng, roll: u32, out: &mut Outcome) {
    let added: Vec<usize> = (0..options.len())
        .filter(|&i| {
            options[i]["Name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Option "))
        })
        .collect();
    let Some(&i) = added.get(rng.random_range(0..added.len().max(1))) else {
        return;
    };
    if roll < 65 {
        options[i]["Name"] = json!(format!("Option renamed {}", rng.random_range(0..1_000_000)));
        out.updated += 1;
    } else {
        options.remove(i);
        out.deleted += 1;
    }
}
