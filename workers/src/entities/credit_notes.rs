//! Credit notes (customer and supplier) with their line items, paged by the `UpdatedDateUTC` keyset;
//! voided and deleted ones are kept with their status.
//! Stored in `xero.credit_notes` and `xero.credit_notes_line_items`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The CreditNotes entity.
pub const ENTITY: Entity = Entity {
    name: "credit_notes",
    endpoint: "CreditNotes",
    collection: "CreditNotes",
    id_field: "CreditNoteID",
    paging: Paging::Keyset,
    // Headers and lines in one call (the shape all transaction documents share).
    store: Store::Json(&[include_str!("credit_notes.upsert.sql")]),
    digest: include_str!("credit_notes.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.invoices.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::Run("CREDITNOTE"),
};

/// The digest query of the stored lines (the simulator's `credit_notes_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("credit_notes.line_items.digest.sql");

/// The digest query of the stored allocations of credit notes, overpayments and prepayments
/// (`xero.allocations`, a view over their `raw`).
pub const ALLOCATIONS_DIGEST: &str = include_str!("credit_notes.allocations.digest.sql");
