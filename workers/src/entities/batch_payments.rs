//! Batch payments: one unpaged call, with `If-Modified-Since` on incremental runs. A deleted
//! batch arrives as an update with `status = 'DELETED'` in `xero.batch_payments`; its payments
//! are in `xero.payments` (with their `batch_payment_id`).

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The BatchPayments entity.
pub const ENTITY: Entity = Entity {
    name: "batch_payments",
    endpoint: "BatchPayments",
    collection: "BatchPayments",
    id_field: "BatchPaymentID",
    paging: Paging::Unpaged {
        modified_since: true,
    },
    store: Store::Json(&[include_str!("batch_payments.upsert.sql")]),
    digest: include_str!("batch_payments.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.payments.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
