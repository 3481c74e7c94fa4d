//! The Xero entities synced by xero-sync. The engine (`xero-sync`) names no entity: it walks
//! whatever [`registry`] lists. Adding an entity is one module in [`entities`], one migration,
//! and one line here.

use xero_sync::entity::Entity;

pub mod entities;

/// Every entity, in the order a full sync of a tenant starts them.
static REGISTRY: [Entity; 4] = [
    entities::accounts::ENTITY,
    entities::contacts::ENTITY,
    entities::invoices::ENTITY,
    entities::journals::ENTITY,
];

/// All the entities xero-sync keeps. Names are unique (a test checks it).
pub fn registry() -> &'static [Entity] {
    &REGISTRY
}

/// The entity with this wire name (as in job payloads and the CLI), if there is one.
pub fn entity(name: &str) -> Option<&'static Entity> {
    REGISTRY.iter().find(|entity| entity.name == name)
}
