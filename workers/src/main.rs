//! The `xero-sync` binary: a thin `main` that parses the command line and hands over to the
//! engine library with this crate's entity registry.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use uuid::Uuid;
use xero_sync::app::{self, Selection};
use xero_sync::config::{DbArgs, SyncArgs, TelemetryArgs, WorkerArgs, XeroArgs};
use xero_sync::sync::maintenance::Maintenance;
use xero_sync::{catalog, connect, db, progress, shutdown, status, telemetry, worker};
use xero_sync_sim::{SimArgs, SimConfig};
use xero_sync_workers::demo;
use xero_sync_workers::registry;

/// Keeps Postgres copies of many Xero organisations current.
#[derive(Debug, Parser)]
#[command(name = "xero-sync", version, about)]
struct Cli {
    #[command(flatten)]
    telemetry: TelemetryArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create or upgrade the database schema (apalis's, then ours). Safe to repeat.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Connect Xero organisations: OAuth 2.0 with PKCE, or a custom connection.
    Connect {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        xero: XeroArgs,
        /// Use client credentials (a Xero custom connection) instead of a browser consent.
        #[arg(long)]
        client_credentials: bool,
        /// Request the broad scopes of apps created before 2 March 2026
        /// (`accounting.transactions.read`…) instead of granular ones.
        #[arg(long, env = "XERO_BROAD_SCOPES")]
        broad_scopes: bool,
        /// Where Xero sends the browser back; must be registered with the app and reach this
        /// machine's loopback.
        #[arg(
            long,
            env = "XERO_REDIRECT_URI",
            default_value = "http://localhost:8749/callback"
        )]
        redirect_uri: String,
    },
    /// Start sync runs (full, or incremental from the stored watermark).
    Sync {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        sync: SyncArgs,
        /// Tenant ids to sync (repeatable).
        #[arg(
            long = "tenant",
            conflicts_with = "all_tenants",
            required_unless_present = "all_tenants"
        )]
        tenants: Vec<Uuid>,
        /// Sync every connected tenant.
        #[arg(long)]
        all_tenants: bool,
        /// Entities to sync (repeatable; `xero-sync entities` lists them).
        #[arg(
            long = "entity",
            conflicts_with = "all_entities",
            required_unless_present = "all_entities"
        )]
        entities: Vec<String>,
        /// Sync every entity this deployment syncs (`SYNC_ENTITIES`).
        #[arg(long)]
        all_entities: bool,
        /// Follow the runs until they end; exit non-zero if one failed.
        #[arg(long)]
        wait: bool,
    },
    /// Where every tenant and entity stands.
    Status {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Every entity: how it pages, the scope it needs, whether this deployment syncs it
    /// (`SYNC_ENTITIES`), and whether each organisation may read it.
    Entities {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Failed jobs: list them, or re-queue them.
    Jobs {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: JobsAction,
    },
    /// Run a worker: claim batch jobs and sync them until SIGINT or SIGTERM.
    Worker {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        xero: XeroArgs,
        #[command(flatten)]
        sync: SyncArgs,
        #[command(flatten)]
        worker: WorkerArgs,
    },
    /// Serve the Xero simulator (identity, connections and the Accounting API) over HTTP.
    Simulate(SimArgs),
    /// Demo: a simulated organisation, a full sync, a day of changes, an incremental sync.
    Demo {
        /// The demo's database; dropped and created afresh.
        #[arg(long, env = "DEMO_DATABASE_URL", default_value = demo::DEFAULT_DEMO_DATABASE_URL)]
        database_url: String,
        #[command(flatten)]
        sim: SimArgs,
        /// Records per entity changed between the full and the incremental run.
        #[arg(long, default_value_t = 200)]
        changes: usize,
        #[command(flatten)]
        sync: SyncArgs,
        /// Jobs at once.
        #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 8)]
        concurrency: usize,
    },
}

#[derive(Debug, Subcommand)]
enum JobsAction {
    /// List jobs that failed for good, with their errors.
    Failed {
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Re-queue failed jobs (their failed runs resume where they stopped).
    Retry {
        /// Job ids (as `jobs failed` lists them).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every failed job.
        #[arg(long)]
        all: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        Command::Demo { .. }
            | Command::Status { .. }
            | Command::Jobs { .. }
            | Command::Entities { .. }
    );
    let filter = if quiet {
        "warn"
    } else {
        telemetry::DEFAULT_FILTER
    };
    // Flushes the exporters when main returns.
    let telemetry = telemetry::init(telemetry::Config::from_args(&cli.telemetry, filter));
    match cli.command {
        Command::Migrate { db } => {
            let pool = db::connect(&db.database_url, 2).await?;
            prepare(&pool, &db).await?;
            println!("database migrated");
        }
        Command::Connect {
            db,
            xero,
            client_credentials,
            broad_scopes,
            redirect_uri,
        } => {
            let pool = db::connect(&db.database_url, 4).await?;
            prepare(&pool, &db).await?;
            let http = app::http_client()?;
            let oauth = app::oauth_app(&http, &xero)?;
            let enabled = db::enabled_entities(&pool).await?;
            let wanted = xero_sync::entity::requested(registry(), &enabled);
            let scopes = xero_sync::entity::scopes(&wanted, broad_scopes);
            let tenants = if client_credentials {
                connect::client_credentials(&pool, &oauth, &http, &xero.api_url, &scopes).await?
            } else {
                let listen = loopback_addr(&redirect_uri)?;
                let listener = tokio::net::TcpListener::bind(&listen)
                    .await
                    .with_context(|| format!("cannot listen for the OAuth redirect on {listen}"))?;
                let request = connect::Request {
                    listener,
                    redirect_uri: &redirect_uri,
                    scopes: &scopes,
                };
                let consent = connect::PrintConsent;
                connect::authorization_code(&pool, &oauth, &http, &xero.api_url, request, &consent)
                    .await?
            };
            for t in &tenants {
                println!("connected {} ({})", t.tenant_name, t.tenant_id);
            }
            // A newly connected organisation gets its first full run of every entity.
            let selection = Selection {
                tenants: Some(tenants.iter().map(|t| t.tenant_id).collect()),
                entities: None,
            };
            let runs = app::request_sync(&pool, registry(), &selection, true, 8).await?;
            println!(
                "{} first runs queued; start `xero-sync worker` to sync them",
                runs.len()
            );
        }
        Command::Sync {
            db,
            sync,
            tenants,
            all_tenants,
            entities,
            all_entities,
            wait,
        } => {
            let pool = db::connect(&db.database_url, 4).await?;
            prepare(&pool, &db).await?;
            let selection = Selection {
                tenants: (!all_tenants).then_some(tenants),
                entities: (!all_entities).then_some(entities),
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
            if wait {
                let failed = progress::follow(&pool, &followed).await?;
                for (label, error) in &failed {
                    eprintln!("{label}: failed: {error}");
                }
                if !failed.is_empty() {
                    telemetry.shutdown();
                    std::process::exit(1);
                }
            }
        }
        Command::Status { db, json } => {
            let pool = db::connect(&db.database_url, 2).await?;
            prepare(&pool, &db).await?;
            let pairs = status::status(&pool).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&pairs)?);
            } else {
                print!("{}", status::render(&pairs));
            }
        }
        Command::Entities { db, json } => {
            let pool = db::connect(&db.database_url, 2).await?;
            prepare(&pool, &db).await?;
            let rows = catalog::list(&pool, registry()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", catalog::render(&rows));
            }
        }
        Command::Jobs { db, action } => {
            let pool = db::connect(&db.database_url, 2).await?;
            prepare(&pool, &db).await?;
            match action {
                JobsAction::Failed { json } => {
                    let jobs = status::failed_jobs(&pool).await?;
                    if json {
                        println!("{}", serde_json::to_string_pretty(&jobs)?);
                    } else if jobs.is_empty() {
                        println!("no failed jobs");
                    }
                    if !json {
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
                    }
                }
                JobsAction::Retry { ids, all } => {
                    let selection = (!all).then_some(ids.as_slice());
                    let (requeued, superseded) = status::retry_failed(&pool, selection).await?;
                    println!(
                        "{requeued} job(s) re-queued, {superseded} closed (their run was superseded)"
                    );
                }
            }
        }
        Command::Worker {
            db,
            xero,
            sync,
            worker: options,
        } => {
            let pool = db::connect(&db.database_url, options.concurrency as u32 + 4).await?;
            prepare(&pool, &db).await?;
            let http = app::http_client()?;
            let engine = app::engine(pool, &http, &xero, &sync, registry())?;
            let options = worker::WorkerOptions {
                maintenance: Some(Maintenance::from_args(&options, engine.follow_up())),
                heartbeat: Duration::from_secs(options.heartbeat_secs),
                http: options.http_addr.0.map(|addr| (addr, telemetry.clone())),
                ..worker::WorkerOptions::new(
                    options.concurrency,
                    Duration::from_secs(options.shutdown_timeout_secs),
                )
            };
            worker::run(engine, options, worker::unique_name(), shutdown::signal()).await?;
        }
        Command::Simulate(args) => xero_sync_sim::run_cli(args).await?,
        Command::Demo {
            database_url,
            sim,
            changes,
            sync,
            concurrency,
        } => {
            let options = demo::DemoOptions {
                database_url,
                sim: SimConfig::from(sim),
                changes,
                sync,
                concurrency,
            };
            if !demo::run(options, registry()).await? {
                telemetry.shutdown();
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

/// Migrates and registers the entities; records `SYNC_ENTITIES` when it is given.
async fn prepare(pool: &sqlx::PgPool, db: &DbArgs) -> anyhow::Result<()> {
    db::prepare(pool, registry()).await?;
    if let Some(list) = &db.sync_entities {
        let names = chosen_entities(list)?;
        db::choose_entities(pool, &names).await?;
    }
    Ok(())
}

/// The names `SYNC_ENTITIES` lists, each checked against the registry: `all` stands for every
/// entity but the deprecated ones, which are synced only when named (`all, receipts`).
fn chosen_entities(list: &str) -> anyhow::Result<Vec<&'static str>> {
    let known: Vec<&'static str> = registry().iter().map(|e| e.name).collect();
    let mut names: Vec<&'static str> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let add: Vec<&'static str> = if name == "all" {
            registry()
                .iter()
                .filter(|e| e.deprecated.is_none())
                .map(|e| e.name)
                .collect()
        } else {
            let Some(found) = known.iter().find(|k| **k == name) else {
                anyhow::bail!(
                    "SYNC_ENTITIES names `{name}`, which is not an entity; known: {}, or all",
                    known.join(", ")
                );
            };
            vec![*found]
        };
        for name in add {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    anyhow::ensure!(
        !names.is_empty(),
        "SYNC_ENTITIES is empty; name entities ({}) or all",
        known.join(", ")
    );
    Ok(names)
}

/// The loopback address the redirect URI points at.
fn loopback_addr(redirect_uri: &str) -> anyhow::Result<String> {
    let rest = redirect_uri
        .strip_prefix("http://")
        .context("the redirect URI must be http://localhost:PORT/… (a loopback listener)")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let (host, port) = authority
        .rsplit_once(':')
        .context("the redirect URI needs an explicit port")?;
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    Ok(format!("{host}:{port}"))
}
