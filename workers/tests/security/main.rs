//! Trust: tokens sealed at rest (a dump holds none, a moved one does not open, keys rotate under
//! running workers, a bad key is a clear error, no token in any log or output), least-privilege
//! roles, and the life of a connection (pause, resume, disconnect, purge, re-authorise, and an
//! organisation disconnected in Xero), each ending in its documented state with no job of the
//! tenant left running.

#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod life;
mod roles;
mod sealing;
mod xero_side;

use std::process::Output;

use support::Harness;
use uuid::Uuid;

/// Runs `xero-sync <args>` against the harness; its output.
pub async fn cli(h: &Harness, args: &[&str]) -> Output {
    h.command(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .output()
        .await
        .unwrap()
}

/// stdout and stderr of a command that must succeed.
pub async fn ok(h: &Harness, args: &[&str]) -> String {
    let out = cli(h, args).await;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "xero-sync {args:?}: {text}");
    text
}

/// The tenant's jobs some worker holds, or that are due (not held): none once it is stopped.
pub async fn live_jobs(h: &Harness, tenant: Uuid) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT id, status FROM apalis.jobs
          WHERE (xero.job_payload(job) ->> 'tenant_id') = $1::text
            AND (status IN ('Queued', 'Running')
                 OR (status IN ('Pending', 'Failed') AND attempts < max_attempts
                     AND run_at < xero.held_until()))",
    )
    .bind(tenant)
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
}

/// A tenant's status and reason.
pub async fn tenant_status(h: &Harness, tenant: Uuid) -> (String, Option<String>) {
    sqlx::query_as("SELECT status, status_reason FROM xero.tenants WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(&h.db.pool)
        .await
        .unwrap()
}

/// Rows of `table` for `tenant`.
pub async fn rows(h: &Harness, table: &str, tenant: Uuid) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM xero.{table} WHERE tenant_id = $1"
    )))
    .bind(tenant)
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}

/// Every token the simulator ever issued.
pub async fn issued(h: &Harness) -> Vec<String> {
    let v = h.sim_json("GET", "/sim/tokens/issued", None).await;
    let mut all: Vec<String> = ["access_tokens", "refresh_tokens"]
        .iter()
        .flat_map(|k| v[*k].as_array().unwrap().clone())
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    all.sort();
    all.dedup();
    assert!(!all.is_empty(), "the simulator issued tokens");
    all
}
