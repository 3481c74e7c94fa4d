//! The bodies of `Reports/ProfitAndLoss`, `Reports/BalanceSheet` and `Reports/BankSummary`,
//! shaped as Xero's `ReportWithRows` (the shapes in `render_reports`): a header row, sections
//! of account rows (every cell carrying the account's attribute) closed by summary rows, and
//! untitled sections holding the computed lines ("Gross Profit", "Net Profit", "Net Assets").
//! Amounts are strings with two decimals, positive on the account's usual side.

use super::endpoint::Envelope;
use super::query::ListQuery;
use super::render_reports::{Report, Row, account_row, decimal, label, organisation_name};
use crate::dates::{MsDate, envelope_date, report_date};
use crate::model::{Empty, Money};
use crate::state::TenantData;
use crate::statements::{self, Group};

/// `GET /Reports/ProfitAndLoss?fromDate=&toDate=`: the period's profit (default: the month of
/// today to today, by the simulator clock).
pub fn profit_and_loss(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let (from, to) = period(q, env);
    let pl = statements::profit_and_loss(data, from, to);
    let mut rows = vec![header(&["", &column_date(to)])];
    rows.push(group(&pl.income, "Total Income"));
    if !pl.cost_of_sales.lines.is_empty() {
        rows.push(group(&pl.cost_of_sales, "Total Cost of Sales"));
    }
    rows.push(computed("Gross Profit", pl.gross_profit()));
    rows.push(group(&pl.expenses, "Total Operating Expenses"));
    rows.push(computed("Net Profit", pl.net_profit()));
    let titles = [
        "Profit & Loss".to_owned(),
        organisation_name(data).to_owned(),
        format!("{} to {}", report_date(from), report_date(to)),
    ];
    write(env, "ProfitAndLoss", "Profit and Loss", titles, to, rows)
}

/// `GET /Reports/BalanceSheet?date=`: the balance sheet as at `date` (default: today).
pub fn balance_sheet(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let day = q.date.unwrap_or_else(|| MsDate::of_instant(env.now_ms));
    let bs = statements::balance_sheet(data, day);
    let mut rows = vec![header(&["", &column_date(day)])];
    rows.push(group(&bs.assets, "Total Assets"));
    rows.push(group(&bs.liabilities, "Total Liabilities"));
    let net_assets = bs.assets.total().0 - bs.liabilities.total().0;
    rows.push(computed("Net Assets", Money(net_assets)));
    // The financial year's profit so far: a line of its own, before the total.
    let mut equity = account_rows(&bs.equity);
    equity.push(plain(&[
        "Current Year Earnings",
        &decimal(bs.current_year_earnings),
    ]));
    let total = Money(bs.equity.total().0 + bs.current_year_earnings.0);
    equity.push(summary(&["Total Equity", &decimal(total)]));
    rows.push(section(bs.equity.title, equity));
    let titles = [
        "Balance Sheet".to_owned(),
        organisation_name(data).to_owned(),
        format!("As at {}", report_date(day)),
    ];
    write(env, "BalanceSheet", "Balance Sheet", titles, day, rows)
}

/// `GET /Reports/BankSummary?fromDate=&toDate=`: each bank account's opening balance, cash
/// received and spent, and closing balance over the period (default: the month to today).
pub fn bank_summary(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let (from, to) = period(q, env);
    let lines = statements::bank_summary(data, from, to);
    let columns = [
        "Bank Accounts",
        "Opening Balance",
        "Cash Received",
        "Cash Spent",
        "Closing Balance",
    ];
    let mut sums = [0i64; 4];
    let mut rows: Vec<Row> = lines
        .iter()
        .map(|line| {
            let amounts = [line.opening, line.received, line.spent, line.closing()];
            for (sum, amount) in sums.iter_mut().zip(amounts) {
                *sum += amount.0;
            }
            let cells =
                std::iter::once(line.account.name.clone()).chain(amounts.into_iter().map(decimal));
            account_row(line.account, cells)
        })
        .collect();
    let totals: Vec<String> = sums.iter().map(|&c| decimal(Money(c))).collect();
    let mut total = vec!["Total"];
    total.extend(totals.iter().map(String::as_str));
    rows.push(summary(&total));
    let titles = [
        "Bank Summary".to_owned(),
        organisation_name(data).to_owned(),
        format!("From {} to {}", report_date(from), report_date(to)),
    ];
    let rows = vec![header(&columns), section("", rows)];
    write(env, "BankSummary", "Bank Summary", titles, to, rows)
}

/// The report's `fromDate` and `toDate`: by default the month of `toDate` (today) to it.
fn period(q: &ListQuery, env: Envelope) -> (MsDate, MsDate) {
    let to = q.to_date.unwrap_or_else(|| MsDate::of_instant(env.now_ms));
    let first = |d: MsDate| {
        use chrono::Datelike;
        MsDate::of_day(d.day().with_day(1).unwrap_or(d.day()))
    };
    (q.from_date.unwrap_or_else(|| first(to)), to)
}

/// A column's heading: `31 Mar 24`, as Xero heads a period's column.
fn column_date(day: MsDate) -> String {
    day.day().format("%-d %b %y").to_string()
}

/// A titled section of account rows, closed by its total.
fn group(g: &Group<'_>, total: &str) -> Row {
    let mut rows = account_rows(g);
    rows.push(summary(&[total, &decimal(g.total())]));
    section(g.title, rows)
}

/// A group's account rows: the account's name and its amount.
fn account_rows(g: &Group<'_>) -> Vec<Row> {
    g.lines
        .iter()
        .map(|l| {
            account_row(
                l.account,
                [l.account.name.clone(), decimal(l.amount)].into_iter(),
            )
        })
        .collect()
}

/// An untitled section holding one computed line.
fn computed(name: &str, amount: Money) -> Row {
    section("", vec![plain(&[name, &decimal(amount)])])
}

fn header(values: &[&str]) -> Row {
    row("Header", values)
}

fn plain(values: &[&str]) -> Row {
    row("Row", values)
}

fn summary(values: &[&str]) -> Row {
    row("SummaryRow", values)
}

fn row(row_type: &'static str, values: &[&str]) -> Row {
    Row {
        row_type,
        title: None,
        cells: Some(values.iter().map(|v| label(v)).collect()),
        rows: None,
    }
}

fn section(title: &'static str, rows: Vec<Row>) -> Row {
    Row {
        row_type: "Section",
        title: Some(title),
        cells: None,
        rows: Some(rows),
    }
}

/// The response: one report in `Reports`.
fn write(
    env: Envelope,
    id: &'static str,
    name: &'static str,
    titles: [String; 3],
    day: MsDate,
    rows: Vec<Row>,
) -> serde_json::Result<Vec<u8>> {
    let report = Report {
        report_id: id,
        report_name: name,
        report_type: id,
        report_titles: titles,
        report_date: report_date(day),
        updated: envelope_date(env.now_ms),
        fields: Empty,
        rows,
    };
    env.write("Reports", None, std::iter::once(report), 4_096)
}
