//! What one `POST /sim/mutate` changed, counted by every entity's change and returned as the
//! response body. A leaf, so that every entity can count into it without knowing the dispatcher
//! that calls it.

use serde::Serialize;

/// What a mutation changed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Outcome {
    /// Records edited (including paid invoices).
    pub updated: usize,
    /// Records created.
    pub created: usize,
    /// Invoices voided.
    pub voided: usize,
    /// Invoices paid.
    pub paid: usize,
    /// Draft invoices deleted.
    pub deleted: usize,
    /// Journals appended.
    pub journals_posted: usize,
    /// Contacts merged into another.
    pub merged: usize,
    /// Credit notes, overpayments and prepayments allocated to an invoice.
    pub allocated: usize,
}
