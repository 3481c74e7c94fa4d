//! Items (products and services): one unpaged call, with `If-Modified-Since` on incremental
//! runs. Xero deletes items outright, which no incremental read can see: the periodic full run
//! (`SYNC_FULL_EVERY`) reads the whole set and marks the items gone from it `removed_at` in
//! `xero.items` — the reconciliation sweep.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Items entity.
pub const ENTITY: Entity = Entity {
    name: "items",
    endpoint: "Items",
    collection: "Items",
    id_field: "ItemID",
    paging: Paging::Unpaged {
        modified_since: true,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("items.upsert.sql"),
        include_str!("items.removed.sql"),
    ]),
    digest: include_str!("items.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
