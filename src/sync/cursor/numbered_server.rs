//! A server of numbered pages for the checked walk's property tests: records in Xero's default
//! order, `If-Modified-Since` inclusive at second precision, edited, deleted and created between
//! any two calls.

use std::collections::HashSet;

use super::fixtures::OVERLAP;
use super::kinds::{Cursor, Step};
use crate::xero::Page;

/// Records per page of the tests' numbered endpoint.
pub const SIZE: u32 = 100;

/// A server of numbered pages over records `(UpdatedDateUTC ms, id)`, in Xero's default
/// order, `If-Modified-Since` inclusive at second precision.
pub struct Server {
    pub records: Vec<(i64, String)>,
    pub clock: i64,
    pub created: usize,
}

impl Server {
    pub fn new(records: Vec<(i64, String)>, clock: i64) -> Server {
        let mut server = Server {
            records,
            clock,
            created: 0,
        };
        server.records.sort();
        server
    }

    pub fn answer(&self, cursor: &Cursor) -> Page {
        let ask = cursor.ask();
        assert!(
            ask.query.iter().all(|(k, _)| *k == "page"),
            "numbered pages send `page` alone: {:?}",
            ask.query
        );
        let page: usize = ask.query[0].1.parse().expect("a number");
        let from = ask.modified_since.map(|t| t.timestamp() * 1000);
        let matching: Vec<&(i64, String)> = self
            .records
            .iter()
            .filter(|(ms, _)| from.is_none_or(|f| ms.div_euclid(1000) * 1000 >= f))
            .collect();
        let size = SIZE as usize;
        let served: Vec<&(i64, String)> = matching
            .into_iter()
            .skip((page - 1) * size)
            .take(size)
            .collect();
        Page {
            records: served.len(),
            ids: served.iter().map(|(_, id)| id.clone()).collect(),
            max_updated_ms: served.iter().map(|(ms, _)| *ms).max(),
            ..Page::default()
        }
    }

    /// An edit: the record moves to the end with a fresh stamp.
    pub fn edit(&mut self, i: usize) {
        self.clock += 7;
        let (_, id) = self.records.remove(i);
        self.records.push((self.clock, id));
    }

    /// A record removed outright.
    pub fn delete(&mut self, i: usize) {
        self.records.remove(i);
    }

    /// A new record, stamped now.
    pub fn create(&mut self) {
        self.clock += 7;
        self.created += 1;
        self.records
            .push((self.clock, format!("new{}", self.created)));
    }
}

/// Walks from `cursor` to the end against `server`, letting `churn` change it before every
/// call; the ids met, and the calls made.
pub fn walk(
    server: &mut Server,
    mut cursor: Cursor,
    mut churn: impl FnMut(&mut Server),
) -> (HashSet<String>, usize) {
    let mut seen = HashSet::new();
    for calls in 1..10_000 {
        churn(server);
        let page = server.answer(&cursor);
        seen.extend(page.ids.iter().cloned());
        match cursor.advance(&page, OVERLAP).expect("never stuck") {
            Step::Next(next) => cursor = next,
            Step::Done => return (seen, calls),
        }
    }
    panic!("the walk never ended")
}

/// `n` records within one second (`second_ms` on), ids `r00000…`.
pub fn dense(n: usize, second_ms: i64) -> Vec<(i64, String)> {
    (0..n)
        .map(|i| (second_ms + (i as i64 % 1000), format!("r{i:05}")))
        .collect()
}
