//! An organisation's Profit and Loss, Balance Sheet and Bank Summary, computed from its own
//! journals and chart as Xero's help describes the reports.
//!
//! - Profit and Loss over a period: each revenue and expense account's movement from the first
//!   to the last day (inclusive), revenue shown as a credit, expenses as a debit; sections
//!   Income (class REVENUE), Cost of Sales (type DIRECTCOSTS) and Operating Expenses (every
//!   other expense).
//! - Balance Sheet as at a day: the trial balance's asset, liability and equity balances (earlier
//!   years' profit already rolled into retained earnings), liabilities and equity shown as
//!   credits, and the synthetic "Current Year Earnings": the financial year's profit to the day.
//! - Bank Summary over a period: each bank account's balance the day before the period, what it
//!   received (its debits) and spent (its credits) in the period, and its balance at the end.

use std::collections::HashMap;

use uuid::Uuid;

use crate::dates::MsDate;
use crate::model::{Account, Money};
use crate::state::TenantData;
use crate::trial_balance::as_at;

/// An account and its amount as the report shows it (positive on the account's usual side).
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The account.
    pub account: &'a Account,
    /// Its amount.
    pub amount: Money,
}

/// A titled list of account lines.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    /// The section's title as Xero shows it.
    pub title: &'static str,
    /// The accounts with an amount, by code.
    pub lines: Vec<Line<'a>>,
}

impl Group<'_> {
    /// The lines' sum.
    pub fn total(&self) -> Money {
        Money(self.lines.iter().map(|l| l.amount.0).sum())
    }
}

/// The Profit and Loss over a period.
#[derive(Debug, Clone)]
pub struct ProfitAndLoss<'a> {
    /// Income, Cost of Sales and Operating Expenses.
    pub income: Group<'a>,
    /// See `income`.
    pub cost_of_sales: Group<'a>,
    /// See `income`.
    pub expenses: Group<'a>,
}

impl ProfitAndLoss<'_> {
    /// Income less cost of sales.
    pub fn gross_profit(&self) -> Money {
        Money(self.income.total().0 - self.cost_of_sales.total().0)
    }

    /// Gross profit less operating expenses.
    pub fn net_profit(&self) -> Money {
        Money(self.gross_profit().0 - self.expenses.total().0)
    }
}

/// The Balance Sheet as at a day.
#[derive(Debug, Clone)]
pub struct BalanceSheet<'a> {
    /// Assets (debit positive), Liabilities and Equity (credit positive).
    pub assets: Group<'a>,
    /// See `assets`.
    pub liabilities: Group<'a>,
    /// See `assets`.
    pub equity: Group<'a>,
    /// The financial year's profit to the day (no account holds it).
    pub current_year_earnings: Money,
}

/// A bank account's line of the Bank Summary.
#[derive(Debug, Clone, Copy)]
pub struct BankLine<'a> {
    /// The bank account.
    pub account: &'a Account,
    /// Balance the day before the period.
    pub opening: Money,
    /// Debits in the period.
    pub received: Money,
    /// Credits in the period, as a positive amount.
    pub spent: Money,
}

impl BankLine<'_> {
    /// Balance at the end of the period.
    pub fn closing(&self) -> Money {
        Money(self.opening.0 + self.received.0 - self.spent.0)
    }
}

/// The Profit and Loss for the journals dated `from..=to`.
pub fn profit_and_loss(data: &TenantData, from: MsDate, to: MsDate) -> ProfitAndLoss<'_> {
    let mut moved: HashMap<Uuid, i64> = HashMap::new();
    for journal in data.journals.all() {
        if journal.journal_date < from || journal.journal_date > to {
            continue;
        }
        for line in &journal.journal_lines {
            *moved.entry(line.account_id).or_default() += line.net_amount.0;
        }
    }
    let group = |title, keep: &dyn Fn(&Account) -> bool, sign: i64| Group {
        title,
        lines: chart(data)
            .into_iter()
            .filter(|a| keep(a))
            .filter_map(|account| {
                let net = moved.get(&account.account_id).copied().unwrap_or(0);
                (net != 0).then_some(Line {
                    account,
                    amount: Money(sign * net),
                })
            })
            .collect(),
    };
    ProfitAndLoss {
        income: group("Income", &|a| a.class == "REVENUE", -1),
        cost_of_sales: group(
            "Less Cost of Sales",
            &|a| a.class == "EXPENSE" && a.kind == "DIRECTCOSTS",
            1,
        ),
        expenses: group(
            "Less Operating Expenses",
            &|a| a.class == "EXPENSE" && a.kind != "DIRECTCOSTS",
            1,
        ),
    }
}

/// The Balance Sheet as at `day`, from the trial balance's YTD balances.
pub fn balance_sheet(data: &TenantData, day: MsDate) -> BalanceSheet<'_> {
    let sections = as_at(data, day);
    let ytd = |class: &str| -> Vec<(&Account, i64)> {
        sections
            .iter()
            .flat_map(|s| &s.lines)
            .filter(|l| l.account.class == class)
            .map(|l| (l.account, l.balance.ytd.0))
            .collect()
    };
    let group = |title, class: &str, sign: i64| Group {
        title,
        lines: ytd(class)
            .into_iter()
            .map(|(account, net)| Line {
                account,
                amount: Money(sign * net),
            })
            .collect(),
    };
    let profit: i64 = ["REVENUE", "EXPENSE"]
        .iter()
        .flat_map(|class| ytd(class))
        .map(|(_, net)| -net)
        .sum();
    BalanceSheet {
        assets: group("Assets", "ASSET", 1),
        liabilities: group("Liabilities", "LIABILITY", -1),
        equity: group("Equity", "EQUITY", -1),
        current_year_earnings: Money(profit),
    }
}

/// The Bank Summary for the journals dated `from..=to`: every bank account with a balance or a
/// movement, by code.
pub fn bank_summary(data: &TenantData, from: MsDate, to: MsDate) -> Vec<BankLine<'_>> {
    let banks: Vec<&Account> = chart(data)
        .into_iter()
        .filter(|a| a.kind == "BANK")
        .collect();
    let mut sums: HashMap<Uuid, [i64; 3]> = HashMap::new();
    for journal in data.journals.all() {
        if journal.journal_date > to {
            continue;
        }
        for line in &journal.journal_lines {
            if !banks.iter().any(|b| b.account_id == line.account_id) {
                continue;
            }
            let sum = sums.entry(line.account_id).or_default();
            let net = line.net_amount.0;
            match (journal.journal_date < from, net >= 0) {
                (true, _) => sum[0] += net,
                (false, true) => sum[1] += net,
                (false, false) => sum[2] -= net,
            }
        }
    }
    banks
        .into_iter()
        .filter_map(|account| {
            let [opening, received, spent] = sums.get(&account.account_id).copied()?;
            Some(BankLine {
                account,
                opening: Money(opening),
                received: Money(received),
                spent: Money(spent),
            })
        })
        .collect()
}

/// The chart by code.
fn chart(data: &TenantData) -> Vec<&Account> {
    let mut chart: Vec<&Account> = data.accounts.rows().iter().collect();
    chart.sort_by(|a, b| a.code.0.cmp(&b.code.0));
    chart
}
