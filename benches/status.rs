//! What `status` costs as history piles up: 1,000 tenants × 4 entities with a year of daily
//! runs (1.46 million runs), timed first with 10 finished jobs in the queue and then with a
//! million, plus the maintenance pass that prunes them. Both `status` figures should be the
//! same: finished jobs are kept out of every query by a partial index.
//!
//! `cargo bench -p xero-sync --bench status`; `STATUS_BENCH_SHORT=1` runs 100 tenants × 30 days
//! and 100,000 finished jobs for CI. Needs Postgres (`TEST_DATABASE_URL`, as the tests).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use sqlx::PgPool;
use xero_sync::status::status;
use xero_sync::sync::maintenance::{Maintenance, pass};
use xero_sync::testing::TestDb;

const ENTITIES: [&str; 4] = ["accounts", "contacts", "invoices", "journals"];

async fn exec(pool: &PgPool, sql: &str, n: i64) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .bind(n)
        .execute(pool)
        .await
        .unwrap();
}

async fn run(pool: &PgPool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .unwrap();
}

/// Tenants, their pairs and `days` completed runs per pair, each pair's last run recorded.
async fn history(pool: &PgPool, tenants: i64, days: i64) {
    run(
        pool,
        "INSERT INTO xero.connections (connection_id, grant_type)
         VALUES ('00000000-0000-0000-0000-000000000001', 'authorization_code')",
    )
    .await;
    exec(
        pool,
        "INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name)
         SELECT md5('tenant' || i)::uuid, '00000000-0000-0000-0000-000000000001', 'Org ' || i
           FROM generate_series(1, $1) i",
        tenants,
    )
    .await;
    let entities = format!("ARRAY['{}']", ENTITIES.join("','"));
    exec(
        pool,
        &format!(
            "INSERT INTO xero.sync_log (tenant_id, entity, mode, status, started_at, finished_at,
                                        batches, pages, api_calls, records)
             SELECT t.tenant_id, e, 'incremental', 'completed',
                    now() - d * interval '1 day', now() - d * interval '1 day' + interval '3 s',
                    1, 1, 1, 40
               FROM xero.tenants t, unnest({entities}) e, generate_series(1, $1) d"
        ),
        days,
    )
    .await;
    run(
        pool,
        "INSERT INTO xero.sync_progress (tenant_id, entity, status, mode, modified_after,
                                         last_run, last_success_at, last_full_at)
         SELECT DISTINCT ON (tenant_id, entity) tenant_id, entity, 'completed', mode,
                finished_at, run_id, finished_at, finished_at
           FROM xero.sync_log ORDER BY tenant_id, entity, started_at DESC",
    )
    .await;
    // The next run of every pair, as a completed run schedules it.
    run(
        pool,
        "INSERT INTO apalis.jobs (id, job_type, job, run_at, idempotency_key)
         SELECT apalis.generate_ulid(), 'xero-sync',
                convert_to(json_build_object('tenant_id', tenant_id, 'entity', entity,
                                             'after_run', last_run)::text, 'UTF8'),
                now() + interval '1 hour', 'next:' || tenant_id || ':' || entity || ':' || last_run
           FROM xero.sync_progress",
    )
    .await;
}

/// `n` finished batch jobs of the pairs' old runs.
async fn finished_jobs(pool: &PgPool, n: i64) {
    exec(
        pool,
        "INSERT INTO apalis.jobs (id, job_type, job, status, attempts, done_at, idempotency_key)
         SELECT apalis.generate_ulid(), 'xero-sync',
                convert_to(json_build_object('run_id', run_id, 'tenant_id', tenant_id,
                                             'entity', entity, 'seq', k)::text, 'UTF8'),
                'Done', 1, finished_at, run_id || ':' || k
           FROM xero.sync_log,
                generate_series(0, $1 / (SELECT count(*) FROM xero.sync_log)) k
          LIMIT $1
         ON CONFLICT (job_type, idempotency_key) DO NOTHING",
        n,
    )
    .await;
    sqlx::query("ANALYZE apalis.jobs")
        .execute(pool)
        .await
        .unwrap();
}

/// The median of five `status` calls.
async fn time_status(pool: &PgPool) -> (Duration, usize) {
    let mut samples = Vec::new();
    let mut pairs = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let workers = xero_sync::status::workers(pool).await.unwrap();
        pairs = status(pool, &workers).await.unwrap().len();
        samples.push(started.elapsed());
    }
    samples.sort();
    (samples[2], pairs)
}

#[tokio::main]
async fn main() {
    let short = std::env::var("STATUS_BENCH_SHORT").is_ok_and(|v| v == "1");
    let (tenants, days, jobs) = if short {
        (100, 30, 100_000)
    } else {
        (1_000, 365, 1_000_000)
    };
    let db = TestDb::new().await.unwrap();
    let pool = &db.pool;
    let started = Instant::now();
    history(pool, tenants, days).await;
    finished_jobs(pool, 10).await;
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    println!(
        "status: {tenants} tenants x 4 entities, {} runs of history, built in {:.1?}",
        tenants * 4 * days,
        started.elapsed()
    );
    let (few, pairs) = time_status(pool).await;
    println!("status: {pairs} pairs with 10 finished jobs: {few:.1?}");
    let started = Instant::now();
    finished_jobs(pool, jobs).await;
    println!(
        "status: inserted {jobs} finished jobs in {:.1?}",
        started.elapsed()
    );
    let (many, _) = time_status(pool).await;
    if std::env::var_os("STATUS_BENCH_EXPLAIN").is_some() {
        for query in [
            "EXPLAIN ANALYZE SELECT count(*), xero.job_payload(job) ->> 'entity' FROM apalis.jobs
              WHERE job_type = 'xero-sync' AND status <> 'Done' GROUP BY 2",
            "EXPLAIN ANALYZE SELECT * FROM xero.sync_log WHERE run_id = ANY(
                 SELECT last_run FROM xero.sync_progress)",
        ] {
            let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(query))
                .fetch_all(pool)
                .await
                .unwrap();
            println!("{}", plan.join("\n"));
        }
    }
    println!(
        "status: {pairs} pairs with {} finished jobs: {many:.1?} ({:.2}x the time with 10)",
        jobs + 10,
        many.as_secs_f64() / few.as_secs_f64()
    );
    // Retention: how long the pass that prunes them takes (it deletes at most 10,000 per
    // table and pass).
    let settings = Maintenance {
        every: Duration::from_secs(30),
        job_retention: Duration::from_secs(7 * 86_400),
        log_retention: Duration::from_secs(90 * 86_400),
        follow_up: None,
        verify_every: None,
        reports_every: None,
    };
    let started = Instant::now();
    let done = pass(pool, &settings).await.unwrap();
    println!(
        "status: one maintenance pass pruned {} jobs and {} runs in {:.1?}",
        done.jobs_pruned,
        done.runs_pruned,
        started.elapsed()
    );
    assert!(
        many.as_secs_f64() < few.as_secs_f64() * 3.0 + 0.05,
        "status grew with finished jobs: {few:?} -> {many:?}"
    );
}
