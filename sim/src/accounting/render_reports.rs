//! The bodies of the reports, shaped as Xero's `ReportWithRows`: `Reports/TrialBalance` here,
//! and the shapes the other reports (`render_statements`) share.
//!
//! A report is rows of cells whose values are all strings: amounts with exactly two decimals
//! and no thousands separators, a display label ("Sales (200)") for the account, and on every
//! cell of an account row the attribute `{"Value": <AccountID>, "Id": "account"}` that clients
//! match on (the label is for people).

use serde::Serialize;
use uuid::Uuid;

use super::endpoint::Envelope;
use super::query::ListQuery;
use crate::dates::{MsDate, envelope_date, report_date};
use crate::model::{Account, Empty, Money};
use crate::state::TenantData;
use crate::trial_balance::{Balance, Section, as_at};

/// The trial balance's column headings.
const COLUMNS: [&str; 5] = ["Account", "Debit", "Credit", "YTD Debit", "YTD Credit"];

/// One report of the `Reports` array.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Report {
    #[serde(rename = "ReportID")]
    pub(super) report_id: &'static str,
    pub(super) report_name: &'static str,
    pub(super) report_type: &'static str,
    pub(super) report_titles: [String; 3],
    pub(super) report_date: String,
    #[serde(rename = "UpdatedDateUTC")]
    pub(super) updated: String,
    pub(super) fields: Empty,
    pub(super) rows: Vec<Row>,
}

/// A row: a header, a section of rows, an account row or a summary row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Row {
    pub(super) row_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) title: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cells: Option<Vec<Cell>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) rows: Option<Vec<Row>>,
}

/// A cell: its text, and the account it is about.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Cell {
    pub(super) value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) attributes: Option<[Attribute; 1]>,
}

/// A cell's attribute (`Id: "account"`, the AccountID as its value).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Attribute {
    pub(super) value: Uuid,
    pub(super) id: &'static str,
}

/// `GET /Reports/TrialBalance?date=`: the trial balance as at `date` (default: today by the
/// simulator clock, UTC). `paymentsOnly` is ignored.
pub fn trial_balance(
    data: &TenantData,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let day = q.date.unwrap_or_else(|| MsDate::of_instant(env.now_ms));
    let sections = as_at(data, day);
    let organisation = organisation_name(data);
    let date = report_date(day);
    let mut rows = vec![Row {
        row_type: "Header",
        title: None,
        cells: Some(COLUMNS.iter().map(|c| label(c)).collect()),
        rows: None,
    }];
    rows.extend(sections.iter().map(section));
    rows.push(total(&sections));
    let report = Report {
        report_id: "TrialBalance",
        report_name: "Trial Balance",
        report_type: "TrialBalance",
        report_titles: [
            "Trial Balance".to_owned(),
            organisation.to_owned(),
            format!("As at {date}"),
        ],
        report_date: date,
        updated: envelope_date(env.now_ms),
        fields: Empty,
        rows,
    };
    env.write("Reports", None, std::iter::once(report), 4_096)
}

/// The organisation's name, for the report's titles.
pub(super) fn organisation_name(data: &TenantData) -> &str {
    data.settings
        .organisation
        .first()
        .and_then(|o| o.body["Name"].as_str())
        .unwrap_or_default()
}

/// A section and its account rows.
fn section(section: &Section<'_>) -> Row {
    let rows = section.lines.iter().map(|line| {
        let account = line.account;
        let name = format!("{} ({})", account.name, account.code.0);
        account_row(account, std::iter::once(name).chain(amounts(line.balance)))
    });
    Row {
        row_type: "Section",
        title: Some(section.title),
        cells: None,
        rows: Some(rows.collect()),
    }
}

/// A row about an account: every cell carries the account's attribute.
pub(super) fn account_row(account: &Account, values: impl Iterator<Item = String>) -> Row {
    let cells = values
        .map(|value| Cell {
            value,
            attributes: Some([Attribute {
                value: account.account_id,
                id: "account",
            }]),
        })
        .collect();
    Row {
        row_type: "Row",
        title: None,
        cells: Some(cells),
        rows: None,
    }
}

/// The untitled last section: the `Total` row of every column.
fn total(sections: &[Section<'_>]) -> Row {
    let mut sums = [0i64; 4];
    for line in sections.iter().flat_map(|s| &s.lines) {
        for (sum, column) in sums.iter_mut().zip(columns(line.balance)) {
            *sum += column.0;
        }
    }
    let cells = std::iter::once(label("Total"))
        .chain(sums.iter().map(|&cents| label(&decimal(Money(cents)))))
        .collect();
    Row {
        row_type: "Section",
        title: Some(""),
        cells: None,
        rows: Some(vec![Row {
            row_type: "SummaryRow",
            title: None,
            cells: Some(cells),
            rows: None,
        }]),
    }
}

/// A cell without attributes.
pub(super) fn label(text: &str) -> Cell {
    Cell {
        value: text.to_owned(),
        attributes: None,
    }
}

/// Debit, Credit, YTD Debit and YTD Credit, each zero or positive: a debit balance is a debit,
/// a credit balance a credit, never a negative amount.
fn columns(b: Balance) -> [Money; 4] {
    let debit = |m: Money| Money(m.0.max(0));
    let credit = |m: Money| Money((-m.0).max(0));
    [debit(b.month), credit(b.month), debit(b.ytd), credit(b.ytd)]
}

/// The four amounts as the report's strings.
fn amounts(b: Balance) -> impl Iterator<Item = String> {
    columns(b).into_iter().map(decimal)
}

/// `1234.50`: cents as exactly two decimals, without thousands separators.
pub(super) fn decimal(m: Money) -> String {
    let sign = if m.0 < 0 { "-" } else { "" };
    let cents = m.0.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_have_two_decimals_and_split_into_debits_and_credits() {
        assert_eq!(decimal(Money(123_450)), "1234.50");
        assert_eq!(decimal(Money(7)), "0.07");
        assert_eq!(decimal(Money(0)), "0.00");
        assert_eq!(decimal(Money(-5)), "-0.05");
        let b = Balance {
            month: Money(-250),
            ytd: Money(1_000),
        };
        assert_eq!(
            amounts(b).collect::<Vec<_>>(),
            ["0.00", "2.50", "10.00", "0.00"]
        );
    }
}
