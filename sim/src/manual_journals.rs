//! Manual journals (`GET /ManualJournals`): paged like Invoices (`UpdatedDateUTC ASC`, then id,
//! `If-Modified-Since`), each with its journal lines (which have no id of their own). Drafts,
//! posted, voided and deleted ones are all served. `/sim/mutate` of `manual_journals` creates
//! (drafts and posted ones: a posted one posts its journal), edits a draft, posts a draft, voids
//! a posted one (posting the reversal) or deletes a draft — the Journals log stays the ledger.

use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::book::Book;
use crate::dates::{MsDate, MsDateTime};
use crate::model::{AccountInfo, Money, Shared};
use crate::outcome::Outcome;
use crate::postings::{self, Source, new_id};
use crate::store::{JournalLog, Keyed, Table};
use crate::timeline::timeline;

/// A line of a manual journal.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManualJournalLine {
    pub line_amount: Money,
    pub account_code: Shared,
    #[serde(rename = "AccountID")]
    pub account_id: Uuid,
    pub description: String,
    pub tax_type: &'static str,
    pub tax_amount: Money,
    pub is_blank: bool,
}

/// A manual journal.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManualJournal {
    #[serde(rename = "ManualJournalID")]
    pub manual_journal_id: Uuid,
    pub narration: String,
    pub date: MsDate,
    pub line_amount_types: &'static str,
    pub status: &'static str,
    pub show_on_cash_basis_reports: bool,
    pub has_attachments: bool,
    #[serde(rename = "UpdatedDateUTC")]
    pub updated: MsDateTime,
    pub journal_lines: Vec<ManualJournalLine>,
    /// The journal posting it, while posted (what a void reverses).
    #[serde(skip)]
    pub posting: Option<usize>,
}

impl Keyed for ManualJournal {
    fn id(&self) -> Uuid {
        self.manual_journal_id
    }
    fn updated_ms(&self) -> i64 {
        self.updated.0
    }
}

/// The key of a line, which Xero gives none: the first 16 bytes of
/// SHA-256(`"{manual journal id}/{line number}"`) as a uuid (the sync derives the same).
pub fn line_key(manual_journal_id: Uuid, line_number: usize) -> Uuid {
    let hash = Sha256::digest(format!("{manual_journal_id}/{line_number}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    Uuid::from_bytes(bytes)
}

const NARRATIONS: &[&str] = &[
    "Depreciation for the month",
    "Accrued wages",
    "Prepaid insurance released",
    "Reclassify miscoded expense",
    "Year-end adjustment",
    "Opening balances",
];

fn lines(rng: &mut SmallRng, book: &Book) -> Vec<ManualJournalLine> {
    let amount = Money(rng.random_range(1_000..500_000));
    let debit = &book.expense[rng.random_range(0..book.expense.len())];
    let credit = &book.bank;
    let line = |account: &AccountInfo, amount: Money| ManualJournalLine {
        line_amount: amount,
        account_code: account.code.clone(),
        account_id: account.id,
        description: String::new(),
        tax_type: "NONE",
        tax_amount: Money(0),
        is_blank: false,
    };
    vec![line(debit, amount), line(credit, -amount)]
}

/// A manual journal stamped `updated_ms`, dated that day.
pub fn build(
    rng: &mut SmallRng,
    book: &Book,
    updated_ms: i64,
    status: &'static str,
) -> ManualJournal {
    ManualJournal {
        manual_journal_id: new_id(rng),
        narration: NARRATIONS[rng.random_range(0..NARRATIONS.len())].to_owned(),
        date: MsDate::of_instant(updated_ms),
        line_amount_types: "NoTax",
        status,
        show_on_cash_basis_reports: true,
        has_attachments: false,
        updated: MsDateTime(updated_ms),
        journal_lines: lines(rng, book),
        posting: None,
    }
}

/// `n` manual journals over the history: mostly posted, some drafts, a few voided.
pub fn generate(
    rng: &mut SmallRng,
    book: &Book,
    n: usize,
    start: i64,
    end: i64,
) -> Vec<ManualJournal> {
    let stamps = timeline(rng, n, start, end, 1);
    stamps
        .into_iter()
        .map(|ms| {
            let status = match rng.random_range(0..10) {
                0..2 => "DRAFT",
                2 => "VOIDED",
                _ => "POSTED",
            };
            build(rng, book, ms, status)
        })
        .collect()
}

/// The digest's `(id, version)` of every manual journal line: its key, and its amount in cents.
pub fn line_versions(manual_journals: &Table<ManualJournal>) -> Vec<(Uuid, i64)> {
    manual_journals
        .rows()
        .iter()
        .flat_map(|mj| {
            mj.journal_lines
                .iter()
                .enumerate()
                .map(|(n, l)| (line_key(mj.manual_journal_id, n + 1), l.line_amount.0))
        })
        .collect()
}

/// Posts (or, with `reverse`, reverses) a manual journal in the journal log.
fn post(
    data_rng: &mut SmallRng,
    book: &Book,
    log: &mut JournalLog,
    mj: &ManualJournal,
    stamp: i64,
    reverse: bool,
) -> usize {
    let sign = if reverse { -1 } else { 1 };
    let lines = mj
        .journal_lines
        .iter()
        .map(|l| {
            let account = book
                .by_id
                .get(&l.account_id)
                .cloned()
                .unwrap_or_else(|| book.bank.clone());
            postings::line(
                data_rng,
                &account,
                &mj.narration,
                Money(l.line_amount.0 * sign),
                Money(0),
                None,
                &[],
            )
        })
        .collect();
    let source = Source {
        id: mj.manual_journal_id,
        kind: "MANJOURNAL",
        reference: mj.narration.clone(),
        date: mj.date,
    };
    let number = log.next_number();
    log.post(postings::journal(data_rng, number, stamp, source, lines))
}

/// What a change does to an existing manual journal.
#[derive(Debug, Clone, Copy)]
enum Action {
    /// A draft gets fresh lines.
    Edit,
    /// A draft is posted, posting its journal.
    Post,
    /// A posted one is voided, posting the reversal.
    Void,
    /// A draft is deleted.
    Delete,
}

/// One change to the manual journals: an edit, post, void or deletion of one whose status
/// allows it, else a new one. Postings go to `log`.
pub fn change(
    manual_journals: &mut Table<ManualJournal>,
    log: &mut JournalLog,
    book: &Book,
    rng: &mut SmallRng,
    stamp: i64,
    out: &mut Outcome,
) {
    let roll = rng.random_range(0..100);
    let target = match roll {
        0..25 => pick(manual_journals, rng, "DRAFT").map(|i| (i, Action::Edit)),
        25..40 => pick(manual_journals, rng, "DRAFT").map(|i| (i, Action::Post)),
        40..55 => pick(manual_journals, rng, "POSTED").map(|i| (i, Action::Void)),
        55..65 => pick(manual_journals, rng, "DRAFT").map(|i| (i, Action::Delete)),
        _ => None,
    };
    let Some((i, action)) = target else {
        let mj = create(rng, book, log, stamp, out);
        manual_journals.insert(mj);
        return;
    };
    manual_journals.update(i, |mj| {
        mj.updated = MsDateTime(stamp);
        act(mj, action, rng, book, log, stamp, out);
    });
}

/// A random manual journal with `status` (a few tries, then none).
fn pick(manual_journals: &Table<ManualJournal>, rng: &mut SmallRng, status: &str) -> Option<usize> {
    let n = manual_journals.len();
    (n > 0)
        .then(|| {
            (0..40)
                .map(|_| rng.random_range(0..n))
                .find(|&i| manual_journals.row(i).status == status)
        })
        .flatten()
}

/// A new draft or posted manual journal; a posted one posts its journal.
fn create(
    rng: &mut SmallRng,
    book: &Book,
    log: &mut JournalLog,
    stamp: i64,
    out: &mut Outcome,
) -> ManualJournal {
    let status = if rng.random_ratio(1, 2) {
        "POSTED"
    } else {
        "DRAFT"
    };
    let mut mj = build(rng, book, stamp, status);
    if status == "POSTED" {
        mj.posting = Some(post(rng, book, log, &mj, stamp, false));
        out.journals_posted += 1;
    }
    out.created += 1;
    mj
}

/// Applies `action` to a manual journal already stamped.
fn act(
    mj: &mut ManualJournal,
    action: Action,
    rng: &mut SmallRng,
    book: &Book,
    log: &mut JournalLog,
    stamp: i64,
    out: &mut Outcome,
) {
    match action {
        Action::Edit => {
            mj.journal_lines = lines(rng, book);
            out.updated += 1;
        }
        Action::Post => {
            mj.status = "POSTED";
            mj.posting = Some(post(rng, book, log, mj, stamp, false));
            out.journals_posted += 1;
            out.updated += 1;
        }
        Action::Void => {
            mj.status = "VOIDED";
            if mj.posting.take().is_some() {
                post(rng, book, log, mj, stamp, true);
                out.journals_posted += 1;
            }
            out.voided += 1;
        }
        Action::Delete => {
            mj.status = "DELETED";
            out.deleted += 1;
        }
    }
}
