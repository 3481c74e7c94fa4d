//! Verification where Xero gives the app no journals (behind the Advanced pricing tier since
//! March 2026, or a connection without `accounting.journals.read`): nothing can be recomputed
//! from a ledger the copy does not hold, but Xero's own Trial Balance still shows the
//! receivable and payable accounts, and those must equal what the synced invoices, credit
//! notes and overpayments leave outstanding. So a missing or stale document is still caught;
//! every other account is reported as not checkable without journals.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use super::amount::Cents;
use super::documents::{Check, DOCUMENTS, controls};
use super::report::Line;

/// What must be synced to check without journals.
pub const NEEDED: [&str; 5] = [
    "accounts",
    "organisation",
    DOCUMENTS[0],
    DOCUMENTS[1],
    DOCUMENTS[2],
];

/// A control account: Xero's YTD debit and credit, and the documents' outstanding amount as a
/// debit and a credit.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The account.
    pub account_id: Uuid,
    /// Its name and code.
    pub label: String,
    /// Xero's YTD debit and credit.
    pub xero: (Cents, Cents),
    /// The documents' outstanding amount, as a debit and a credit.
    pub documents: (Cents, Cents),
}

/// The control accounts as Xero's report shows them beside the documents' outstanding
/// amounts; the documents' cross-check says what was left out.
pub async fn compare(
    pool: &PgPool,
    tenant_id: Uuid,
    date: NaiveDate,
    theirs: &[Line],
) -> Result<(Vec<Compared>, Check), sqlx::Error> {
    let mut accounts = Vec::new();
    for control in controls(pool, tenant_id, date).await? {
        let xero = theirs
            .iter()
            .filter(|l| l.account_id == control.account_id)
            .fold((0, 0), |(d, c), l| (d + l.debit, c + l.credit));
        let documents = control.documents;
        accounts.push(Compared {
            account_id: control.account_id,
            label: control.label,
            xero,
            documents: (documents.max(0), (-documents).max(0)),
        });
    }
    let others = theirs
        .iter()
        .filter(|l| !accounts.iter().any(|a| a.account_id == l.account_id))
        .count();
    let check = Check::NotChecked {
        reason: format!(
            "Xero gives this app no journals: the receivable and payable accounts were compared \
             with Xero's Trial Balance from the documents instead; the other {others} account(s) \
             cannot be checked without journals"
        ),
    };
    Ok((accounts, check))
}
