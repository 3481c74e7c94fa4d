//! An organisation's trial balance as at a day, computed from its own journals (generated and
//! mutated alike) and its chart, as Xero's help describes the report.
//!
//! Every journal dated on or before the day counts, its lines summed per account by `NetAmount`
//! (debit positive). Asset, liability and equity accounts are cumulative over every year;
//! revenue and expense accounts start again with each financial year, and what they held before
//! the year began rolls into the account whose `SystemAccount` is `RETAINEDEARNINGS` (no
//! journal posts it, so its row may come from that roll-up alone). The month columns are the
//! plain movement of the day's calendar month, per account, without a roll-up. Journals are
//! append-only (an edit posts a reversal), so the sums need no edit tracking.
//!
//! Lines of an account missing from the chart would be summed but not shown; the simulator
//! never posts one (accounts are only ever added).

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use crate::dates::MsDate;
use crate::model::{Account, Money};
use crate::state::TenantData;

/// The account classes whose balance restarts every financial year.
const PROFIT_AND_LOSS: &[&str] = &["REVENUE", "EXPENSE"];

/// The sections of the report in Xero's order: each title and the account class it lists.
pub const SECTIONS: [(&str, &str); 5] = [
    ("Revenue", "REVENUE"),
    ("Expenses", "EXPENSE"),
    ("Assets", "ASSET"),
    ("Liabilities", "LIABILITY"),
    ("Equity", "EQUITY"),
];

/// The financial year end of an organisation that names none: 31 March (New Zealand's).
const DEFAULT_YEAR_END: (u32, u32) = (3, 31);

/// One account's amounts, debit positive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Balance {
    /// The movement of the day's calendar month (the Debit and Credit columns).
    pub month: Money,
    /// The balance as at the day (the YTD columns).
    pub ytd: Money,
}

/// An account row of the report.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The account.
    pub account: &'a Account,
    /// Its amounts.
    pub balance: Balance,
}

/// A section of the report: its title and its accounts, by code.
#[derive(Debug, Clone)]
pub struct Section<'a> {
    /// `Revenue`, `Expenses`, `Assets`, `Liabilities` or `Equity`.
    pub title: &'static str,
    /// The accounts with any amount to show, ordered by code.
    pub lines: Vec<Line<'a>>,
}

/// The days that bound the sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Period {
    /// The day the report is as at (inclusive).
    day: MsDate,
    /// The first day of its calendar month.
    month_start: MsDate,
    /// The first day of its financial year.
    year_start: MsDate,
}

/// The trial balance as at `day`: every section in order, empty ones included.
pub fn as_at(data: &TenantData, day: MsDate) -> Vec<Section<'_>> {
    let period = period(day, year_end(data));
    let balances = balances(data, period);
    let mut chart: Vec<&Account> = data.accounts.rows().iter().collect();
    chart.sort_by(|a, b| a.code.0.cmp(&b.code.0));
    SECTIONS
        .iter()
        .map(|&(title, class)| Section {
            title,
            lines: chart
                .iter()
                .filter(|a| a.class == class)
                .filter_map(|&account| {
                    let balance = balances.get(&account.account_id).copied()?;
                    (balance != Balance::default()).then_some(Line { account, balance })
                })
                .collect(),
        })
        .collect()
}

/// Each account's amounts over the journals dated on or before the period's day.
fn balances(data: &TenantData, period: Period) -> HashMap<Uuid, Balance> {
    let accounts = data.accounts.rows();
    let yearly: HashMap<Uuid, bool> = accounts
        .iter()
        .map(|a| (a.account_id, PROFIT_AND_LOSS.contains(&a.class)))
        .collect();
    let retained = accounts
        .iter()
        .find(|a| a.system_account == Some("RETAINEDEARNINGS"))
        .map(|a| a.account_id);
    let mut out: HashMap<Uuid, Balance> = HashMap::new();
    for journal in data.journals.all() {
        let date = journal.journal_date;
        if date > period.day {
            continue;
        }
        for line in &journal.journal_lines {
            let net = line.net_amount.0;
            let earlier_year = date < period.year_start;
            let rolled = earlier_year && yearly.get(&line.account_id).copied().unwrap_or(false);
            // An earlier year's revenue or expense belongs to retained earnings now.
            let held_by = if rolled {
                retained
            } else {
                Some(line.account_id)
            };
            if let Some(id) = held_by {
                out.entry(id).or_default().ytd.0 += net;
            }
            if date >= period.month_start {
                out.entry(line.account_id).or_default().month.0 += net;
            }
        }
    }
    out
}

/// The organisation's `(FinancialYearEndMonth, FinancialYearEndDay)`.
pub fn year_end(data: &TenantData) -> (u32, u32) {
    let Some(org) = data.settings.organisation.first() else {
        return DEFAULT_YEAR_END;
    };
    let field = |name: &str| org.body[name].as_u64().and_then(|v| u32::try_from(v).ok());
    match (field("FinancialYearEndMonth"), field("FinancialYearEndDay")) {
        (Some(month), Some(day)) if (1..=12).contains(&month) && day >= 1 => (month, day),
        _ => DEFAULT_YEAR_END,
    }
}

/// The month and financial year containing `day`, for a year ending on `(month, day)`.
fn period(day: MsDate, year_end: (u32, u32)) -> Period {
    let date = day.day();
    let month_start = date.with_day(1).unwrap_or(date);
    Period {
        day,
        month_start: MsDate::of_day(month_start),
        year_start: MsDate::of_day(year_start(date, year_end)),
    }
}

/// The first day of the financial year containing `date`: the day after the latest year end
/// strictly before it.
pub fn year_start(date: NaiveDate, (month, day): (u32, u32)) -> NaiveDate {
    let end_in = |year: i32| {
        // A year end past the month's last day (29 February in other years) is its last day.
        (1..=day)
            .rev()
            .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
            .unwrap_or(date)
    };
    let this_year = end_in(date.year());
    let last_end = if this_year < date {
        this_year
    } else {
        end_in(date.year() - 1)
    };
    last_end.succ_opt().unwrap_or(date)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_financial_year_starts_the_day_after_the_latest_year_end_before_the_date() {
        let march = (3, 31);
        assert_eq!(year_start(day("2024-03-31"), march), day("2023-04-01"));
        assert_eq!(year_start(day("2024-04-01"), march), day("2024-04-01"));
        assert_eq!(year_start(day("2024-12-25"), march), day("2024-04-01"));
        assert_eq!(year_start(day("2025-01-01"), march), day("2024-04-01"));
        let december = (12, 31);
        assert_eq!(year_start(day("2024-12-31"), december), day("2024-01-01"));
        assert_eq!(year_start(day("2025-01-01"), december), day("2025-01-01"));
        // 29 February ends the year in leap years, 28 February in the others.
        let leap = (2, 29);
        assert_eq!(year_start(day("2023-03-01"), leap), day("2023-03-01"));
        assert_eq!(year_start(day("2024-02-29"), leap), day("2023-03-01"));
        assert_eq!(year_start(day("2024-03-01"), leap), day("2024-03-01"));
    }

    #[test]
    fn the_month_starts_on_its_first_day_even_before_the_financial_year() {
        let p = period(MsDate::of_day(day("2024-06-20")), (6, 15));
        assert_eq!(p.month_start, MsDate::of_day(day("2024-06-01")));
        assert_eq!(p.year_start, MsDate::of_day(day("2024-06-16")));
    }
}
