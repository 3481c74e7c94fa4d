//! Linked transactions (billable expenses): Xero pages them by number, 100 a page, and takes no
//! `If-Modified-Since`, and deletes them outright. So every run walks the whole set, each page
//! after the first checked by reading the page before it again (a deletion mid-walk slides a
//! record back onto a page already read), upserting only what changed (`UpdatedDateUTC`) and
//! stamping what it met with its run; the last batch marks what the run did not meet
//! `removed_at`. Stored in `xero.linked_transactions`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The LinkedTransactions entity.
pub const ENTITY: Entity = Entity {
    name: "linked_transactions",
    endpoint: "LinkedTransactions",
    collection: "LinkedTransactions",
    id_field: "LinkedTransactionID",
    paging: Paging::Numbered {
        size: 100,
        modified_since: false,
    },
    // Order matters: removals look for the run's stamp the first statement left.
    store: Store::Json(&[
        include_str!("linked_transactions.upsert.sql"),
        include_str!("linked_transactions.removed.sql"),
    ]),
    digest: include_str!("linked_transactions.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.invoices.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
