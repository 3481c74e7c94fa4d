//! `/sim/mutate` of accounts: an account's description revised, or a new expense account that
//! later invoice lines may use.

use rand::Rng;

use crate::dates::MsDateTime;
use crate::model::{Account, AccountInfo, Shared};
use crate::outcome::Outcome;
use crate::postings;
use crate::state::TenantData;

/// One change to the chart: mostly a revised description, else a new expense account.
pub fn change(data: &mut TenantData, stamp: &dyn Fn() -> i64, out: &mut Outcome) {
    let stamp = stamp();
    let n = data.accounts.len();
    if n > 0 && data.rng.random_ratio(8, 10) {
        let i = data.rng.random_range(0..n);
        let version = data.rng.random_range(1..1000);
        data.accounts.update(i, |a| {
            a.updated = MsDateTime(stamp);
            a.description = format!("{} (rev {version})", a.name);
        });
        out.updated += 1;
    } else {
        create(data, stamp, out);
    }
}

/// A new expense account, added to the book's pool so that later purchase lines may use it.
fn create(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let n = data.accounts.len();
    let code = format!("{}", 6000 + n);
    let name = format!("Expense account {code}");
    let account = Account {
        account_id: postings::new_id(&mut data.rng),
        code: Shared::new(&code),
        name: name.clone(),
        status: "ACTIVE",
        kind: "OVERHEADS",
        tax_type: "INPUT2",
        description: name.clone(),
        class: "EXPENSE",
        system_account: None,
        enable_payments_to_account: false,
        show_in_expense_claims: true,
        bank_account_number: None,
        bank_account_type: None,
        currency_code: None,
        reporting_code: "EXP",
        reporting_code_name: "Expenses",
        has_attachments: false,
        updated: MsDateTime(stamp),
        add_to_watchlist: false,
    };
    let info = AccountInfo {
        id: account.account_id,
        code: account.code.clone(),
        name: Shared::new(&name),
        kind: "OVERHEADS",
    };
    data.book.expense.push(info.clone());
    data.book.by_id.insert(info.id, info);
    data.accounts.insert(account);
    out.created += 1;
}
