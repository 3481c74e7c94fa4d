//! Sales quotes with their line items: numbered pages of 100 under `If-Modified-Since`
//! (`order=UpdatedDateUTC ASC` asked explicitly: Xero documents no default order for Quotes),
//! a keyset a page at a time, read by position with checked pages where one second holds a
//! whole page. Deleted quotes are kept with their status. Stored in `xero.quotes` and
//! `xero.quotes_line_items`, the shape every transaction document shares.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

use crate::documents;

/// The Quotes entity.
pub const ENTITY: Entity = Entity {
    name: "quotes",
    endpoint: "Quotes",
    collection: "Quotes",
    id_field: "QuoteID",
    paging: Paging::Numbered {
        size: 100,
        modified_since: true,
    },
    // Headers and lines by columns, as every transaction document is stored.
    store: documents::store!(
        "quotes",
        "quote_id",
        documents::Shape {
            collection: "Quotes",
            id_field: "QuoteID",
            number_field: Some("QuoteNumber"),
        }
    ),
    digest: include_str!("quotes.digest.sql"),
    query: &[("order", "UpdatedDateUTC ASC")],
    scopes: Scopes {
        granular: "accounting.invoices.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored lines (the simulator's `quotes_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("quotes.line_items.digest.sql");
