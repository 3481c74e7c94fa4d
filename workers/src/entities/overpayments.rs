//! Overpayments with their line items, paged by the `UpdatedDateUTC` keyset; voided ones are kept
//! with their status.
//! Stored in `xero.overpayments` and `xero.overpayments_line_items`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Overpayments entity.
pub const ENTITY: Entity = Entity {
    name: "overpayments",
    endpoint: "Overpayments",
    collection: "Overpayments",
    id_field: "OverpaymentID",
    paging: Paging::Keyset,
    // Headers and lines in one call (the shape all transaction documents share).
    store: Store::Json(&[include_str!("overpayments.upsert.sql")]),
    digest: include_str!("overpayments.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.payments.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored lines (the simulator's `overpayments_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("overpayments.line_items.digest.sql");
