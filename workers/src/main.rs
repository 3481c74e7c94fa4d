//! The `xero-sync` binary: a thin `main` that parses the command line and hands over to the
//! engine library.

use clap::{Parser, Subcommand};

/// Keeps Postgres copies of many Xero organisations current.
#[derive(Debug, Parser)]
#[command(name = "xero-sync", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the Xero simulator (identity, connections and the Accounting API) over HTTP.
    Simulate(xero_sync::sim::SimArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Simulate(args) => xero_sync::sim::run_cli(args).await,
    }
}
