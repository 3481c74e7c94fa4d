//! `simulate`: the Xero simulator, and the settings a worker needs to sync from it, as
//! `export` lines to paste into a shell or written to a file (`--env-file`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use xero_sync::seal::Keys;
use xero_sync_sim::{SimArgs, Simulator};

/// `simulate`'s own options, beside the simulator's.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateOptions {
    /// Write the worker's settings (`export …` lines, for `. ./FILE`) to this file once the
    /// simulator listens, instead of printing them.
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<PathBuf>,
}

/// Serves the simulator until SIGINT or SIGTERM, after saying how a worker reaches it.
pub async fn simulate(args: SimArgs, options: &SimulateOptions) -> anyhow::Result<()> {
    xero_sync_sim::run_cli(args, |sim| {
        let exports = exports(sim);
        match &options.env_file {
            Some(path) => {
                write_atomically(path, &exports)?;
                println!(
                    "A worker's settings are in {}: `. {}`",
                    path.display(),
                    shown(path)
                );
            }
            None => {
                println!("\nA worker's settings (paste them into the shell that runs xero-sync):");
                print!("{exports}");
            }
        }
        Ok(())
    })
    .await
}

/// Every setting a worker, `connect` and `sync` need besides `DATABASE_URL`: where the
/// simulator is, its app, limits matching its own, and a token key made for this try.
pub fn exports(sim: &Simulator) -> String {
    let origin = sim.origin();
    let config = sim.config();
    let limits = config.limits;
    // Without limits the simulator never answers 429; the worker need not pace itself either.
    let (concurrent, minute, day, app) = if config.rate_limits {
        (
            limits.concurrent,
            limits.per_minute,
            limits.per_day,
            limits.app_per_minute,
        )
    } else {
        (100, 1_000_000, 100_000_000, 100_000_000)
    };
    let mut settings = vec![
        ("XERO_API_URL", origin.clone()),
        ("XERO_IDENTITY_URL", origin.clone()),
        ("XERO_LOGIN_URL", origin),
        ("XERO_CLIENT_ID", sim.client_id().to_owned()),
        ("XERO_CLIENT_SECRET", sim.client_secret().to_owned()),
        ("XERO_CONCURRENT_LIMIT", concurrent.to_string()),
        ("XERO_MINUTE_LIMIT", minute.to_string()),
        ("XERO_DAY_LIMIT", day.to_string()),
        ("XERO_APP_MINUTE_LIMIT", app.to_string()),
        ("XERO_MINUTE_WINDOW_MS", limits.minute_ms.to_string()),
        ("XERO_TOKEN_KEY", Keys::new_key().expose().to_owned()),
    ];
    if let Some(webhooks) = &config.webhooks {
        settings.push(("XERO_WEBHOOK_KEY", webhooks.key.clone()));
    }
    settings
        .into_iter()
        .map(|(name, value)| format!("export {name}={}\n", quoted(&value)))
        .collect()
}

/// A value as a shell reads it back unchanged: in single quotes, any single quote escaped.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The file appears whole or not at all: a script waiting for it never reads half of it.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))
}

/// The path as `.` needs it: a bare file name would be looked up on the PATH.
fn shown(path: &Path) -> String {
    if path.is_absolute() || path.starts_with(".") {
        path.display().to_string()
    } else {
        format!("./{}", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_shell() {
        assert_eq!(quoted("a'b c"), r"'a'\''b c'");
        assert_eq!(shown(Path::new("sim.env")), "./sim.env");
        assert_eq!(shown(Path::new("/tmp/sim.env")), "/tmp/sim.env");
    }
}
