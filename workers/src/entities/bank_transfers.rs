//! Bank transfers: one unpaged call with `includeDeleted=true`. They carry `CreatedDateUTC`
//! only, which a deletion does not move, so no watermark is kept and every run reads the whole
//! set (one call): a deleted transfer arrives as an update with `status = 'DELETED'` in
//! `xero.bank_transfers`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The BankTransfers entity.
pub const ENTITY: Entity = Entity {
    name: "bank_transfers",
    endpoint: "BankTransfers",
    collection: "BankTransfers",
    id_field: "BankTransferID",
    paging: Paging::Unpaged {
        modified_since: false,
    },
    store: Store::Json(&[include_str!("bank_transfers.upsert.sql")]),
    digest: include_str!("bank_transfers.digest.sql"),
    query: &[("includeDeleted", "true")],
    scopes: Scopes {
        granular: "accounting.banktransactions.read",
        broad: "accounting.transactions.read",
    },
    deprecated: None,
    sweep_query: &[],
    webhook: Webhook::None,
};
