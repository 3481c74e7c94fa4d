//! Least privilege: the reader reads the books and nothing of the tokens; the operator starts
//! syncs and pauses organisations; a worker that owns its database needs no superuser.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{Harness, small_org};

/// Runs `sql` as `role` in a transaction that is rolled back; the error code if it failed.
async fn as_role(pool: &PgPool, role: &str, sql: &str, tenant: Uuid) -> Result<(), String> {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("SET LOCAL ROLE {role}")))
        .execute(&mut *tx)
        .await
        .unwrap();
    let result = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(tenant)
        .execute(&mut *tx)
        .await;
    tx.rollback().await.unwrap();
    result.map(|_| ()).map_err(|e| {
        e.as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned())
            .unwrap_or_else(|| e.to_string())
    })
}

const DENIED: &str = "42501";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reader_reads_the_books_and_not_the_tokens_and_the_operator_starts_and_pauses() {
    let h = Harness::new(small_org()).await;
    let runs = h.sync(Some(&["invoices"]), true).await;
    let worker = h.worker(5, 2);
    h.wait(&runs, Duration::from_secs(60)).await;
    worker.stop().await;
    let pool = &h.db.pool;
    let tenant = h.tenants[0];
    let count = "SELECT count(*) FROM xero.invoices WHERE tenant_id = $1";
    assert_eq!(
        as_role(pool, "xero_sync_reader", count, tenant).await,
        Ok(())
    );
    let lines = "SELECT * FROM xero.invoice_line_items WHERE tenant_id = $1 LIMIT 1";
    assert_eq!(
        as_role(pool, "xero_sync_reader", lines, tenant).await,
        Ok(())
    );
    for private in ["tokens", "connections", "tenant_budget", "egress"] {
        let sql = format!("SELECT * FROM xero.{private} WHERE $1::uuid IS NOT NULL");
        for role in ["xero_sync_reader", "xero_sync_operator"] {
            assert_eq!(
                as_role(pool, role, &sql, tenant).await,
                Err(DENIED.into()),
                "{role} reads xero.{private}"
            );
        }
    }
    let start = "SELECT xero.request_sync($1, 'invoices')";
    assert_eq!(
        as_role(pool, "xero_sync_reader", start, tenant).await,
        Err(DENIED.into())
    );
    assert_eq!(
        as_role(pool, "xero_sync_operator", start, tenant).await,
        Ok(())
    );
    let pause = "SELECT xero.pause_tenant($1)";
    assert_eq!(
        as_role(pool, "xero_sync_reader", pause, tenant).await,
        Err(DENIED.into())
    );
    assert_eq!(
        as_role(pool, "xero_sync_operator", pause, tenant).await,
        Ok(())
    );
    let jobs = "SELECT count(*) FROM apalis.jobs WHERE $1::uuid IS NOT NULL";
    assert_eq!(
        as_role(pool, "xero_sync_operator", jobs, tenant).await,
        Ok(())
    );
    assert_eq!(
        as_role(pool, "xero_sync_reader", jobs, tenant).await,
        Err(DENIED.into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_of_its_database_migrates_without_being_a_superuser() {
    let h = Harness::new(small_org()).await;
    let suffix = Uuid::new_v4().simple().to_string();
    let (role, database) = (
        format!("xs_owner_{}", &suffix[..12]),
        format!("xs_owned_{}", &suffix[..12]),
    );
    let admin = &h.db.pool;
    for sql in [
        format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB"),
        format!("CREATE DATABASE {database} OWNER {role}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(admin)
            .await
            .unwrap();
    }
    let server = h.db.url.rsplit_once('/').unwrap().0.to_owned();
    let host = server
        .split_once('@')
        .map_or(server.as_str(), |(_, host)| host);
    let url = format!("postgres://{role}@{host}/{database}");
    let migrate = h
        .command(&["migrate"])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    let status = h
        .command(&["status"])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .unwrap();
    for sql in [
        format!("DROP DATABASE {database} WITH (FORCE)"),
        format!("DROP ROLE {role}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(admin)
            .await
            .unwrap();
    }
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
}
