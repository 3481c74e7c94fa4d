//! The Postgres connections a deployment uses: a worker holds at most its pool
//! (`WORKER_CONCURRENCY` + 4) and one more for LISTEN, so N replicas use at most
//! N × (concurrency + 5); and a replica whose pool cannot be opened stops at once with an error
//! naming the database, instead of retrying in silence.

#![allow(clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant};

use support::process::WorkerProcess;
use support::{Harness, small_org};

/// The connections of the test's database whose application name starts with `prefix`.
async fn connections(h: &Harness, prefix: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name LIKE $1 || '%'",
    )
    .bind(prefix)
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_stay_within_their_documented_connections() {
    let h = Harness::new(small_org()).await;
    const CONCURRENCY: i64 = 3;
    let prefix = format!("pool-{}", uuid::Uuid::new_v4().simple());
    let start = |n: u32| {
        let url = format!("{}?application_name={prefix}-{n}", h.db.url);
        WorkerProcess::start(
            &h,
            &[
                ("DATABASE_URL", &url),
                ("WORKER_CONCURRENCY", &CONCURRENCY.to_string()),
                ("SYNC_BATCH_SIZE", "1"),
                ("WORKER_HTTP_ADDR", "off"),
            ],
        )
    };
    let (first, second) = (start(1), start(2));
    let runs = h.sync(None, true).await;
    let most = std::sync::atomic::AtomicI64::new(0);
    let sampling = async {
        loop {
            let now = connections(&h, &prefix).await;
            most.fetch_max(now, std::sync::atomic::Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        () = sampling => {}
        () = h.wait(&runs, Duration::from_secs(120)) => {}
    }
    let most = most.into_inner();
    h.assert_equal(None).await;
    eprintln!("two replicas of concurrency {CONCURRENCY}: at most {most} connections seen");
    assert!(
        most <= 2 * (CONCURRENCY + 5),
        "{most} connections for two replicas of concurrency {CONCURRENCY}"
    );
    assert!(
        most >= 2 * 2,
        "each replica holds its listener and a pooled connection"
    );
    first.terminate();
    second.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_whose_pool_cannot_open_stops_at_once_naming_the_database() {
    let h = Harness::new(small_org()).await;
    // A port nothing listens on: the connection is refused.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let url = format!("postgres://postgres:s3cret@127.0.0.1:{port}/xero_sync");
    let started = Instant::now();
    let output = h
        .command(&["worker"])
        .env("DATABASE_URL", &url)
        .env("WORKER_HTTP_ADDR", "off")
        .env("RUST_BACKTRACE", "1")
        .output()
        .await
        .unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(40), "gave up after {took:?}");
    assert!(
        stderr.contains("cannot connect to Postgres") && stderr.contains("DATABASE_URL"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(
        !stderr.contains("s3cret"),
        "the password is not shown: {stderr}"
    );
    assert!(
        !stderr.contains("Stack backtrace"),
        "an error, not a stack trace: {stderr}"
    );
}
