//! The harness of the pipeline tests: a fresh database, an in-process simulator over real HTTP,
//! a connection made through the real OAuth flow, and workers — in-process or as real
//! `xero-sync worker` processes — draining the real queue.

#![allow(dead_code, clippy::unwrap_used)]

pub mod ledger;
pub mod process;
pub mod skip;

use std::future::Future;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use uuid::Uuid;
use xero_sync::app::{self, Selection};
use xero_sync::config::{Interval, SyncArgs, XeroArgs};
use xero_sync::config::{Secret, TokenKeyArgs};
use xero_sync::connect::{self, AutoConsent, Connector};
use xero_sync::seal::Keys;
use xero_sync::sync::Engine;
use xero_sync::testing::TestDb;
use xero_sync::worker::{self, WorkerOptions};
use xero_sync_sim::{SimConfig, Simulator};
use xero_sync_workers::{line_digests, registry};

/// The entities a harness syncs by default (`SYNC_ENTITIES`).
pub const CLASSIC: &[&str] = &["accounts", "contacts", "invoices", "journals"];

/// The entities of [`CLASSIC`], in registry order.
pub fn synced() -> Vec<&'static xero_sync::entity::Entity> {
    registry()
        .iter()
        .filter(|e| CLASSIC.contains(&e.name))
        .collect()
}

/// The line sets digested beside entities, and the entities whose records hold them.
const LINE_SETS: &[(&str, &[&str])] = &[
    ("invoice_line_items", &["invoices"]),
    ("journal_lines", &["journals"]),
    ("manual_journal_lines", &["manual_journals"]),
    ("tracking_options", &["tracking_categories"]),
    ("credit_notes_line_items", &["credit_notes"]),
    ("purchase_orders_line_items", &["purchase_orders"]),
    ("overpayments_line_items", &["overpayments"]),
    ("prepayments_line_items", &["prepayments"]),
    ("bank_transactions_line_items", &["bank_transactions"]),
    ("quotes_line_items", &["quotes"]),
    ("receipts_line_items", &["receipts"]),
    (
        "allocations",
        &["credit_notes", "overpayments", "prepayments"],
    ),
    ("contact_addresses", &["contacts"]),
    ("contact_phones", &["contacts"]),
    ("contact_persons", &["contacts"]),
];

/// A test's world: database, simulator, connected tenants.
pub struct Harness {
    pub db: TestDb,
    pub sim: Simulator,
    pub xero: XeroArgs,
    pub http: reqwest::Client,
    pub tenants: Vec<Uuid>,
    /// The key tokens are sealed under (its base64, for worker processes), and the keys.
    pub token_key: Secret,
    pub keys: Arc<Keys>,
}

/// Batch settings for tests: the defaults, with a given batch size.
pub fn sync_args(batch_size: u32) -> SyncArgs {
    SyncArgs {
        batch_size,
        interval: Interval(Duration::from_secs(3600)),
        ..SyncArgs::default()
    }
}

impl Harness {
    /// Starts everything and connects all simulated tenants through OAuth with PKCE, asking for
    /// the scopes the registry needs.
    pub async fn new(config: SimConfig) -> Harness {
        let scopes = xero_sync::entity::scopes(registry(), false);
        Harness::with_scopes(config, &scopes).await
    }

    /// [`Harness::new`], asking for exactly `scopes`.
    pub async fn with_scopes(config: SimConfig, scopes: &[&str]) -> Harness {
        Harness::try_with_scopes(config, scopes).await.unwrap()
    }

    /// [`Harness::with_scopes`], or why connecting failed.
    pub async fn try_with_scopes(config: SimConfig, scopes: &[&str]) -> anyhow::Result<Harness> {
        // Logs only on request (`TEST_LOG=1`): they go to stderr, which the test runner does
        // not capture.
        if std::env::var_os("TEST_LOG").is_some() {
            xero_sync::telemetry::init_logging(false, xero_sync::telemetry::DEFAULT_FILTER);
        }
        let db = TestDb::new().await.unwrap();
        xero_sync::db::prepare(&db.pool, registry()).await.unwrap();
        // The four entities the engine was proven with: tests about the engine sync these, and
        // the tests of the other entities name theirs.
        xero_sync::db::choose_entities(&db.pool, CLASSIC)
            .await
            .unwrap();
        let sim = Simulator::start(config.clone()).await.unwrap();
        let http = app::http_client().unwrap();
        let xero = xero_sync_workers::simulated::matching(
            XeroArgs::at(&sim.origin(), sim.client_id(), sim.client_secret(), 5),
            &config,
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let redirect = format!("http://{}/callback", listener.local_addr().unwrap());
        let oauth = app::oauth_app(&http, &xero).unwrap();
        let browser = AutoConsent {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        };
        let request = connect::Request {
            listener,
            redirect_uri: &redirect,
            scopes,
        };
        let token_key = Keys::new_key();
        let key_args = TokenKeyArgs {
            token_key: Some(token_key.clone()),
            ..TokenKeyArgs::default()
        };
        let keys = Arc::new(Keys::from_args(&key_args)?);
        let connector = Connector {
            pool: &db.pool,
            oauth: &oauth,
            http: &http,
            api_url: &xero.api_url,
            keys: &keys,
            require: None,
        };
        let tenants = connector
            .authorization_code(request, &browser)
            .await?
            .into_iter()
            .map(|t| t.tenant_id)
            .collect();
        Ok(Harness {
            db,
            sim,
            xero,
            http,
            tenants,
            token_key,
            keys,
        })
    }

    /// The engine an in-process worker runs.
    pub fn engine(&self, batch_size: u32) -> Arc<Engine> {
        self.engine_with(&sync_args(batch_size))
    }

    /// The engine of these settings.
    pub fn engine_with(&self, sync: &SyncArgs) -> Arc<Engine> {
        app::engine(
            self.db.pool.clone(),
            &self.http,
            &self.xero,
            sync,
            registry(),
            self.keys.clone(),
        )
        .unwrap()
    }

    /// Starts an in-process worker.
    pub fn worker(&self, batch_size: u32, concurrency: usize) -> InProcessWorker {
        let options = WorkerOptions::new(concurrency, Duration::from_secs(30));
        self.worker_with(&sync_args(batch_size), options)
    }

    /// Starts an in-process worker with these settings and options.
    pub fn worker_with(&self, sync: &SyncArgs, options: WorkerOptions) -> InProcessWorker {
        let engine = self.engine_with(sync);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(worker::run(
            engine,
            options,
            worker::unique_name(),
            async move {
                let _ = stopped.await;
                Ok(())
            },
        ));
        InProcessWorker {
            stop: Some(stop),
            task,
        }
    }

    /// Makes every current entity (all but the deprecated ones) the deployment's choice.
    pub async fn choose_current_entities(&self) {
        let current: Vec<&str> = registry()
            .iter()
            .filter(|e| e.deprecated.is_none())
            .map(|e| e.name)
            .collect();
        xero_sync::db::choose_entities(&self.db.pool, &current)
            .await
            .unwrap();
    }

    /// Waits until at least `n` workers are registered with the queue.
    pub async fn workers_registered(&self, n: i64) {
        eventually(
            "the workers to register",
            Duration::from_secs(30),
            || async {
                let live: i64 = sqlx::query_scalar("SELECT count(*) FROM apalis.workers")
                    .fetch_one(&self.db.pool)
                    .await
                    .unwrap();
                (live >= n).then_some(())
            },
        )
        .await;
    }

    /// Starts runs for all tenants and the given entities (None: all); returns the run ids.
    pub async fn sync(&self, entities: Option<&[&str]>, full: bool) -> Vec<Uuid> {
        let selection = Selection {
            tenants: None,
            entities: entities.map(|e| e.iter().map(|s| (*s).to_owned()).collect()),
        };
        app::request_sync(&self.db.pool, registry(), &selection, full, 8)
            .await
            .unwrap()
            .into_iter()
            .map(|(_, _, s)| s.run_id)
            .collect()
    }

    /// Waits until every run completed; panics on a failed run or after `timeout`.
    pub async fn wait(&self, runs: &[Uuid], timeout: Duration) {
        xero_sync_workers::runs::wait_for_runs(&self.db.pool, runs, timeout)
            .await
            .unwrap();
    }

    /// Waits until no run of `runs` is running; returns each run's status, in order.
    pub async fn wait_ended(&self, runs: &[Uuid], timeout: Duration) -> Vec<String> {
        eventually("the runs to end", timeout, || async {
            let statuses: Vec<(Uuid, String)> =
                sqlx::query_as("SELECT run_id, status FROM xero.sync_log WHERE run_id = ANY($1)")
                    .bind(runs)
                    .fetch_all(&self.db.pool)
                    .await
                    .unwrap();
            statuses.iter().all(|(_, s)| s != "running").then(|| {
                runs.iter()
                    .map(|r| statuses.iter().find(|(id, _)| id == r).unwrap().1.clone())
                    .collect()
            })
        })
        .await
    }

    /// A run's status, error and Xero calls.
    pub async fn run_outcome(&self, run: Uuid) -> (String, Option<String>, i32) {
        sqlx::query_as("SELECT status, error, api_calls FROM xero.sync_log WHERE run_id = $1")
            .bind(run)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    /// The simulator's digest of a set.
    pub async fn sim_digest(&self, tenant: Uuid, set: &str) -> (u64, String) {
        let v: Value = self
            .http
            .get(format!("{}/sim/digest", self.sim.origin()))
            .query(&[
                ("tenant_id", tenant.to_string()),
                ("entity", set.to_owned()),
            ])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            v["count"].as_u64().unwrap(),
            v["digest"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Asserts that Postgres holds exactly what the simulator holds, for `entities` (None: all)
    /// and, with all entities, for invoice lines and journal lines too.
    pub async fn assert_equal(&self, entities: Option<&[&str]>) {
        self.assert_equal_for(&self.tenants, entities).await;
    }

    /// [`Harness::assert_equal`] for these tenants only.
    pub async fn assert_equal_for(&self, tenants: &[Uuid], entities: Option<&[&str]>) {
        let enabled = xero_sync::db::enabled_entities(&self.db.pool)
            .await
            .unwrap();
        let wanted = |name: &str| match entities {
            Some(names) => names.contains(&name),
            None => enabled.iter().any(|e| e == name),
        };
        for &tenant in tenants {
            for entity in registry() {
                if !wanted(entity.name) {
                    continue;
                }
                let ours = xero_sync::digest::digest(&self.db.pool, entity, tenant)
                    .await
                    .unwrap();
                let theirs = self.sim_digest(tenant, entity.name).await;
                assert_eq!(
                    (ours.count, ours.digest),
                    theirs,
                    "{} differs from Xero",
                    entity.name
                );
            }
            if entities.is_none() {
                for (set, query) in line_digests() {
                    let owners = LINE_SETS.iter().find(|(s, _)| s == set).map(|(_, e)| *e);
                    if !owners.is_some_and(|owners| owners.iter().all(|o| wanted(o))) {
                        continue;
                    }
                    let ours = xero_sync::digest::digest_query(&self.db.pool, query, tenant)
                        .await
                        .unwrap();
                    let theirs = self.sim_digest(tenant, set).await;
                    assert_eq!(ours.count, theirs.0, "{set} count differs from Xero");
                    assert_eq!(ours.digest, theirs.1, "{set} differs from Xero");
                }
            }
        }
    }

    /// `(cursor key, times served)` of one endpoint, from `/sim/stats`.
    pub async fn sim_served(&self, endpoint: &str) -> Vec<(String, u64)> {
        let stats = self.sim_stats().await;
        stats["served"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["endpoint"] == endpoint)
            .map(|s| {
                (
                    s["cursor"].as_str().unwrap().to_owned(),
                    s["count"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    /// Every record of `endpoint` the simulator serves the first tenant, unpaged, read as a
    /// custom connection would (a client_credentials token, no engine involved).
    pub async fn sim_records(&self, endpoint: &str) -> Vec<Value> {
        let body = self.sim_get(endpoint, &[]).await;
        body[endpoint].as_array().unwrap().clone()
    }

    /// The simulator's answer to `GET <endpoint>?<query>` for the first tenant, read as a
    /// custom connection would (a client_credentials token, no engine involved).
    pub async fn sim_get(&self, endpoint: &str, query: &[(&str, &str)]) -> Value {
        let token = self.sim.custom_connection_token().unwrap();
        let response = self
            .http
            .get(format!("{}/api.xro/2.0/{endpoint}", self.sim.origin()))
            .query(query)
            .header("accept", "application/json")
            .header("xero-tenant-id", self.tenants[0].to_string())
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {endpoint} {query:?}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }

    /// `GET /sim/stats`.
    pub async fn sim_stats(&self) -> Value {
        self.sim_json("GET", "/sim/stats", None).await
    }

    /// Calls the simulator's control API.
    pub async fn sim_json(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.sim.origin());
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url),
        };
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        let response = request.send().await.unwrap().error_for_status().unwrap();
        response.json().await.unwrap_or(Value::Null)
    }

    /// A `xero-sync` process with this harness's configuration in its environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_xero-sync"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.db.url)
            .env("XERO_CLIENT_ID", &self.xero.client_id)
            .env("XERO_CLIENT_SECRET", self.xero.client_secret.expose())
            .env("XERO_API_URL", &self.xero.api_url)
            .env("XERO_IDENTITY_URL", &self.xero.identity_url)
            .env("XERO_LOGIN_URL", &self.xero.login_url)
            .env("XERO_TIMEOUT_SECS", "5")
            .env("XERO_TOKEN_KEY", self.token_key.expose())
            // Replicas of one test, and tests in parallel, each on a port of their own.
            .env("WORKER_HTTP_ADDR", "127.0.0.1:0")
            // The jobs and Xero calls a test counts are its own: a worker process verifies
            // and keeps reports only where a test asks it to (the verify and report tests run
            // their own maintenance).
            .env("VERIFY_EVERY", "0")
            .env("REPORTS_EVERY", "0")
            .env(
                "XERO_CONCURRENT_LIMIT",
                self.xero.concurrent_limit.to_string(),
            )
            .env("XERO_MINUTE_LIMIT", self.xero.minute_limit.to_string())
            .env("XERO_DAY_LIMIT", self.xero.day_limit.to_string())
            .env(
                "XERO_APP_MINUTE_LIMIT",
                self.xero.app_minute_limit.to_string(),
            )
            .env(
                "XERO_MINUTE_WINDOW_MS",
                self.xero.minute_window_ms.to_string(),
            )
            .env(
                "RUST_LOG",
                "info,sqlx=warn,apalis_core=warn,apalis_postgres=warn",
            )
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Asserts that every batch job of `runs` is done on its first and only attempt.
    pub async fn assert_jobs_done_first_time(&self, runs: &[Uuid]) {
        let jobs: Vec<(String, String, i32)> = sqlx::query_as(
            "SELECT idempotency_key, status, attempts FROM apalis.jobs
              WHERE split_part(idempotency_key, ':', 1) = ANY($1::text[])",
        )
        .bind(runs.iter().map(Uuid::to_string).collect::<Vec<_>>())
        .fetch_all(&self.db.pool)
        .await
        .unwrap();
        assert!(!jobs.is_empty(), "no batch job of runs {runs:?}");
        let retried: Vec<_> = jobs
            .iter()
            .filter(|(_, status, attempts)| status != "Done" || *attempts != 1)
            .collect();
        assert!(retried.is_empty(), "{retried:?}");
    }

    /// Counts `apalis.jobs` rows of our queue by status.
    pub async fn job_counts(&self) -> Vec<(String, i64)> {
        sqlx::query_as("SELECT status, count(*) FROM apalis.jobs GROUP BY status ORDER BY status")
            .fetch_all(&self.db.pool)
            .await
            .unwrap()
    }
}

/// A worker running on the test's runtime.
pub struct InProcessWorker {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl InProcessWorker {
    /// Signals shutdown and waits for the worker to drain.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(60), &mut self.task)
            .await
            .expect("worker stops within a minute")
            .unwrap()
            .unwrap();
    }
}

/// Enables the entities verify reads (the classic four and the organisation) and syncs them in
/// full with a worker that stops once every run has ended, completed or not; returns each run's
/// status, in order.
pub async fn sync_for_verify(h: &Harness, timeout: Duration) -> Vec<String> {
    // The organisation's financial year, and the documents that sit in the control accounts.
    let more = ["organisation", "credit_notes", "overpayments"];
    let entities: Vec<&str> = CLASSIC.iter().chain(&more).copied().collect();
    xero_sync::db::choose_entities(&h.db.pool, &entities)
        .await
        .unwrap();
    let worker = h.worker(10, 4);
    let runs = h.sync(None, true).await;
    let ended = h.wait_ended(&runs, timeout).await;
    worker.stop().await;
    ended
}

/// A worker whose maintenance runs every 200 ms and verifies each organisation every `every`.
pub fn verifying_worker(h: &Harness, every: Duration) -> InProcessWorker {
    let options = WorkerOptions {
        maintenance: Some(xero_sync::sync::maintenance::Maintenance {
            verify_every: Some(every),
            reports_every: Some(every),
            ..maintenance(Duration::from_millis(200))
        }),
        ..WorkerOptions::new(4, Duration::from_secs(30))
    };
    h.worker_with(&sync_args(10), options)
}

/// Maintenance every `every`, scheduling next runs an hour later (as [`sync_args`]).
pub fn maintenance(every: Duration) -> xero_sync::sync::maintenance::Maintenance {
    xero_sync::sync::maintenance::Maintenance {
        every,
        job_retention: Duration::from_secs(7 * 86_400),
        log_retention: Duration::from_secs(90 * 86_400),
        follow_up: Some(xero_sync::sync::engine::FollowUp {
            after: Duration::from_secs(3600),
            max_attempts: 8,
        }),
        verify_every: None,
        reports_every: None,
    }
}

/// A small organisation with rate limits off, for tests that are not about limits.
pub fn small_org() -> SimConfig {
    SimConfig {
        invoices: 1_200,
        contacts: 300,
        accounts: 40,
        journals: 2_500,
        rate_limits: false,
        ..SimConfig::default()
    }
}

/// Polls `probe` until it yields a value; panics naming `what` after `timeout`. Tests wait on
/// state this way, never on fixed sleeps.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
