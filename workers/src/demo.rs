//! The demo, README's main command: a simulated organisation, connected through the real OAuth
//! flow, synced in full by in-process workers, a few changes that arrive by webhook (see
//! `demo_webhooks`), then a "day of changes" and an incremental run — with the Xero calls of
//! both runs side by side and a digest check after each — and last, every organisation's ledger
//! verified against its Trial Balance (`demo_verify`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use uuid::Uuid;

use xero_sync::app::{self, Selection};
use xero_sync::config::{SyncArgs, XeroArgs};
use xero_sync::connect::{self, AutoConsent, Connector};
use xero_sync::digest;
use xero_sync::entity::Entity;
use xero_sync::seal::Keys;
use xero_sync::worker::{self, WorkerOptions};
use xero_sync_sim::{SimConfig, Simulator};

use crate::runs::wait_for_runs;

/// The demo's own database: it is dropped and created afresh on every demo.
pub const DEFAULT_DEMO_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/xero_sync_demo";

/// Options of `xero-sync demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The demo database (recreated).
    pub database_url: String,
    /// The simulated organisation.
    pub sim: SimConfig,
    /// Records each entity's "day of changes" touches.
    pub changes: usize,
    /// Batch settings.
    pub sync: SyncArgs,
    /// Worker concurrency.
    pub concurrency: usize,
}

/// The demo's passes.
#[derive(Debug, Clone, Copy)]
enum Pass {
    Full,
    Incremental,
    Sweep,
}

/// One run's figures for one entity.
#[derive(Debug, Clone, Default)]
struct Figures {
    records: i64,
    calls: i32,
    equal: bool,
}

/// Runs the demo; `Ok(false)` when Postgres and the simulator differ.
pub async fn run(options: DemoOptions, registry: &'static [Entity]) -> anyhow::Result<bool> {
    let started = Instant::now();
    let pool = fresh_database(&options.database_url).await?;
    xero_sync::db::prepare(&pool, registry).await?;
    let sim = Simulator::start(options.sim.clone()).await?;
    let tenants = sim.tenant_ids().len();
    println!("Simulated Xero at {} ({tenants} tenant(s))", sim.origin());
    let http = app::http_client()?;
    let xero = XeroArgs::at(&sim.origin(), sim.client_id(), sim.client_secret(), 30);
    let xero = crate::simulated::matching(xero, &options.sim);
    // The demo's tokens live as long as its database: a key of its own, never stored.
    let keys = Arc::new(Keys::generated());
    connect_through_oauth(&pool, &http, &xero, registry, &keys).await?;
    let engine = app::engine(pool.clone(), &http, &xero, &options.sync, registry, keys)?;
    let verifier = engine.clone();
    let (stop, worker) = spawn_worker(engine, options.concurrency);
    let sim_http = reqwest::Client::new();
    let full = sync_and_check(&pool, &sim, &sim_http, registry, Pass::Full, &options).await?;
    let by_webhook = crate::demo_webhooks::step(&pool, &sim, &sim_http).await?;
    mutate(&sim, &sim_http, registry, options.changes).await?;
    let incremental = sync_and_check(
        &pool,
        &sim,
        &sim_http,
        registry,
        Pass::Incremental,
        &options,
    )
    .await?;
    // Records Xero deletes outright (items) are invisible to If-Modified-Since: the periodic
    // full run (SYNC_FULL_EVERY) of the unpaged sets is the sweep that finds them gone.
    let sweep = sync_and_check(&pool, &sim, &sim_http, registry, Pass::Sweep, &options).await?;
    let _ = stop.send(());
    worker.await.context("worker task")??;
    print_summary(registry, &full, &incremental, &sweep);
    let synced = verdict(&full, &incremental, &sweep) && by_webhook;
    let verified = crate::demo_verify::step(&verifier, &sim.tenant_ids()).await;
    let equal = synced && verified;
    println!(
        "\n{} in {:.1}s",
        if equal {
            "Postgres equals Xero"
        } else {
            "MISMATCH: Postgres differs from Xero"
        },
        started.elapsed().as_secs_f64()
    );
    sim.shutdown().await;
    Ok(equal)
}

/// A worker in this process, stopped by sending on the returned channel.
fn spawn_worker(
    engine: Arc<xero_sync::sync::engine::Engine>,
    concurrency: usize,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = WorkerOptions::new(concurrency, Duration::from_secs(30));
    let stopped = async move {
        let _ = stopped.await;
        Ok(())
    };
    let worker = tokio::spawn(worker::run(engine, options, worker::unique_name(), stopped));
    (stop, worker)
}

/// One pass's figures per (tenant, entity).
type PassFigures = Vec<((Uuid, &'static str), Figures)>;

/// Prints the sweep and says whether Postgres equals Xero: every set after the full run and
/// the sweep, and after the incremental run every set but those only the sweep can bring level
/// (hard deletes, which no `If-Modified-Since` shows).
fn verdict(full: &PassFigures, incremental: &PassFigures, sweep: &PassFigures) -> bool {
    for ((_, name), f) in sweep {
        println!(
            "sweep: {name:<20} {:>6} records {:>4} call(s)  equal {}",
            f.records,
            f.calls,
            if f.equal { "yes" } else { "NO" }
        );
    }
    let swept = |name: &str| sweep.iter().any(|((_, n), _)| *n == name);
    full.iter().all(|(_, f)| f.equal)
        && incremental
            .iter()
            .all(|((_, name), f)| f.equal || swept(name))
        && sweep.iter().all(|(_, f)| f.equal)
}

async fn fresh_database(url: &str) -> anyhow::Result<PgPool> {
    let (server, name) = url
        .rsplit_once('/')
        .context("the demo database URL has no database name")?;
    let admin = xero_sync::db::connect(&format!("{server}/postgres"), 2).await?;
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"
    )))
    .execute(&admin)
    .await?;
    admin.close().await;
    Ok(xero_sync::db::connect(url, 20).await?)
}

async fn connect_through_oauth(
    pool: &PgPool,
    http: &reqwest::Client,
    xero: &XeroArgs,
    registry: &[Entity],
    keys: &Keys,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let redirect = format!("http://{}/callback", listener.local_addr()?);
    let app = app::oauth_app(http, xero)?;
    let browser = AutoConsent {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    };
    let enabled = xero_sync::db::enabled_entities(pool).await?;
    let scopes =
        xero_sync::entity::scopes(&xero_sync::entity::requested(registry, &enabled), false);
    let request = connect::Request {
        listener,
        redirect_uri: &redirect,
        scopes: &scopes,
    };
    let connector = Connector {
        pool,
        oauth: &app,
        http,
        api_url: &xero.api_url,
        keys,
        require: None,
    };
    let tenants = connector.authorization_code(request, &browser).await?;
    for t in &tenants {
        println!(
            "Connected {} ({}) through OAuth 2.0 with PKCE",
            t.tenant_name, t.tenant_id
        );
    }
    Ok(())
}

async fn sync_and_check(
    pool: &PgPool,
    sim: &Simulator,
    http: &reqwest::Client,
    registry: &'static [Entity],
    pass: Pass,
    options: &DemoOptions,
) -> anyhow::Result<PassFigures> {
    let enabled = xero_sync::db::enabled_entities(pool).await?;
    let (label, entities, full) = match pass {
        Pass::Full => ("a full sync", None, true),
        Pass::Incremental => ("an incremental sync", None, false),
        Pass::Sweep => (
            "the sweep (a full read)",
            Some(swept(registry, &enabled)),
            true,
        ),
    };
    let count = entities.as_ref().map_or(enabled.len(), Vec::len);
    println!("\nRunning {label} of {count} entities…");
    let selection = Selection {
        tenants: None,
        entities,
    };
    let runs =
        app::request_sync(pool, registry, &selection, full, options.sync.max_attempts).await?;
    let ids: Vec<Uuid> = runs.iter().map(|(_, _, s)| s.run_id).collect();
    wait_for_runs(pool, &ids, Duration::from_secs(1800)).await?;
    let mut figures = Vec::new();
    for (tenant, entity, started) in runs {
        let (records, calls): (i64, i32) =
            sqlx::query_as("SELECT records, api_calls FROM xero.sync_log WHERE run_id = $1")
                .bind(started.run_id)
                .fetch_one(pool)
                .await?;
        let equal = equal_to_simulator(pool, sim, http, entity, tenant).await?;
        let figure = Figures {
            records,
            calls,
            equal,
        };
        figures.push(((tenant, entity.name), figure));
    }
    Ok(figures)
}

/// The enabled sets the sweep reads: the unpaged ones with `If-Modified-Since`, whose hard
/// deletes only a full read shows.
fn swept(registry: &[Entity], enabled: &[String]) -> Vec<String> {
    let unpaged = xero_sync::entity::Paging::Unpaged {
        modified_since: true,
    };
    registry
        .iter()
        .filter(|e| e.paging == unpaged && enabled.iter().any(|n| n == e.name))
        .map(|e| e.name.to_owned())
        .collect()
}

/// Whether the entity's digest in Postgres equals the simulator's.
async fn equal_to_simulator(
    pool: &PgPool,
    sim: &Simulator,
    http: &reqwest::Client,
    entity: &Entity,
    tenant: Uuid,
) -> anyhow::Result<bool> {
    let ours = digest::digest(pool, entity, tenant).await?;
    let theirs: serde_json::Value = http
        .get(format!("{}/sim/digest", sim.origin()))
        .query(&[
            ("tenant_id", tenant.to_string()),
            ("entity", entity.name.to_owned()),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(theirs["digest"].as_str() == Some(ours.digest.as_str())
        && theirs["count"].as_u64() == Some(ours.count))
}

async fn mutate(
    sim: &Simulator,
    http: &reqwest::Client,
    registry: &[Entity],
    count: usize,
) -> anyhow::Result<()> {
    println!("\nA day of changes in Xero: {count} edits, creations and voids per entity…");
    for tenant in sim.tenant_ids() {
        for entity in registry.iter().filter(|e| e.name != "journals") {
            http.post(format!("{}/sim/mutate", sim.origin()))
                .json(&serde_json::json!({"tenant_id": tenant, "entity": entity.name, "count": count}))
                .send()
                .await?
                .error_for_status()
                .with_context(|| format!("mutating {}", entity.name))?;
        }
    }
    Ok(())
}

type Table = [((Uuid, &'static str), Figures)];

fn print_summary(registry: &[Entity], full: &Table, incremental: &Table, sweep: &Table) {
    let swept = |name: &str| sweep.iter().any(|((_, n), f)| *n == name && f.equal);
    let mut explained = Vec::new();
    println!(
        "\n{:<20} {:>12} {:>10} {:>8} | {:>12} {:>10} {:>8}",
        "entity", "full records", "calls", "equal", "incr records", "calls", "equal"
    );
    for entity in registry
        .iter()
        .filter(|e| full.iter().any(|((_, n), _)| *n == e.name))
    {
        let sum = |t: &Table| {
            t.iter().filter(|((_, e), _)| *e == entity.name).fold(
                Figures {
                    equal: true,
                    ..Figures::default()
                },
                |acc, (_, f)| Figures {
                    records: acc.records + f.records,
                    calls: acc.calls + f.calls,
                    equal: acc.equal && f.equal,
                },
            )
        };
        let (f, i) = (sum(full), sum(incremental));
        let incremental_equal = if !i.equal && swept(entity.name) {
            explained.push(entity.name);
            "NO*"
        } else {
            yes(i.equal)
        };
        println!(
            "{:<20} {:>12} {:>10} {:>8} | {:>12} {:>10} {:>8}",
            entity.name,
            f.records,
            f.calls,
            yes(f.equal),
            i.records,
            i.calls,
            incremental_equal
        );
    }
    if !explained.is_empty() {
        println!(
            "\n* {}: the day of changes deleted records outright, which Xero's incremental reads \
             (If-Modified-Since) never show; the sweep above (a full read, SYNC_FULL_EVERY) \
             found them gone, and these sets are equal after it.",
            explained.join(", ")
        );
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}
