//! Prepayments with their line items, paged by the `UpdatedDateUTC` keyset; voided ones are kept
//! with their status.
//! Stored in `xero.prepayments` and `xero.prepayments_line_items`.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

use crate::documents;

/// The Prepayments entity.
pub const ENTITY: Entity = Entity {
    name: "prepayments",
    endpoint: "Prepayments",
    collection: "Prepayments",
    id_field: "PrepaymentID",
    paging: Paging::Keyset,
    // Headers and lines by columns, as every transaction document is stored.
    store: documents::store!(
        "prepayments",
        "prepayment_id",
        documents::Shape {
            collection: "Prepayments",
            id_field: "PrepaymentID",
            number_field: None,
        }
    ),
    digest: include_str!("prepayments.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.payments.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::Run("PREPAYMENT"),
};

/// The digest query of the stored lines (the simulator's `prepayments_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("prepayments.line_items.digest.sql");
