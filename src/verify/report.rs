//! Xero's Trial Balance report, read with care: rows nest in sections, the first cell is a
//! display label ("Sales (200)"), every cell of an account row names its account in the
//! attribute `{"Id": "account", "Value": "<AccountID>"}`, and amounts are strings. Only the
//! YTD columns are read, found by their header (`YTD Debit`, `YTD Credit`), not by position.

use serde_json::Value;
use uuid::Uuid;

use super::amount::{self, Cents};

/// One account's line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The account, from the cells' `account` attribute.
    pub account_id: Uuid,
    /// The first cell, as Xero shows it.
    pub label: String,
    /// YTD Debit.
    pub debit: Cents,
    /// YTD Credit.
    pub credit: Cents,
}

/// The account lines of a Trial Balance response body.
pub fn trial_balance(body: &str) -> Result<Vec<Line>, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("the report is not JSON: {e}"))?;
    let report = value["Reports"]
        .get(0)
        .ok_or("the response holds no report (no `Reports[0]`)")?;
    let rows = report["Rows"]
        .as_array()
        .ok_or("the report has no `Rows`")?;
    let header = rows
        .iter()
        .find(|r| r["RowType"] == "Header")
        .ok_or("the report has no header row")?;
    let column = |name: &str| {
        cells(header)
            .iter()
            .position(|c| c["Value"].as_str().is_some_and(|v| v.trim() == name))
            .ok_or(format!("the report has no `{name}` column"))
    };
    let (debit, credit) = (column("YTD Debit")?, column("YTD Credit")?);
    let mut lines = Vec::new();
    for row in rows.iter().flat_map(|r| nested(r)) {
        if row["RowType"] != "Row" {
            continue;
        }
        let Some(account_id) = account_of(row) else {
            continue;
        };
        let cell = |i: usize| {
            cells(row)
                .get(i)
                .and_then(|c| c["Value"].as_str())
                .unwrap_or("")
        };
        let amount =
            |i: usize| amount::parse(cell(i)).map_err(|e| format!("account {account_id}: {e}"));
        lines.push(Line {
            account_id,
            label: cell(0).to_owned(),
            debit: amount(debit)?,
            credit: amount(credit)?,
        });
    }
    Ok(lines)
}

fn cells(row: &Value) -> &[Value] {
    row["Cells"].as_array().map_or(&[], Vec::as_slice)
}

/// A row and the rows its sections hold, depth first.
fn nested(row: &Value) -> Vec<&Value> {
    let mut out = vec![row];
    if let Some(children) = row["Rows"].as_array() {
        out.extend(children.iter().flat_map(nested));
    }
    out
}

/// The account a row's cells name (`Attributes` with `Id` `account`), if any.
fn account_of(row: &Value) -> Option<Uuid> {
    cells(row).iter().find_map(|cell| {
        cell["Attributes"].as_array()?.iter().find_map(|a| {
            (a["Id"].as_str()? == "account")
                .then(|| a["Value"].as_str())
                .flatten()
                .and_then(|v| Uuid::parse_str(v).ok())
        })
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_account_rows_in_sections_by_their_attribute_and_header() {
        let id = "5040915e-8ce7-4177-8d08-fde416232f18";
        let cell = |v: &str| serde_json::json!({"Value": v, "Attributes": [{"Value": id, "Id": "account"}]});
        let body = serde_json::json!({"Reports": [{"Rows": [
            {"RowType": "Header", "Cells": [{"Value": "Account"}, {"Value": "Debit"},
                {"Value": "Credit"}, {"Value": "YTD Debit"}, {"Value": "YTD Credit"}]},
            {"RowType": "Section", "Title": "Revenue", "Rows": [
                {"RowType": "Row", "Cells": [cell("Sales (200)"), cell(""), cell("10.00"),
                    cell(""), cell("1,250.50")]}]},
            {"RowType": "Section", "Title": "", "Rows": [
                {"RowType": "SummaryRow", "Cells": [{"Value": "Total"}]}]}]}]});
        let lines = trial_balance(&body.to_string()).unwrap();
        assert_eq!(
            lines,
            vec![Line {
                account_id: Uuid::parse_str(id).unwrap(),
                label: "Sales (200)".into(),
                debit: 0,
                credit: 125_050,
            }]
        );
        assert!(trial_balance("{}").is_err());
        assert!(trial_balance("not json").is_err());
    }
}
