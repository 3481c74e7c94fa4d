//! The Trial Balance report over real HTTP: its shape and totals, its balances checked against
//! the simulator's own `/Journals` (fetched through every offset), its validation and scopes,
//! the request flow it shares with every Accounting call, and how mutations move it.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Harness, all_journals, cents, header, ms, small};
use xero_sync_sim::SimConfig;

const REPORT: &str = "Reports/TrialBalance";

/// Debit, Credit, YTD Debit, YTD Credit in cents.
type Amounts = [i64; 4];

/// An account as the checks need it: its class and whether it holds retained earnings.
struct Chart {
    class: HashMap<String, String>,
    retained: String,
    year_end: (u32, u32),
}

async fn chart(h: &Harness) -> Chart {
    let accounts = h.get_json("Accounts", &[], None).await;
    let accounts = accounts["Accounts"].as_array().unwrap();
    let id = |a: &Value| a["AccountID"].as_str().unwrap().to_owned();
    let retained = accounts
        .iter()
        .find(|a| a["SystemAccount"] == "RETAINEDEARNINGS")
        .map(id)
        .unwrap();
    let org = h.get_json("Organisation", &[], None).await;
    let org = &org["Organisations"][0];
    let field = |name: &str| org[name].as_u64().unwrap() as u32;
    Chart {
        class: accounts
            .iter()
            .map(|a| (id(a), a["Class"].as_str().unwrap().to_owned()))
            .collect(),
        retained,
        year_end: (field("FinancialYearEndMonth"), field("FinancialYearEndDay")),
    }
}

/// The report (the one element of `Reports`) as at `date`, or today.
async fn report(h: &Harness, date: Option<&str>) -> Value {
    let query: Vec<(&str, &str)> = date.map(|d| ("date", d)).into_iter().collect();
    let body = h.get_json(REPORT, &query, None).await;
    let reports = body["Reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    reports[0].clone()
}

/// `"1234.50"` in cents; anything but exactly two decimals fails.
fn amount(cell: &Value) -> i64 {
    let text = cell["Value"].as_str().unwrap();
    let (units, decimals) = text.split_once('.').unwrap();
    assert_eq!(decimals.len(), 2, "{text}");
    assert!(
        units.chars().all(|c| c.is_ascii_digit()) && !units.is_empty(),
        "{text}"
    );
    units.parse::<i64>().unwrap() * 100 + decimals.parse::<i64>().unwrap()
}

fn cells_of(row: &Value) -> Amounts {
    let cells = row["Cells"].as_array().unwrap();
    assert_eq!(cells.len(), 5, "{row}");
    [
        amount(&cells[1]),
        amount(&cells[2]),
        amount(&cells[3]),
        amount(&cells[4]),
    ]
}

/// The account rows by AccountID (read from the `account` attribute of every cell).
fn rows(report: &Value) -> HashMap<String, Amounts> {
    let mut out = HashMap::new();
    for section in report["Rows"].as_array().unwrap() {
        for row in section["Rows"].as_array().into_iter().flatten() {
            if row["RowType"] != "Row" {
                continue;
            }
            let cells = row["Cells"].as_array().unwrap();
            let id = cells[0]["Attributes"][0]["Value"].as_str().unwrap();
            for cell in cells {
                assert_eq!(cell["Attributes"], json!([{"Value": id, "Id": "account"}]));
            }
            assert!(out.insert(id.to_owned(), cells_of(row)).is_none());
        }
    }
    out
}

/// The `Total` row.
fn totals(report: &Value) -> Amounts {
    let last = report["Rows"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["RowType"], &last["Title"]),
        (&json!("Section"), &json!(""))
    );
    let summary = &last["Rows"][0];
    assert_eq!(summary["RowType"], "SummaryRow");
    assert_eq!(summary["Cells"][0]["Value"], "Total");
    cells_of(summary)
}

fn ytd(a: &Amounts) -> i64 {
    a[2] - a[3]
}

fn month(a: &Amounts) -> i64 {
    a[0] - a[1]
}

fn day_of(journal: &Value) -> NaiveDate {
    DateTime::from_timestamp_millis(ms(&journal["JournalDate"]))
        .unwrap()
        .date_naive()
}

/// The first day of the financial year holding `date`, counted out day by day: the day after
/// the last year-end day (or the month's last day, if shorter) before `date`.
fn year_start(date: NaiveDate, (month, day): (u32, u32)) -> NaiveDate {
    let mut d = date.pred_opt().unwrap();
    loop {
        let month_end = d.succ_opt().unwrap().month() != d.month();
        if d.month() == month && (d.day() == day || (month_end && d.day() < day)) {
            return d.succ_opt().unwrap();
        }
        d = d.pred_opt().unwrap();
    }
}

/// The report's amounts recomputed from the journals: (month movement, YTD balance).
fn expected(journals: &[Value], chart: &Chart, date: NaiveDate) -> HashMap<String, (i64, i64)> {
    let start = year_start(date, chart.year_end);
    let mut out: HashMap<String, (i64, i64)> = HashMap::new();
    for j in journals.iter().filter(|j| day_of(j) <= date) {
        let day = day_of(j);
        for line in j["JournalLines"].as_array().unwrap() {
            let id = line["AccountID"].as_str().unwrap().to_owned();
            let net = cents(&line["NetAmount"]);
            let yearly = matches!(chart.class[&id].as_str(), "REVENUE" | "EXPENSE");
            let holder = if yearly && day < start {
                chart.retained.clone()
            } else {
                id.clone()
            };
            out.entry(holder).or_default().1 += net;
            if (day.year(), day.month()) == (date.year(), date.month()) {
                out.entry(id).or_default().0 += net;
            }
        }
    }
    out.retain(|_, v| *v != (0, 0));
    out
}

fn assert_matches(report: &Value, expected: &HashMap<String, (i64, i64)>) {
    let rows = rows(report);
    let shown: HashMap<String, (i64, i64)> = rows
        .iter()
        .map(|(id, a)| (id.clone(), (month(a), ytd(a))))
        .collect();
    assert_eq!(&shown, expected);
}

#[tokio::test]
async fn the_report_has_xeros_shape_and_its_totals_balance() {
    let h = Harness::start(small()).await;
    let journals = all_journals(&h).await;
    let last = day_of(journals.last().unwrap()).to_string();
    for date in [Some(last.as_str()), None] {
        let r = report(&h, date).await;
        assert_eq!(r["ReportID"], "TrialBalance");
        assert_eq!(r["ReportType"], "TrialBalance");
        assert_eq!(r["ReportTitles"][0], "Trial Balance");
        let as_at = format!("As at {}", r["ReportDate"].as_str().unwrap());
        assert_eq!(r["ReportTitles"][2], as_at);
        assert_eq!(r["Fields"], json!([]));
        let sections = r["Rows"].as_array().unwrap();
        let header: Vec<&Value> = sections[0]["Cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["Value"])
            .collect();
        assert_eq!(
            header,
            ["Account", "Debit", "Credit", "YTD Debit", "YTD Credit"]
        );
        let titles: Vec<&Value> = sections[1..].iter().map(|s| &s["Title"]).collect();
        assert_eq!(
            titles,
            ["Revenue", "Expenses", "Assets", "Liabilities", "Equity", ""]
        );
        // Rows ordered by code within a section: the code ends the label, "Sales (200)".
        for section in &sections[1..6] {
            let codes: Vec<String> = section["Rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    let label = row["Cells"][0]["Value"].as_str().unwrap();
                    let code = label.rsplit_once(" (").unwrap().1;
                    code.trim_end_matches(')').to_owned()
                })
                .collect();
            assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
        }
        let rows = rows(&r);
        let mut sums = [0i64; 4];
        for a in rows.values() {
            for (s, v) in sums.iter_mut().zip(a) {
                *s += v;
            }
        }
        let total = totals(&r);
        assert_eq!(total, sums, "the Total row sums the rows");
        assert_eq!(total[2], total[3], "YTD debits equal YTD credits");
        assert_eq!(total[0], total[1], "the month's debits equal its credits");
        assert!(total[2] > 0);
    }
}

#[tokio::test]
async fn an_asset_holds_every_journal_to_the_date_and_revenue_only_this_financial_year() {
    let h = Harness::start(small()).await;
    let journals = all_journals(&h).await;
    let chart = chart(&h).await;
    // Two thirds into the history: earlier financial years are behind it.
    let date = day_of(&journals[journals.len() * 2 / 3]);
    let start = year_start(date, chart.year_end);
    let r = report(&h, Some(&date.to_string())).await;
    let rows = rows(&r);
    let accounts = h.get_json("Accounts", &[], None).await;
    let id_of = |code: &str| {
        let a = accounts["Accounts"].as_array().unwrap().iter();
        let mut found = a.filter(|a| a["Code"] == code);
        found.next().unwrap()["AccountID"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sum = |id: &str, from: NaiveDate| -> i64 {
        let dated = journals
            .iter()
            .filter(|j| (from..=date).contains(&day_of(j)));
        let lines = dated.flat_map(|j| j["JournalLines"].as_array().unwrap());
        lines
            .filter(|l| l["AccountID"] == id)
            .map(|l| cents(&l["NetAmount"]))
            .sum()
    };
    let epoch = NaiveDate::MIN;
    for asset in ["610", "090"] {
        let id = id_of(asset);
        assert_eq!(ytd(&rows[&id]), sum(&id, epoch), "asset {asset}");
    }
    let sales = id_of("200");
    assert_eq!(ytd(&rows[&sales]), sum(&sales, start), "sales from {start}");
    let before_this_year = sum(&sales, epoch) - sum(&sales, start);
    assert_ne!(before_this_year, 0, "earlier years' sales rolled out");
    let month_start = date.with_day(1).unwrap();
    let receivable = id_of("610");
    assert_eq!(month(&rows[&receivable]), sum(&receivable, month_start));
    // Retained earnings hold every earlier year's revenue and expense.
    assert_matches(&r, &expected(&journals, &chart, date));
}

#[tokio::test]
async fn invoice_mutations_move_the_report_as_their_journals_do() {
    let h = Harness::start(small()).await;
    let chart = chart(&h).await;
    let before = report(&h, None).await;
    let today = NaiveDate::parse_from_str(before["ReportDate"].as_str().unwrap(), "%d %B %Y")
        .unwrap()
        .to_string();
    let before = rows(&before);
    h.post("mutate", json!({ "entity": "invoices", "count": 40 }))
        .await;
    h.post("mutate", json!({ "entity": "payments", "count": 10 }))
        .await;
    let after = report(&h, Some(&today)).await;
    assert_ne!(rows(&after), before, "the changes posted journals");
    let journals = all_journals(&h).await;
    let date = NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap();
    assert!(journals.iter().any(|j| day_of(j) == date), "posted today");
    assert_matches(&after, &expected(&journals, &chart, date));
    let total = totals(&after);
    assert_eq!((total[0], total[2]), (total[1], total[3]));
}

/// A client_credentials token for `scope` from `h`'s simulator, or the error body.
async fn token(h: &Harness, scope: &str) -> Result<String, Value> {
    let res = h
        .http
        .post(format!("{}/connect/token", h.sim.origin()))
        .basic_auth(h.sim.client_id(), Some(h.sim.client_secret()))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .unwrap();
    let ok = res.status() == StatusCode::OK;
    let body: Value = res.json().await.unwrap();
    match ok {
        true => Ok(body["access_token"].as_str().unwrap().to_owned()),
        false => Err(body),
    }
}

async fn status_with(h: &Harness, token: &str) -> StatusCode {
    let res = h
        .http
        .get(h.api(REPORT))
        .header("accept", "application/json")
        .header("xero-tenant-id", h.tenant.to_string())
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    res.status()
}

#[tokio::test]
async fn a_bad_date_is_a_validation_error_and_only_a_reports_scope_reads_it() {
    let h = Harness::start(small()).await;
    for bad in ["2024-13-01", "yesterday", "31/03/2024"] {
        let res = h.get(REPORT, &[("date", bad)], None).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["Type"], "ValidationException");
        let message = &body["Elements"][0]["ValidationErrors"][0]["Message"];
        assert!(message.as_str().unwrap().contains(bad), "{message}");
    }
    let cash = [("date", "2024-03-31"), ("paymentsOnly", "true")];
    assert_eq!(h.get(REPORT, &cash, None).await.status(), StatusCode::OK);

    let invoices_only = token(&h, "accounting.invoices.read").await.unwrap();
    assert_eq!(
        status_with(&h, &invoices_only).await,
        StatusCode::UNAUTHORIZED
    );
    let granular = token(&h, "accounting.reports.trialbalance.read")
        .await
        .unwrap();
    assert_eq!(status_with(&h, &granular).await, StatusCode::OK);
    let refused = token(&h, "accounting.reports.read").await.unwrap_err();
    assert_eq!(refused["error"], "invalid_scope", "a broad scope, new app");

    let legacy = Harness::start(SimConfig {
        legacy_app: true,
        ..small()
    })
    .await;
    let broad = token(&legacy, "accounting.reports.read").await.unwrap();
    assert_eq!(status_with(&legacy, &broad).await, StatusCode::OK);
}

#[tokio::test]
async fn the_report_is_counted_faulted_and_metered_like_any_accounting_call() {
    let h = Harness::start(small()).await;
    for name in ["TrialBalance", REPORT] {
        h.post("faults", json!({ "endpoint": name, "kind": "status_500" }))
            .await;
        let res = h.get(REPORT, &[], None).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{name}");
        assert!(header(&res, "x-minlimit-remaining").is_some());
    }
    // Xero paths are case-insensitive.
    let res = h.get("reports/trialbalance", &[], None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let correlation = header(&res, "xero-correlation-id").unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Id"], correlation);
    assert_eq!(body["Status"], "OK");
    let stats = h.stats().await;
    assert_eq!(stats["requests"][REPORT], json!({"200": 1, "500": 2}));
    let egress = &stats["egress"][h.tenant.to_string()];
    assert!(egress["responses"].as_u64().unwrap() >= 1, "{egress}");
    let unauthenticated = h
        .http
        .get(h.api(REPORT))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
}
