//! Manual journals with their lines, paged by the `UpdatedDateUTC` keyset. Stored in
//! `xero.manual_journals` and `xero.manual_journal_lines`. Since March 2026 `Journals` needs
//! Xero's Advanced tier; for most apps manual journals plus the transaction entities are the
//! ledger.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The ManualJournals entity.
pub const ENTITY: Entity = Entity {
    name: "manual_journals",
    endpoint: "ManualJournals",
    collection: "ManualJournals",
    id_field: "ManualJournalID",
    paging: Paging::Keyset,
    // Order matters: the lines statement reads the headers the first one stored.
    store: Store::Json(&[
        include_str!("manual_journals.upsert.sql"),
        include_str!("manual_journals.lines.sql"),
    ]),
    digest: include_str!("manual_journals.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.manualjournals.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored lines (the simulator's `manual_journal_lines` digest).
pub const LINES_DIGEST: &str = include_str!("manual_journals.lines.digest.sql");
