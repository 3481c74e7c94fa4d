//! The Accounting endpoints, one table row each. Adding an endpoint is a record type in
//! `model`, a table in `TenantData`, a render function here and a row in [`ENDPOINTS`]; the
//! request flow (auth, tenant, limits, faults, headers, stats) in `api` is shared.
//!
//! Not implemented (ignored if sent): `where`, `order` (the default order always applies),
//! `IDs`, `Statuses` and other list filters, `unitdp`, `paymentsOnly`.

use serde::Serialize;
use uuid::Uuid;

use crate::dates::{envelope_date, floor_to_second, iso_millis};
use crate::model::Contact;
use crate::state::TenantData;
use crate::store::{Keyed, Table};

/// Xero's default and maximum page sizes.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page Xero serves; larger requests are clamped.
pub const MAX_PAGE_SIZE: u32 = 1_000;
/// Journals per response.
pub const JOURNALS_PER_CALL: usize = 100;
/// The envelope's `ProviderName` (Xero puts the app's name there).
pub const PROVIDER_NAME: &str = "xero-sync simulator";

/// How an endpoint pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `page`/`pageSize` with a `pagination` object; without `page`, everything at once.
    Pages,
    /// `offset` (Journals).
    Offset,
    /// `page` alone, a fixed 100 records a page, no `pagination` (Quotes, LinkedTransactions).
    Numbered,
    /// One response with everything (If-Modified-Since still filters).
    Unpaged,
}

/// A parsed list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `If-Modified-Since` in epoch ms.
    pub ims_ms: Option<i64>,
    /// `page` (1-based), if paging.
    pub page: Option<u32>,
    /// `pageSize`, already clamped to 1..=1000.
    pub page_size: u32,
    /// Journals `offset`.
    pub offset: u64,
    /// `includeArchived=true`.
    pub include_archived: bool,
    /// `includeDeleted=true` (BankTransfers).
    pub include_deleted: bool,
    /// `summaryOnly=true`.
    pub summary_only: bool,
    /// Serve only the first half of the page's records, with the page's full `pagination`
    /// (the `short_page` fault: a page cut short that is not the last one).
    pub short_page: bool,
}

impl ListQuery {
    /// The cursor key counted in `/sim/stats`, e.g.
    /// `Invoices?ims=2024-01-02T03:04:05.000Z&page=2&pageSize=1000` or `Journals?offset=300`.
    pub fn cursor_key(&self, endpoint: &Endpoint) -> String {
        let ims = self
            .ims_ms
            .map_or_else(|| "-".to_owned(), |ms| iso_millis(floor_to_second(ms)));
        let mut key = match endpoint.paging {
            Paging::Offset => format!("{}?offset={}&ims={ims}", endpoint.name, self.offset),
            _ => format!("{}?ims={ims}", endpoint.name),
        };
        match (endpoint.paging, self.page) {
            (Paging::Pages, Some(page)) => {
                key.push_str(&format!("&page={page}&pageSize={}", self.page_size));
            }
            (Paging::Numbered, Some(page)) => key.push_str(&format!("&page={page}")),
            _ => {}
        }
        if self.include_archived {
            key.push_str("&includeArchived=true");
        }
        if self.summary_only {
            key.push_str("&summaryOnly=true");
        }
        key
    }
}

/// The `pagination` object.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    page: u32,
    page_size: u32,
    page_count: u32,
    item_count: usize,
}

/// Renders an endpoint's response body for one tenant.
pub type Render = fn(&TenantData, &ListQuery, Envelope) -> serde_json::Result<Vec<u8>>;

/// An Accounting endpoint.
#[derive(Debug)]
pub struct Endpoint {
    /// Path segment and collection key (`Invoices`).
    pub name: &'static str,
    /// How it pages.
    pub paging: Paging,
    /// The scopes that let a token read it (any one of them).
    pub scopes: &'static [&'static str],
    /// Its body.
    pub render: Render,
}

/// Invoices and the other sales and purchase documents: the granular `accounting.invoices`
/// scopes, or the broad `accounting.transactions` ones of older apps.
const INVOICES_SCOPES: &[&str] = &[
    "accounting.invoices.read",
    "accounting.invoices",
    "accounting.transactions.read",
    "accounting.transactions",
];

/// Payments, overpayments, prepayments and batch payments.
const PAYMENTS_SCOPES: &[&str] = &[
    "accounting.payments.read",
    "accounting.payments",
    "accounting.transactions.read",
    "accounting.transactions",
];

/// Receipts and expense claims (Classic Expenses).
const CLASSIC_EXPENSES_SCOPES: &[&str] = &[
    "accounting.classicexpenses.read",
    "accounting.classicexpenses",
    "accounting.transactions.read",
    "accounting.transactions",
];

/// Records a numbered page holds (Quotes, LinkedTransactions).
pub const NUMBERED_PAGE_SIZE: u32 = 100;

/// Every endpoint served under `/api.xro/2.0`.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "Accounts",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: accounts,
    },
    Endpoint {
        name: "Contacts",
        paging: Paging::Pages,
        scopes: &["accounting.contacts.read", "accounting.contacts"],
        render: contacts,
    },
    Endpoint {
        name: "Invoices",
        paging: Paging::Pages,
        scopes: INVOICES_SCOPES,
        render: invoices,
    },
    Endpoint {
        name: "Journals",
        paging: Paging::Offset,
        scopes: &["accounting.journals.read"],
        render: journals,
    },
    Endpoint {
        name: "Payments",
        paging: Paging::Pages,
        scopes: PAYMENTS_SCOPES,
        render: payments,
    },
    Endpoint {
        name: "ManualJournals",
        paging: Paging::Pages,
        scopes: &[
            "accounting.manualjournals.read",
            "accounting.manualjournals",
            "accounting.transactions.read",
            "accounting.transactions",
        ],
        render: manual_journals,
    },
    Endpoint {
        name: "CreditNotes",
        paging: Paging::Pages,
        scopes: INVOICES_SCOPES,
        render: credit_notes,
    },
    Endpoint {
        name: "BankTransactions",
        paging: Paging::Pages,
        scopes: &[
            "accounting.banktransactions.read",
            "accounting.banktransactions",
            "accounting.transactions.read",
            "accounting.transactions",
        ],
        render: bank_transactions,
    },
    Endpoint {
        name: "Overpayments",
        paging: Paging::Pages,
        scopes: PAYMENTS_SCOPES,
        render: overpayments,
    },
    Endpoint {
        name: "Prepayments",
        paging: Paging::Pages,
        scopes: PAYMENTS_SCOPES,
        render: prepayments,
    },
    Endpoint {
        name: "PurchaseOrders",
        paging: Paging::Pages,
        scopes: INVOICES_SCOPES,
        render: purchase_orders,
    },
    Endpoint {
        name: "BankTransfers",
        paging: Paging::Unpaged,
        scopes: &[
            "accounting.banktransactions.read",
            "accounting.banktransactions",
            "accounting.transactions.read",
            "accounting.transactions",
        ],
        render: bank_transfers,
    },
    Endpoint {
        name: "BatchPayments",
        paging: Paging::Unpaged,
        scopes: PAYMENTS_SCOPES,
        render: batch_payments,
    },
    Endpoint {
        name: "RepeatingInvoices",
        paging: Paging::Unpaged,
        scopes: INVOICES_SCOPES,
        render: repeating_invoices,
    },
    Endpoint {
        name: "Items",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: items,
    },
    Endpoint {
        name: "Users",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: users,
    },
    Endpoint {
        name: "Currencies",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: currencies,
    },
    Endpoint {
        name: "TrackingCategories",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: tracking_categories,
    },
    Endpoint {
        name: "ContactGroups",
        paging: Paging::Unpaged,
        scopes: &["accounting.contacts.read", "accounting.contacts"],
        render: contact_groups,
    },
    Endpoint {
        name: "BrandingThemes",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: branding_themes,
    },
    Endpoint {
        name: "Organisation",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: organisation,
    },
    Endpoint {
        name: "TaxRates",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: tax_rates,
    },
    Endpoint {
        name: "Quotes",
        paging: Paging::Numbered,
        scopes: INVOICES_SCOPES,
        render: quotes,
    },
    Endpoint {
        name: "LinkedTransactions",
        paging: Paging::Numbered,
        scopes: INVOICES_SCOPES,
        render: linked_transactions,
    },
    Endpoint {
        name: "Receipts",
        paging: Paging::Unpaged,
        scopes: CLASSIC_EXPENSES_SCOPES,
        render: receipts,
    },
    Endpoint {
        name: "ExpenseClaims",
        paging: Paging::Unpaged,
        scopes: CLASSIC_EXPENSES_SCOPES,
        render: expense_claims,
    },
];

/// The position in the table of the first record a paged request answers (what the
/// `edit_served` fault edits after serving it).
pub fn first_served<T: Keyed>(table: &Table<T>, q: &ListQuery) -> Option<usize> {
    let skip = (q.page.unwrap_or(1) as usize - 1).saturating_mul(q.page_size as usize);
    table.since(q.ims_ms).get(skip).map(|&(_, _, i)| i)
}

/// The endpoint for a path segment (Xero paths are case-insensitive).
pub fn endpoint(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.name.eq_ignore_ascii_case(name))
}

/// The envelope fields of one response.
#[derive(Debug, Clone, Copy)]
pub struct Envelope {
    /// `Id` (also sent as `Xero-Correlation-Id`).
    pub id: Uuid,
    /// `DateTimeUTC` in epoch ms.
    pub now_ms: i64,
}

impl Envelope {
    /// Writes `{"Id":…,"Status":"OK",…,["pagination":…,]"<key>":[items]}`.
    fn write<T: Serialize>(
        self,
        key: &str,
        pagination: Option<Pagination>,
        items: impl Iterator<Item = T>,
        size_hint: usize,
    ) -> serde_json::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(256 + size_hint);
        buf.extend_from_slice(b"{\"Id\":\"");
        buf.extend_from_slice(self.id.hyphenated().to_string().as_bytes());
        buf.extend_from_slice(b"\",\"Status\":\"OK\",\"ProviderName\":");
        serde_json::to_writer(&mut buf, PROVIDER_NAME)?;
        buf.extend_from_slice(b",\"DateTimeUTC\":");
        serde_json::to_writer(&mut buf, &envelope_date(self.now_ms))?;
        if let Some(p) = pagination {
            buf.extend_from_slice(b",\"pagination\":");
            serde_json::to_writer(&mut buf, &p)?;
        }
        buf.extend_from_slice(b",\"");
        buf.extend_from_slice(key.as_bytes());
        buf.extend_from_slice(b"\":[");
        for (i, item) in items.enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            serde_json::to_writer(&mut buf, &item)?;
        }
        buf.extend_from_slice(b"]}");
        Ok(buf)
    }
}

/// The records of a paged (or unpaged) request in default order, and the `pagination` object
/// when paging. `keep` filters (e.g. archived contacts); without it, counting is O(log n).
fn select<'a, T: Keyed>(
    table: &'a Table<T>,
    q: &ListQuery,
    keep: Option<&dyn Fn(&T) -> bool>,
) -> (Option<Pagination>, Vec<&'a T>) {
    let matching = table.since(q.ims_ms);
    let rows = matching.iter().map(|&(_, _, i)| table.row(i));
    let Some(page) = q.page else {
        let all = match keep {
            Some(keep) => rows.filter(|r| keep(r)).collect(),
            None => rows.collect(),
        };
        return (None, all);
    };
    let size = q.page_size as usize;
    let skip = (page as usize - 1).saturating_mul(size);
    let (item_count, mut items): (usize, Vec<&T>) = match keep {
        None => (matching.len(), rows.skip(skip).take(size).collect()),
        Some(keep) => {
            let kept: Vec<&T> = rows.filter(|r| keep(r)).collect();
            (kept.len(), kept.into_iter().skip(skip).take(size).collect())
        }
    };
    if q.short_page {
        items.truncate(items.len() / 2);
    }
    let pagination = Pagination {
        page,
        page_size: q.page_size,
        page_count: u32::try_from(item_count.div_ceil(size)).unwrap_or(u32::MAX),
        item_count,
    };
    (Some(pagination), items)
}

fn accounts(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
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

fn contacts(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let not_archived = |c: &Contact| c.head.contact_status != "ARCHIVED";
    let keep: Option<&dyn Fn(&Contact) -> bool> = if q.include_archived {
        None
    } else {
        Some(&not_archived)
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

fn invoices(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    if q.summary_only {
        return invoice_summaries(data, q, env);
    }
    let (pagination, items) = select(&data.invoices, q, None);
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

fn journals(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let items = data.journals.after(q.offset, q.ims_ms, JOURNALS_PER_CALL);
    env.write("Journals", None, items.iter(), items.len() * 1_500)
}

/// A page of records already in default order (`(UpdatedDateUTC ms, id, record)`), with
/// `If-Modified-Since` applied as [`Table::since`] does.
fn page_of<T>(rows: Vec<(i64, Uuid, T)>, q: &ListQuery) -> (Option<Pagination>, Vec<T>) {
    let from = q.ims_ms.map(floor_to_second);
    let matching = rows
        .into_iter()
        .filter(|(ms, _, _)| from.is_none_or(|from| floor_to_second(*ms) >= from))
        .map(|(_, _, r)| r);
    let Some(page) = q.page else {
        return (None, matching.collect());
    };
    let all: Vec<T> = matching.collect();
    let size = q.page_size as usize;
    let item_count = all.len();
    let skip = (page as usize - 1).saturating_mul(size);
    let mut items: Vec<T> = all.into_iter().skip(skip).take(size).collect();
    if q.short_page {
        items.truncate(items.len() / 2);
    }
    let pagination = Pagination {
        page,
        page_size: q.page_size,
        page_count: u32::try_from(item_count.div_ceil(size)).unwrap_or(u32::MAX),
        item_count,
    };
    (Some(pagination), items)
}

fn payments(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let (pagination, items) = page_of(crate::payments::all(data), q);
    let n = items.len();
    env.write("Payments", pagination, items.into_iter(), n * 900)
}

fn manual_journals(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let (pagination, items) = select(&data.manual_journals, q, None);
    let n = items.len();
    env.write("ManualJournals", pagination, items.into_iter(), n * 800)
}

/// TaxRates: the whole set, whatever `If-Modified-Since` says (the endpoint has none).
fn tax_rates(data: &TenantData, _q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let n = data.tax_rates.len();
    env.write("TaxRates", None, data.tax_rates.iter(), n * 400)
}

/// A settings set, unpaged: filtered by `If-Modified-Since` when its records have an
/// `UpdatedDateUTC` (the others ignore it, as Xero's endpoints without it do).
fn settings_set(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
    endpoint: &str,
    key: &str,
) -> serde_json::Result<Vec<u8>> {
    let set = crate::settings::set(&data.settings, endpoint);
    let items = crate::settings::since(set, q.ims_ms);
    let n = items.len();
    env.write(key, None, items.into_iter(), n * 400)
}

fn items(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Items", "Items")
}

fn users(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Users", "Users")
}

fn currencies(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Currencies", "Currencies")
}

fn contact_groups(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "ContactGroups", "ContactGroups")
}

fn branding_themes(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "BrandingThemes", "BrandingThemes")
}

fn organisation(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Organisation", "Organisations")
}

/// TrackingCategories: archived categories and options only with `includeArchived=true`.
fn tracking_categories(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let active = |v: &serde_json::Value| v["Status"] == "ACTIVE";
    let items: Vec<serde_json::Value> = data
        .settings
        .tracking
        .iter()
        .filter(|r| q.include_archived || active(&r.body))
        .map(|r| {
            let mut body = r.body.clone();
            if !q.include_archived
                && let Some(options) = body["Options"].as_array_mut()
            {
                options.retain(active);
            }
            body
        })
        .collect();
    let n = items.len();
    env.write("TrackingCategories", None, items.into_iter(), n * 600)
}

/// A page of documents of one kind (`documents::KINDS[kind]`).
fn documents(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
    kind: usize,
) -> serde_json::Result<Vec<u8>> {
    let (pagination, items) = select(&data.documents.sets[kind], q, None);
    let n = items.len();
    let key = crate::documents::KINDS[kind].endpoint;
    env.write(
        key,
        pagination,
        items.into_iter().map(|d| &d.body),
        n * 1_500,
    )
}

fn credit_notes(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 0)
}

fn bank_transactions(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 1)
}

fn overpayments(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 2)
}

fn prepayments(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 3)
}

fn purchase_orders(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    documents(data, q, env, 4)
}

/// Quotes: numbered pages of 100 under `If-Modified-Since` (`pageSize` ignored), without a
/// `pagination` object; without `page`, every quote.
fn quotes(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
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

/// LinkedTransactions: always paged (page 1 without `page`), 100 a page, no
/// `If-Modified-Since`.
fn linked_transactions(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let items = crate::links::page(&data.links, q.page.unwrap_or(1));
    let n = items.len();
    env.write("LinkedTransactions", None, items.into_iter(), n * 500)
}

/// Receipts: unpaged, with `If-Modified-Since`.
fn receipts(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let unpaged = ListQuery {
        page: None,
        ..q.clone()
    };
    documents(data, &unpaged, env, 6)
}

/// ExpenseClaims: unpaged, with `If-Modified-Since`.
fn expense_claims(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let items = crate::settings::since(&data.expense_claims, q.ims_ms);
    let n = items.len();
    env.write("ExpenseClaims", None, items.into_iter(), n * 500)
}

/// BankTransfers: `If-Modified-Since` filters on `CreatedDateUTC` (they have no
/// `UpdatedDateUTC`); deleted ones only with `includeDeleted=true`.
fn bank_transfers(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    let from = q.ims_ms.map(floor_to_second);
    let items: Vec<&serde_json::Value> = data
        .settings
        .bank_transfers
        .iter()
        .filter(|r| q.include_deleted || r.body["Status"] != "DELETED")
        .filter(|r| from.is_none_or(|f| floor_to_second(r.updated_ms.unwrap_or_default()) >= f))
        .map(|r| &r.body)
        .collect();
    let n = items.len();
    env.write("BankTransfers", None, items.into_iter(), n * 700)
}

fn batch_payments(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "BatchPayments", "BatchPayments")
}

fn repeating_invoices(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "RepeatingInvoices", "RepeatingInvoices")
}
