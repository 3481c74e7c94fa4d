//! Bank transactions (spend and receive money) with their line items, paged by the
//! `UpdatedDateUTC` keyset; deleted ones are kept with their status.
//! Stored in `xero.bank_transactions` and `xero.bank_transactions_line_items`.

use xero_sync::entity::{Entity, Paging, Scopes, Webhook};

use crate::documents;

/// The BankTransactions entity.
pub const ENTITY: Entity = Entity {
    name: "bank_transactions",
    endpoint: "BankTransactions",
    collection: "BankTransactions",
    id_field: "BankTransactionID",
    paging: Paging::Keyset,
    // Headers and lines by columns, as every transaction document is stored.
    store: documents::store!(
        "bank_transactions",
        "bank_transaction_id",
        documents::Shape {
            collection: "BankTransactions",
            id_field: "BankTransactionID",
            number_field: None,
        }
    ),
    digest: include_str!("bank_transactions.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.banktransactions.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};

/// The digest query of the stored lines (the simulator's `bank_transactions_line_items` digest).
pub const LINE_ITEMS_DIGEST: &str = include_str!("bank_transactions.line_items.digest.sql");
