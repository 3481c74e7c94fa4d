//! In-memory tables indexed the way Xero reads them: in the default order
//! `UpdatedDateUTC ASC, <ID> ASC`, so `If-Modified-Since` plus a page is a binary search and a
//! slice, never a scan.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::contact::Contact;
use crate::dates::floor_to_second;
use crate::model::{Account, Invoice, Journal};

/// A record with a Xero id and an `UpdatedDateUTC`.
pub trait Keyed {
    /// The record's Xero id.
    fn id(&self) -> Uuid;
    /// `UpdatedDateUTC` in epoch milliseconds (the digest's version).
    fn updated_ms(&self) -> i64;
}

impl Keyed for Account {
    fn id(&self) -> Uuid {
        self.account_id
    }
    fn updated_ms(&self) -> i64 {
        self.updated.0
    }
}

impl Keyed for Contact {
    fn id(&self) -> Uuid {
        self.head.contact_id
    }
    fn updated_ms(&self) -> i64 {
        self.head.updated.0
    }
}

impl Keyed for Invoice {
    fn id(&self) -> Uuid {
        self.head.invoice_id
    }
    fn updated_ms(&self) -> i64 {
        self.head.updated.0
    }
}

/// One entry of the ordered index: `(UpdatedDateUTC ms, id, row)`.
pub type OrderKey = (i64, Uuid, usize);

/// Rows plus the default-order index.
#[derive(Debug, Default)]
pub struct Table<T> {
    rows: Vec<T>,
    order: Vec<OrderKey>,
}

impl<T: Keyed> Table<T> {
    /// Builds the indexes over `rows`.
    pub fn new(rows: Vec<T>) -> Self {
        let mut order: Vec<OrderKey> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.updated_ms(), r.id(), i))
            .collect();
        order.sort_unstable();
        Self { rows, order }
    }

    /// All rows in creation order.
    pub fn rows(&self) -> &[T] {
        &self.rows
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// A row by position.
    pub fn row(&self, i: usize) -> &T {
        &self.rows[i]
    }

    /// The default-order index restricted to `If-Modified-Since`: records whose
    /// `floor_to_second(UpdatedDateUTC) >= floor_to_second(ims)` (inclusive at second precision).
    pub fn since(&self, ims_ms: Option<i64>) -> &[OrderKey] {
        match ims_ms {
            None => &self.order,
            Some(ims) => {
                let bound = floor_to_second(ims);
                let start = self.order.partition_point(|&(t, _, _)| t < bound);
                &self.order[start..]
            }
        }
    }

    /// Changes row `i` through `edit`, keeping the order index right when the edit moves its
    /// `UpdatedDateUTC`.
    pub fn update(&mut self, i: usize, edit: impl FnOnce(&mut T)) {
        let row = &mut self.rows[i];
        let old = (row.updated_ms(), row.id(), i);
        edit(row);
        let new = (row.updated_ms(), row.id(), i);
        if old != new {
            if let Ok(pos) = self.order.binary_search(&old) {
                self.order.remove(pos);
            }
            let pos = self.order.partition_point(|k| *k < new);
            self.order.insert(pos, new);
        }
    }

    /// Appends a new row.
    pub fn insert(&mut self, row: T) -> usize {
        let i = self.rows.len();
        let key = (row.updated_ms(), row.id(), i);
        self.rows.push(row);
        let pos = self.order.partition_point(|k| *k < key);
        self.order.insert(pos, key);
        i
    }

    /// `{"count", "digest"}` material: every row as `(id, UpdatedDateUTC ms)`.
    pub fn versions(&self) -> Vec<(Uuid, i64)> {
        self.rows.iter().map(|r| (r.id(), r.updated_ms())).collect()
    }
}

/// The digest of the issue: SHA-256 over `"{id}|{version}\n"` sorted by id (lower-case uuid).
pub fn digest(mut versions: Vec<(String, i64)>) -> (usize, String) {
    // Ids are compared as bytes, as the sync's digest query orders them (`COLLATE "C"`); a
    // uuid's lower-case hyphenated text sorts as the uuid does.
    versions.sort_unstable();
    let mut hasher = Sha256::new();
    for (id, version) in &versions {
        hasher.update(id.as_bytes());
        hasher.update(format!("|{version}\n").as_bytes());
    }
    (versions.len(), hex::encode(hasher.finalize()))
}

/// The journal log: append-only, `JournalNumber` ascending with the index (`index + 1` unless
/// drift made a journal vanish), `CreatedDateUTC` non-decreasing.
#[derive(Debug, Default)]
pub struct JournalLog {
    journals: Vec<Journal>,
}

impl JournalLog {
    /// Wraps journals already numbered 1..=n in order.
    pub fn new(journals: Vec<Journal>) -> Self {
        Self { journals }
    }

    /// All journals, by number.
    pub fn all(&self) -> &[Journal] {
        &self.journals
    }

    /// A journal by index.
    pub fn get(&self, i: usize) -> Option<&Journal> {
        self.journals.get(i)
    }

    /// The next `JournalNumber`.
    pub fn next_number(&self) -> u64 {
        self.journals.last().map_or(1, |j| j.journal_number + 1)
    }

    /// Appends a journal, returning its index.
    pub fn post(&mut self, journal: Journal) -> usize {
        self.journals.push(journal);
        self.journals.len() - 1
    }

    /// Drift, as Xero sometimes shows it: the amounts of the first journal with exactly two
    /// lines, both on balance sheet accounts other than `spared` (the control accounts, whose
    /// balances documents account for: the owner's funds paid into the bank), grow by `cents`
    /// each (the debit more debit, the credit more credit, so it still balances) with no new
    /// journal, number or date — an offset walk that read it already never sees the change.
    /// Returns the journal and its two accounts.
    pub fn drift(&mut self, cents: i64, spared: &[Uuid]) -> Option<(Uuid, [Uuid; 2])> {
        let i = self.drifting(spared)?;
        let journal = &mut self.journals[i];
        for line in &mut journal.journal_lines {
            let grow = cents * line.net_amount.0.signum();
            line.net_amount.0 += grow;
            line.gross_amount.0 += grow;
        }
        let accounts = [
            journal.journal_lines[0].account_id,
            journal.journal_lines[1].account_id,
        ];
        Some((journal.journal_id, accounts))
    }

    /// Drift of another kind: the journal [`JournalLog::drift`] would change vanishes without
    /// a trace (no reversal; its number is skipped from then on). Returns its index (the caller
    /// re-points what referred to later indexes), id and two accounts.
    pub fn vanish(&mut self, spared: &[Uuid]) -> Option<(usize, Uuid, [Uuid; 2])> {
        let i = self.drifting(spared)?;
        let journal = self.journals.remove(i);
        let lines = &journal.journal_lines;
        Some((
            i,
            journal.journal_id,
            [lines[0].account_id, lines[1].account_id],
        ))
    }

    /// The first journal with exactly two lines, both on balance sheet accounts other than
    /// `spared`.
    fn drifting(&self, spared: &[Uuid]) -> Option<usize> {
        const BALANCE_SHEET: [&str; 5] = ["BANK", "CURRENT", "CURRLIAB", "FIXED", "EQUITY"];
        self.journals.iter().position(|j| {
            j.journal_lines.len() == 2
                && j.journal_lines.iter().all(|l| {
                    l.net_amount.0 != 0
                        && BALANCE_SHEET.contains(&l.account_type)
                        && !spared.contains(&l.account_id)
                })
        })
    }

    /// Xero's `GET /Journals?offset=N`: up to `limit` journals with `JournalNumber > offset`,
    /// ascending, and (if given) created on or after the second of `ims_ms`.
    pub fn after(&self, offset: u64, ims_ms: Option<i64>, limit: usize) -> &[Journal] {
        let by_offset = self
            .journals
            .partition_point(|j| j.journal_number <= offset);
        let by_ims = ims_ms.map_or(0, |ims| {
            let bound = floor_to_second(ims);
            self.journals.partition_point(|j| j.created.0 < bound)
        });
        let start = by_offset.max(by_ims);
        let end = (start + limit).min(self.journals.len());
        &self.journals[start..end]
    }
}
