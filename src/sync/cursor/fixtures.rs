//! What the cursor tests share: pages built by hand, and times in milliseconds.

use chrono::{DateTime, TimeDelta, Utc};

use super::kinds::Cursor;
use crate::entity::Paging;
use crate::xero::Page;
use crate::xero::dates::from_ms;

/// The overlap the tests run with.
pub const OVERLAP: TimeDelta = TimeDelta::seconds(1);

/// A page of `records` records with ids `id0…`.
pub fn page(records: usize, max_updated_ms: Option<i64>, max_number: Option<i64>) -> Page {
    Page {
        records,
        ids: (0..records).map(|i| format!("id{i}")).collect(),
        max_updated_ms,
        max_number,
        ..Page::default()
    }
}

/// A page of the records `id{n}` for `n` in `ids`.
pub fn with_ids(ids: std::ops::Range<usize>, max_updated_ms: i64) -> Page {
    Page {
        records: ids.len(),
        ids: ids.map(|i| format!("id{i}")).collect(),
        max_updated_ms: Some(max_updated_ms),
        ..Page::default()
    }
}

/// The time `ms` milliseconds after the epoch.
pub fn at(ms: i64) -> DateTime<Utc> {
    from_ms(ms).expect("valid")
}

/// Keyset paging.
pub fn keyset() -> Paging {
    Paging::Keyset
}

/// `(page, pageSize)` of the cursor's next call.
pub fn query(c: &Cursor) -> (u64, u64) {
    let q = c.ask().query;
    let get = |k: &str| {
        q.iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.parse::<u64>().expect("number"))
            .expect("present")
    };
    (get("page"), get("pageSize"))
}
