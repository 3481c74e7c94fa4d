//! Behind PgBouncer in transaction pooling mode (`DATABASE_POOL_MODE=transaction`): two worker
//! processes and the CLI reach the data only through a PgBouncer the test starts, with fewer
//! server connections than the clients hold, so one client's statements land on whichever
//! server connection is free; migrations and the workers' LISTEN go over
//! `DATABASE_DIRECT_URL`. A full sync of every entity and an incremental one after changes
//! end equal to the simulator, and a read-only command needs no direct URL at all.
//!
//! PgBouncer is Debian's (1.18: no prepared-statement tracking), installed by `.ci/run`;
//! without it the test says so and skips.

#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use support::process::WorkerProcess;
use support::skip::skip;
use support::{Harness, eventually, small_org};

/// Server connections PgBouncer opens to the test's database: fewer than the workers' pools.
const SERVER_CONNECTIONS: i64 = 2;

/// A PgBouncer in front of the test's Postgres, stopped when dropped.
struct Bouncer {
    child: std::process::Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pgbouncer_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("pgbouncer"))
        .find(|candidate| candidate.is_file())
}

impl Bouncer {
    /// Starts PgBouncer in transaction mode in front of the server `db_url` is on.
    async fn start(binary: &Path, db_url: &str) -> Bouncer {
        let server = PgConnectOptions::from_str(db_url).unwrap();
        let port = {
            let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            free.local_addr().unwrap().port()
        };
        let dir = std::env::temp_dir().join(format!("xero-sync-pgbouncer-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        // PgBouncer will not run as root: as root it is started as `postgres`, which must be
        // able to read its files and write its log.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let users = dir.join("users.txt");
        std::fs::write(&users, format!("\"{}\" \"\"\n", server.get_username())).unwrap();
        let config = dir.join("pgbouncer.ini");
        std::fs::write(
            &config,
            format!(
                "[databases]\n\
                 * = host={host} port={server_port}\n\
                 [pgbouncer]\n\
                 listen_addr = 127.0.0.1\n\
                 listen_port = {port}\n\
                 unix_socket_dir =\n\
                 auth_type = trust\n\
                 auth_file = {users}\n\
                 pool_mode = transaction\n\
                 default_pool_size = {SERVER_CONNECTIONS}\n\
                 max_client_conn = 200\n\
                 logfile = {log}\n",
                host = server.get_host(),
                server_port = server.get_port(),
                users = users.display(),
                log = dir.join("pgbouncer.log").display(),
            ),
        )
        .unwrap();
        let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
        let mut command = std::process::Command::new(binary);
        if root {
            command.args(["-u", "postgres"]);
        }
        let child = command
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let bouncer = Bouncer { child, port, dir };
        eventually("PgBouncer to listen", Duration::from_secs(20), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
        bouncer
    }

    /// The test's database through PgBouncer, under an application name that marks the server
    /// connections it lends out.
    fn url(&self, db_url: &str, application: &str) -> String {
        let options = PgConnectOptions::from_str(db_url).unwrap();
        format!(
            "postgres://{}@127.0.0.1:{}/{}?application_name={application}",
            options.get_username(),
            self.port,
            options.get_database().unwrap()
        )
    }
}

/// Server connections PgBouncer holds for `application` now.
async fn lent(h: &Harness, application: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = $1",
    )
    .bind(application)
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}

/// Runs `xero-sync sync --all-tenants --all-entities --wait` through PgBouncer.
async fn sync_through(h: &Harness, pooled: &str, full: bool) {
    let mut args = vec!["sync", "--all-tenants", "--all-entities", "--wait"];
    if full {
        args.push("--full");
    }
    let output = h
        .command(&args)
        .env("DATABASE_URL", pooled)
        .env("DATABASE_POOL_MODE", "transaction")
        .env("DATABASE_DIRECT_URL", &h.db.url)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "sync {args:?} through PgBouncer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_sync_in_full_and_incrementally_through_pgbouncer_in_transaction_mode() {
    const TEST: &str = "pgbouncer";
    let Some(binary) = pgbouncer_binary() else {
        skip(
            TEST,
            "pgbouncer is not installed (apt-get install pgbouncer)",
        );
        return;
    };
    let h = Harness::new(small_org()).await;
    h.choose_current_entities().await;
    let bouncer = Bouncer::start(&binary, &h.db.url).await;
    let application = format!("bounced-{}", bouncer.port);
    let pooled = bouncer.url(&h.db.url, &application);

    let worker_env = [
        ("DATABASE_URL", pooled.as_str()),
        ("DATABASE_POOL_MODE", "transaction"),
        ("DATABASE_DIRECT_URL", h.db.url.as_str()),
        ("WORKER_CONCURRENCY", "4"),
        // Small batches: many transactions, each free to land on another server connection.
        ("SYNC_BATCH_SIZE", "1"),
        ("WORKER_HTTP_ADDR", "off"),
    ];
    let first = WorkerProcess::start(&h, &worker_env);
    let second = WorkerProcess::start(&h, &worker_env);

    let most = AtomicI64::new(0);
    let sampling = async {
        loop {
            most.fetch_max(lent(&h, &application).await, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let synced = async {
        sync_through(&h, &pooled, true).await;
        h.assert_equal(None).await;
        for entity in [
            "invoices",
            "contacts",
            "bank_transactions",
            "manual_journals",
        ] {
            h.sim_json(
                "POST",
                "/sim/mutate",
                Some(json!({"tenant_id": h.tenants[0], "entity": entity, "count": 25})),
            )
            .await;
        }
        sync_through(&h, &pooled, false).await;
    };
    tokio::select! {
        () = synced => {}
        () = sampling => unreachable!(),
    }
    h.assert_equal(None).await;
    let most = most.load(Ordering::Relaxed);
    eprintln!("at most {most} server connections lent by PgBouncer for 2 workers of 4 and the CLI");
    assert!(
        (1..=SERVER_CONNECTIONS).contains(&most),
        "the workers' statements went through PgBouncer's {SERVER_CONNECTIONS} server \
         connections ({most} seen)"
    );
    let runs: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT run_id, mode FROM xero.sync_log WHERE status = 'completed'")
            .fetch_all(&h.db.pool)
            .await
            .unwrap();
    assert!(
        runs.iter().any(|(_, mode)| mode == "incremental"),
        "an incremental run completed: {runs:?}"
    );
    // A statement that reached a server connection where it was not prepared (or where another
    // client's was) fails its batch, which would then be retried.
    let ids: Vec<uuid::Uuid> = runs.iter().map(|(id, _)| *id).collect();
    h.assert_jobs_done_first_time(&ids).await;
    for (name, worker) in [("first", &first), ("second", &second)] {
        assert!(
            !worker.committed_batches().is_empty(),
            "the {name} worker committed batches through PgBouncer"
        );
    }

    // A read-only command needs no session of its own: DATABASE_URL alone.
    let status = h
        .command(&["status", "--json"])
        .env("DATABASE_URL", &pooled)
        .env("DATABASE_POOL_MODE", "transaction")
        .output()
        .await
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    first.terminate();
    second.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_that_migrates_behind_transaction_pooling_asks_for_the_direct_url() {
    let h = Harness::new(small_org()).await;
    // Refused before any connection is made, so no PgBouncer is needed to see it.
    let output = h
        .command(&["migrate"])
        .env("DATABASE_POOL_MODE", "transaction")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("migrating the database") && stderr.contains("DATABASE_DIRECT_URL"),
        "{stderr}"
    );
}
