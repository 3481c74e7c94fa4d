//! `/sim/mutate` of invoices: an edit (fresh lines), a void, a payment, a deletion of a draft,
//! or a new invoice, and the journals each posts; and the change Xero makes without moving
//! `UpdatedDateUTC` (`invoice_due_dates`).

use rand::Rng;
use rand::rngs::SmallRng;

use crate::book::Book;
use crate::dates::{DateString, MsDate};
use crate::invoices::{self, NewInvoice};
use crate::model::{Invoice, Money};
use crate::outcome::Outcome;
use crate::postings::{self, Source};
use crate::state::TenantData;
use crate::store::JournalLog;

/// What a change does to an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    /// Fresh lines; an authorised invoice's posting is reversed and posted anew.
    Edit,
    /// An authorised invoice voided, its posting reversed.
    Void,
    /// An authorised invoice paid in full, the payment posted.
    Pay,
    /// A draft or submitted invoice deleted.
    Delete,
    /// A new invoice.
    Create,
}

/// One change to the invoices, chosen by a roll: an edit, void, payment or deletion of an
/// invoice whose status allows it, else a new invoice.
pub fn change(data: &mut TenantData, stamp: &dyn Fn() -> i64, out: &mut Outcome) {
    let roll = data.rng.random_range(0..100);
    let (wanted, action): (&[&str], _) = match roll {
        0..40 => (&["DRAFT", "SUBMITTED", "AUTHORISED"], Action::Edit),
        40..52 => (&["AUTHORISED"], Action::Void),
        52..64 => (&["AUTHORISED"], Action::Pay),
        64..72 => (&["DRAFT", "SUBMITTED"], Action::Delete),
        _ => (&[], Action::Create),
    };
    // A creation searches too (and finds nothing): the draws it takes are part of the stream.
    match find(data, wanted).filter(|_| action != Action::Create) {
        Some(i) => apply(data, i, action, stamp(), out),
        None => create(data, stamp(), out),
    }
}

/// Pays an authorised invoice, if one turns up: what a change to payments does when it
/// deletes none.
pub fn pay_one(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    if let Some(i) = find(data, &["AUTHORISED"]) {
        apply(data, i, Action::Pay, stamp, out);
    }
}

/// What Xero changes on an authorised invoice without moving its `UpdatedDateUTC` (its
/// documentation names `DueDate` and `SentToContact`): the due date moves a fortnight on and
/// the invoice is marked sent. No incremental read sees it; only a re-read does.
pub fn silent_change(data: &mut TenantData, out: &mut Outcome) {
    let Some(i) = find(data, &["AUTHORISED"]) else {
        return;
    };
    data.invoices.update(i, |inv| {
        let due = inv.head.due_date.plus_days(14);
        inv.head.due_date = due;
        inv.head.due_date_string = DateString(due);
        inv.head.sent_to_contact = true;
    });
    out.updated += 1;
}

/// Drift for healing tests: the first authorised sale with nothing paid or credited is voided
/// and its posting reversed (the journal is there for any reader), but its `UpdatedDateUTC`
/// does not move, so an incremental read of the invoices keeps it authorised and due. Returns
/// the invoice and the amount it no longer has due.
pub fn void_quietly(data: &mut TenantData, stamp: i64) -> Option<(uuid::Uuid, Money)> {
    let TenantData {
        invoices,
        journals,
        rng,
        ..
    } = data;
    let i = (0..invoices.len()).find(|&i| {
        let head = &invoices.row(i).head;
        head.kind == "ACCREC"
            && head.status == "AUTHORISED"
            && head.amount_due.0 > 0
            && head.amount_due == head.total
    })?;
    let mut out = Outcome::default();
    let mut voided = None;
    invoices.update(i, |inv| {
        reverse(inv, journals, rng, stamp, &mut out);
        voided = Some((inv.head.invoice_id, inv.head.amount_due));
        inv.head.status = "VOIDED";
        inv.head.amount_due = Money(0);
    });
    voided
}

/// A random record index whose status is one of `statuses` (a few tries, then none).
fn find(data: &mut TenantData, statuses: &[&str]) -> Option<usize> {
    let n = data.invoices.len();
    if n == 0 {
        return None;
    }
    (0..40)
        .map(|_| data.rng.random_range(0..n))
        .find(|&i| statuses.contains(&data.invoices.row(i).head.status))
}

/// Applies `action` to invoice `i`, stamping it. Whatever changes an authorised invoice, other
/// than a payment, first reverses its current posting.
fn apply(data: &mut TenantData, i: usize, action: Action, stamp: i64, out: &mut Outcome) {
    let TenantData {
        invoices,
        journals,
        book,
        rng,
        ..
    } = data;
    invoices.update(i, |inv| {
        inv.touch(stamp);
        let was_posted = inv.head.status == "AUTHORISED";
        if was_posted && action != Action::Pay && action != Action::Delete {
            reverse(inv, journals, rng, stamp, out);
        }
        match action {
            Action::Edit => {
                invoices::set_lines(inv, invoices::fresh_lines(rng, book, inv.head.kind));
                if was_posted {
                    post(inv, journals, book, rng, stamp, out);
                }
                out.updated += 1;
            }
            Action::Void => {
                inv.head.status = "VOIDED";
                inv.head.amount_due = inv.head.amount_paid;
                out.voided += 1;
            }
            Action::Pay => pay(inv, journals, book, rng, stamp, out),
            Action::Delete => {
                inv.head.status = "DELETED";
                inv.head.amount_due = inv.head.amount_paid;
                out.deleted += 1;
            }
            Action::Create => {}
        }
    });
}

/// Posts the reversal of the journal that currently posts `inv`, dated the day of the change.
fn reverse(
    inv: &mut Invoice,
    journals: &mut JournalLog,
    rng: &mut SmallRng,
    stamp: i64,
    out: &mut Outcome,
) {
    let Some(original) = inv.posting.take().and_then(|j| journals.get(j)) else {
        return;
    };
    let lines = postings::reversal_lines(rng, &original.journal_lines);
    let source = Source {
        date: MsDate::of_instant(stamp),
        ..postings::invoice_source(inv)
    };
    let number = journals.next_number();
    journals.post(postings::journal(rng, number, stamp, source, lines));
    out.journals_posted += 1;
}

/// Posts an authorised invoice's journal and remembers it as the invoice's posting.
fn post(
    inv: &mut Invoice,
    journals: &mut JournalLog,
    book: &Book,
    rng: &mut SmallRng,
    stamp: i64,
    out: &mut Outcome,
) {
    let lines = postings::invoice_lines(rng, book, inv);
    let number = journals.next_number();
    let j = journals.post(postings::journal(
        rng,
        number,
        stamp,
        postings::invoice_source(inv),
        lines,
    ));
    inv.posting = Some(j);
    out.journals_posted += 1;
}

/// Pays what is due on the day of the change, posting the payment.
fn pay(
    inv: &mut Invoice,
    journals: &mut JournalLog,
    book: &Book,
    rng: &mut SmallRng,
    stamp: i64,
    out: &mut Outcome,
) {
    let day = MsDate::of_instant(stamp);
    let payment = invoices::pay(rng, inv, day);
    let lines = postings::payment_lines(rng, book, inv.head.kind, payment.amount);
    let source = postings::payment_source(inv, payment.payment_id, day);
    journals.post(postings::journal(
        rng,
        journals.next_number(),
        stamp,
        source,
        lines,
    ));
    out.journals_posted += 1;
    out.paid += 1;
    out.updated += 1;
}

/// A new invoice or bill for a random contact; an authorised one posts its journal.
fn create(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let TenantData {
        invoices,
        journals,
        contacts,
        book,
        rng,
        next_invoice_number,
        ..
    } = data;
    let n = contacts.len();
    let contact = &contacts.row(rng.random_range(0..n)).head;
    let kind = if rng.random_ratio(7, 10) {
        "ACCREC"
    } else {
        "ACCPAY"
    };
    let status = match rng.random_range(0..10) {
        0..3 => "DRAFT",
        3 => "SUBMITTED",
        _ => "AUTHORISED",
    };
    let prefix = if kind == "ACCREC" { "INV" } else { "BILL" };
    let spec = NewInvoice {
        kind,
        number: format!("{prefix}-{:05}", *next_invoice_number),
        contact,
        updated_ms: stamp,
        date: MsDate::of_instant(stamp),
        status,
    };
    *next_invoice_number += 1;
    let mut invoice = invoices::build(rng, book, spec);
    if status == "AUTHORISED" {
        post(&mut invoice, journals, book, rng, stamp, out);
    }
    invoices.insert(invoice);
    out.created += 1;
}
