//! Contacts: customers and suppliers, paged by the `UpdatedDateUTC` keyset. Archived contacts are
//! requested too (`includeArchived`), or a contact archived in Xero would stay active here.
//! Stored in `xero.contacts`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Contacts entity.
pub const ENTITY: Entity = Entity {
    name: "contacts",
    endpoint: "Contacts",
    collection: "Contacts",
    id_field: "ContactID",
    paging: Paging::Keyset,
    store: Store::Json(&[include_str!("contacts.upsert.sql")]),
    digest: include_str!("contacts.digest.sql"),
    query: &[("includeArchived", "true")],
    scopes: Scopes {
        granular: "accounting.contacts.read",
        broad: "accounting.contacts.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::Ids("CONTACT"),
};

/// The digest query of the stored addresses (`xero.contact_addresses`, a view over `raw`).
pub const ADDRESSES_DIGEST: &str = include_str!("contacts.addresses.digest.sql");

/// The digest query of the stored phone slots (`xero.contact_phones`).
pub const PHONES_DIGEST: &str = include_str!("contacts.phones.digest.sql");

/// The digest query of the stored contact people (`xero.contact_persons`).
pub const PERSONS_DIGEST: &str = include_str!("contacts.persons.digest.sql");
