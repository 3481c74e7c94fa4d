//! The Xero entities synced by xero-sync. The engine (`xero-sync`) names no entity: it walks
//! whatever [`registry`] lists. Adding an entity is one module in [`entities`], one migration,
//! and one line here.

use xero_sync::entity::Entity;

pub mod columns;
pub mod commands;
pub mod demo;
pub mod demo_verify;
pub mod demo_webhooks;
pub mod documents;
pub mod entities;
pub mod runs;
pub mod simulated;

/// Every entity, in the order a full sync of a tenant starts them (the deprecated ones last).
static REGISTRY: [Entity; 26] = [
    entities::organisation::ENTITY,
    entities::currencies::ENTITY,
    entities::accounts::ENTITY,
    entities::tax_rates::ENTITY,
    entities::tracking_categories::ENTITY,
    entities::items::ENTITY,
    entities::users::ENTITY,
    entities::contact_groups::ENTITY,
    entities::branding_themes::ENTITY,
    entities::contacts::ENTITY,
    entities::invoices::ENTITY,
    entities::repeating_invoices::ENTITY,
    entities::quotes::ENTITY,
    entities::credit_notes::ENTITY,
    entities::purchase_orders::ENTITY,
    entities::payments::ENTITY,
    entities::overpayments::ENTITY,
    entities::prepayments::ENTITY,
    entities::batch_payments::ENTITY,
    entities::bank_transactions::ENTITY,
    entities::bank_transfers::ENTITY,
    entities::linked_transactions::ENTITY,
    entities::manual_journals::ENTITY,
    entities::journals::ENTITY,
    entities::receipts::ENTITY,
    entities::expense_claims::ENTITY,
];

/// All the entities xero-sync keeps. Names are unique (a test checks it).
pub fn registry() -> &'static [Entity] {
    &REGISTRY
}

/// The entity with this wire name (as in job payloads and the CLI), if there is one.
pub fn entity(name: &str) -> Option<&'static Entity> {
    REGISTRY.iter().find(|entity| entity.name == name)
}

/// Digests of the sets stored beside entities rather than as entities of their own (child
/// tables, and the views over nested lists): the name the
/// simulator's `/sim/digest?entity=` knows them by, and the query for
/// [`xero_sync::digest::digest_query`].
pub fn line_digests() -> &'static [(&'static str, &'static str)] {
    &[
        ("invoice_line_items", entities::invoices::LINE_ITEMS_DIGEST),
        ("journal_lines", entities::journals::LINES_DIGEST),
        (
            "manual_journal_lines",
            entities::manual_journals::LINES_DIGEST,
        ),
        (
            "tracking_options",
            entities::tracking_categories::OPTIONS_DIGEST,
        ),
        (
            "credit_notes_line_items",
            entities::credit_notes::LINE_ITEMS_DIGEST,
        ),
        (
            "purchase_orders_line_items",
            entities::purchase_orders::LINE_ITEMS_DIGEST,
        ),
        (
            "overpayments_line_items",
            entities::overpayments::LINE_ITEMS_DIGEST,
        ),
        (
            "prepayments_line_items",
            entities::prepayments::LINE_ITEMS_DIGEST,
        ),
        (
            "bank_transactions_line_items",
            entities::bank_transactions::LINE_ITEMS_DIGEST,
        ),
        ("quotes_line_items", entities::quotes::LINE_ITEMS_DIGEST),
        ("receipts_line_items", entities::receipts::LINE_ITEMS_DIGEST),
        ("allocations", entities::credit_notes::ALLOCATIONS_DIGEST),
        ("contact_addresses", entities::contacts::ADDRESSES_DIGEST),
        ("contact_phones", entities::contacts::PHONES_DIGEST),
        ("contact_persons", entities::contacts::PERSONS_DIGEST),
    ]
}
