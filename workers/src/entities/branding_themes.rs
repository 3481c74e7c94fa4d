//! Branding themes: a full-refresh set.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The BrandingThemes entity.
pub const ENTITY: Entity = Entity {
    name: "branding_themes",
    endpoint: "BrandingThemes",
    collection: "BrandingThemes",
    id_field: "BrandingThemeID",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("branding_themes.upsert.sql"),
        include_str!("branding_themes.removed.sql"),
    ]),
    digest: include_str!("branding_themes.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
