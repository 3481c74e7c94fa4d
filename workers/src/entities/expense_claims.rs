//! Expense claims of Classic Expenses: one unpaged call with `If-Modified-Since`; voided ones
//! are kept with their status. Deprecated by Xero (it announced in July 2025 that it is
//! disabling the endpoint), so off unless `SYNC_ENTITIES` names it. Stored in
//! `xero.expense_claims`.

use xero_sync::entity::{Entity, Paging, Scopes, Store, Webhook};

/// The ExpenseClaims entity.
pub const ENTITY: Entity = Entity {
    name: "expense_claims",
    endpoint: "ExpenseClaims",
    collection: "ExpenseClaims",
    id_field: "ExpenseClaimID",
    paging: Paging::Unpaged {
        modified_since: true,
    },
    store: Store::Json(&[include_str!("expense_claims.upsert.sql")]),
    digest: include_str!("expense_claims.digest.sql"),
    query: &[],
    scopes: Scopes {
        granular: "accounting.classicexpenses.read",
        broad: "accounting.transactions.read",
    },
    deprecated: Some(
        "Classic Expenses: Xero announced in July 2025 that it is disabling the \
         already-deprecated ExpenseClaims endpoint (new claims are bills in Xero Expenses)",
    ),
    sweep_query: &[],
    webhook: Webhook::None,
};
