//! Continuous verification, as a job: the planner queues one per organisation once its runs
//! have settled (`VERIFY_EVERY`, daily by default). A check that finds accounts differing heals
//! by reading the journals and accounts again in full — what posts to every account — and
//! looks again once those runs have ended; if the accounts still differ it says so loudly
//! (an error log, `status`, the metric) and heals no more: no loop.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::engine::Engine;
use super::job::VerifyJob;
use super::queue::{self, Enqueue, Lease};
use super::start::start_run_in;
use super::tenant::{self, TenantState};
use crate::verify::{self, Verification, amount};

/// What a heal reads again: the journals (every account's postings) and the accounts; and when
/// the documents differ from the control accounts, the documents too.
const HEALED_BY: [&str; 2] = ["journals", "accounts"];
/// How long a second look waits for the healing runs before looking whether they ended.
const LOOK_AGAIN_AFTER: Duration = Duration::from_secs(5);

/// Runs a verification job to its outcome, recorded in `xero.verifications`.
pub async fn check(engine: &Engine, lease: Lease<'_>, job: VerifyJob) -> anyhow::Result<String> {
    let tenant_id = job.verify_tenant;
    tracing::Span::current().record("xero.tenant_id", tracing::field::display(tenant_id));
    let mut conn = engine.pool.acquire().await?;
    if tenant::state(engine, tenant_id).await? != TenantState::Active {
        let outcome = "not verified: the tenant is not active";
        queue::complete(&mut conn, lease, outcome).await?;
        return Ok(outcome.into());
    }
    if let Some(heal) = job.healing
        && healing_runs_running(&mut conn, heal).await?
    {
        let mut tx = engine.pool.begin().await?;
        let key = format!("verify-again:{}", lease.job_id);
        look_again(&mut tx, &job, &key).await?;
        queue::complete(&mut tx, lease, "healing runs still running: looks again").await?;
        tx.commit().await?;
        return Ok("healing runs still running".into());
    }
    let date = Utc::now().date_naive();
    let verification = verify::verify(engine, tenant_id, date).await;
    let mut tx = engine.pool.begin().await?;
    let outcome = match verification {
        Err(e) => {
            let detail = e.to_string();
            record(
                &mut tx,
                tenant_id,
                date,
                "not_verified",
                None,
                &[],
                job.healing,
                Some(&detail),
            )
            .await?;
            format!("not verified: {detail}")
        }
        Ok(v) if v.equal() => {
            record(
                &mut tx,
                tenant_id,
                date,
                "equal",
                Some(&v),
                &[],
                job.healing,
                None,
            )
            .await?;
            count("equal");
            format!("{} account(s) equal to Xero", v.accounts.len())
        }
        Ok(v) => differs(engine, &mut tx, &v, job.healing).await?,
    };
    queue::complete(&mut tx, lease, &outcome).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Queues a verification for every active organisation whose journals are synced (or that Xero
/// gives no journals: its control accounts are checked), whose runs have all ended, and that was
/// not checked within `every`; returns how many.
pub async fn due(conn: &mut PgConnection, every: Duration) -> Result<u64, sqlx::Error> {
    let tenants: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT t.tenant_id, floor(extract(epoch FROM now()) / $1)::bigint
           FROM xero.tenants t
          WHERE t.status = 'active'
            AND EXISTS (SELECT 1 FROM xero.sync_progress p
                         WHERE p.tenant_id = t.tenant_id AND p.entity = 'journals'
                           AND (p.last_success_at IS NOT NULL OR p.status = 'not_entitled'))
            AND NOT EXISTS (SELECT 1 FROM xero.sync_log l
                             WHERE l.tenant_id = t.tenant_id AND l.status = 'running')
            AND NOT EXISTS (SELECT 1 FROM xero.verifications v
                             WHERE v.tenant_id = t.tenant_id
                               AND v.verified_at > now() - make_interval(secs => $1))",
    )
    .bind(every.as_secs_f64().max(1.0))
    .fetch_all(&mut *conn)
    .await?;
    let mut queued = 0;
    for (tenant, window) in tenants {
        let job = VerifyJob {
            verify_tenant: tenant,
            healing: None,
        };
        let how = Enqueue {
            delay: None,
            max_attempts: 3,
            priority: 0,
        };
        // One a window: a check still waiting in the queue is not queued twice.
        queue::enqueue(&mut *conn, &job, &format!("verify:{tenant}:{window}"), how).await?;
        queued += 1;
    }
    Ok(queued)
}

/// A difference: healed once, then said loudly.
async fn differs(
    engine: &Engine,
    tx: &mut PgConnection,
    v: &Verification,
    healing: Option<i64>,
) -> Result<String, sqlx::Error> {
    let names = v.describe();
    if healing.is_some() {
        record(
            tx,
            v.tenant_id,
            v.date,
            "still_differs",
            Some(v),
            &[],
            healing,
            None,
        )
        .await?;
        count("still_differs");
        tracing::error!(
            xero.tenant_id = %v.tenant_id,
            differing = %names,
            "the ledger still differs from Xero's Trial Balance after healing; not healing again"
        );
        return Ok(format!("still differs after healing: {names}"));
    }
    let runs = heal(engine, tx, v).await;
    let id = record(
        tx,
        v.tenant_id,
        v.date,
        "differs",
        Some(v),
        &runs,
        None,
        None,
    )
    .await?;
    count("differs");
    tracing::warn!(xero.tenant_id = %v.tenant_id, differing = %names,
        "the ledger differs from Xero's Trial Balance or its documents: reading again what posts to it");
    let again = VerifyJob {
        verify_tenant: v.tenant_id,
        healing: Some(id),
    };
    look_again(tx, &again, &format!("verify-healed:{id}")).await?;
    Ok(format!("differs: {names}; healing by runs {runs:?}"))
}

/// Starts the full runs that read again what posts to the accounts that differ: the journals
/// and accounts, and the documents too when they differ from the control accounts (or, without
/// journals, are all that was compared). An entity that cannot start (not synced here, not
/// entitled) is left out.
async fn heal(engine: &Engine, tx: &mut PgConnection, v: &Verification) -> Vec<Uuid> {
    let documents: &[&str] = if v.documents.differing().is_empty() && v.from_journals {
        &[]
    } else {
        &verify::documents::DOCUMENTS
    };
    let mut runs = Vec::new();
    for &entity in HEALED_BY.iter().chain(documents) {
        let max = engine.settings.max_attempts;
        if let Ok(started) = start_run_in(tx, entity, v.tenant_id, true, max).await {
            runs.push(started.run_id);
        }
    }
    runs
}

/// Queues `job` a little later, under `key`.
async fn look_again(tx: &mut PgConnection, job: &VerifyJob, key: &str) -> Result<(), sqlx::Error> {
    let how = Enqueue {
        delay: Some(LOOK_AGAIN_AFTER),
        max_attempts: 3,
        priority: 0,
    };
    queue::enqueue(tx, job, key, how).await
}

async fn healing_runs_running(conn: &mut PgConnection, heal: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM xero.verifications v
                          JOIN xero.sync_log l ON l.run_id = ANY(v.healing_runs)
                         WHERE v.verification_id = $1 AND l.status = 'running')",
    )
    .bind(heal)
    .fetch_one(conn)
    .await
}

/// Records a check; returns its id.
#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    date: chrono::NaiveDate,
    outcome: &str,
    v: Option<&Verification>,
    runs: &[Uuid],
    healed_from: Option<i64>,
    detail: Option<&str>,
) -> Result<i64, sqlx::Error> {
    let differing: Vec<_> = v.map_or_else(Vec::new, |v| {
        let accounts = v.differing().into_iter().map(|a| {
            json!({"account_id": a.account_id, "label": a.label,
                   "difference": amount::show(a.difference())})
        });
        let controls = v.documents.differing().into_iter().map(|c| {
            json!({"account_id": c.account_id, "label": c.label, "against": "documents",
                   "difference": amount::show(c.difference())})
        });
        accounts.chain(controls).collect()
    });
    sqlx::query_scalar(
        "INSERT INTO xero.verifications (tenant_id, on_date, outcome, accounts, differing,
                                         healing_runs, healed_from, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING verification_id",
    )
    .bind(tenant_id)
    .bind(date)
    .bind(outcome)
    .bind(v.map_or(0, |v| v.accounts.len() as i32))
    .bind(json!(differing))
    .bind(runs)
    .bind(healed_from)
    .bind(detail)
    .fetch_one(tx)
    .await
}

fn count(outcome: &'static str) {
    let labels = [opentelemetry::KeyValue::new("outcome", outcome)];
    crate::metrics::get().verifications.add(1, &labels);
}
