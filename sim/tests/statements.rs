//! The Profit and Loss, Balance Sheet and Bank Summary reports over real HTTP, for every month
//! of the organisation's history: the P&L's accounts equal the month's journals, the balance
//! sheet balances and its Current Year Earnings equal the financial year's P&L, and the bank
//! summary's balances follow the balance sheet's bank account from month to month. Bad periods
//! are refused.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Months, NaiveDate};
use reqwest::StatusCode;
use serde_json::Value;
use support::{Harness, all_journals, cents, ms, small};
use xero_sync_sim::SimConfig;

/// The one report of a response.
async fn report(h: &Harness, path: &str, query: &[(&str, &str)]) -> Value {
    let body = h.get_json(path, query, None).await;
    body["Reports"][0].clone()
}

/// `"-1234.50"` in cents.
fn amount(text: &str) -> i64 {
    let (units, decimals) = text.split_once('.').unwrap();
    assert_eq!(decimals.len(), 2, "{text}");
    let sign = if units.starts_with('-') { -1 } else { 1 };
    let units: i64 = units.trim_start_matches('-').parse().unwrap();
    sign * (units * 100 + decimals.parse::<i64>().unwrap())
}

/// Every row with cells, depth first, as (first cell, other cells' amounts, account).
fn lines(report: &Value) -> Vec<(String, Vec<i64>, Option<String>)> {
    fn walk(row: &Value, out: &mut Vec<(String, Vec<i64>, Option<String>)>) {
        if let Some(cells) = row["Cells"].as_array()
            && row["RowType"] != "Header"
        {
            let text = |c: &Value| c["Value"].as_str().unwrap().to_owned();
            let account = cells[0]["Attributes"][0]["Value"]
                .as_str()
                .map(String::from);
            let amounts = cells[1..].iter().map(|c| amount(&text(c))).collect();
            out.push((text(&cells[0]), amounts, account));
        }
        for child in row["Rows"].as_array().into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    for row in report["Rows"].as_array().unwrap() {
        walk(row, &mut out);
    }
    out
}

/// The first amount of the row whose first cell is `name`.
fn named(report: &Value, name: &str) -> i64 {
    let found = lines(report).into_iter().find(|(n, _, _)| n == name);
    found.unwrap_or_else(|| panic!("no {name} row")).1[0]
}

/// The first amount of each account row, by AccountID.
fn by_account(report: &Value) -> HashMap<String, i64> {
    lines(report)
        .into_iter()
        .filter_map(|(_, amounts, account)| Some((account?, amounts[0])))
        .collect()
}

fn day_of(journal: &Value) -> NaiveDate {
    DateTime::from_timestamp_millis(ms(&journal["JournalDate"]))
        .unwrap()
        .date_naive()
}

#[tokio::test]
async fn every_month_the_reports_agree_with_the_journals_and_with_each_other() {
    // Three reports a month of history: more than Xero's 60 calls a minute.
    let h = Harness::start(SimConfig {
        rate_limits: false,
        ..small()
    })
    .await;
    let journals = all_journals(&h).await;
    let accounts = h.get_json("Accounts", &[], None).await;
    let accounts = accounts["Accounts"].as_array().unwrap();
    let class: HashMap<String, String> = accounts
        .iter()
        .map(|a| {
            (
                a["AccountID"].as_str().unwrap().into(),
                a["Class"].as_str().unwrap().into(),
            )
        })
        .collect();
    let bank = accounts.iter().find(|a| a["Type"] == "BANK").unwrap()["AccountID"]
        .as_str()
        .unwrap()
        .to_owned();
    let org = h.get_json("Organisation", &[], None).await;
    let year_end_month = org["Organisations"][0]["FinancialYearEndMonth"]
        .as_u64()
        .unwrap() as u32;
    let first = journals
        .iter()
        .map(day_of)
        .min()
        .unwrap()
        .with_day(1)
        .unwrap();
    let last = journals.iter().map(day_of).max().unwrap();
    let mut month = first;
    let mut months = 0;
    let mut bank_before = 0;
    while month <= last {
        let end = month + Months::new(1) - chrono::Days::new(1);
        let (from, to) = (month.to_string(), end.to_string());
        let period = [("fromDate", from.as_str()), ("toDate", to.as_str())];
        let pl = report(&h, "Reports/ProfitAndLoss", &period).await;
        assert_eq!(pl["ReportID"], "ProfitAndLoss");
        // Each account's amount is the month's journals, revenue as a credit.
        let mut expected: HashMap<String, i64> = HashMap::new();
        for j in journals
            .iter()
            .filter(|j| (month..=end).contains(&day_of(j)))
        {
            for line in j["JournalLines"].as_array().unwrap() {
                let id = line["AccountID"].as_str().unwrap();
                let sign = match class[id].as_str() {
                    "REVENUE" => -1,
                    "EXPENSE" => 1,
                    _ => continue,
                };
                *expected.entry(id.to_owned()).or_default() += sign * cents(&line["NetAmount"]);
            }
        }
        expected.retain(|_, v| *v != 0);
        assert_eq!(by_account(&pl), expected, "P&L of {from}");
        let income = named(&pl, "Total Income");
        let costs = lines(&pl)
            .iter()
            .filter(|(n, _, _)| n == "Total Cost of Sales" || n == "Total Operating Expenses")
            .map(|(_, a, _)| a[0])
            .sum::<i64>();
        assert_eq!(named(&pl, "Net Profit"), income - costs, "{from}");

        // The balance sheet at the month's end balances; its year's earnings are the P&L's.
        let bs = report(&h, "Reports/BalanceSheet", &[("date", &to)]).await;
        let net_assets = named(&bs, "Total Assets") - named(&bs, "Total Liabilities");
        assert_eq!(named(&bs, "Net Assets"), net_assets, "{to}");
        assert_eq!(
            named(&bs, "Total Equity"),
            net_assets,
            "the balance sheet balances on {to}"
        );
        let fy_start = (0..12)
            .map(|back| end - Months::new(back))
            .find(|d| d.month() == year_end_month % 12 + 1)
            .unwrap()
            .with_day(1)
            .unwrap();
        let year = [("fromDate", fy_start.to_string()), ("toDate", to.clone())];
        let year: Vec<(&str, &str)> = year.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let ytd = report(&h, "Reports/ProfitAndLoss", &year).await;
        assert_eq!(
            named(&bs, "Current Year Earnings"),
            named(&ytd, "Net Profit"),
            "{to}"
        );

        // The bank summary carries the bank account from one month's end to the next.
        let summary = report(&h, "Reports/BankSummary", &period).await;
        let row = lines(&summary)
            .into_iter()
            .find(|(_, _, a)| a.as_deref() == Some(bank.as_str()));
        let closing = by_account(&bs).get(&bank).copied().unwrap_or(0);
        match row {
            Some((_, amounts, _)) => {
                let [opening, received, spent, close] = <[i64; 4]>::try_from(amounts).unwrap();
                assert_eq!((opening, close), (bank_before, closing), "{from}");
                assert_eq!(opening + received - spent, close);
            }
            None => assert_eq!((bank_before, closing), (0, 0), "{from}"),
        }
        bank_before = closing;
        month = month + Months::new(1);
        months += 1;
    }
    assert!(months >= 6, "{months} months of history");
}

#[tokio::test]
async fn a_period_that_ends_before_it_starts_or_a_bad_date_is_refused() {
    let h = Harness::start(small()).await;
    for query in [
        [("fromDate", "2024-05-01"), ("toDate", "2024-04-30")],
        [("fromDate", "2024-13-01"), ("toDate", "2024-04-30")],
    ] {
        let res = h.get("Reports/ProfitAndLoss", &query, None).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{query:?}");
        let text = res.text().await.unwrap();
        assert!(text.contains("fromDate"), "{text}");
    }
    let res = h
        .get("Reports/BalanceSheet", &[("date", "31/03/2024")], None)
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}
