//! `POST /sim/mutate`: "a day of changes" to one tenant. Edits bump `UpdatedDateUTC` with the
//! simulator clock (strictly increasing stamps), journals are only ever appended: voiding an
//! authorised invoice posts a reversing journal, editing one posts a reversal and a new posting,
//! paying one posts the payment. The choices come from the tenant's seeded stream, so the same
//! sequence of calls on the same seed changes the same records.
//!
//! This file dispatches to every entity's change: invoices, contacts, accounts and journals
//! change in the files beside it, the other entities in their own modules.

mod accounts;
mod contacts;
pub mod invoices;
mod journals;

use crate::accounting::paging::first_served;
use crate::accounting::query::ListQuery;
use crate::dates::MsDateTime;
use crate::documents::change as documents;
use crate::documents::doc::touch;
use crate::documents::kinds::kind;
use crate::outcome::Outcome;
use crate::state::TenantData;
use crate::{expense_claims, links, manual_journals, payments, settings, tax_rates};

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
        "LinkedTransactions" => links::touch_first_served(&mut data.links, q, stamp),
        "Quotes" => {
            let Some(kind) = kind("Quotes") else {
                return;
            };
            let set = &mut data.documents.sets[kind];
            if let Some(i) = first_served(set, q) {
                set.update(i, |d| touch(d, stamp));
            }
        }
        _ => {}
    }
}

/// Applies `count` changes to `entity` (any of the names listed in the error). Entities are
/// tried in a fixed order (documents, then settings sets, then journals): some of those tries
/// draw from the stream or take a stamp even when the entity is not theirs, and the changes
/// that follow depend on it.
pub fn apply(
    data: &mut TenantData,
    stamp: &dyn Fn() -> i64,
    entity: &str,
    count: usize,
) -> Result<Outcome, String> {
    let mut out = Outcome::default();
    for _ in 0..count {
        match entity.to_ascii_lowercase().as_str() {
            "invoices" => invoices::change(data, stamp, &mut out),
            "contacts" => contacts::change(data, stamp, &mut out),
            "accounts" => accounts::change(data, stamp, &mut out),
            "payments" => {
                let at = stamp();
                if !payments::change(data, at, &mut out) {
                    invoices::pay_one(data, at, &mut out);
                }
            }
            "manual_journals" => manual_journals::change(
                &mut data.manual_journals,
                &mut data.journals,
                &data.book,
                &mut data.rng,
                stamp(),
                &mut out,
            ),
            "tax_rates" => tax_rates::change(
                &mut data.tax_rates,
                &mut data.next_tax_rate,
                &mut data.rng,
                &mut out,
            ),
            "linked_transactions" => links::change(data, stamp(), &mut out),
            "invoice_due_dates" => invoices::silent_change(data, &mut out),
            "expense_claims" => expense_claims::change(data, stamp(), &mut out),
            other if documents::change(data, other, stamp(), &mut out) => {}
            other if settings_change(data, other, stamp(), &mut out) => {}
            "journals" => {
                journals::post_other(data, stamp());
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

/// One change to a settings set, if `entity` is one (see [`settings::change`]).
fn settings_change(data: &mut TenantData, entity: &str, stamp: i64, out: &mut Outcome) -> bool {
    settings::change(
        &mut data.settings,
        &data.book,
        &mut data.rng,
        entity,
        stamp,
        out,
    )
}
