//! The Accounting endpoints, one table row each. Adding an endpoint is a record type in
//! `model`, a table in `TenantData`, a render function in `render` (or `render_sets`) and a row
//! in [`ENDPOINTS`]; the request flow (auth, tenant, limits, faults, headers, stats) in `api` is
//! shared. A report is computed from the tenant's records instead (`Reports/TrialBalance` from
//! its journals and chart, in `trial_balance`; `ProfitAndLoss`, `BalanceSheet` and
//! `BankSummary` in `statements`) and rendered in `render_reports` and `render_statements`.
//!
//! `IDs` is read by Invoices and Contacts (what webhook followers fetch). `where` and `order`
//! (Xero's grammar for the fields clients filter on, in `filter`) apply to every list endpoint
//! that pages by `page` or not at all; a `where` it cannot evaluate, or either on Journals or a
//! report, is a 400 naming it, never ignored. Not implemented (ignored if sent): `IDs`
//! elsewhere, `Statuses` and other list filters, `unitdp`, `paymentsOnly` (the trial balance is
//! always on the accrual basis).
//!
//! Layout: `query` (the parsed request and Xero's page sizes), `paging` (selection and pages),
//! `endpoint` (what an endpoint is, and the envelope), `render`, `render_sets` and
//! `render_reports` (the bodies), and this file, the table of every endpoint. The entity modules
//! use `query` and `paging` (a fault edits the record a page served first), so those two import
//! no entity, and callers import every name from the file that defines it: this file
//! re-exports nothing.

pub mod endpoint;
pub mod filter;
pub mod order;
pub mod paging;
pub mod query;
mod render;
mod render_reports;
mod render_sets;
mod render_statements;

use endpoint::{Endpoint, Paging};

/// Invoices and the other sales and purchase documents: the granular `accounting.invoices`
/// scopes, or the broad `accounting.transactions` ones of older apps.
const INVOICES_SCOPES: &[&str] = &[
    "accounting.invoices.read",
    "accounting.invoices",
    "accounting.transactions.read",
    "accounting.transactions",
];

/// Payments, overpayments, prepayments and batch payments.
const PAYMENTS_SCOPES: &[&str] = &[
    "accounting.payments.read",
    "accounting.payments",
    "accounting.transactions.read",
    "accounting.transactions",
];

/// Receipts and expense claims (Classic Expenses).
const CLASSIC_EXPENSES_SCOPES: &[&str] = &[
    "accounting.classicexpenses.read",
    "accounting.classicexpenses",
    "accounting.transactions.read",
    "accounting.transactions",
];

/// The trial balance: the granular scope of apps created since 2 March 2026, or the broad
/// reports scope of older ones.
const TRIAL_BALANCE_SCOPES: &[&str] = &[
    "accounting.reports.trialbalance.read",
    "accounting.reports.read",
];

/// Every endpoint served under `/api.xro/2.0`.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        name: "Accounts",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render::accounts,
    },
    Endpoint {
        name: "Contacts",
        paging: Paging::Pages,
        scopes: &["accounting.contacts.read", "accounting.contacts"],
        render: render::contacts,
    },
    Endpoint {
        name: "Invoices",
        paging: Paging::Pages,
        scopes: INVOICES_SCOPES,
        render: render::invoices,
    },
    Endpoint {
        name: "Journals",
        paging: Paging::Offset,
        scopes: &["accounting.journals.read"],
        render: render::journals,
    },
    Endpoint {
        name: "Payments",
        paging: Paging::Pages,
        scopes: PAYMENTS_SCOPES,
        render: render::payments,
    },
    Endpoint {
        name: "ManualJournals",
        paging: Paging::Pages,
        scopes: &[
            "accounting.manualjournals.read",
            "accounting.manualjournals",
            "accounting.transactions.read",
            "accounting.transactions",
        ],
        render: render::manual_journals,
    },
    Endpoint {
        name: "CreditNotes",
        paging: Paging::Pages,
        scopes: INVOICES_SCOPES,
        render: render::credit_notes,
    },
    Endpoint {
        name: "BankTransactions",
        paging: Paging::Pages,
        scopes: &[
            "accounting.banktransactions.read",
            "accounting.banktransactions",
            "accounting.transactions.read",
            "accounting.transactions",
        ],
        render: render::bank_transactions,
    },
    Endpoint {
        name: "Overpayments",
        paging: Paging::Pages,
        scopes: PAYMENTS_SCOPES,
        render: render::overpayments,
    },
    Endpoint {
        name: "Prepayments",
        paging: Paging::Pages,
        scopes: PAYMENTS_SCOPES,
        render: render::prepayments,
    },
    Endpoint {
        name: "PurchaseOrders",
        paging: Paging::Pages,
        scopes: INVOICES_SCOPES,
        render: render::purchase_orders,
    },
    Endpoint {
        name: "BankTransfers",
        paging: Paging::Unpaged,
        scopes: &[
            "accounting.banktransactions.read",
            "accounting.banktransactions",
            "accounting.transactions.read",
            "accounting.transactions",
        ],
        render: render_sets::bank_transfers,
    },
    Endpoint {
        name: "BatchPayments",
        paging: Paging::Unpaged,
        scopes: PAYMENTS_SCOPES,
        render: render_sets::batch_payments,
    },
    Endpoint {
        name: "RepeatingInvoices",
        paging: Paging::Unpaged,
        scopes: INVOICES_SCOPES,
        render: render_sets::repeating_invoices,
    },
    Endpoint {
        name: "Items",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render_sets::items,
    },
    Endpoint {
        name: "Users",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render_sets::users,
    },
    Endpoint {
        name: "Currencies",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render_sets::currencies,
    },
    Endpoint {
        name: "TrackingCategories",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render_sets::tracking_categories,
    },
    Endpoint {
        name: "ContactGroups",
        paging: Paging::Unpaged,
        scopes: &["accounting.contacts.read", "accounting.contacts"],
        render: render_sets::contact_groups,
    },
    Endpoint {
        name: "BrandingThemes",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render_sets::branding_themes,
    },
    Endpoint {
        name: "Organisation",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render_sets::organisation,
    },
    Endpoint {
        name: "TaxRates",
        paging: Paging::Unpaged,
        scopes: &["accounting.settings.read", "accounting.settings"],
        render: render_sets::tax_rates,
    },
    Endpoint {
        name: "Quotes",
        paging: Paging::Numbered,
        scopes: INVOICES_SCOPES,
        render: render::quotes,
    },
    Endpoint {
        name: "LinkedTransactions",
        paging: Paging::Numbered,
        scopes: INVOICES_SCOPES,
        render: render_sets::linked_transactions,
    },
    Endpoint {
        name: "Receipts",
        paging: Paging::Unpaged,
        scopes: CLASSIC_EXPENSES_SCOPES,
        render: render::receipts,
    },
    Endpoint {
        name: "ExpenseClaims",
        paging: Paging::Unpaged,
        scopes: CLASSIC_EXPENSES_SCOPES,
        render: render_sets::expense_claims,
    },
    Endpoint {
        name: "Reports/TrialBalance",
        paging: Paging::Report,
        scopes: TRIAL_BALANCE_SCOPES,
        render: render_reports::trial_balance,
    },
    Endpoint {
        name: "Reports/ProfitAndLoss",
        paging: Paging::Report,
        scopes: &[
            "accounting.reports.profitandloss.read",
            "accounting.reports.read",
        ],
        render: render_statements::profit_and_loss,
    },
    Endpoint {
        name: "Reports/BalanceSheet",
        paging: Paging::Report,
        scopes: &[
            "accounting.reports.balancesheet.read",
            "accounting.reports.read",
        ],
        render: render_statements::balance_sheet,
    },
    Endpoint {
        name: "Reports/BankSummary",
        paging: Paging::Report,
        scopes: &[
            "accounting.reports.banksummary.read",
            "accounting.reports.read",
        ],
        render: render_statements::bank_summary,
    },
];

/// The endpoint for a path (`Invoices`, `Reports/TrialBalance`; Xero paths are
/// case-insensitive).
pub fn endpoint(name: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.name.eq_ignore_ascii_case(name))
}
