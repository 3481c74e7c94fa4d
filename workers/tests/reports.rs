//! Xero's reports as data, and the ledger views beside them. The workers keep a daily snapshot
//! of the Trial Balance, Profit and Loss, Balance Sheet and Bank Summary; each stored report is
//! Xero's schema's, and its flattened lines (`xero.report_lines`) agree with the ledger the
//! copy holds. `xero.profit_and_loss` and `xero.balance_sheet` equal the simulator's reports
//! for every month of the demo organisation.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use support::{Harness, eventually, small_org, sync_for_verify, verifying_worker};
use uuid::Uuid;
use xero_sync_sim::SimConfig;

const MINUTE: Duration = Duration::from_secs(60);

async fn synced(config: SimConfig) -> Harness {
    let h = Harness::new(config).await;
    let ended = sync_for_verify(&h, 5 * MINUTE).await;
    assert!(ended.iter().all(|s| s == "completed"), "{ended:?}");
    h
}

/// Cents of a numeric's text.
fn cents(text: &str) -> i64 {
    let (units, decimals) = text.split_once('.').unwrap_or((text, "0"));
    let sign = if units.starts_with('-') { -1 } else { 1 };
    let units: i64 = units.trim_start_matches('-').parse().unwrap();
    let decimals: i64 = format!("{decimals:0<2}")[..2].parse().unwrap();
    sign * (units * 100 + decimals)
}

/// A report's rows by label: (account, first amount in cents), depth first.
fn rows(report: &Value) -> Vec<(String, Option<Uuid>, i64)> {
    fn walk(row: &Value, out: &mut Vec<(String, Option<Uuid>, i64)>) {
        if row["RowType"] != "Header"
            && let Some(cells) = row["Cells"].as_array()
        {
            let account = cells[0]["Attributes"][0]["Value"]
                .as_str()
                .map(|v| Uuid::parse_str(v).unwrap());
            let amount = cents(cells[1]["Value"].as_str().unwrap());
            out.push((
                cells[0]["Value"].as_str().unwrap().to_owned(),
                account,
                amount,
            ));
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

/// The account rows' amounts, by account.
fn by_account(report: &Value) -> BTreeMap<Uuid, i64> {
    rows(report)
        .into_iter()
        .filter_map(|(_, account, amount)| Some((account?, amount)))
        .collect()
}

/// The amount of the row labelled `name`.
fn named(report: &Value, name: &str) -> i64 {
    let row = rows(report).into_iter().find(|(label, _, _)| label == name);
    row.unwrap_or_else(|| panic!("no {name} row")).2
}

/// `(account, amount)` rows of a query (`$1` the tenant, then `binds`) summed per account, in
/// cents; the `NULL` account is `Uuid::nil()`.
async fn amounts(h: &Harness, sql: &'static str, binds: &[&str]) -> BTreeMap<Uuid, i64> {
    let mut query = sqlx::query_as(sql).bind(h.tenants[0]);
    for b in binds {
        query = query.bind(b.to_string());
    }
    let rows: Vec<(Option<Uuid>, String)> = query.fetch_all(&h.db.pool).await.unwrap();
    let mut out = BTreeMap::new();
    for (account, amount) in rows {
        *out.entry(account.unwrap_or_default()).or_default() += cents(&amount);
    }
    out.retain(|_, v| *v != 0);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_views_equal_xeros_reports_for_every_month_of_the_demo_organisation() {
    let h = synced(SimConfig {
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    let months: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT month::text, as_at::text FROM xero.balance_sheet
          WHERE tenant_id = $1 ORDER BY 1",
    )
    .bind(h.tenants[0])
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert!(months.len() >= 12, "{} months of history", months.len());
    let mut compared = 0;
    for (month, end) in &months {
        let period = [("fromDate", month.as_str()), ("toDate", end.as_str())];
        let pl = h.sim_get("Reports/ProfitAndLoss", &period).await["Reports"][0].clone();
        let ours = amounts(
            &h,
            "SELECT account_id, amount::text FROM xero.profit_and_loss
              WHERE tenant_id = $1 AND month = $2::date",
            &[month],
        )
        .await;
        assert_eq!(ours, by_account(&pl), "profit and loss of {month}");
        compared += ours.len();
        let net: i64 = sqlx::query_scalar::<_, Option<String>>(
            "SELECT sum(-net_amount)::text FROM xero.profit_and_loss
              WHERE tenant_id = $1 AND month = $2::date",
        )
        .bind(h.tenants[0])
        .bind(month)
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
        .map_or(0, |t| cents(&t));
        assert_eq!(net, named(&pl, "Net Profit"), "net profit of {month}");

        let bs = h.sim_get("Reports/BalanceSheet", &[("date", end)]).await["Reports"][0].clone();
        let mut theirs = by_account(&bs);
        let earnings = named(&bs, "Current Year Earnings");
        if earnings != 0 {
            theirs.insert(Uuid::nil(), earnings);
        }
        let ours = amounts(
            &h,
            "SELECT account_id, amount::text FROM xero.balance_sheet
              WHERE tenant_id = $1 AND month = $2::date",
            &[month],
        )
        .await;
        assert_eq!(ours, theirs, "balance sheet as at {end}");
        compared += ours.len();
        assert_eq!(
            named(&bs, "Total Equity"),
            named(&bs, "Net Assets"),
            "the simulator's balance sheet balances as at {end}"
        );
    }
    assert!(
        compared > 10 * months.len(),
        "{compared} account-months compared"
    );

    // The general ledger names each document's contact.
    let (lines, named, wrong): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(g.contact_id),
                count(*) FILTER (WHERE g.source_type IN ('ACCREC', 'ACCPAY')
                                   AND g.contact_id IS DISTINCT FROM
                                       (SELECT i.contact_id FROM xero.invoices i
                                         WHERE i.invoice_id = g.source_id))
           FROM xero.general_ledger g
          WHERE g.tenant_id = $1
            AND g.source_type IN ('ACCREC', 'ACCPAY', 'ACCRECCREDIT', 'ACCPAYCREDIT',
                                  'AROVERPAYMENT', 'APOVERPAYMENT')",
    )
    .bind(h.tenants[0])
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert!(lines > 0);
    assert_eq!(
        (named, wrong),
        (lines, 0),
        "every document's line has its contact"
    );
}

/// Xero's schema for a reports response, if the reference specs are beside the checkout.
fn report_schema() -> Option<jsonschema::Validator> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/xero-openapi/xero_accounting.yaml"
    ));
    let Ok(text) = std::fs::read_to_string(&path) else {
        support::skip::skip(
            "the stored reports' schema check",
            &format!("{} is not present", path.display()),
        );
        return None;
    };
    let spec: Value = serde_yaml::from_str(&text).unwrap();
    let mut root = json!({ "$ref": "#/components/schemas/ReportWithRows" });
    root["components"] = spec["components"].clone();
    Some(jsonschema::options().build(&root).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_snapshot_keeps_four_reports_whose_lines_agree_with_the_ledger() {
    let h = synced(small_org()).await;
    let worker = verifying_worker(&h, Duration::from_secs(3600));
    let stored = eventually("the reports' snapshot", MINUTE, || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM xero.report_snapshots")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
        (n >= 4).then_some(n)
    })
    .await;
    worker.stop().await;
    assert_eq!(stored, 4, "one snapshot a REPORTS_EVERY");
    let snapshots: Vec<(String, Value, Value)> = sqlx::query_as(
        "SELECT report, parameters, raw FROM xero.report_snapshots WHERE tenant_id = $1
          ORDER BY report",
    )
    .bind(h.tenants[0])
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    let names: Vec<&str> = snapshots.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "BalanceSheet",
            "BankSummary",
            "ProfitAndLoss",
            "TrialBalance"
        ]
    );
    if let Some(schema) = report_schema() {
        for (report, _, raw) in &snapshots {
            let body = json!({ "Reports": [raw] });
            let errors: Vec<String> = schema.iter_errors(&body).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{report}: {errors:#?}");
        }
    }
    // Every amount cell was read: only labels and empty cells have no amount.
    let unread: Vec<(String, String)> = sqlx::query_as(
        "SELECT report, value FROM xero.report_lines
          WHERE amount IS NULL AND value <> '' AND column_number > 0",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    assert!(unread.is_empty(), "{unread:?}");

    // The flattened trial balance is the ledger's, account by account.
    let today = chrono::Utc::now().date_naive().to_string();
    let lines = amounts(
        &h,
        "SELECT account_id, (CASE column_name WHEN 'YTD Debit' THEN amount ELSE -amount END)::text
           FROM xero.report_lines
          WHERE tenant_id = $1 AND report = 'TrialBalance' AND account_id IS NOT NULL
            AND column_name IN ('YTD Debit', 'YTD Credit')",
        &[],
    )
    .await;
    let ledger = amounts(
        &h,
        "SELECT account_id, (debit - credit)::text FROM xero.trial_balance($1, $2::date)",
        &[&today],
    )
    .await;
    assert!(!ledger.is_empty());
    assert_eq!(lines, ledger, "the trial balance snapshot");
    // The balance sheet's lines, Current Year Earnings included, are xero.balance_sheet_on's.
    let lines = amounts(
        &h,
        "SELECT CASE WHEN label = 'Current Year Earnings' THEN NULL ELSE account_id END,
                amount::text
           FROM xero.report_lines
          WHERE tenant_id = $1 AND report = 'BalanceSheet' AND row_type = 'Row'
            AND (account_id IS NOT NULL OR label = 'Current Year Earnings')",
        &[],
    )
    .await;
    let ledger = amounts(
        &h,
        "SELECT account_id, amount::text FROM xero.balance_sheet_on($1, $2::date)",
        &[&today],
    )
    .await;
    assert_eq!(lines, ledger, "the balance sheet snapshot");
}
