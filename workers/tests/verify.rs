//! `xero-sync verify` against the simulator's Trial Balance, computed from its own ledger: a
//! synced copy matches to the cent, a line changed in Postgres is named with its difference,
//! and what cannot be verified says why; continuous verification finds drift in Xero and heals
//! it, and says loudly, once, what healing cannot mend.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::{Harness, eventually, small_org, sync_for_verify, verifying_worker};
use uuid::Uuid;

const MINUTE: Duration = Duration::from_secs(60);
/// The checks of these tests: at once, then hourly.
const HOUR: Duration = Duration::from_secs(3600);

/// A synced organisation with the entities verify reads.
async fn synced() -> Harness {
    let h = Harness::new(small_org()).await;
    let ended = sync_for_verify(&h, MINUTE).await;
    assert!(ended.iter().all(|s| s == "completed"), "{ended:?}");
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

/// Deletes from the copy the first authorised sale with an amount due (dated by today), as if
/// it had never been synced; returns that amount, in cents.
async fn lose_an_open_sale(h: &Harness) -> i64 {
    let (invoice, due): (Uuid, String) = sqlx::query_as(
        "SELECT invoice_id, amount_due::text FROM xero.invoices
          WHERE tenant_id = $1 AND type = 'ACCREC' AND status = 'AUTHORISED' AND amount_due > 0
            AND date <= current_date
          ORDER BY invoice_number LIMIT 1",
    )
    .bind(h.tenants[0])
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM xero.invoices WHERE invoice_id = $1")
        .bind(invoice)
        .execute(&h.db.pool)
        .await
        .unwrap();
    xero_sync::verify::amount::parse(&due).unwrap()
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
            AND g.account_id NOT IN (SELECT account_id FROM xero.control_accounts($1, current_date))
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
async fn a_missing_invoice_is_caught_by_its_control_account_though_the_journals_are_complete() {
    let h = synced().await;
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(ok, "verify failed:\n{stdout}\n{stderr}");
    for control in ["Accounts Receivable (610)", "Accounts Payable (800)"] {
        let line = stdout.lines().find(|l| l.contains(control));
        let line = line.unwrap_or_else(|| panic!("{control} is cross-checked:\n{stdout}"));
        assert!(!line.contains("DIFFERS"), "{line}");
    }
    // Credit notes, overpayments and prepayments allocated to invoices, invoices paid: the
    // documents still match the ledger after an incremental sync.
    for (entity, count) in [
        ("credit_notes", 30),
        ("overpayments", 30),
        ("prepayments", 30),
        ("invoices", 40),
    ] {
        h.sim_json(
            "POST",
            "/sim/mutate",
            Some(serde_json::json!({"tenant_id": h.tenants[0], "entity": entity, "count": count})),
        )
        .await;
    }
    let allocated: i64 = h
        .sim_records("CreditNotes")
        .await
        .iter()
        .chain(&h.sim_records("Overpayments").await)
        .map(|d| d["Allocations"].as_array().map_or(0, Vec::len) as i64)
        .sum();
    assert!(allocated > 0, "credit was allocated");
    let mut refunded = 0;
    for endpoint in ["CreditNotes", "Overpayments", "Prepayments"] {
        for d in h.sim_records(endpoint).await {
            refunded += d["Payments"].as_array().map_or(0, Vec::len) as i64;
        }
    }
    assert!(refunded > 0, "credit was refunded");
    let worker = h.worker(10, 4);
    let mut runs = h.sync(None, false).await;
    runs.extend(h.sync(Some(&["payments"]), true).await);
    let ended = h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    assert!(ended.iter().all(|s| s == "completed"), "{ended:?}");
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(ok, "verify after changes failed:\n{stdout}\n{stderr}");
    let refunds: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM xero.payments WHERE tenant_id = $1 AND invoice_id IS NULL
            AND num_nonnulls(credit_note_id, overpayment_id, prepayment_id) = 1",
    )
    .bind(h.tenants[0])
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(
        refunds, refunded,
        "every refund synced as a payment of its document"
    );

    // An invoice lost from the copy: every journal is there, so only the documents show it.
    let due = lose_an_open_sale(&h).await;
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(!ok, "verify exits non-zero:\n{stdout}");
    let named = format!(
        "Accounts Receivable (610): documents differ from the ledger by {}",
        xero_sync::verify::amount::show(-due)
    );
    assert!(
        stderr.contains(&named),
        "names the control account and the amount: {stderr}"
    );
    assert!(
        stderr.contains("1 account(s) differ"),
        "the trial balance still matches: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_journals_the_control_accounts_are_checked_and_verify_says_what_it_cannot_check() {
    let h = Harness::new(small_org()).await;
    h.sim_json(
        "POST",
        "/sim/entitlements",
        Some(serde_json::json!({"tenant_id": h.tenants[0], "endpoint": "Journals", "entitled": false})),
    )
    .await;
    sync_for_verify(&h, MINUTE).await;
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(ok, "{stdout}\n{stderr}");
    let receivable = stdout
        .lines()
        .find(|l| l.contains("Accounts Receivable (610)"));
    assert!(
        receivable.is_some_and(|l| !l.contains("DIFFERS")),
        "the receivable account is compared with Xero's report:\n{stdout}"
    );
    assert!(
        stdout.contains("Xero gives this app no journals")
            && stdout.contains("cannot be checked without journals"),
        "says what it cannot check and why: {stdout}"
    );
    // Documents hold only today's amounts due.
    let (ok, _, stderr) = verify_with(&h, &["--date", "2024-01-31"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("Advanced") && stderr.contains("only today's"),
        "{stderr}"
    );
    // An invoice lost from the copy differs from Xero's own receivable balance.
    let due = lose_an_open_sale(&h).await;
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(!ok, "{stdout}");
    let named = format!(
        "Accounts Receivable (610) by {}",
        xero_sync::verify::amount::show(-due)
    );
    assert!(stderr.contains(&named), "{stderr}");
}

/// A recorded check: (outcome, differing accounts, healing runs, healed from).
type Check = (String, serde_json::Value, Vec<Uuid>, Option<i64>);

/// The tenant's checks so far.
async fn checks(h: &Harness) -> Vec<Check> {
    sqlx::query_as(
        "SELECT outcome, differing, healing_runs, healed_from FROM xero.verifications
          WHERE tenant_id = $1 ORDER BY verification_id",
    )
    .bind(h.tenants[0])
    .fetch_all(&h.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_in_xero_is_found_by_the_daily_check_and_healed_by_reading_the_journals_again() {
    let h = synced().await;
    let drift = h
        .sim_json(
            "POST",
            "/sim/drift",
            Some(serde_json::json!({"tenant_id": h.tenants[0]})),
        )
        .await;
    let drifted: Vec<String> = drift["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let (ok, stdout, _) = verify(&h).await;
    assert!(!ok, "the drift shows against Xero's report:\n{stdout}");
    let done = until_healed(&h, "the check to find and heal the drift").await;
    let (outcome, differing, runs, _) = &done[0];
    assert_eq!(outcome, "differs", "{done:?}");
    let named: Vec<&str> = differing
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["account_id"].as_str().unwrap())
        .collect();
    for account in &drifted {
        assert!(
            named.contains(&account.as_str()),
            "{account} named: {differing}"
        );
    }
    assert_eq!(runs.len(), 2, "journals and accounts read again: {done:?}");
    assert_eq!(done.len(), 2, "one check, one look after healing: {done:?}");
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(ok, "equal again:\n{stdout}\n{stderr}");
    h.assert_equal(Some(&["journals", "accounts"])).await;
    let status = status(&h).await;
    assert!(
        status.contains("ledger equal to Xero's Trial Balance"),
        "{status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_voided_in_xero_without_a_new_date_is_found_by_its_control_account_and_healed() {
    let h = synced().await;
    let drift = h
        .sim_json(
            "POST",
            "/sim/drift",
            Some(serde_json::json!({"tenant_id": h.tenants[0], "kind": "invoice_voided_quietly"})),
        )
        .await;
    let invoice = Uuid::parse_str(drift["invoice_id"].as_str().unwrap()).unwrap();
    let due = (drift["amount_due"].as_f64().unwrap() * 100.0).round() as i64;
    // An incremental sync brings the reversing journal, not the invoice's new state.
    let worker = h.worker(10, 4);
    let runs = h.sync(None, false).await;
    let ended = h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    assert!(ended.iter().all(|s| s == "completed"), "{ended:?}");
    let status_of = || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM xero.invoices WHERE invoice_id = $1")
            .bind(invoice)
            .fetch_one(&h.db.pool)
            .await
            .unwrap()
    };
    assert_eq!(status_of().await, "AUTHORISED");
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(!ok, "the stale invoice shows:\n{stdout}");
    let named = format!(
        "Accounts Receivable (610): documents differ from the ledger by {}",
        xero_sync::verify::amount::show(due)
    );
    assert!(stderr.contains(&named), "{stderr}");
    assert!(
        stderr.contains("1 account(s) differ"),
        "the trial balance matches: {stderr}"
    );

    // The daily check finds it and heals it by reading the documents again in full.
    let done = until_healed(&h, "the check to heal the stale invoice").await;
    let (outcome, differing, runs, _) = &done[0];
    assert_eq!(outcome, "differs", "{done:?}");
    assert_eq!(differing[0]["against"], "documents", "{differing}");
    assert_eq!(
        runs.len(),
        5,
        "journals, accounts and the three documents read again: {done:?}"
    );
    assert_eq!(status_of().await, "VOIDED");
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(ok, "equal again:\n{stdout}\n{stderr}");
    h.assert_equal(Some(&[
        "invoices",
        "credit_notes",
        "overpayments",
        "journals",
    ]))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_gone_from_xero_without_a_trace_is_found_and_healed_by_a_full_walk_that_sets_it_aside()
 {
    let h = synced().await;
    let gone = h
        .sim_json(
            "POST",
            "/sim/drift",
            Some(serde_json::json!({"tenant_id": h.tenants[0], "kind": "journal_deleted_quietly"})),
        )
        .await;
    let journal = Uuid::parse_str(gone["journal_id"].as_str().unwrap()).unwrap();
    let accounts: Vec<&str> = gone["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    // An incremental walk starts after the greatest number stored: it cannot see the gap.
    let worker = h.worker(10, 4);
    let runs = h.sync(Some(&["journals"]), false).await;
    let ended = h.wait_ended(&runs, MINUTE).await;
    worker.stop().await;
    assert_eq!(ended, ["completed"]);
    let (ok, _, stderr) = verify(&h).await;
    assert!(!ok && stderr.contains("2 account(s) differ"), "{stderr}");

    // The daily check heals it: the full walk of the journals finds the number gone.
    let done = until_healed(&h, "the check to heal the vanished journal").await;
    let (outcome, differing, runs, _) = &done[0];
    assert_eq!(outcome, "differs", "{done:?}");
    assert_eq!(runs.len(), 2, "journals and accounts read again: {done:?}");
    for account in &accounts {
        assert!(
            differing.to_string().contains(account),
            "{account} named: {differing}"
        );
    }
    let (ok, stdout, stderr) = verify(&h).await;
    assert!(ok, "equal again:\n{stdout}\n{stderr}");
    h.assert_equal(Some(&["journals", "accounts"])).await;
    let (removed, lines): (Uuid, i32) = sqlx::query_as(
        "SELECT r.journal_id, jsonb_array_length(r.record -> 'JournalLines')
           FROM xero.removed_journals r WHERE r.tenant_id = $1",
    )
    .bind(h.tenants[0])
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!((removed, lines), (journal, 2), "kept aside, lines and all");
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM xero.journal_lines WHERE tenant_id = $1 AND journal_id = $2",
    )
    .bind(h.tenants[0])
    .bind(journal)
    .fetch_one(&h.db.pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "its lines left the ledger");
}

/// Runs a worker checking hourly until a check after healing finds the ledger equal; returns
/// every check by then.
async fn until_healed(h: &Harness, what: &str) -> Vec<Check> {
    let worker = verifying_worker(h, HOUR);
    let done = eventually(what, 2 * MINUTE, || async {
        let checks = checks(h).await;
        checks
            .iter()
            .any(|c| c.0 == "equal" && c.3.is_some())
            .then_some(checks)
    })
    .await;
    worker.stop().await;
    done
}

/// Runs a worker checking hourly until the second look says the ledger still differs, lets
/// maintenance pass on for two seconds, and asserts that it started no further check or heal;
/// returns the two checks.
async fn until_said_loudly(h: &Harness) -> Vec<Check> {
    let worker = verifying_worker(h, HOUR);
    eventually("the second look", 2 * MINUTE, || async {
        checks(h)
            .await
            .iter()
            .any(|c| c.0 == "still_differs")
            .then_some(())
    })
    .await;
    // Maintenance passes go on every 200 ms: none starts another check or heal.
    tokio::time::sleep(Duration::from_secs(2)).await;
    worker.stop().await;
    let done = checks(h).await;
    let outcomes: Vec<&str> = done.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(outcomes, ["differs", "still_differs"]);
    done
}

/// `xero-sync status`'s output.
async fn status(h: &Harness) -> String {
    let out = h.command(&["status"]).output().await.unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_difference_healing_cannot_mend_is_said_loudly_once_and_not_healed_again() {
    let h = synced().await;
    // A journal in Postgres alone, numbered where Xero numbers none: no walk of Xero's journals
    // covers it, so healing leaves it; the second look must say so and stop.
    sqlx::query(
        "WITH journal AS (
             INSERT INTO xero.journals (tenant_id, journal_id, journal_number, journal_date, raw)
             SELECT $1, gen_random_uuid(), -1, max(journal_date), '{}'
               FROM xero.journals WHERE tenant_id = $1
             RETURNING tenant_id, journal_id)
         INSERT INTO xero.journal_lines (tenant_id, journal_id, journal_line_id, account_id,
                                         net_amount, raw)
         SELECT journal.tenant_id, journal.journal_id, gen_random_uuid(), g.account_id, 5, '{}'
           FROM journal, (SELECT account_id FROM xero.general_ledger
                           WHERE tenant_id = $1 AND account_class = 'ASSET'
                             AND account_id NOT IN (SELECT account_id
                                                      FROM xero.control_accounts($1, current_date))
                           ORDER BY journal_number LIMIT 1) AS g",
    )
    .bind(h.tenants[0])
    .execute(&h.db.pool)
    .await
    .unwrap();
    until_said_loudly(&h).await;
    let status = status(&h).await;
    assert!(
        status.contains("ledger STILL DIFFERS from Xero after healing (1 accounts"),
        "{status}"
    );
}
