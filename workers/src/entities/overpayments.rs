//! Overpayments with their line items, paged by the `UpdatedDateUTC` keyset; voided ones are kept
//! with their status.
//! Stored in `xero.overpayments` and `xero.overpayments_line_items`.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

use crate::documents;

/// The Overpayments entity.
pub const ENTITY: Entity = Entity {
    name: "overpayments",
    endpoint: "Overpayments",
    collection: "Overpayments",
    id_field: "OverpaymentID",
    paging: Paging::Keyset,
    // Headers and lines by columns, as every transaction document is stored.
    store: documents::store!(
        "overpayments",
        "overpayment_id",
        documents::Shape {
            collection: "Overpayments",
            id_field: "OverpaymentID",
            number_field: None,
        }
    ),
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
