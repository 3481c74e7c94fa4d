//! The organisation's small settings sets, each served unpaged, one file per set: Items and
//! Users (with `If-Modified-Since` and `UpdatedDateUTC`; an item can be deleted outright, which
//! no incremental read can see), and the full-refresh sets without either — Currencies,
//! TrackingCategories (with their options; `includeArchived`), ContactGroups, BrandingThemes —
//! and Organisation (one record); BankTransfers, BatchPayments and RepeatingInvoices are kept
//! here too. Records are kept as Xero's JSON ([`Record`]).
//!
//! `/sim/mutate` of each set edits, archives, creates and removes records the way Xero lets a
//! user: a removed item, currency, contact group or tracking option is simply gone. This file
//! lists the sets: their generation (in a fixed order: the stream draws in it), the endpoint
//! each is served at, their digest versions, and the dispatch of a change.

mod bank_transfers;
mod batch_payments;
mod branding_themes;
mod contact_groups;
mod currencies;
mod items;
mod organisation;
mod repeating_invoices;
mod tracking;
mod users;

use rand::Rng;
use rand::rngs::SmallRng;

use crate::book::Book;
use crate::outcome::Outcome;
use crate::record::{Record, content_version, name_status, timed_versions};

/// Every settings set of an organisation.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `GET /Items`.
    pub items: Vec<Record>,
    /// `GET /Users`.
    pub users: Vec<Record>,
    /// `GET /Currencies`.
    pub currencies: Vec<Record>,
    /// `GET /TrackingCategories` (options inside each).
    pub tracking: Vec<Record>,
    /// `GET /ContactGroups`.
    pub contact_groups: Vec<Record>,
    /// `GET /BrandingThemes`.
    pub branding_themes: Vec<Record>,
    /// `GET /Organisation`.
    pub organisation: Vec<Record>,
    /// `GET /BankTransfers` (`updated_ms` holds `CreatedDateUTC`: what If-Modified-Since
    /// filters on; a deletion does not move it).
    pub bank_transfers: Vec<Record>,
    /// `GET /BatchPayments`.
    pub batch_payments: Vec<Record>,
    /// `GET /RepeatingInvoices`.
    pub repeating_invoices: Vec<Record>,
    /// Items created so far (for fresh codes).
    pub next_item: usize,
}

/// A new organisation's settings. Draws from a stream of its own (`rng`), after the older data;
/// the sets draw in the order below, which therefore never changes.
pub fn generate(rng: &mut SmallRng, book: &Book, name: &str, start: i64, end: i64) -> Settings {
    let items = items::generate(rng, book, start, end);
    let users = users::generate(rng, start, end);
    let currencies = currencies::generate();
    let tracking = tracking::generate(book);
    let contact_groups = contact_groups::generate(rng);
    let branding_themes = branding_themes::generate(rng, start);
    let organisation = organisation::generate(rng, name, start);
    let bank_transfers = bank_transfers::generate(rng, book, start, end);
    let batch_payments = batch_payments::generate(rng, book, start, end);
    let repeating_invoices = repeating_invoices::generate(rng, book);
    Settings {
        bank_transfers,
        batch_payments,
        repeating_invoices,
        next_item: items.len(),
        items,
        users,
        currencies,
        tracking,
        contact_groups,
        branding_themes,
        organisation,
    }
}

/// The set an endpoint serves.
pub fn set<'a>(settings: &'a Settings, endpoint: &str) -> &'a [Record] {
    match endpoint {
        "Items" => &settings.items,
        "Users" => &settings.users,
        "Currencies" => &settings.currencies,
        "TrackingCategories" => &settings.tracking,
        "ContactGroups" => &settings.contact_groups,
        "BrandingThemes" => &settings.branding_themes,
        "BankTransfers" => &settings.bank_transfers,
        "BatchPayments" => &settings.batch_payments,
        "RepeatingInvoices" => &settings.repeating_invoices,
        _ => &settings.organisation,
    }
}

/// The digest's `(id, version)` of records without `UpdatedDateUTC`: their content.
fn content_versions(set: &[Record]) -> Vec<(String, i64)> {
    set.iter()
        .map(|r| {
            let (name, status) = name_status(r);
            (r.key.clone(), content_version(&name, &status))
        })
        .collect()
}

/// The digest's `(id, version)` of a set (`items`, `tracking_options`, …), or `None`.
pub fn versions(settings: &Settings, entity: &str) -> Option<Vec<(String, i64)>> {
    Some(match entity {
        "items" => timed_versions(&settings.items),
        "users" => timed_versions(&settings.users),
        "currencies" => content_versions(&settings.currencies),
        "tracking_categories" => content_versions(&settings.tracking),
        "contact_groups" => content_versions(&settings.contact_groups),
        "branding_themes" => content_versions(&settings.branding_themes),
        "organisation" => content_versions(&settings.organisation),
        "batch_payments" => timed_versions(&settings.batch_payments),
        "repeating_invoices" => content_versions(&settings.repeating_invoices),
        "bank_transfers" => transfer_versions(&settings.bank_transfers),
        "tracking_options" => option_versions(&settings.tracking),
        _ => return None,
    })
}

/// Bank transfers: `CreatedDateUTC` (which a deletion does not move) doubled, plus 1 once
/// deleted.
fn transfer_versions(transfers: &[Record]) -> Vec<(String, i64)> {
    transfers
        .iter()
        .map(|r| {
            let deleted = i64::from(r.body["Status"] == "DELETED");
            (
                r.key.clone(),
                r.updated_ms.unwrap_or_default() * 2 + deleted,
            )
        })
        .collect()
}

/// Every tracking option of every category, versioned by its name and status.
fn option_versions(tracking: &[Record]) -> Vec<(String, i64)> {
    tracking
        .iter()
        .flat_map(|c| c.body["Options"].as_array().cloned().unwrap_or_default())
        .map(|o| {
            let text = |k: &str| o[k].as_str().unwrap_or_default().to_owned();
            (
                text("TrackingOptionID"),
                content_version(&text("Name"), &text("Status")),
            )
        })
        .collect()
}

/// One change to the set `entity`; `false` when `entity` is not a settings set.
///
/// The roll is drawn before `entity` is matched, so a call for an entity that is no settings
/// set still moves the stream: `/sim/mutate` asks here before it tries journals, and the
/// journals it then makes depend on that draw.
pub fn change(
    settings: &mut Settings,
    book: &Book,
    rng: &mut SmallRng,
    entity: &str,
    stamp: i64,
    out: &mut Outcome,
) -> bool {
    let roll = rng.random_range(0..100);
    let s = settings;
    match entity {
        "items" => items::change(&mut s.items, &mut s.next_item, book, rng, roll, stamp, out),
        "users" => users::change(&mut s.users, rng, stamp, out),
        "currencies" => currencies::change(&mut s.currencies, rng, roll, out),
        "tracking_categories" => tracking::change(&mut s.tracking, rng, roll, out),
        "contact_groups" => contact_groups::change(&mut s.contact_groups, rng, roll, stamp, out),
        "branding_themes" => branding_themes::change(&mut s.branding_themes, stamp, out),
        "bank_transfers" => {
            bank_transfers::change(&mut s.bank_transfers, book, rng, roll, stamp, out);
        }
        "batch_payments" => {
            batch_payments::change(&mut s.batch_payments, book, rng, roll, stamp, out);
        }
        "repeating_invoices" => {
            repeating_invoices::change(&mut s.repeating_invoices, book, rng, roll, stamp, out);
        }
        "organisation" => organisation::change(&mut s.organisation, stamp, out),
        _ => return false,
    }
    true
}
