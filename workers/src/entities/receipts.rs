//! Receipts of Classic Expenses (draft expense-claim receipts), with their line items: one
//! unpaged call with `If-Modified-Since`. Deprecated by Xero (July 2025, removal announced for
//! February 2027), so off unless `SYNC_ENTITIES` names it. Stored in `xero.receipts` and
//! `xero.receipts_line_items`, the shape every transaction document shares.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

use crate::documents;

/// The Receipts entity.
pub const ENTITY: Entity = Entity {
    name: "receipts",
    endpoint: "Receipts",
    collection: "Receipts",
    id_field: "ReceiptID",
    paging: Paging::Unpaged {
        modified_since: true,
    },
    // Headers and lines by columns, as every transaction document is stored.
    store: documents::store!(
        "receipts",
        "receipt_id",
        documents::Shape {
            collection: "Receipts",
            id_field: "ReceiptID",
            number_field: Some("ReceiptNumber"),
        }
    ),
    digest: include_str!("receipts.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.classicexpenses.read",
        broad: "accounting.transactions.read",
    },
    deprecated: Some(
        "Classic Expenses: Xero deprecated the Receipts endpoint in July 2025 and announced its \
         removal for February 2027; only organisations that still use classic expense claims \
         have receipts",
    ),
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored lines (the simulator's `receipts_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("receipts.line_items.digest.sql");
