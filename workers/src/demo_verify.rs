//! The demo's last step: every organisation's synced ledger proved against the simulator's Trial
//! Balance, and its documents against the receivable and payable accounts, as `xero-sync
//! verify` does.

use uuid::Uuid;

use xero_sync::sync::engine::Engine;
use xero_sync::verify;
use xero_sync::verify::documents::Check;

/// Verifies each tenant on today; prints one line each; `false` when any differs or cannot be
/// verified.
pub async fn step(engine: &Engine, tenants: &[Uuid]) -> bool {
    let today = chrono::Utc::now().date_naive();
    let mut all_equal = true;
    for &tenant in tenants {
        match verify::verify(engine, tenant, today).await {
            Ok(v) if v.equal() => {
                let documents = match &v.documents {
                    Check::Checked { controls } => {
                        let names: Vec<&str> = controls.iter().map(|c| c.label.as_str()).collect();
                        format!("{} equal to the documents", names.join(" and "))
                    }
                    Check::NotChecked { reason } => format!("documents not checked: {reason}"),
                };
                println!(
                    "verify: {tenant}: {} accounts equal to Xero's Trial Balance to the cent; \
                     {documents}",
                    v.accounts.len()
                );
            }
            Ok(v) => {
                all_equal = false;
                println!("verify: {tenant}: DIFFERS: {}", v.describe());
            }
            Err(e) => {
                all_equal = false;
                println!("verify: {tenant}: cannot verify: {e}");
            }
        }
    }
    all_equal
}
