//! The organisation's users: one unpaged call, with `If-Modified-Since` on incremental runs;
//! a user Xero no longer lists is marked `removed_at` by the next full run.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Users entity.
pub const ENTITY: Entity = Entity {
    name: "users",
    endpoint: "Users",
    collection: "Users",
    id_field: "UserID",
    paging: Paging::Unpaged {
        modified_since: true,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("users.upsert.sql"),
        include_str!("users.removed.sql"),
    ]),
    digest: include_str!("users.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
