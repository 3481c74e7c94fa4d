//! The Xero entities xero-sync keeps, one module each: where the entity is fetched, how it pages,
//! and the SQL beside it (`<entity>.*.sql`) that stores a page and lists what is stored for the
//! digest. Each module's table comes from its own migration (`migrations/`).

pub mod accounts;
pub mod bank_transactions;
pub mod bank_transfers;
pub mod batch_payments;
pub mod branding_themes;
pub mod contact_groups;
pub mod contacts;
pub mod credit_notes;
pub mod currencies;
pub mod expense_claims;
pub mod invoices;
pub mod items;
pub mod journals;
pub mod linked_transactions;
pub mod manual_journals;
pub mod organisation;
pub mod overpayments;
pub mod payments;
pub mod prepayments;
pub mod purchase_orders;
pub mod quotes;
pub mod receipts;
pub mod repeating_invoices;
pub mod tax_rates;
pub mod tracking_categories;
pub mod users;
