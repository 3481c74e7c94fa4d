//! A new organisation's chart of accounts: the base chart (which holds the role accounts),
//! then numbered expense accounts, some archived; and the [`Book`] postings read from it.

use std::collections::HashMap;

use rand::Rng;
use rand::rngs::SmallRng;

use crate::book::{Book, TrackingDef};
use crate::dates::{DAY_MS, MsDateTime};
use crate::model::{Account, AccountInfo, Shared};
use crate::names::{BASE_CHART, MIN_ACCOUNTS, NOUNS, Role, TRACKING};
use crate::postings::new_id;
use crate::timeline::timeline;

/// The chart of accounts: the base chart first (it holds the role accounts), then numbered
/// expense accounts, some archived. Set up in the first 60 days of the history.
pub fn accounts(rng: &mut SmallRng, n: usize, start: i64) -> (Vec<Account>, Book) {
    let n = n.max(MIN_ACCOUNTS);
    let stamps = timeline(rng, n, start, start + 60 * DAY_MS, 0);
    let mut out = Vec::with_capacity(n);
    for (i, stamp) in stamps.into_iter().enumerate() {
        let base = BASE_CHART.get(i).copied();
        let extra_name;
        let (code, name, kind, class, tax, rep, rep_name, system) = match base {
            Some(row) => row,
            None => {
                let k = i - BASE_CHART.len();
                extra_name = format!("{} Costs {}", NOUNS[k % NOUNS.len()], k / NOUNS.len() + 1);
                let code: &'static str = "";
                (
                    code,
                    extra_name.as_str(),
                    "OVERHEADS",
                    "EXPENSE",
                    "INPUT2",
                    "EXP",
                    "Expenses",
                    None,
                )
            }
        };
        let code = if code.is_empty() {
            format!("{}", 5000 + i)
        } else {
            code.to_owned()
        };
        let bank = kind == "BANK";
        let archived = base.is_none() && rng.random_ratio(1, 10);
        out.push(Account {
            account_id: new_id(rng),
            code: Shared::new(&code),
            name: name.to_owned(),
            status: if archived { "ARCHIVED" } else { "ACTIVE" },
            kind,
            tax_type: tax,
            description: format!("{name} ({class})"),
            class,
            system_account: system,
            enable_payments_to_account: false,
            show_in_expense_claims: class == "EXPENSE",
            bank_account_number: bank.then(|| "12-3456-7890123-00".to_owned()),
            bank_account_type: bank.then_some("BANK"),
            currency_code: bank.then_some("NZD"),
            reporting_code: rep,
            reporting_code_name: rep_name,
            has_attachments: false,
            updated: MsDateTime(stamp),
            add_to_watchlist: false,
        });
    }
    let book = book(rng, &out);
    (out, book)
}

/// What lines and journals need to know of an account.
fn info(a: &Account) -> AccountInfo {
    AccountInfo {
        id: a.account_id,
        code: a.code.clone(),
        name: Shared::new(&a.name),
        kind: a.kind,
    }
}

/// The role accounts, the pools lines draw from, and the tracking categories.
fn book(rng: &mut SmallRng, accounts: &[Account]) -> Book {
    let usable = |a: &&Account| a.status == "ACTIVE" && a.system_account.is_none();
    let revenue = accounts
        .iter()
        .filter(usable)
        .filter(|a| a.class == "REVENUE");
    let expense = accounts
        .iter()
        .filter(usable)
        .filter(|a| a.class == "EXPENSE");
    let tracking = TRACKING
        .iter()
        .map(|(name, options)| TrackingDef {
            category_id: new_id(rng),
            name: Shared::new(name),
            options: options
                .iter()
                .map(|o| (new_id(rng), Shared::new(o)))
                .collect(),
        })
        .collect();
    Book {
        bank: info(&accounts[Role::Bank as usize]),
        receivable: info(&accounts[Role::Receivable as usize]),
        payable: info(&accounts[Role::Payable as usize]),
        tax: info(&accounts[Role::Tax as usize]),
        revenue: revenue.map(info).collect(),
        expense: expense.map(info).collect(),
        by_id: accounts
            .iter()
            .map(|a| (a.account_id, info(a)))
            .collect::<HashMap<_, _>>(),
        tracking,
        // Set once the settings (which hold the themes) are generated.
        branding_theme: None,
    }
}
