//! Tax rates: a full-refresh set (one unpaged call, no `If-Modified-Since`, no
//! `UpdatedDateUTC`), keyed by `TaxType`. Every run reads the whole set, so removals are
//! mirrored: a rate Xero no longer returns is marked `removed_at` in `xero.tax_rates`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The TaxRates entity.
pub const ENTITY: Entity = Entity {
    name: "tax_rates",
    endpoint: "TaxRates",
    collection: "TaxRates",
    id_field: "TaxType",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    // Order matters: the removals compare the stored set with the one just upserted.
    store: Store::Json(&[
        include_str!("tax_rates.upsert.sql"),
        include_str!("tax_rates.removed.sql"),
    ]),
    digest: include_str!("tax_rates.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.settings.read",
        broad: "accounting.settings.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
