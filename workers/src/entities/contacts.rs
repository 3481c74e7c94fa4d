//! Contacts: customers and suppliers, paged by the `UpdatedDateUTC` keyset. Archived contacts are
//! requested too (`includeArchived`), or a contact archived in Xero would stay active here.
//! Stored in `xero.contacts`.

use xero_sync::entity::{Entity, Paging, Scopes};

/// The Contacts entity.
pub const ENTITY: Entity = Entity {
    name: "contacts",
    endpoint: "Contacts",
    collection: "Contacts",
    id_field: "ContactID",
    paging: Paging::Keyset,
    upsert: &[include_str!("contacts.upsert.sql")],
    digest: include_str!("contacts.digest.sql"),
    query: &[("includeArchived", "true")],
    scopes: Scopes {
        granular: "accounting.contacts.read",
        broad: "accounting.contacts.read",
    },
    deprecated: None,
};
