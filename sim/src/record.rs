//! Records kept as Xero's JSON (the settings sets, linked transactions, expense claims): the
//! body as served, its digest id, its `UpdatedDateUTC` when the set has one; and how such sets
//! are filtered by `If-Modified-Since` and versioned for the digest.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::dates::{MsDateTime, floor_to_second};

/// One record of a set: its digest id, its `UpdatedDateUTC` (when the set has one), its JSON.
#[derive(Debug, Clone)]
pub struct Record {
    /// The digest id: the lower-case Xero id, or code for sets keyed by code.
    pub key: String,
    /// `UpdatedDateUTC` in ms, for the sets that have one.
    pub updated_ms: Option<i64>,
    /// The record as served.
    pub body: Value,
}

impl Record {
    /// A record with an `UpdatedDateUTC` of `ms`, written into its body too.
    pub fn stamped(key: String, ms: i64, mut body: Value) -> Record {
        body["UpdatedDateUTC"] = json!(MsDateTime(ms));
        Record {
            key,
            updated_ms: Some(ms),
            body,
        }
    }

    /// A record of a set without `UpdatedDateUTC` (its digest version is its content).
    pub fn named(key: String, body: Value) -> Record {
        Record {
            key,
            updated_ms: None,
            body,
        }
    }

    /// Stamps a change: `UpdatedDateUTC` in the body and the record's version move together.
    pub fn touch(&mut self, ms: i64) {
        self.body["UpdatedDateUTC"] = json!(MsDateTime(ms));
        self.updated_ms = Some(ms);
    }
}

/// The digest's `(id, version)` of records versioned by `UpdatedDateUTC`.
pub fn timed_versions(set: &[Record]) -> Vec<(String, i64)> {
    set.iter()
        .map(|r| (r.key.clone(), r.updated_ms.unwrap_or_default()))
        .collect()
}

/// The records of `set` that `If-Modified-Since` (at second precision) lets through; records
/// without an `UpdatedDateUTC` always pass, as Xero's endpoints without one ignore it.
pub fn since(set: &[Record], ims_ms: Option<i64>) -> Vec<&Value> {
    let from = ims_ms.map(floor_to_second);
    set.iter()
        .filter(|r| match (from, r.updated_ms) {
            (Some(from), Some(ms)) => floor_to_second(ms) >= from,
            _ => true,
        })
        .map(|r| &r.body)
        .collect()
}

/// The version the digest gives a record without `UpdatedDateUTC`: 60 bits of SHA-256 over its
/// name and status (what such a record's change changes); the sync computes the same.
pub fn content_version(name: &str, status: &str) -> i64 {
    let hash = Sha256::digest(format!("{name}|{status}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    (u64::from_be_bytes(first) >> 4) as i64
}

/// A record's name and status, what [`content_version`] hashes.
pub fn name_status(r: &Record) -> (String, String) {
    let text = |k: &str| r.body[k].as_str().unwrap_or_default().to_owned();
    let name = ["Name", "Description", "Reference"]
        .iter()
        .find(|k| r.body.get(**k).is_some())
        .map(|k| text(k))
        .unwrap_or_default();
    (name, text("Status"))
}
