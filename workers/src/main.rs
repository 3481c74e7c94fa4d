//! The `xero-sync` binary: a thin `main` that parses the command line and hands each command
//! to its function in `xero_sync_workers::commands`.

use clap::{Parser, Subcommand};
use uuid::Uuid;
use xero_sync::config::{
    DbArgs, StartArgs, SyncArgs, TelemetryArgs, TokenKeyArgs, WebhookArgs, WorkerArgs, XeroArgs,
};
use xero_sync::telemetry::{self, Telemetry};
use xero_sync_sim::{SimArgs, SimConfig};
use xero_sync_workers::commands::{
    self, ConnectOptions, DisconnectOptions, SimulateOptions, SyncRequest, VerifyOptions,
    WorkerSettings,
};
use xero_sync_workers::demo;

/// Keeps Postgres copies of many Xero organisations current: `connect` links organisations,
/// `worker` replicas sync them (every page batch a durable job in Postgres, committed with its
/// records), and `status` shows where each stands.
///
/// First time? `xero-sync simulate` serves a simulated Xero to try it on (see README.md).
#[derive(Debug, Parser)]
#[command(name = "xero-sync", version)]
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
        #[command(flatten)]
        keys: TokenKeyArgs,
    },
    /// Connect Xero organisations: OAuth 2.0 with PKCE, or a custom connection.
    Connect {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        xero: XeroArgs,
        #[command(flatten)]
        keys: TokenKeyArgs,
        #[command(flatten)]
        options: ConnectOptions,
    },
    /// Disconnect an organisation (or its whole connection) at Xero and here; its data is kept
    /// unless `--purge`.
    Disconnect {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        xero: XeroArgs,
        #[command(flatten)]
        keys: TokenKeyArgs,
        #[command(flatten)]
        options: DisconnectOptions,
    },
    /// Prove the copy: each organisation's synced journals against Xero's Trial Balance, to
    /// the cent; exits non-zero naming the accounts that differ.
    Verify {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        xero: XeroArgs,
        #[command(flatten)]
        keys: TokenKeyArgs,
        #[command(flatten)]
        options: VerifyOptions,
    },
    /// Pause an organisation: no new work; what runs finishes its batch.
    Pause {
        #[command(flatten)]
        db: DbArgs,
        /// The tenant.
        #[arg(long, value_parser = xero_sync::config::parse_tenant_id)]
        tenant: Uuid,
    },
    /// Resume a paused organisation.
    Resume {
        #[command(flatten)]
        db: DbArgs,
        /// The tenant.
        #[arg(long, value_parser = xero_sync::config::parse_tenant_id)]
        tenant: Uuid,
    },
    /// Every connection: its organisations, states and scopes.
    Connections {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Receive Xero's webhooks: verify, store, and have the workers follow them.
    Webhooks {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        webhooks: WebhookArgs,
    },
    /// The keys tokens are sealed under.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Start sync runs (full, or incremental from the stored watermark).
    Sync {
        #[command(flatten)]
        request: SyncRequest,
        #[command(flatten)]
        start: StartArgs,
        #[command(flatten)]
        db: DbArgs,
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
        #[command(flatten)]
        keys: TokenKeyArgs,
    },
    /// Serve the Xero simulator (identity, connections and the Accounting API) over HTTP, and
    /// print the settings a worker needs to sync from it.
    Simulate {
        #[command(flatten)]
        options: SimulateOptions,
        #[command(flatten)]
        sim: SimArgs,
    },
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
enum KeysAction {
    /// Print a fresh key for XERO_TOKEN_KEY.
    Generate,
    /// Seal every token under XERO_TOKEN_KEY (those under XERO_TOKEN_KEYS_OLD open first); safe
    /// while workers run, who need both keys until it is done.
    Rotate {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        keys: TokenKeyArgs,
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
async fn main() {
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        Command::Demo { .. }
            | Command::Status { .. }
            | Command::Jobs { .. }
            | Command::Entities { .. }
            | Command::Connections { .. }
            | Command::Keys { .. }
    );
    let filter = if quiet {
        "warn"
    } else {
        telemetry::DEFAULT_FILTER
    };
    // Flushes the exporters when main returns.
    let telemetry = telemetry::init(telemetry::Config::from_args(&cli.telemetry, filter));
    match run(cli.command, &telemetry).await {
        Ok(true) => {}
        Ok(false) => {
            telemetry.shutdown();
            std::process::exit(1);
        }
        // The error and its causes on one line, never a stack trace (with RUST_BACKTRACE set,
        // returning it would print one).
        Err(e) => {
            telemetry.shutdown();
            eprintln!("Error: {e:#}");
            std::process::exit(1);
        }
    }
}

/// Runs the command; `false` when it says the process should exit non-zero.
async fn run(command: Command, telemetry: &Telemetry) -> anyhow::Result<bool> {
    match command {
        Command::Migrate { db, keys } => commands::migrate(&db, &keys).await?,
        Command::Connect {
            db,
            xero,
            keys,
            options,
        } => commands::connect(&db, &xero, &keys, &options).await?,
        Command::Disconnect {
            db,
            xero,
            keys,
            options,
        } => commands::disconnect(&db, &xero, &keys, &options).await?,
        Command::Verify {
            db,
            xero,
            keys,
            options,
        } => return commands::verify(&db, &xero, &keys, &options).await,
        Command::Pause { db, tenant } => commands::pause(&db, tenant).await?,
        Command::Resume { db, tenant } => commands::resume(&db, tenant).await?,
        Command::Connections { db, json } => commands::connections(&db, json).await?,
        Command::Keys { action } => return keys(action).await,
        Command::Webhooks { db, webhooks } => commands::webhooks(&db, &webhooks, telemetry).await?,
        Command::Sync { db, start, request } => {
            return commands::sync(&db, &start, request).await;
        }
        Command::Status { db, json } => commands::status(&db, json).await?,
        Command::Entities { db, json } => commands::entities(&db, json).await?,
        Command::Jobs { db, action } => jobs(&db, action).await?,
        Command::Worker {
            db,
            xero,
            sync,
            worker,
            keys,
        } => worker_command(db, xero, sync, worker, keys, telemetry).await?,
        Command::Simulate { sim, options } => commands::simulate(sim, &options).await?,
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
            return commands::demo(options).await;
        }
    }
    Ok(true)
}

async fn worker_command(
    db: DbArgs,
    xero: XeroArgs,
    sync: SyncArgs,
    worker: WorkerArgs,
    keys: TokenKeyArgs,
    telemetry: &Telemetry,
) -> anyhow::Result<()> {
    let settings = WorkerSettings {
        xero,
        sync,
        worker,
        keys,
    };
    commands::worker(&db, &settings, telemetry).await
}

async fn keys(action: KeysAction) -> anyhow::Result<bool> {
    match action {
        KeysAction::Generate => {
            commands::generate_key();
            Ok(true)
        }
        KeysAction::Rotate { db, keys } => commands::rotate_keys(&db, &keys).await,
    }
}

async fn jobs(db: &DbArgs, action: JobsAction) -> anyhow::Result<()> {
    match action {
        JobsAction::Failed { json } => commands::failed_jobs(db, json).await,
        JobsAction::Retry { ids, all } => {
            commands::retry_jobs(db, (!all).then_some(ids.as_slice())).await
        }
    }
}
