//! Journals with their lines, walked by `offset` over `JournalNumber` (Xero advises against
//! `If-Modified-Since` here). Journals are immutable, so their digest version is their number.
//! Stored in `xero.journals` and `xero.journal_lines`.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

/// The Journals entity.
pub const ENTITY: Entity = Entity {
    name: "journals",
    endpoint: "Journals",
    collection: "Journals",
    id_field: "JournalID",
    paging: Paging::Offset {
        field: "JournalNumber",
    },
    // Order matters: the lines statement reads the headers the first one stored.
    upsert: &[
        include_str!("journals.upsert.sql"),
        include_str!("journals.lines.sql"),
    ],
    digest: include_str!("journals.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.journals.read",
        broad: "accounting.journals.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored journal lines (the simulator's `journal_lines` digest).
pub const LINES_DIGEST: &str = include_str!("journals.lines.digest.sql");
