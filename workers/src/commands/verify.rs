//! `xero-sync verify`: each organisation's synced ledger against Xero's Trial Balance, and its
//! documents against the receivable and payable accounts.

use chrono::NaiveDate;
use uuid::Uuid;
use xero_sync::config::{DbArgs, SyncArgs, TokenKeyArgs, XeroArgs};
use xero_sync::verify::amount::show;
use xero_sync::verify::documents::Check;
use xero_sync::verify::{self, Verification};
use xero_sync::{app, db};

use super::setup::{keys, prepare};
use crate::registry;

/// What `verify` is asked.
#[derive(Debug, Clone, clap::Args)]
pub struct VerifyOptions {
    /// One organisation (default: every active one).
    #[arg(long, value_parser = xero_sync::config::parse_tenant_id)]
    pub tenant: Option<Uuid>,
    /// The report's date, `YYYY-MM-DD` (default: today, UTC).
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Verifies; `Ok(false)` when an account differs or an organisation could not be verified.
pub async fn verify(
    db: &DbArgs,
    xero: &XeroArgs,
    token_keys: &TokenKeyArgs,
    options: &VerifyOptions,
) -> anyhow::Result<bool> {
    let keys = keys(token_keys)?;
    let pool = db::connect_to(&db::Target::from_args(db), 4).await?;
    prepare(&pool, db).await?;
    let http = app::http_client()?;
    let engine = app::engine(
        pool.clone(),
        &http,
        xero,
        &SyncArgs::default(),
        registry(),
        keys,
    )?;
    let tenants: Vec<Uuid> =
        match options.tenant {
            Some(tenant) => vec![tenant],
            None => sqlx::query_scalar(
                "SELECT tenant_id FROM xero.tenants WHERE status = 'active' ORDER BY tenant_name",
            )
            .fetch_all(&pool)
            .await?,
        };
    let date = options
        .date
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut all_equal = true;
    let mut results = Vec::new();
    for tenant in tenants {
        match verify::verify(&engine, tenant, date).await {
            Ok(v) => {
                all_equal &= v.equal();
                if !options.json {
                    print_table(&v);
                }
                results.push(serde_json::json!({
                    "tenant_id": tenant, "date": date, "equal": v.equal(),
                    "accounts": v.accounts, "documents": v.documents,
                }));
            }
            Err(e) => {
                all_equal = false;
                eprintln!("tenant {tenant}: cannot verify: {e}");
                results.push(
                    serde_json::json!({"tenant_id": tenant, "date": date, "error": e.to_string()}),
                );
            }
        }
    }
    if options.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(all_equal)
}

/// Every account, Xero's and ours side by side, then the verdict.
fn print_table(v: &Verification) {
    println!("Tenant {} — Trial Balance on {} (YTD)", v.tenant_id, v.date);
    println!(
        "  {:<40} {:>14} {:>14} {:>14} {:>14} {:>12}",
        "account", "Xero debit", "Xero credit", "our debit", "our credit", "difference"
    );
    for a in &v.accounts {
        let mark = if !a.checkable {
            "  not checkable from journals"
        } else if a.differs() {
            "  DIFFERS"
        } else {
            ""
        };
        println!(
            "  {:<40} {:>14} {:>14} {:>14} {:>14} {:>12}{mark}",
            a.label,
            show(a.xero.0),
            show(a.xero.1),
            show(a.ours.0),
            show(a.ours.1),
            show(a.difference()),
        );
    }
    print_documents(&v.documents);
    let differing = v.differing().len() + v.documents.differing().len();
    if differing == 0 {
        println!("  every account matches Xero to the cent\n");
    } else {
        let names = v.describe();
        println!("  {differing} account(s) differ: {names}\n");
        eprintln!(
            "tenant {}: {differing} account(s) differ: {names}",
            v.tenant_id
        );
    }
}

/// The control accounts against the documents, or why they were not checked.
fn print_documents(check: &Check) {
    match check {
        Check::NotChecked { reason } => {
            println!("  documents against the ledger: not checked: {reason}");
        }
        Check::Checked { controls } => {
            println!(
                "  {:<40} {:>14} {:>14} {:>12}",
                "documents against the ledger", "ledger", "documents", "difference"
            );
            for c in controls {
                let mark = if c.difference() != 0 { "  DIFFERS" } else { "" };
                println!(
                    "  {:<40} {:>14} {:>14} {:>12}{mark}",
                    c.label,
                    show(c.ledger),
                    show(c.documents),
                    show(c.difference())
                );
            }
        }
    }
}
