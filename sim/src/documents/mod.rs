//! The other transaction documents with line items: CreditNotes, BankTransactions,
//! Overpayments, Prepayments and PurchaseOrders (paged like Invoices: `page`, `pageSize`,
//! `If-Modified-Since`, `UpdatedDateUTC ASC` then id), Quotes (numbered pages of 100) and the
//! deprecated Receipts (unpaged). Records are kept as Xero's JSON, each with a real contact of
//! the organisation. `/sim/mutate` of each edits one (fresh line items), voids or deletes one
//! the way Xero allows for its status (both stay served, with their status), creates one, or —
//! credit notes, overpayments and prepayments — allocates one to an open invoice of its
//! contact (see `allocations`).
//!
//! Changes made through `/sim/mutate` post to the journal log as Xero does: an authorised bank
//! transaction, credit note, overpayment or prepayment created posts its journal, an edit
//! reverses it and posts the new one, a void or deletion reverses it. The generated history's
//! journals are not tied to the generated documents, so changing one of those posts only what
//! the change adds.
//!
//! Layout: `kinds` (the table of kinds), `doc` (the stored record and its digest versions),
//! `build` (records and their lines, the generation) and `change` (`/sim/mutate`). The first
//! three sit below the tenant's state, which holds [`doc::Documents`]; `change` sits above it.
//! Callers import from the file that defines a name: this file re-exports nothing, so that the
//! state can use `doc` without reaching `change`.

pub mod build;
pub mod change;
pub mod doc;
pub mod kinds;
