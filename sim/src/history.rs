//! The initial history of an organisation: invoices in every status, and the journals they
//! posted (authorisation, payment, void reversal), the postings of its authorised documents
//! (credit notes, overpayments, prepayments, bank transactions), topped up with manual journals
//! and cash transactions to the requested journal count. Journals are numbered in `CreatedDateUTC`
//! order, so `JournalNumber` and `CreatedDateUTC` ascend together.

use rand::Rng;
use rand::rngs::SmallRng;
use uuid::Uuid;

use crate::args::SimConfig;
use crate::book::Book;
use crate::contact::Contact;
use crate::dates::{DAY_MS, MsDate};
use crate::invoices::{self, NewInvoice, STATUSES};
use crate::model::{Invoice, Journal};
use crate::postings::{self, Source};
use crate::timeline::timeline;

/// Something that posts a journal, at a moment of the history.
#[derive(Debug, Clone, Copy)]
enum Event {
    /// An invoice is authorised.
    Post(usize),
    /// An invoice is paid (payment id, payment date).
    Pay(usize, Uuid, MsDate),
    /// An authorised invoice is voided.
    Void(usize),
    /// An authorised document is posted (its place in the postings asked for).
    Document(usize),
    /// A journal that is not an invoice's.
    Other(&'static str),
}

/// A generated document's posting: when, about what, and the line items it posts.
#[derive(Debug, Clone)]
pub struct DocPosting {
    /// `CreatedDateUTC`, epoch ms.
    pub at: i64,
    /// The document and its `SourceType`.
    pub source: Source,
    /// Its `LineItems`.
    pub items: Vec<serde_json::Value>,
}

/// Journals each status needs: authorisation, plus payment or void reversal.
fn journals_needed(status: &str) -> usize {
    match status {
        "AUTHORISED" => 1,
        "PAID" | "VOIDED" => 2,
        _ => 0,
    }
}

fn random_status(rng: &mut SmallRng) -> &'static str {
    match rng.random_range(0..100) {
        0..8 => "DRAFT",
        8..12 => "SUBMITTED",
        12..37 => "AUTHORISED",
        37..92 => "PAID",
        92..97 => "VOIDED",
        _ => "DELETED",
    }
}

/// Generates the invoices and the journal log. The first six invoices cycle through every
/// status so even a tiny data set has them all; if the journal budget (`config.journals`) runs
/// out, later invoices stay DRAFT or SUBMITTED rather than posting beyond it. The documents'
/// postings (`docs`) come out of what the invoices leave of the budget (all of them are posted,
/// so a budget too small for them is exceeded); the journals posting them are returned by index,
/// in `docs`' order.
pub fn generate(
    rng: &mut SmallRng,
    book: &Book,
    contacts: &[Contact],
    config: &SimConfig,
    (start, end): (i64, i64),
    docs: &[DocPosting],
) -> (Vec<Invoice>, Vec<Journal>, Vec<usize>) {
    let stamps = timeline(rng, config.invoices, start, end, config.bulk_import);
    let mut budget = config.journals;
    let mut events: Vec<(i64, Event)> = Vec::with_capacity(config.journals);
    let mut invoices = Vec::with_capacity(config.invoices);
    for (i, updated) in stamps.into_iter().enumerate() {
        let status = status_within(rng, i, &mut budget);
        // Authorisation happens some days before the last change (payment or void).
        let posted = match status {
            "PAID" | "VOIDED" => (updated - rng.random_range(1..30) * DAY_MS).max(start),
            _ => updated,
        };
        let mut invoice = invoice(rng, book, contacts, (i, updated, posted), status);
        events_of(
            rng,
            &mut invoice,
            (i, status),
            (posted, updated),
            &mut events,
        );
        invoices.push(invoice);
    }
    budget = budget.saturating_sub(docs.len());
    events.extend(
        docs.iter()
            .enumerate()
            .map(|(n, d)| (d.at, Event::Document(n))),
    );
    for _ in 0..budget {
        let kind = match rng.random_range(0..10) {
            0..4 => "MANJOURNAL",
            4..7 => "CASHREC",
            _ => "CASHPAID",
        };
        events.push((rng.random_range(start..end), Event::Other(kind)));
    }
    // Stable: an invoice's authorisation stays before its payment or void at equal times.
    events.sort_by_key(|(at, _)| *at);
    let (journals, posted) = post_all(rng, book, &mut invoices, (&events, docs));
    (invoices, journals, posted)
}

/// The status of invoice `i`: the cycle, then random; taken from the journal `budget`, or
/// DRAFT or SUBMITTED (which post nothing) when the budget cannot pay for it.
fn status_within(rng: &mut SmallRng, i: usize, budget: &mut usize) -> &'static str {
    let mut status = if i < STATUSES.len() {
        STATUSES[i]
    } else {
        random_status(rng)
    };
    if journals_needed(status) > *budget {
        status = if i.is_multiple_of(2) {
            "DRAFT"
        } else {
            "SUBMITTED"
        };
    }
    *budget -= journals_needed(status);
    status
}

/// Invoice `i`, last changed at `updated` and authorised (if it is) at `posted`, dated some
/// days before that, for a random contact. A PAID one is built AUTHORISED and paid after.
fn invoice(
    rng: &mut SmallRng,
    book: &Book,
    contacts: &[Contact],
    (i, updated, posted): (usize, i64, i64),
    status: &'static str,
) -> Invoice {
    let date = MsDate::of_instant(posted).plus_days(-rng.random_range(0..10));
    let contact = &contacts[rng.random_range(0..contacts.len())].head;
    let kind = if rng.random_ratio(7, 10) {
        "ACCREC"
    } else {
        "ACCPAY"
    };
    let prefix = if kind == "ACCREC" { "INV" } else { "BILL" };
    let spec = NewInvoice {
        kind,
        number: format!("{prefix}-{:05}", i + 1),
        contact,
        updated_ms: updated,
        date,
        status: if status == "PAID" {
            "AUTHORISED"
        } else {
            status
        },
    };
    invoices::build(rng, book, spec)
}

/// The journal-posting events of invoice `i` in `status` (authorisation, payment, void), at
/// `posted` and `updated`; a paid invoice is paid here.
fn events_of(
    rng: &mut SmallRng,
    invoice: &mut Invoice,
    (i, status): (usize, &str),
    (posted, updated): (i64, i64),
    events: &mut Vec<(i64, Event)>,
) {
    match status {
        "AUTHORISED" => events.push((posted, Event::Post(i))),
        "PAID" => {
            let payment = invoices::pay(rng, invoice, MsDate::of_instant(updated));
            events.push((posted, Event::Post(i)));
            events.push((updated, Event::Pay(i, payment.payment_id, payment.date)));
        }
        "VOIDED" => {
            invoice.head.amount_due = invoice.head.amount_paid;
            events.push((posted, Event::Post(i)));
            events.push((updated, Event::Void(i)));
        }
        _ => {}
    }
}

/// Posts every event in time order, numbering the journals as they come; also returns the
/// index of each document's journal.
fn post_all(
    rng: &mut SmallRng,
    book: &Book,
    invoices: &mut [Invoice],
    (events, docs): (&[(i64, Event)], &[DocPosting]),
) -> (Vec<Journal>, Vec<usize>) {
    let mut journals: Vec<Journal> = Vec::with_capacity(events.len());
    let mut posted = vec![0; docs.len()];
    for &(at, event) in events {
        let number = journals.len() as u64 + 1;
        let (source, lines) = match event {
            Event::Post(i) => {
                invoices[i].posting = Some(journals.len());
                let lines = postings::invoice_lines(rng, book, &invoices[i]);
                (postings::invoice_source(&invoices[i]), lines)
            }
            Event::Pay(i, payment_id, date) => {
                let inv = &invoices[i];
                let lines = postings::payment_lines(rng, book, inv.head.kind, inv.head.total);
                (postings::payment_source(inv, payment_id, date), lines)
            }
            Event::Void(i) => {
                let original = invoices[i]
                    .posting
                    .take()
                    .and_then(|j| journals.get(j))
                    .map(|j| j.journal_lines.clone())
                    .unwrap_or_default();
                let lines = postings::reversal_lines(rng, &original);
                let source = Source {
                    date: MsDate::of_instant(at),
                    ..postings::invoice_source(&invoices[i])
                };
                (source, lines)
            }
            Event::Document(n) => {
                posted[n] = journals.len();
                let doc = &docs[n];
                let lines = postings::document_lines(rng, book, doc.source.kind, &doc.items);
                (doc.source.clone(), lines)
            }
            Event::Other(kind) => {
                let lines = postings::other_lines(rng, book, kind);
                let source = Source {
                    id: postings::new_id(rng),
                    kind,
                    reference: match kind {
                        "MANJOURNAL" => format!("Manual journal {number}"),
                        "CASHREC" => "Cash sale".to_owned(),
                        _ => "Card purchase".to_owned(),
                    },
                    date: MsDate::of_instant(at),
                };
                (source, lines)
            }
        };
        journals.push(postings::journal(rng, number, at, source, lines));
    }
    (journals, posted)
}
