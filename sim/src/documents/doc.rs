//! A document as stored: Xero's JSON with its id, `UpdatedDateUTC` and the journal posting it;
//! the documents of every kind; and their digest versions.

use serde_json::{Value, json};
use uuid::Uuid;

use super::kinds::{Kind, kind};
use crate::dates::{MsDate, MsDateTime, UtcSecondString};
use crate::store::{Keyed, Table};

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

/// The documents of every kind, in [`KINDS`](super::kinds::KINDS) order, and the last number
/// given per kind.
#[derive(Debug, Default)]
pub struct Documents {
    /// Per kind.
    pub sets: Vec<Table<Doc>>,
    /// The last number given, per kind.
    pub numbers: Vec<usize>,
}

/// Stamps a change: `UpdatedDateUTC` in the record and in the index move together, and so does
/// `UpdatedDateUTCString` on the kinds that have it.
pub fn touch(doc: &mut Doc, ms: i64) {
    doc.updated_ms = ms;
    doc.body["UpdatedDateUTC"] = json!(MsDateTime(ms));
    if doc.body.get("UpdatedDateUTCString").is_some() {
        doc.body["UpdatedDateUTCString"] = json!(UtcSecondString(MsDateTime(ms)));
    }
}

/// Settles a document on `day`: PAID, and dated when its kind dates paid ones.
pub fn settle(body: &mut Value, kind: &Kind, day: MsDate) {
    body["Status"] = json!("PAID");
    if kind.dates_paid {
        body["FullyPaidOnDate"] = json!(day);
    }
}

/// Whether a document is a sale or money in (revenue accounts), rather than a purchase.
pub fn is_sale(body: &Value) -> bool {
    body["Type"]
        .as_str()
        .is_none_or(|t| t.starts_with("ACCREC") || t.starts_with("RECEIVE"))
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
