//! Purchase orders with their line items, paged by the `UpdatedDateUTC` keyset; deleted ones are
//! kept with their status.
//! Stored in `xero.purchase_orders` and `xero.purchase_orders_line_items`.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

use crate::documents;

/// The PurchaseOrders entity.
pub const ENTITY: Entity = Entity {
    name: "purchase_orders",
    endpoint: "PurchaseOrders",
    collection: "PurchaseOrders",
    id_field: "PurchaseOrderID",
    paging: Paging::Keyset,
    // Headers and lines by columns, as every transaction document is stored.
    store: documents::store!(
        "purchase_orders",
        "purchase_order_id",
        documents::Shape {
            collection: "PurchaseOrders",
            id_field: "PurchaseOrderID",
            number_field: Some("PurchaseOrderNumber"),
        }
    ),
    digest: include_str!("purchase_orders.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.invoices.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored lines (the simulator's `purchase_orders_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("purchase_orders.line_items.digest.sql");
