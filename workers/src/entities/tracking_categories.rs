//! Tracking categories and their options: a full-refresh set read with `includeArchived=true`.
//! A category or option gone from Xero is marked `removed_at` (in `xero.tracking_categories`
//! and `xero.tracking_options`); archived ones keep their status.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The TrackingCategories entity.
pub const ENTITY: Entity = Entity {
    name: "tracking_categories",
    endpoint: "TrackingCategories",
    collection: "TrackingCategories",
    id_field: "TrackingCategoryID",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    // Order matters: removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("tracking_categories.upsert.sql"),
        include_str!("tracking_categories.removed.sql"),
        include_str!("tracking_categories.options.sql"),
    ]),
    digest: include_str!("tracking_categories.digest.sql"),
    query: &[("includeArchived", "true")],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored options (the simulator's `tracking_options` digest).
pub const OPTIONS_DIGEST: &str = include_str!("tracking_categories.options.digest.sql");
