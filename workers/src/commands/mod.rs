//! The commands of the `xero-sync` binary, each a function over its parsed arguments; `main`
//! only parses the command line and calls one. A command that fails in a way the caller should
//! see in its exit status (a failed run, a demo whose copy differs) returns `false`.

mod connections;
mod keys;
mod setup;
mod simulate;
mod verify;
mod webhooks;

use std::time::Duration;

use uuid::Uuid;
use xero_sync::app::{self, Selection};
use xero_sync::config::{DbArgs, StartArgs, SyncArgs, TokenKeyArgs, WorkerArgs, XeroArgs};
use xero_sync::sync::maintenance::Maintenance;
use xero_sync::telemetry::Telemetry;
use xero_sync::{catalog, db, progress, shutdown, status, worker};

pub use connections::{
    ConnectOptions, DisconnectOptions, connect, connections, disconnect, pause, resume,
};
pub use keys::{generate_key, rotate_keys};
pub use setup::{keys, open, prepare};
pub use simulate::{SimulateOptions, exports as simulator_exports, simulate};
pub use verify::{VerifyOptions, verify};
pub use webhooks::serve as webhooks;

use crate::{demo, registry};

/// `migrate`: creates or upgrades the schema, and seals tokens stored in plain text by a
/// version before sealing (when a key is given).
pub async fn migrate(db: &DbArgs, token_keys: &TokenKeyArgs) -> anyhow::Result<()> {
    let pool = db::connect_to(&db::Target::from_args(db), 2).await?;
    prepare(&pool, db).await?;
    println!("database migrated");
    let plain: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM xero.tokens
          WHERE access_token NOT LIKE 'xs1:%' OR refresh_token NOT LIKE 'xs1:%'",
    )
    .fetch_one(&pool)
    .await?;
    if plain == 0 {
        return Ok(());
    }
    match token_keys.token_key {
        Some(_) => {
            let keys = keys(token_keys)?;
            let sealed = xero_sync::vault::seal_plaintext(&pool, &keys).await?;
            println!(
                "{} connection(s) had tokens in plain text; sealed now",
                sealed.resealed
            );
            for (connection, why) in &sealed.failed {
                eprintln!("connection {connection}: {why}");
            }
        }
        None => eprintln!(
            "warning: {plain} connection(s) keep tokens in plain text; run `xero-sync migrate` \
             with XERO_TOKEN_KEY to seal them"
        ),
    }
    Ok(())
}

/// What `sync` starts, and whether it waits.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncRequest {
    /// Tenant ids to sync (repeatable).
    #[arg(
        long = "tenant",
        value_parser = xero_sync::config::parse_tenant_id,
        conflicts_with = "all_tenants",
        required_unless_present = "all_tenants"
    )]
    pub tenants: Vec<Uuid>,
    /// Sync every connected tenant.
    #[arg(long)]
    pub all_tenants: bool,
    /// Entities to sync (repeatable; `xero-sync entities` lists them).
    #[arg(
        long = "entity",
        conflicts_with = "all_entities",
        required_unless_present = "all_entities"
    )]
    pub entities: Vec<String>,
    /// Sync every entity this deployment syncs (`SYNC_ENTITIES`).
    #[arg(long)]
    pub all_entities: bool,
    /// Follow the runs until they end; exit non-zero if one failed.
    #[arg(long)]
    pub wait: bool,
}

/// `sync`: starts runs (or finds them running) and, with `--wait`, follows them; `false` when
/// one failed.
pub async fn sync(db: &DbArgs, sync: &StartArgs, request: SyncRequest) -> anyhow::Result<bool> {
    let pool = db::connect_to(&db::Target::from_args(db), 4).await?;
    prepare(&pool, db).await?;
    let selection = Selection {
        tenants: (!request.all_tenants).then_some(request.tenants),
        entities: (!request.all_entities).then_some(request.entities),
    };
    let runs = app::request_sync(
        &pool,
        registry(),
        &selection,
        sync.force_full,
        sync.max_attempts,
    )
    .await?;
    let mut followed = Vec::new();
    for (tenant, entity, started) in &runs {
        let state = if started.created {
            "started"
        } else {
            "already running"
        };
        println!(
            "{tenant} {:<10} {:?} run {} {state}",
            entity.name, started.mode, started.run_id
        );
        followed.push(progress::Followed {
            run_id: started.run_id,
            label: format!("{tenant} {}", entity.name),
        });
    }
    if !request.wait {
        return Ok(true);
    }
    let failed = progress::follow(&pool, &followed).await?;
    for (label, error) in &failed {
        eprintln!("{label}: failed: {error}");
    }
    Ok(failed.is_empty())
}

/// `status`: where every tenant and entity stands.
pub async fn status(db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let pool = open(db).await?;
    let workers = status::workers(&pool).await?;
    let pairs = status::status(&pool, &workers).await?;
    if json {
        let overview = serde_json::json!({ "workers": workers, "pairs": pairs });
        println!("{}", serde_json::to_string_pretty(&overview)?);
    } else {
        print!("{}", status::render(&pairs, &workers));
    }
    Ok(())
}

/// `entities`: every entity, how it pages and who may read it.
pub async fn entities(db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let pool = open(db).await?;
    let rows = catalog::list(&pool, registry()).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", catalog::render(&rows));
    }
    Ok(())
}

/// `jobs failed`: the jobs that failed for good, with their errors.
pub async fn failed_jobs(db: &DbArgs, json: bool) -> anyhow::Result<()> {
    let pool = open(db).await?;
    let jobs = status::failed_jobs(&pool).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&jobs)?);
        return Ok(());
    }
    if jobs.is_empty() {
        println!("no failed jobs");
    }
    for j in jobs {
        println!(
            "{} {} {} attempts={} {}",
            j.id,
            j.tenant_id.as_deref().unwrap_or("-"),
            j.entity.as_deref().unwrap_or("-"),
            j.attempts,
            j.error.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// `jobs retry`: re-queues failed jobs (`None`: all of them).
pub async fn retry_jobs(db: &DbArgs, ids: Option<&[String]>) -> anyhow::Result<()> {
    let pool = open(db).await?;
    let (requeued, superseded) = status::retry_failed(&pool, ids).await?;
    println!("{requeued} job(s) re-queued, {superseded} closed (their run was superseded)");
    Ok(())
}

/// The settings of `worker`.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Xero.
    pub xero: XeroArgs,
    /// Batches and schedule.
    pub sync: SyncArgs,
    /// The process.
    pub worker: WorkerArgs,
    /// The token keys.
    pub keys: TokenKeyArgs,
}

/// `worker`: claims and runs jobs until SIGINT or SIGTERM.
pub async fn worker(
    db: &DbArgs,
    settings: &WorkerSettings,
    telemetry: &Telemetry,
) -> anyhow::Result<()> {
    let WorkerSettings {
        xero,
        sync,
        worker: options,
        keys: token_keys,
    } = settings;
    let keys = keys(token_keys)?;
    let target = db::Target::from_args(db);
    let pool = db::connect_to(&target, options.concurrency as u32 + 4).await?;
    prepare(&pool, db).await?;
    let http = app::http_client()?;
    let engine = app::engine(pool, &http, xero, sync, registry(), keys)?;
    let (http_addr, chosen) = options.http_endpoint();
    let worker_options = worker::WorkerOptions {
        maintenance: Some(Maintenance::from_args(options, engine.follow_up())),
        heartbeat: Duration::from_secs(options.heartbeat_secs),
        http: http_addr.0.map(|addr| (addr, telemetry.clone())),
        http_optional: !chosen,
        listen: target.direct_pool()?,
        ..worker::WorkerOptions::new(
            options.concurrency,
            Duration::from_secs(options.shutdown_timeout_secs),
        )
    };
    worker::run(
        engine,
        worker_options,
        worker::unique_name(),
        shutdown::signal(),
    )
    .await
}

/// `demo`: `false` when Postgres did not end up equal to the simulator.
pub async fn demo(options: demo::DemoOptions) -> anyhow::Result<bool> {
    demo::run(options, registry()).await
}
