//! `POST /sim/mutate`: "a day of changes" to one tenant. Edits bump `UpdatedDateUTC` with the
//! simulator clock (strictly increasing stamps), journals are only ever appended: voiding an
//! authorised invoice posts a reversing journal, editing one posts a reversal and a new posting,
//! paying one posts the payment. The choices come from the tenant's seeded stream, so the same
//! sequence of calls on the same seed changes the same records.

use std::collections::HashSet;

use rand::Rng;
use serde::Serialize;

use crate::accounting::{ListQuery, first_served};
use crate::dates::{MsDate, MsDateTime};
use crate::generate;
use crate::invoices::{self, NewInvoice};
use crate::model::{Account, AccountInfo, Shared};
use crate::postings::{self, Source};
use crate::state::TenantData;

/// What a mutation changed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Outcome {
    /// Records edited (including paid invoices).
    pub updated: usize,
    /// Records created.
    pub created: usize,
    /// Invoices voided.
    pub voided: usize,
    /// Invoices paid.
    pub paid: usize,
    /// Draft invoices deleted.
    pub deleted: usize,
    /// Journals appended.
    pub journals_posted: usize,
    /// Contacts merged into another.
    pub merged: usize,
    /// Credit notes, overpayments and prepayments allocated to an invoice.
    pub allocated: usize,
}

/// Moves the first record a paged call served to the end of the order, as an edit by a Xero
/// user right after the page was read (the `edit_served` fault).
pub fn touch_first_served(data: &mut TenantData, endpoint: &str, q: &ListQuery, stamp: i64) {
    match endpoint {
        "Invoices" => {
            if let Some(i) = first_served(&data.invoices, q) {
                data.invoices.update(i, |inv| inv.touch(stamp));
            }
        }
        "Contacts" => {
            if let Some(i) = first_served(&data.contacts, q) {
                data.contacts
                    .update(i, |c| c.head.updated = MsDateTime(stamp));
            }
        }
        "LinkedTransactions" => crate::links::touch_first_served(&mut data.links, q, stamp),
        "Quotes" => {
            let Some(kind) = crate::documents::kind("Quotes") else {
                return;
            };
            let set = &mut data.documents.sets[kind];
            if let Some(i) = first_served(set, q) {
                set.update(i, |d| crate::documents::touch(d, stamp));
            }
        }
        _ => {}
    }
}

/// Applies `count` changes to `entity` (`invoices`, `contacts`, `accounts` or `journals`).
pub fn apply(
    data: &mut TenantData,
    stamp: &dyn Fn() -> i64,
    entity: &str,
    count: usize,
) -> Result<Outcome, String> {
    let mut out = Outcome::default();
    for _ in 0..count {
        match entity.to_ascii_lowercase().as_str() {
            "invoices" => invoice_change(data, stamp, &mut out),
            "contacts" => contact_change(data, stamp, &mut out),
            "accounts" => account_change(data, stamp, &mut out),
            "payments" => {
                let at = stamp();
                if !crate::payments::change(data, at, &mut out)
                    && let Some(i) = find_invoice(data, &["AUTHORISED"])
                {
                    change_invoice(data, i, Action::Pay, at, &mut out);
                }
            }
            "manual_journals" => crate::manual_journals::change(data, stamp(), &mut out),
            "tax_rates" => crate::tax_rates::change(data, &mut out),
            "linked_transactions" => crate::links::change(data, stamp(), &mut out),
            "invoice_due_dates" => silent_invoice_change(data, &mut out),
            "expense_claims" => crate::expense_claims::change(data, stamp(), &mut out),
            other if crate::documents::change(data, other, stamp(), &mut out) => {}
            other if crate::settings::change(data, other, stamp(), &mut out) => {}
            "journals" => {
                other_journal(data, stamp());
                out.created += 1;
                out.journals_posted += 1;
            }
            other => {
                return Err(format!(
                    "unknown entity '{other}' (invoices, contacts, accounts, journals, \
                     payments, manual_journals, tax_rates, items, users, currencies, \
                     tracking_categories, contact_groups, branding_themes, organisation, credit_notes, \
                     bank_transactions, overpayments, prepayments, purchase_orders, quotes, \
                     receipts, expense_claims, linked_transactions, bank_transfers, \
                     batch_payments, repeating_invoices, invoice_due_dates)"
                ));
            }
        }
    }
    Ok(out)
}

/// What Xero changes on an authorised invoice without moving its `UpdatedDateUTC` (its
/// documentation names `DueDate` and `SentToContact`): the due date moves a fortnight on and
/// the invoice is marked sent. No incremental read sees it; only a re-read does.
fn silent_invoice_change(data: &mut TenantData, out: &mut Outcome) {
    let Some(i) = find_invoice(data, &["AUTHORISED"]) else {
        return;
    };
    data.invoices.update(i, |inv| {
        let due = inv.head.due_date.plus_days(14);
        inv.head.due_date = due;
        inv.head.due_date_string = crate::dates::DateString(due);
        inv.head.sent_to_contact = true;
    });
    out.updated += 1;
}

/// A random record index whose status is one of `statuses` (a few tries, then none).
fn find_invoice(data: &mut TenantData, statuses: &[&str]) -> Option<usize> {
    let n = data.invoices.len();
    if n == 0 {
        return None;
    }
    (0..40)
        .map(|_| data.rng.random_range(0..n))
        .find(|&i| statuses.contains(&data.invoices.row(i).head.status))
}

fn invoice_change(data: &mut TenantData, stamp: &dyn Fn() -> i64, out: &mut Outcome) {
    let roll = data.rng.random_range(0..100);
    let (wanted, action): (&[&str], _) = match roll {
        0..40 => (&["DRAFT", "SUBMITTED", "AUTHORISED"], Action::Edit),
        40..52 => (&["AUTHORISED"], Action::Void),
        52..64 => (&["AUTHORISED"], Action::Pay),
        64..72 => (&["DRAFT", "SUBMITTED"], Action::Delete),
        _ => (&[], Action::Create),
    };
    match find_invoice(data, wanted).filter(|_| action != Action::Create) {
        Some(i) => change_invoice(data, i, action, stamp(), out),
        None => create_invoice(data, stamp(), out),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Edit,
    Void,
    Pay,
    Delete,
    Create,
}

fn change_invoice(data: &mut TenantData, i: usize, action: Action, stamp: i64, out: &mut Outcome) {
    let TenantData {
        invoices,
        journals,
        book,
        rng,
        ..
    } = data;
    let day = MsDate::of_instant(stamp);
    invoices.update(i, |inv| {
        inv.touch(stamp);
        let was_posted = inv.head.status == "AUTHORISED";
        // Whatever changes an authorised invoice first reverses its current posting.
        let reverses = was_posted && action != Action::Pay && action != Action::Delete;
        if reverses && let Some(original) = inv.posting.take().and_then(|j| journals.get(j)) {
            let lines = postings::reversal_lines(rng, &original.journal_lines);
            let source = Source {
                date: day,
                ..postings::invoice_source(inv)
            };
            let number = journals.next_number();
            journals.post(postings::journal(rng, number, stamp, source, lines));
            out.journals_posted += 1;
        }
        match action {
            Action::Edit => {
                invoices::set_lines(inv, invoices::fresh_lines(rng, book, inv.head.kind));
                if was_posted {
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
                out.updated += 1;
            }
            Action::Void => {
                inv.head.status = "VOIDED";
                inv.head.amount_due = inv.head.amount_paid;
                out.voided += 1;
            }
            Action::Pay => {
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
            Action::Delete => {
                inv.head.status = "DELETED";
                inv.head.amount_due = inv.head.amount_paid;
                out.deleted += 1;
            }
            Action::Create => {}
        }
    });
}

fn create_invoice(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
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
        let lines = postings::invoice_lines(rng, book, &invoice);
        let j = journals.post(postings::journal(
            rng,
            journals.next_number(),
            stamp,
            postings::invoice_source(&invoice),
            lines,
        ));
        invoice.posting = Some(j);
        out.journals_posted += 1;
    }
    invoices.insert(invoice);
    out.created += 1;
}

fn contact_change(data: &mut TenantData, stamp: &dyn Fn() -> i64, out: &mut Outcome) {
    let stamp = stamp();
    let n = data.contacts.len();
    if n > 1 && data.rng.random_ratio(1, 15) {
        // Merged into another contact, as Xero's "merge contacts" does: the merged one is
        // archived and names the survivor; the survivor changes too.
        let i = data.rng.random_range(0..n);
        let survivor = (i + 1 + data.rng.random_range(0..n - 1)) % n;
        let into = data.contacts.row(survivor).head.contact_id;
        data.contacts.update(i, |c| {
            c.head.updated = MsDateTime(stamp);
            c.head.contact_status = "ARCHIVED";
            c.head.merged_to_contact_id = Some(into);
        });
        data.contacts
            .update(survivor, |c| c.head.updated = MsDateTime(stamp));
        out.updated += 2;
        out.merged += 1;
        return;
    }
    if n > 0 && data.rng.random_ratio(7, 10) {
        let i = data.rng.random_range(0..n);
        let TenantData { contacts, rng, .. } = data;
        contacts.update(i, |c| {
            c.head.updated = MsDateTime(stamp);
            if let Some(phone) = c.detail.phones.first_mut() {
                phone.phone_number = format!(
                    "{:03}-{:04}",
                    rng.random_range(200..999),
                    rng.random_range(0..9999)
                );
            }
            if rng.random_ratio(1, 20) {
                c.head.contact_status = if c.head.contact_status == "ACTIVE" {
                    "ARCHIVED"
                } else {
                    "ACTIVE"
                };
            }
        });
        out.updated += 1;
        return;
    }
    let mut names: HashSet<String> = data
        .contacts
        .rows()
        .iter()
        .map(|c| c.head.name.clone())
        .collect();
    let number = data.next_contact_number;
    data.next_contact_number += 1;
    let contact = generate::contact(&mut data.rng, number, stamp, &mut names);
    data.contacts.insert(contact);
    out.created += 1;
}

fn account_change(data: &mut TenantData, stamp: &dyn Fn() -> i64, out: &mut Outcome) {
    let stamp = stamp();
    let n = data.accounts.len();
    if n > 0 && data.rng.random_ratio(8, 10) {
        let i = data.rng.random_range(0..n);
        let version = data.rng.random_range(1..1000);
        data.accounts.update(i, |a| {
            a.updated = MsDateTime(stamp);
            a.description = format!("{} (rev {version})", a.name);
        });
        out.updated += 1;
        return;
    }
    let code = format!("{}", 6000 + n);
    let name = format!("Expense account {code}");
    let account = Account {
        account_id: postings::new_id(&mut data.rng),
        code: Shared::new(&code),
        name: name.clone(),
        status: "ACTIVE",
        kind: "OVERHEADS",
        tax_type: "INPUT2",
        description: name.clone(),
        class: "EXPENSE",
        system_account: None,
        enable_payments_to_account: false,
        show_in_expense_claims: true,
        bank_account_number: None,
        bank_account_type: None,
        currency_code: None,
        reporting_code: "EXP",
        reporting_code_name: "Expenses",
        has_attachments: false,
        updated: MsDateTime(stamp),
        add_to_watchlist: false,
    };
    let info = AccountInfo {
        id: account.account_id,
        code: account.code.clone(),
        name: Shared::new(&name),
        kind: "OVERHEADS",
    };
    data.book.expense.push(info.clone());
    data.book.by_id.insert(info.id, info);
    data.accounts.insert(account);
    out.created += 1;
}

/// Appends a manual journal or cash transaction.
fn other_journal(data: &mut TenantData, stamp: i64) {
    let kind = match data.rng.random_range(0..3) {
        0 => "MANJOURNAL",
        1 => "CASHREC",
        _ => "CASHPAID",
    };
    let TenantData {
        journals,
        book,
        rng,
        ..
    } = data;
    let lines = postings::other_lines(rng, book, kind);
    let number = journals.next_number();
    let source = Source {
        id: postings::new_id(rng),
        kind,
        reference: format!("Simulated {} {number}", kind.to_lowercase()),
        date: MsDate::of_instant(stamp),
    };
    journals.post(postings::journal(rng, number, stamp, source, lines));
}
