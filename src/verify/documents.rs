//! The documents against the ledger: each control account's balance from the synced journals
//! (Accounts Receivable, Accounts Payable) beside what the synced invoices, credit notes and
//! overpayments leave outstanding (`xero.control_accounts`). A missing or stale document is
//! caught here even when the journals, and so the trial balance, are complete.
//!
//! Documents carry only today's amounts due, so the check is made on today (or later) only,
//! and only once the invoices, credit notes and overpayments have each completed a run;
//! otherwise the verification says why it was not made.

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::amount::{self, Cents};

/// The entities whose documents sit in the control accounts.
pub const DOCUMENTS: [&str; 3] = ["invoices", "credit_notes", "overpayments"];

/// One control account compared.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// The account.
    pub account_id: Uuid,
    /// Its name and code, "Accounts Receivable (610)".
    pub label: String,
    /// Its balance from the journals (debit positive).
    pub ledger: Cents,
    /// What the documents leave outstanding (debit positive).
    pub documents: Cents,
}

impl Control {
    /// The documents' amount less the ledger's.
    pub fn difference(&self) -> Cents {
        self.documents - self.ledger
    }
}

/// The outcome of the cross-check.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Check {
    /// Made: every control account.
    Checked {
        /// The control accounts.
        controls: Vec<Control>,
    },
    /// Not made, and why.
    NotChecked {
        /// Why.
        reason: String,
    },
}

impl Check {
    /// The control accounts whose documents and ledger differ.
    pub fn differing(&self) -> Vec<&Control> {
        match self {
            Check::Checked { controls } => {
                controls.iter().filter(|c| c.difference() != 0).collect()
            }
            Check::NotChecked { .. } => Vec::new(),
        }
    }
}

/// Each control account's balance from the journals and the documents' outstanding amount on
/// `date` (`xero.control_accounts`), receivable first.
pub async fn controls(
    pool: &PgPool,
    tenant_id: Uuid,
    date: NaiveDate,
) -> Result<Vec<Control>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT account_id, coalesce(account_name || ' (' || account_code || ')', account_name,
                                     system_account),
                ledger::text, documents::text
           FROM xero.control_accounts($1, $2) ORDER BY system_account DESC",
    )
    .bind(tenant_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    let cents = |t: &str| amount::parse(t).map_err(|e| sqlx::Error::Decode(e.into()));
    rows.into_iter()
        .map(|(account_id, label, ledger, documents)| {
            Ok(Control {
                account_id,
                label,
                ledger: cents(&ledger)?,
                documents: cents(&documents)?,
            })
        })
        .collect()
}

/// Those of `entities` that have not completed a run for the tenant.
pub async fn unsynced(
    pool: &PgPool,
    tenant_id: Uuid,
    entities: &[&str],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT e FROM unnest($2::text[]) AS e
          WHERE NOT EXISTS (SELECT 1 FROM xero.sync_progress p
                             WHERE p.tenant_id = $1 AND p.entity = e
                               AND p.last_success_at IS NOT NULL)",
    )
    .bind(tenant_id)
    .bind(entities)
    .fetch_all(pool)
    .await
}

/// Cross-checks the tenant's documents against its control accounts on `date`.
pub async fn cross_check(
    pool: &PgPool,
    tenant_id: Uuid,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<Check, sqlx::Error> {
    if date < today {
        return Ok(Check::NotChecked {
            reason: format!(
                "documents carry today's amounts due, not those of {date}: checked on today only"
            ),
        });
    }
    let missing = unsynced(pool, tenant_id, &DOCUMENTS).await?;
    if !missing.is_empty() {
        return Ok(Check::NotChecked {
            reason: format!(
                "{} not synced (add them to SYNC_ENTITIES to check the receivable and payable \
                 accounts against the documents)",
                missing.join(", ")
            ),
        });
    }
    let controls = controls(pool, tenant_id, date).await?;
    Ok(Check::Checked { controls })
}
