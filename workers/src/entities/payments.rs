//! Payments of invoices (and of credit notes, prepayments and overpayments, whose ids are kept
//! too), paged by the `UpdatedDateUTC` keyset. Stored in `xero.payments`; a deleted payment is
//! an update with `status = 'DELETED'`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Payments entity.
pub const ENTITY: Entity = Entity {
    name: "payments",
    endpoint: "Payments",
    collection: "Payments",
    id_field: "PaymentID",
    paging: Paging::Keyset,
    store: Store::Json(&[include_str!("payments.upsert.sql")]),
    digest: include_str!("payments.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.payments.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::Run("PAYMENT"),
};
