//! Contact groups: a full-refresh set; a group deleted in Xero is marked `removed_at`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The ContactGroups entity.
pub const ENTITY: Entity = Entity {
    name: "contact_groups",
    endpoint: "ContactGroups",
    collection: "ContactGroups",
    id_field: "ContactGroupID",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("contact_groups.upsert.sql"),
        include_str!("contact_groups.removed.sql"),
    ]),
    digest: include_str!("contact_groups.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.contacts.read",
        broad: "accounting.contacts.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
