//! The organisation's currencies: a full-refresh set keyed by code; a currency removed in Xero
//! is marked `removed_at`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Currencies entity.
pub const ENTITY: Entity = Entity {
    name: "currencies",
    endpoint: "Currencies",
    collection: "Currencies",
    id_field: "Code",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("currencies.upsert.sql"),
        include_str!("currencies.removed.sql"),
    ]),
    digest: include_str!("currencies.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
