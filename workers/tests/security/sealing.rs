//! Tokens at rest: sealed, bound to their row, rotated under running workers, and never printed.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;
use xero_sync::config::TokenKeyArgs;
use xero_sync::seal::{Field, Keys, OpenError};
use xero_sync::vault::VaultError;
use xero_sync_sim::SimConfig;

use super::{cli, issued, ok};
use crate::support::process::WorkerProcess;
use crate::support::{Harness, small_org};

const MINUTE: Duration = Duration::from_secs(60);

fn tiny() -> SimConfig {
    SimConfig {
        invoices: 60,
        contacts: 30,
        accounts: 20,
        journals: 150,
        rate_limits: false,
        ..SimConfig::default()
    }
}

/// The database as `pg_dump` writes it, or `None` (and a skip) without `pg_dump`.
async fn dump(url: &str) -> Option<String> {
    let output = tokio::process::Command::new("pg_dump")
        .arg(url)
        .output()
        .await;
    match output {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => panic!("pg_dump: {}", String::from_utf8_lossy(&out.stderr)),
        Err(_) => {
            crate::support::skip::skip(
                "a_dump_of_a_synced_database_holds_no_token_the_simulator_issued",
                "no `pg_dump` on PATH (PostgreSQL's client)",
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_of_a_synced_database_holds_no_token_the_simulator_issued() {
    let h = Harness::new(small_org()).await;
    let runs = h.sync(None, true).await;
    let worker = h.worker(5, 2);
    h.wait(&runs, MINUTE).await;
    worker.stop().await;
    let Some(dump) = dump(&h.db.url).await else {
        return;
    };
    let tokens = issued(&h).await;
    for token in &tokens {
        assert!(!dump.contains(token.as_str()), "the dump holds a token");
    }
    // What is stored is the live token, sealed: it opens with the key, and only with it.
    let (id, sealed): (Uuid, String) =
        sqlx::query_as("SELECT connection_id, access_token FROM xero.tokens")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    assert!(sealed.starts_with("xs1:"), "{}", &sealed[..8]);
    let opened = h.keys.open(id, Field::Access, &sealed).unwrap();
    assert!(tokens.iter().any(|t| t == opened.expose()));
    assert!(Keys::generated().open(id, Field::Access, &sealed).is_err());
    eprintln!(
        "{} issued tokens, none in a {} KB dump",
        tokens.len(),
        dump.len() / 1000
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_token_moved_to_another_connection_does_not_open() {
    let h = Harness::new(tiny()).await;
    let pool = &h.db.pool;
    let other: Uuid = sqlx::query_scalar(
        "INSERT INTO xero.connections (grant_type) VALUES ('authorization_code')
         RETURNING connection_id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    // The second connection is given the first one's sealed tokens, as a person with write
    // access to the table could.
    sqlx::query(
        "INSERT INTO xero.tokens (connection_id, access_token, refresh_token, expires_at, scopes)
         SELECT $1, access_token, refresh_token, now() + interval '1 hour', scopes
           FROM xero.tokens WHERE connection_id <> $1",
    )
    .bind(other)
    .execute(pool)
    .await
    .unwrap();
    let moved = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name) VALUES ($1, $2, 'Moved')",
    )
    .bind(moved)
    .bind(other)
    .execute(pool)
    .await
    .unwrap();
    let engine = h.engine(5);
    let error = engine.vault.access_token(moved, None).await.unwrap_err();
    assert!(
        matches!(error, VaultError::Sealed(OpenError::Tampered { .. })),
        "{error}"
    );
    assert!(error.to_string().contains("altered or moved"), "{error}");
    assert!(engine.vault.access_token(h.tenants[0], None).await.is_ok());
}

/// Refreshes stored, and refreshes the simulator granted.
async fn refreshes(h: &Harness) -> (i64, u64) {
    let stored: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(refresh_count), 0)::bigint FROM xero.tokens")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    let stats = h.sim_stats().await;
    (
        stored,
        stats["token_grants"]["refresh_token"].as_u64().unwrap_or(0),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_key_under_running_workers_loses_no_refresh() {
    // A token is due for refresh two seconds after it is issued: the workers refresh all along.
    let mut h = Harness::new(SimConfig {
        tenants: 2,
        journals: 4_000,
        latency_ms: 30,
        token_lifetime_secs: 62,
        ..small_org()
    })
    .await;
    let old = h.token_key.clone();
    let new = Keys::new_key();
    let both = TokenKeyArgs {
        token_key: Some(new.clone()),
        token_keys_old: Some(old),
        ..TokenKeyArgs::default()
    };
    h.keys = Arc::new(Keys::from_args(&both).unwrap());
    let workers = [h.worker(1, 2), h.worker(1, 2)];
    // Rotate all along while the workers sync, and sync again until Xero has granted a few
    // refreshes meanwhile: how many one sync needs depends on the machine's speed, not the rule.
    let mut runs = h.sync(None, true).await;
    let mut passes = 0;
    let mut resealed = 0;
    loop {
        let rotated = xero_sync::vault::rotate(&h.db.pool, &h.keys).await.unwrap();
        assert_eq!(rotated.failed, vec![], "every token opens");
        resealed += rotated.resealed;
        passes += 1;
        let running: i64 =
            sqlx::query_scalar("SELECT count(*) FROM xero.sync_log WHERE status = 'running'")
                .fetch_one(&h.db.pool)
                .await
                .unwrap();
        if running == 0 {
            h.wait(&runs, MINUTE).await;
            if refreshes(&h).await.1 >= 3 {
                break;
            }
            assert!(passes < 10_000, "the workers never refreshed");
            runs = h.sync(None, true).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for w in workers {
        w.stop().await;
    }
    let (stored, granted) = refreshes(&h).await;
    assert!(
        granted >= 3,
        "the workers refreshed during the rotation ({granted})"
    );
    assert_eq!(
        stored as u64, granted,
        "every refresh Xero granted is stored"
    );
    let stats = h.sim_stats().await;
    assert_eq!(
        stats["invalid_grant"], 0,
        "no refresh token was lost: {stats}"
    );
    // The new key alone opens every token now.
    let alone = TokenKeyArgs {
        token_key: Some(new),
        ..TokenKeyArgs::default()
    };
    let alone = Keys::from_args(&alone).unwrap();
    let rows: Vec<(Uuid, String, Option<String>)> =
        sqlx::query_as("SELECT connection_id, access_token, refresh_token FROM xero.tokens")
            .fetch_all(&h.db.pool)
            .await
            .unwrap();
    for (id, access, refresh) in rows {
        assert!(alone.open(id, Field::Access, &access).is_ok());
        assert!(alone.open(id, Field::Refresh, &refresh.unwrap()).is_ok());
    }
    h.assert_equal(None).await;
    eprintln!("{passes} rotation passes, {resealed} re-seals, {granted} refreshes meanwhile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_malformed_or_wrong_key_is_a_clear_error() {
    let h = Harness::new(tiny()).await;
    let mut missing = h.command(&["worker"]);
    missing.env_remove("XERO_TOKEN_KEY");
    let out = missing.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("XERO_TOKEN_KEY is not set"), "{stderr}");
    let mut short = h.command(&["connect", "--client-credentials"]);
    short.env("XERO_TOKEN_KEY", "c2hvcnQ=");
    let out = short.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("XERO_TOKEN_KEY must be 32 bytes") && stderr.contains("5 bytes"),
        "{stderr}"
    );
    // Another key: the tokens do not open, and the error names the key they need.
    let mut other = (*h.engine(5)).clone();
    let wrong = Arc::new(Keys::generated());
    other.vault = xero_sync::vault::Vault::new(
        h.db.pool.clone(),
        xero_sync::app::oauth_app(&h.http, &h.xero).unwrap(),
        wrong,
        Duration::from_secs(5),
    );
    let error = other
        .vault
        .access_token(h.tenants[0], None)
        .await
        .unwrap_err();
    let needed = h.keys.current_id().unwrap();
    assert!(error.to_string().contains(needed), "{error}");
    assert!(error.to_string().contains("XERO_TOKEN_KEYS_OLD"), "{error}");
    // A fresh key, as `keys generate` prints it.
    let out = cli(&h, &["keys", "generate"]).await;
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(key.len(), 44, "32 bytes in base64: {key}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_logs_of_a_whole_sync_and_the_commands_output_contain_no_token() {
    let h = Harness::new(SimConfig {
        tenants: 2,
        token_lifetime_secs: 62,
        ..small_org()
    })
    .await;
    let runs = h.sync(None, true).await;
    // A token of 62 s is refreshed once it has less than a minute left: past 2 s, so the
    // worker refreshes at once, however fast the sync is.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Debug logs of the engine too: every span and field a worker writes.
    let mut worker =
        WorkerProcess::start(&h, &[("RUST_LOG", "debug,sqlx=warn,hyper=info,h2=info")]);
    h.wait(&runs, MINUTE * 2).await;
    worker.terminate();
    worker.exited_within(MINUTE).await;
    let mut seen = worker
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["connections"],
        &["connections", "--json"],
        &["entities", "--json"],
        &["jobs", "failed"],
    ] {
        seen.push_str(&ok(&h, args).await);
    }
    let tokens = issued(&h).await;
    assert!(tokens.len() >= 3, "refreshes happened: {}", tokens.len());
    let secrets = tokens
        .iter()
        .map(String::as_str)
        .chain([h.token_key.expose(), h.xero.client_secret.expose()]);
    for secret in secrets {
        assert!(!seen.contains(secret), "a secret was printed");
    }
    eprintln!(
        "{} bytes of logs and output, {} tokens, none printed",
        seen.len(),
        tokens.len()
    );
}
