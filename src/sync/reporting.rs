//! Xero's own reports kept as data: the Trial Balance, Profit and Loss, Balance Sheet and Bank
//! Summary of each organisation, fetched as a job on a schedule (`REPORTS_EVERY`, daily by
//! default; four calls within the shared budget) and stored whole in `xero.report_snapshots`,
//! the rows flattened by `xero.report_lines`. A report the connection may not read is skipped
//! and named in the job's outcome; any other failure retries the job with a backoff. The
//! snapshots and the job's completion commit in one transaction.

use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::PgConnection;
use uuid::Uuid;

use super::engine::Engine;
use super::job::ReportsJob;
use super::leased;
use super::queue::{self, Enqueue, Lease, Retried};
use super::tenant::{self, TenantState};
use crate::xero::XeroError;
use crate::xero::client::Get;

/// A failed fetch waits this long before the job's next attempt (doubling, capped).
const RETRY_AFTER_SECS: f64 = 60.0;
/// The longest wait between attempts.
const RETRY_CAP_SECS: f64 = 3_600.0;

/// One report to fetch: its name (`Reports/<name>`) and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// `TrialBalance`, `ProfitAndLoss`, `BalanceSheet` or `BankSummary`.
    pub report: &'static str,
    /// Query parameters, as sent.
    pub parameters: Vec<(&'static str, String)>,
}

/// The reports a snapshot takes on `today`: the trial balance and balance sheet as at today,
/// the profit and loss of the financial year to date (from `year_start`, or the month's first
/// day when the organisation's year is not known yet), and the bank summary of the month.
pub fn wanted(today: NaiveDate, year_start: Option<NaiveDate>) -> [Wanted; 4] {
    let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let month_start = today.with_day(1).unwrap_or(today);
    let period = |from: NaiveDate| vec![("fromDate", day(from)), ("toDate", day(today))];
    [
        Wanted {
            report: "TrialBalance",
            parameters: vec![("date", day(today))],
        },
        Wanted {
            report: "ProfitAndLoss",
            parameters: period(year_start.unwrap_or(month_start)),
        },
        Wanted {
            report: "BalanceSheet",
            parameters: vec![("date", day(today))],
        },
        Wanted {
            report: "BankSummary",
            parameters: period(month_start),
        },
    ]
}

/// Takes one organisation's snapshot: every report fetched, then stored with the job's
/// completion.
pub async fn snapshot(
    engine: &Engine,
    lease: Lease<'_>,
    job: ReportsJob,
) -> anyhow::Result<String> {
    let tenant_id = job.reports_of;
    tracing::Span::current().record("xero.tenant_id", tracing::field::display(tenant_id));
    let mut conn = engine.pool.acquire().await?;
    if tenant::state(engine, tenant_id).await? != TenantState::Active {
        let outcome = "no snapshot: the tenant is not active";
        queue::complete(&mut conn, lease, outcome).await?;
        return Ok(outcome.into());
    }
    let today = Utc::now().date_naive();
    let year_start: Option<NaiveDate> =
        sqlx::query_scalar("SELECT xero.financial_year_start($1, $2)")
            .bind(tenant_id)
            .bind(today)
            .fetch_one(&mut *conn)
            .await?;
    drop(conn);
    let mut fetched = Vec::new();
    let mut refused = Vec::new();
    for want in wanted(today, year_start) {
        match fetch(engine, tenant_id, &want).await {
            Ok(report) => fetched.push((want, report)),
            Err(XeroError::NotEntitled { .. }) => refused.push(want.report),
            Err(e) => return retry(engine, lease, &format!("{}: {e}", want.report)).await,
        }
    }
    let mut tx = engine.pool.begin().await?;
    store(&mut tx, tenant_id, &fetched).await?;
    let mut outcome = format!("{} report(s) stored", fetched.len());
    if !refused.is_empty() {
        outcome.push_str(&format!(
            "; not entitled to {} (reconnect with `xero-sync connect --reauthorize --tenant \
             {tenant_id}` to grant the reports' scopes)",
            refused.join(", ")
        ));
    }
    if queue::complete(&mut tx, lease, &outcome).await? {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// Stores the fetched reports, each with the parameters it was asked for.
async fn store(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    fetched: &[(Wanted, Value)],
) -> Result<(), sqlx::Error> {
    for (want, report) in fetched {
        let parameters: serde_json::Map<String, Value> = want
            .parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        sqlx::query(
            "INSERT INTO xero.report_snapshots (tenant_id, report, parameters, raw)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(want.report)
        .bind(Value::Object(parameters))
        .bind(report)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Fetches one report and checks its shape: the one report of `Reports`, of the kind asked
/// for, with rows. The report is returned whole, as sent.
async fn fetch(engine: &Engine, tenant_id: Uuid, want: &Wanted) -> Result<Value, XeroError> {
    let endpoint = format!("Reports/{}", want.report);
    let get = Get {
        tenant_id,
        endpoint: &endpoint,
        query: want.parameters.clone(),
        modified_since: None,
    };
    let token = leased::token(engine, tenant_id).await?;
    let answer = leased::get(engine, &token, &get, "reports").await?;
    let bad = |why: String| XeroError::Transport(format!("{endpoint}: {why}"));
    let mut body: Value =
        serde_json::from_str(&answer.body).map_err(|e| bad(format!("not JSON: {e}")))?;
    let report = body["Reports"]
        .get_mut(0)
        .map(Value::take)
        .ok_or_else(|| bad("no `Reports[0]` in the response".into()))?;
    if report["ReportID"].as_str() != Some(want.report) || !report["Rows"].is_array() {
        return Err(bad(format!(
            "not a {} report with rows (ReportID {})",
            want.report, report["ReportID"]
        )));
    }
    Ok(report)
}

/// A failed fetch: the job tries again later, or fails for good when its attempts are spent.
async fn retry(engine: &Engine, lease: Lease<'_>, error: &str) -> anyhow::Result<String> {
    let mut conn = engine.pool.acquire().await?;
    let retried = queue::retry(&mut conn, lease, error, RETRY_AFTER_SECS, RETRY_CAP_SECS).await?;
    tracing::warn!(%error, ?retried, "a report snapshot could not be taken");
    Ok(match retried {
        Retried::Exhausted => format!("no snapshot, attempts spent: {error}"),
        _ => format!("no snapshot yet: {error}"),
    })
}

/// Queues a snapshot for every active organisation whose runs have all ended and that has none
/// taken within `every`; returns how many.
pub async fn due(conn: &mut PgConnection, every: Duration) -> Result<u64, sqlx::Error> {
    let tenants: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT t.tenant_id, floor(extract(epoch FROM now()) / $1)::bigint
           FROM xero.tenants t
          WHERE t.status = 'active'
            AND NOT EXISTS (SELECT 1 FROM xero.sync_log l
                             WHERE l.tenant_id = t.tenant_id AND l.status = 'running')
            AND NOT EXISTS (SELECT 1 FROM xero.report_snapshots s
                             WHERE s.tenant_id = t.tenant_id
                               AND s.fetched_at > now() - make_interval(secs => $1))",
    )
    .bind(every.as_secs_f64().max(1.0))
    .fetch_all(&mut *conn)
    .await?;
    let mut queued = 0;
    for (tenant, window) in tenants {
        let how = Enqueue {
            delay: None,
            max_attempts: 3,
            priority: 0,
        };
        // One a window: a snapshot still waiting in the queue is not queued twice.
        let job = ReportsJob { reports_of: tenant };
        queue::enqueue(&mut *conn, &job, &format!("reports:{tenant}:{window}"), how).await?;
        queued += 1;
    }
    Ok(queued)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_profit_and_loss_covers_the_financial_year_and_the_bank_summary_the_month() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let year = NaiveDate::from_ymd_opt(2026, 4, 1);
        let [tb, pl, bs, bank] = wanted(today, year);
        assert_eq!(tb.parameters, [("date", "2026-12-06".to_owned())]);
        assert_eq!(bs.parameters, tb.parameters);
        let period = |from: &str| {
            vec![
                ("fromDate", from.to_owned()),
                ("toDate", "2026-12-06".into()),
            ]
        };
        assert_eq!(pl.parameters, period("2026-04-01"));
        assert_eq!(bank.parameters, period("2026-12-01"));
        let [_, unknown_year, _, _] = wanted(today, None);
        assert_eq!(unknown_year.parameters, period("2026-12-01"));
    }
}
