//! Repeating invoice templates: a full-refresh set (no paging, no If-Modified-Since, no
//! UpdatedDateUTC). A template deleted in Xero is marked `removed_at` in
//! `xero.repeating_invoices`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The RepeatingInvoices entity.
pub const ENTITY: Entity = Entity {
    name: "repeating_invoices",
    endpoint: "RepeatingInvoices",
    collection: "RepeatingInvoices",
    id_field: "RepeatingInvoiceID",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("repeating_invoices.upsert.sql"),
        include_str!("repeating_invoices.removed.sql"),
    ]),
    digest: include_str!("repeating_invoices.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.invoices.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
