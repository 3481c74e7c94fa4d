//! `xero-sync verify`: the copy proved against Xero's own Trial Balance. Xero's report for a
//! date is fetched (one call, within the shared budget) and compared, account by account and to
//! the cent, with the same trial balance recomputed from the synced journals by
//! `xero.trial_balance(tenant, date)` — the SQL analysts read through `xero.general_ledger`.
//!
//! What journals cannot show is not called a mismatch: Xero journals no unrealised currency
//! gains or bank revaluations, so in an organisation with more than one currency the unrealised
//! gains account and foreign-currency bank accounts are "not checkable from journals".
//!
//! Beside the trial balance, the documents are checked against the ledger (`documents`): the
//! receivable and payable accounts' balances against what the synced invoices, credit notes
//! and overpayments leave outstanding, so a missing invoice is caught even when the journals
//! are complete.
//!
//! Where Xero gives the app no journals, the receivable and payable accounts of Xero's report
//! are compared with the synced documents instead (`without_journals`).
//!
//! Layout: `amount` (cents, from strings and numerics), `report` (the report's rows),
//! `documents` (the control accounts' cross-check), `without_journals`, and this file (fetch,
//! recompute, compare).

pub mod amount;
pub mod documents;
pub mod report;
pub mod without_journals;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::sync::engine::Engine;
use crate::sync::leased;
use crate::xero::XeroError;
use crate::xero::client::Get;
use amount::Cents;

/// Why a tenant could not be verified.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// What the comparison needs is not synced yet.
    #[error("{0}")]
    NotSynced(String),
    /// What the comparison needs Xero does not give this app (the journals).
    #[error("{0}")]
    Unverifiable(String),
    /// Xero refused the report.
    #[error(
        "Xero refused the Trial Balance: {0}. The connection needs the scope \
         accounting.reports.trialbalance.read (accounting.reports.read for apps made before \
         March 2026): reconnect with `xero-sync connect --reauthorize --tenant <id>`"
    )]
    NotEntitled(XeroError),
    /// The call failed otherwise.
    #[error("fetching the Trial Balance: {0}")]
    Xero(XeroError),
    /// The report could not be read.
    #[error("reading Xero's Trial Balance: {0}")]
    Report(String),
    /// The database.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// One account compared.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// The account.
    pub account_id: Uuid,
    /// How Xero shows it ("Sales (200)"), or our code and name.
    pub label: String,
    /// Xero's YTD debit and credit, in cents.
    pub xero: (Cents, Cents),
    /// Ours, recomputed from the synced journals.
    pub ours: (Cents, Cents),
    /// False where journals cannot show the balance (unrealised currency gains).
    pub checkable: bool,
}

impl Account {
    /// Ours minus Xero's, as a debit balance.
    pub fn difference(&self) -> Cents {
        (self.ours.0 - self.ours.1) - (self.xero.0 - self.xero.1)
    }

    /// Whether the account differs where it can be checked.
    pub fn differs(&self) -> bool {
        self.checkable && self.difference() != 0
    }
}

/// A tenant's verification on a date.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The organisation.
    pub tenant_id: Uuid,
    /// The report's date.
    pub date: NaiveDate,
    /// Every account either side has a balance for, by label.
    pub accounts: Vec<Account>,
    /// The documents against the control accounts.
    pub documents: documents::Check,
    /// Whether the accounts were recomputed from the journals (else Xero gives the app none, and
    /// the control accounts were compared from the documents).
    pub from_journals: bool,
}

impl Verification {
    /// The accounts that differ.
    pub fn differing(&self) -> Vec<&Account> {
        self.accounts.iter().filter(|a| a.differs()).collect()
    }

    /// Whether every account matches Xero and the documents match the ledger.
    pub fn equal(&self) -> bool {
        self.differing().is_empty() && self.documents.differing().is_empty()
    }

    /// "Sales (200) by 12.34; Accounts Receivable (610): documents differ from the ledger by
    /// -50.00": what differs, for logs and errors.
    pub fn describe(&self) -> String {
        let accounts = self
            .differing()
            .into_iter()
            .map(|a| format!("{} by {}", a.label, amount::show(a.difference())));
        let controls = self.documents.differing().into_iter().map(|c| {
            format!(
                "{}: documents differ from the ledger by {}",
                c.label,
                amount::show(c.difference())
            )
        });
        accounts.chain(controls).collect::<Vec<_>>().join("; ")
    }
}

/// Verifies one tenant's ledger on `date` against Xero's Trial Balance.
pub async fn verify(
    engine: &Engine,
    tenant_id: Uuid,
    date: NaiveDate,
) -> Result<Verification, VerifyError> {
    let ledger = synced(&engine.pool, tenant_id, date).await?;
    let get = Get {
        tenant_id,
        endpoint: "Reports/TrialBalance",
        query: vec![("date", date.format("%Y-%m-%d").to_string())],
        modified_since: None,
    };
    let token = leased::token(engine, tenant_id)
        .await
        .map_err(VerifyError::Xero)?;
    let body = match leased::get(engine, &token, &get, "reports").await {
        Ok(answer) => answer.body,
        Err(e @ XeroError::NotEntitled { .. }) => return Err(VerifyError::NotEntitled(e)),
        Err(e) => return Err(VerifyError::Xero(e)),
    };
    let theirs = report::trial_balance(&body).map_err(VerifyError::Report)?;
    let today = chrono::Utc::now().date_naive();
    let (accounts, documents) = if ledger == Ledger::Documents {
        let (compared, documents) =
            without_journals::compare(&engine.pool, tenant_id, date, &theirs).await?;
        let accounts = compared
            .into_iter()
            .map(|c| Account {
                account_id: c.account_id,
                label: c.label,
                xero: c.xero,
                ours: c.documents,
                checkable: true,
            })
            .collect();
        (accounts, documents)
    } else {
        let ours = recomputed(&engine.pool, tenant_id, date).await?;
        let unchecked = not_checkable(&engine.pool, tenant_id).await?;
        let documents = documents::cross_check(&engine.pool, tenant_id, date, today).await?;
        (merge(ours, theirs, &unchecked), documents)
    };
    Ok(Verification {
        tenant_id,
        date,
        accounts,
        documents,
        from_journals: ledger == Ledger::Journals,
    })
}

/// Our accounts and Xero's side by side, by label: every account either side has a balance
/// for.
fn merge(
    ours: Vec<(Uuid, String, Cents, Cents)>,
    theirs: Vec<report::Line>,
    unchecked: &[Uuid],
) -> Vec<Account> {
    let mut accounts: BTreeMap<Uuid, Account> = BTreeMap::new();
    for (account_id, label, debit, credit) in ours {
        accounts.insert(
            account_id,
            Account {
                account_id,
                label,
                xero: (0, 0),
                ours: (debit, credit),
                checkable: !unchecked.contains(&account_id),
            },
        );
    }
    for line in theirs {
        let account = accounts.entry(line.account_id).or_insert_with(|| Account {
            account_id: line.account_id,
            label: line.label.clone(),
            xero: (0, 0),
            ours: (0, 0),
            checkable: !unchecked.contains(&line.account_id),
        });
        account.label = line.label;
        account.xero = (account.xero.0 + line.debit, account.xero.1 + line.credit);
    }
    let mut accounts: Vec<Account> = accounts.into_values().collect();
    accounts.sort_by(|a, b| a.label.cmp(&b.label));
    accounts
}

/// What the copy is compared from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ledger {
    /// The synced journals: every account.
    Journals,
    /// Xero gives the app no journals: the control accounts, from the documents.
    Documents,
}

/// Refuses a comparison that could only fail: the journals, accounts and organisation must
/// each have completed a run — or, where Xero gives the app no journals, the accounts,
/// organisation and documents, on today.
async fn synced(pool: &PgPool, tenant_id: Uuid, date: NaiveDate) -> Result<Ledger, VerifyError> {
    let journals: Option<String> = sqlx::query_scalar(
        "SELECT status FROM xero.sync_progress WHERE tenant_id = $1 AND entity = 'journals'",
    )
    .bind(tenant_id)
    .fetch_optional(pool)
    .await?;
    let ledger = if journals.as_deref() == Some("not_entitled") {
        Ledger::Documents
    } else {
        Ledger::Journals
    };
    let needed: &[&str] = match ledger {
        Ledger::Journals => &["journals", "accounts", "organisation"],
        Ledger::Documents => &without_journals::NEEDED,
    };
    let missing = documents::unsynced(pool, tenant_id, needed).await?;
    let without = "Xero refuses this app its journals (behind the Advanced pricing tier since 2 \
                   March 2026, or a connection without accounting.journals.read), so only the \
                   receivable and payable accounts can be checked, against the synced documents";
    if ledger == Ledger::Documents && date < chrono::Utc::now().date_naive() {
        return Err(VerifyError::Unverifiable(format!(
            "tenant {tenant_id}: {without}, and those carry only today's amounts due: verify \
             it without --date"
        )));
    }
    if !missing.is_empty() {
        let what = match ledger {
            Ledger::Journals => "verify compares the synced journals with Xero's report".to_owned(),
            Ledger::Documents => without.to_owned(),
        };
        return Err(VerifyError::NotSynced(format!(
            "tenant {tenant_id}: {} not synced yet (run `xero-sync sync --tenant {tenant_id}`); \
             {what}",
            missing.join(", ")
        )));
    }
    let start: Option<NaiveDate> = sqlx::query_scalar("SELECT xero.financial_year_start($1, $2)")
        .bind(tenant_id)
        .bind(date)
        .fetch_one(pool)
        .await?;
    if start.is_none() {
        return Err(VerifyError::NotSynced(format!(
            "tenant {tenant_id}: the organisation's financial year end is not known"
        )));
    }
    Ok(ledger)
}

/// Our trial balance: `(account, label, debit, credit)`.
async fn recomputed(
    pool: &PgPool,
    tenant_id: Uuid,
    date: NaiveDate,
) -> Result<Vec<(Uuid, String, Cents, Cents)>, VerifyError> {
    let rows: Vec<(Option<Uuid>, String, String, String)> = sqlx::query_as(
        "SELECT account_id, coalesce(account_name || ' (' || account_code || ')', account_name,
                                     account_id::text, 'no account'),
                debit::text, credit::text
           FROM xero.trial_balance($1, $2)",
    )
    .bind(tenant_id)
    .bind(date)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, label, debit, credit)| {
            let cents = |t: &str| amount::parse(t).map_err(VerifyError::Report);
            Ok((
                id.unwrap_or_default(),
                label,
                cents(&debit)?,
                cents(&credit)?,
            ))
        })
        .collect()
}

/// The accounts journals cannot prove in a multi-currency organisation: unrealised currency
/// gains, and bank accounts in another currency than the base one (revaluations).
async fn not_checkable(pool: &PgPool, tenant_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT a.account_id FROM xero.accounts a
          WHERE a.tenant_id = $1
            AND (SELECT count(*) FROM xero.currencies c WHERE c.tenant_id = $1) > 1
            AND (a.raw->>'SystemAccount' = 'UNREALISEDCURRENCYGAIN'
                 OR (a.type = 'BANK' AND a.currency_code IS DISTINCT FROM
                     (SELECT o.base_currency FROM xero.organisation o
                       WHERE o.tenant_id = $1 AND o.removed_at IS NULL LIMIT 1)))",
    )
    .bind(tenant_id)
    .fetch_all(pool)
    .await
}
