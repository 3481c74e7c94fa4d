//! The bodies of the endpoints served from sets kept as Xero's JSON and from the tax rates:
//! the settings sets, TrackingCategories, LinkedTransactions, ExpenseClaims and BankTransfers,
//! each with the `If-Modified-Since` and archive rules of its endpoint.

use super::endpoint::Envelope;
use super::query::ListQuery;
use crate::dates::floor_to_second;
use crate::record::since;
use crate::state::TenantData;
use crate::{links, settings};

/// TaxRates: the whole set, whatever `If-Modified-Since` says (the endpoint has none).
pub fn tax_rates(data: &TenantData, _q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
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
    let set = settings::set(&data.settings, endpoint);
    let items = since(set, q.ims_ms);
    let n = items.len();
    env.write(key, None, items.into_iter(), n * 400)
}

/// `GET /Items`.
pub fn items(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Items", "Items")
}

/// `GET /Users`.
pub fn users(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Users", "Users")
}

/// `GET /Currencies`.
pub fn currencies(data: &TenantData, q: &ListQuery, env: Envelope) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Currencies", "Currencies")
}

/// `GET /ContactGroups`.
pub fn contact_groups(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "ContactGroups", "ContactGroups")
}

/// `GET /BrandingThemes`.
pub fn branding_themes(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "BrandingThemes", "BrandingThemes")
}

/// `GET /Organisation` (its collection key is `Organisations`).
pub fn organisation(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "Organisation", "Organisations")
}

/// TrackingCategories: archived categories and options only with `includeArchived=true`.
pub fn tracking_categories(
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

/// LinkedTransactions: always paged (page 1 without `page`), 100 a page, no
/// `If-Modified-Since`.
pub fn linked_transactions(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let items = links::page(&data.links, q.page.unwrap_or(1));
    let n = items.len();
    env.write("LinkedTransactions", None, items.into_iter(), n * 500)
}

/// ExpenseClaims: unpaged, with `If-Modified-Since`.
pub fn expense_claims(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let items = since(&data.expense_claims, q.ims_ms);
    let n = items.len();
    env.write("ExpenseClaims", None, items.into_iter(), n * 500)
}

/// BankTransfers: `If-Modified-Since` filters on `CreatedDateUTC` (they have no
/// `UpdatedDateUTC`); deleted ones only with `includeDeleted=true`.
pub fn bank_transfers(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
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

/// `GET /BatchPayments`.
pub fn batch_payments(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "BatchPayments", "BatchPayments")
}

/// `GET /RepeatingInvoices`.
pub fn repeating_invoices(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    settings_set(data, q, env, "RepeatingInvoices", "RepeatingInvoices")
}
