//! `xero-sync verify` against the simulator's Trial Balance, computed from its own ledger: a
//! synced copy matches to the cent, a line changed in Postgres is named with its difference,
//! and what cannot be verified says why.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{CLASSIC, Harness, small_org};
use uuid::Uuid;

const MINUTE: Duration = Duration::from_secs(60);

/// A synced organisation with the entities verify reads.
async fn synced() -> Harness {
    let h = Harness::new(small_org()).await;
    let entities: Vec<&str> = CLASSIC.iter().chain(&["organisation"]).copied().collect();
    xero_sync::db::choose_entities(&h.db.pool, &entities)
        .await
        .unwrap();
    let worker = h.worker(10, 4);
    let runs = h.sync(None, true).await;
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    h
}

/// Runs `verify` for the first tenant (plus `more` arguments): exit success, stdout, stderr.
async fn verify_with(h: &Harness, more: &[&str]) -> (bool, String, String) {
    let tenant = h.tenants[0].to_string();
    let mut args = vec!["verify", "--tenant", &tenant];
    args.extend(more);
    let out = h.command(&args).output().await.unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// Runs `verify` for the first tenant, today.
async fn verify(h: &Harness) -> (bool, String, String) {
    verify_with(h, &[]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synced_ledger_matches_xero_to_the_cent_and_a_changed_line_is_named() {
    let h = synced().await;
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(ok, "verify failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("every account matches Xero to the cent"),
        "{stdout}"
    );
    let accounts = stdout.lines().filter(|l| l.contains(") ")).count();
    assert!(accounts >= 5, "the report lists the accounts:\n{stdout}");
    // Within the organisation's history too: revenue and expenses of a financial year under
    // way, earlier years rolled into retained earnings.
    let dates: Vec<chrono::NaiveDate> = sqlx::query_scalar(
        "SELECT DISTINCT percentile_disc(p) WITHIN GROUP (ORDER BY journal_date)
           FROM xero.journals, unnest(ARRAY[0.3, 0.7]) AS p GROUP BY p",
    )
    .fetch_all(&h.db.pool)
    .await
    .unwrap();
    for date in dates {
        let date = date.to_string();
        let (ok, stdout, stderr) = verify_with(&h, &["--date", &date]).await;
        assert!(ok, "verify on {date} failed:\n{stdout}\n{stderr}");
        let revenue = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM xero.trial_balance($1, $2::date) WHERE account_class = 'REVENUE'",
        )
        .bind(h.tenants[0])
        .bind(&date)
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
        assert!(
            revenue > 0,
            "revenue accounts have a balance on {date}:\n{stdout}"
        );
    }

    // A journal line's amount changed behind the copy's back, on an account with a balance.
    let (line, name, code): (Uuid, String, String) = sqlx::query_as(
        "SELECT g.journal_line_id, g.account_name, g.account_code FROM xero.general_ledger g
          WHERE g.tenant_id = $1 AND g.account_class IN ('ASSET', 'LIABILITY')
            AND g.journal_date <= current_date
          ORDER BY g.journal_number LIMIT 1",
    )
    .bind(h.tenants[0])
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE xero.journal_lines SET net_amount = net_amount + 12.34 WHERE journal_line_id = $1",
    )
    .bind(line)
    .execute(&h.db.pool)
    .await
    .unwrap();
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(!ok, "verify exits non-zero on a difference:\n{stdout}");
    let named = format!("{name} ({code}) by 12.34");
    assert!(
        stderr.contains(&named),
        "names the account and the difference: {stderr}"
    );
    assert!(stderr.contains("1 account(s) differ"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_without_journals_is_not_verified_and_says_why() {
    let h = Harness::new(small_org()).await;
    h.sim_json(
        "POST",
        "/sim/entitlements",
        Some(serde_json::json!({"tenant_id": h.tenants[0], "endpoint": "Journals", "entitled": false})),
    )
    .await;
    let entities: Vec<&str> = CLASSIC.iter().chain(&["organisation"]).copied().collect();
    xero_sync::db::choose_entities(&h.db.pool, &entities)
        .await
        .unwrap();
    let worker = h.worker(10, 4);
    let runs = h.sync(None, true).await;
    h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(!ok, "{stdout}");
    assert!(
        stderr.contains("journals not synced yet"),
        "says what is missing: {stderr}"
    );
}
