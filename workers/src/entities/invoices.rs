//! Invoices (sales and bills) with their line items, paged by the `UpdatedDateUTC` keyset.
//! Stored in `xero.invoices` and `xero.invoice_line_items`.
//!
//! The headers go first; the line items then follow each invoice's stored version exactly, so
//! lines Xero dropped on an edit disappear here too. An invoice sent without `LineItems` (a
//! summary response) keeps its stored lines; see `invoices.line_items.sql`. The periodic
//! re-read (the sweep) asks for summaries (`summaryOnly=true`: no lines, no payments), which
//! still carry what Xero changes without moving `UpdatedDateUTC` (`DueDate`,
//! `SentToContact`), at a fraction of the egress; `invoices.summary.sql` merges them.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Invoices entity.
pub const ENTITY: Entity = Entity {
    name: "invoices",
    endpoint: "Invoices",
    collection: "Invoices",
    id_field: "InvoiceID",
    paging: Paging::Keyset,
    // Order matters: the line items statement reads the headers the first one stored (or the
    // second merged, which no line follows: a merged `raw` is no record of the batch).
    store: Store::Json(&[
        include_str!("invoices.upsert.sql"),
        include_str!("invoices.summary.sql"),
        include_str!("invoices.line_items.sql"),
    ]),
    digest: include_str!("invoices.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.invoices.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[("summaryOnly", "true")],
    webhook: Webhook::Ids("INVOICE"),
};

/// The digest query of the stored line items (the simulator's `invoice_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("invoices.line_items.digest.sql");
