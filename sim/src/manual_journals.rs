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

use crate::dates::{MsDate, MsDateTime};
use crate::model::{AccountInfo, Money, Shared};
use crate::mutate::Outcome;
use crate::postings::new_id;
use crate::postings::{self, Source};
use crate::state::{Book, TenantData};
use crate::store::Keyed;

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
    Uuid::from_slice(&hash[..16]).expect("16 bytes")
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
    let stamps = crate::generate::timeline(rng, n, start, end, 1);
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
pub fn line_versions(data: &TenantData) -> Vec<(Uuid, i64)> {
    data.manual_journals
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
    log: &mut crate::store::JournalLog,
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

/// One change to the manual journals.
pub fn change(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let n = data.manual_journals.len();
    let roll = data.rng.random_range(0..100);
    let pick = |data: &mut TenantData, status: &str| {
        (n > 0)
            .then(|| {
                (0..40)
                    .map(|_| data.rng.random_range(0..n))
                    .find(|&i| data.manual_journals.row(i).status == status)
            })
            .flatten()
    };
    let target = match roll {
        0..25 => pick(data, "DRAFT").map(|i| (i, "edit")),
        25..40 => pick(data, "DRAFT").map(|i| (i, "post")),
        40..55 => pick(data, "POSTED").map(|i| (i, "void")),
        55..65 => pick(data, "DRAFT").map(|i| (i, "delete")),
        _ => None,
    };
    let TenantData {
        manual_journals,
        journals,
        book,
        rng,
        ..
    } = data;
    let Some((i, action)) = target else {
        let status = if rng.random_ratio(1, 2) {
            "POSTED"
        } else {
            "DRAFT"
        };
        let mut mj = build(rng, book, stamp, status);
        if status == "POSTED" {
            mj.posting = Some(post(rng, book, journals, &mj, stamp, false));
            out.journals_posted += 1;
        }
        manual_journals.insert(mj);
        out.created += 1;
        return;
    };
    manual_journals.update(i, |mj| {
        mj.updated = MsDateTime(stamp);
        match action {
            "edit" => {
                mj.journal_lines = lines(rng, book);
                out.updated += 1;
            }
            "post" => {
                mj.status = "POSTED";
                mj.posting = Some(post(rng, book, journals, mj, stamp, false));
                out.journals_posted += 1;
                out.updated += 1;
            }
            "void" => {
                mj.status = "VOIDED";
                if mj.posting.take().is_some() {
                    post(rng, book, journals, mj, stamp, true);
                    out.journals_posted += 1;
                }
                out.voided += 1;
            }
            _ => {
                mj.status = "DELETED";
                out.deleted += 1;
            }
        }
    });
}
