//! The Xero entities xero-sync keeps, one module each: where the entity is fetched, how it pages,
//! and the SQL beside it (`<entity>.*.sql`) that stores a page and lists what is stored for the
//! digest. Each module's table comes from its own migration (`migrations/2026112400001x_*.sql`).

pub mod accounts;
pub mod contacts;
pub mod invoices;
pub mod journals;
pub mod manual_journals;
pub mod payments;
pub mod tax_rates;
