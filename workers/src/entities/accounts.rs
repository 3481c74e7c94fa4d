//! Accounts: the chart of accounts, small enough that Xero returns it in one unpaged call, which
//! honours `If-Modified-Since`. Stored in `xero.accounts`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Accounts entity.
pub const ENTITY: Entity = Entity {
    name: "accounts",
    endpoint: "Accounts",
    collection: "Accounts",
    id_field: "AccountID",
    paging: Paging::Unpaged {
        modified_since: true,
    },
    store: Store::Json(&[include_str!("accounts.upsert.sql")]),
    digest: include_str!("accounts.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
