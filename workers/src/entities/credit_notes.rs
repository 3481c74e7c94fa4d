//! Credit notes (customer and supplier) with their line items, paged by the `UpdatedDateUTC` keyset;
//! voided and deleted ones are kept with their status.
//! Stored in `xero.credit_notes` and `xero.credit_notes_line_items`.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

use crate::documents;

/// The CreditNotes entity.
pub const ENTITY: Entity = Entity {
    name: "credit_notes",
    endpoint: "CreditNotes",
    collection: "CreditNotes",
    id_field: "CreditNoteID",
    paging: Paging::Keyset,
    // Headers and lines by columns, as every transaction document is stored.
    store: documents::store!(
        "credit_notes",
        "credit_note_id",
        documents::Shape {
            collection: "CreditNotes",
            id_field: "CreditNoteID",
            number_field: Some("CreditNoteNumber"),
        }
    ),
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
