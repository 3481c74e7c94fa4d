//! The bodies of the endpoints served from typed tables and from documents: Accounts,
//! Contacts, Invoices, Journals, Payments, ManualJournals and the document kinds.

use super::endpoint::Envelope;
use super::paging::{page_of, select};
use super::query::{JOURNALS_PER_CALL, ListQuery, NUMBERED_PAGE_SIZE};
use crate::contact::Contact;
use crate::documents::kinds::KINDS;
use crate::model::Invoice;
use crate::payments;
use crate::state::TenantData;

/// `GET /Accounts`: the whole chart, unpaged (`page` is ignored), with `If-Modified-Since`.
pub fn accounts(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let (_, items) = select(
        &data.accounts,
        &ListQuery {
            page: None,
            ..q.clone()
        },
        None,
    );
    let n = items.len();
    env.write("Accounts", None, items.into_iter(), n * 600)
}

/// `GET /Contacts`: archived ones only with `includeArchived=true`; the full records only on
/// paged requests that are not `summaryOnly`.
pub fn contacts(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let named = |c: &Contact| {
        q.ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&c.head.contact_id))
    };
    let shown = |c: &Contact| named(c) && c.head.contact_status != "ARCHIVED";
    let keep: Option<&dyn Fn(&Contact) -> bool> = match (q.include_archived, &q.ids) {
        (true, None) => None,
        (true, Some(_)) => Some(&named),
        (false, _) => Some(&shown),
    };
    let (pagination, items) = select(&data.contacts, q, keep);
    // Unpaged Contacts "only returns a subset of elements"; so does summaryOnly.
    let full = q.page.is_some() && !q.summary_only;
    let n = items.len();
    env.write(
        "Contacts",
        pagination,
        items.into_iter().map(|c| c.view(full)),
        n * 1_200,
    )
}

/// `GET /Invoices`: line items only on paged requests; `summaryOnly` has a shape of its own.
pub fn invoices(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    if q.summary_only {
        return invoice_summaries(data, q, env);
    }
    let named = |i: &Invoice| {
        q.ids
            .as_ref()
            .is_none_or(|ids| ids.contains(&i.head.invoice_id))
    };
    let keep: Option<&dyn Fn(&Invoice) -> bool> = q.ids.as_ref().map(|_| &named as _);
    let (pagination, items) = select(&data.invoices, q, keep);
    // Unpaged Invoices come with `LineItems: []`, as Xero's.
    let full = q.page.is_some();
    let n = items.len();
    env.write(
        "Invoices",
        pagination,
        items.into_iter().map(|i| i.view(full)),
        n * 2_000,
    )
}

/// `summaryOnly=true`: paged whatever is asked (page 1 without `page`), each invoice without
/// `LineItems`, `Payments` and `HasAttachments`, as Xero documents.
fn invoice_summaries(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let paged = ListQuery {
        page: Some(q.page.unwrap_or(1)),
        ..q.clone()
    };
    let (pagination, items) = select(&data.invoices, &paged, None);
    let summaries = items
        .into_iter()
        .map(|i| {
            let mut v = serde_json::to_value(i.view(false))?;
            if let Some(o) = v.as_object_mut() {
                for left_out in ["LineItems", "Payments", "HasAttachments"] {
                    o.remove(left_out);
                }
            }
            Ok(v)
        })
        .collect::<serde_json::Result<Vec<_>>>()?;
    let n = summaries.len();
    env.write("Invoices", pagination, summaries.into_iter(), n * 800)
}

/// `GET /Journals`: up to [`JOURNALS_PER_CALL`] after `offset`, with `If-Modified-Since`.
pub fn journals(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let items = data.journals.after(q.offset, q.ims_ms, JOURNALS_PER_CALL);
    env.write("Journals", None, items.iter(), items.len() * 1_500)
}

/// `GET /Payments`: every payment, deleted ones included, in default order.
pub fn payments(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let (pagination, items) = page_of(payments::all(data), q);
    let n = items.len();
    env.write("Payments", pagination, items.into_iter(), n * 900)
}

/// `GET /ManualJournals`, paged like Invoices.
pub fn manual_journals(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let (pagination, items) = select(&data.manual_journals, q, None);
    let n = items.len();
    env.write("ManualJournals", pagination, items.into_iter(), n * 800)
}

/// A page of documents of one kind (`KINDS[kind]`).
fn documents(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
    kind: usize,
) -> serde_json::Result<Vec<u8>> {
    let (pagination, items) = select(&data.documents.sets[kind], q, None);
    let n = items.len();
    let key = KINDS[kind].endpoint;
    env.write(
        key,
        pagination,
        items.into_iter().map(|d| &d.body),
        n * 1_500,
    )
}

/// `GET /CreditNotes`.
pub fn credit_notes(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 0)
}

/// `GET /BankTransactions`.
pub fn bank_transactions(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 1)
}

/// `GET /Overpayments`.
pub fn overpayments(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 2)
}

/// `GET /Prepayments`.
pub fn prepayments(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 3)
}

/// `GET /PurchaseOrders`.
pub fn purchase_orders(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 4)
}

/// Quotes: numbered pages of 100 under `If-Modified-Since` (`pageSize` ignored), without a
/// `pagination` object; without `page`, every quote.
pub fn quotes(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let numbered = ListQuery {
        page_size: NUMBERED_PAGE_SIZE,
        ..q.clone()
    };
    let (_, items) = select(&data.documents.sets[5], &numbered, None);
    let n = items.len();
    env.write(
        "Quotes",
        None,
        items.into_iter().map(|d| &d.body),
        n * 1_500,
    )
}

/// Receipts: unpaged, with `If-Modified-Since`.
pub fn receipts(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let unpaged = ListQuery {
        page: None,
        ..q.clone()
    };
    documents(data, &unpaged, env, 6)
}
