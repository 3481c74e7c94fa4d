//! The organisation itself (`GET /Organisation`, one record): its name, base currency,
//! financial year, edition and class, refreshed on every run.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The Organisations entity.
pub const ENTITY: Entity = Entity {
    name: "organisation",
    endpoint: "Organisation",
    collection: "Organisations",
    id_field: "OrganisationID",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("organisation.upsert.sql"),
        include_str!("organisation.removed.sql"),
    ]),
    digest: include_str!("organisation.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
