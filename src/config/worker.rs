//! A worker process: concurrency, shutdown, health endpoint, heartbeats, maintenance.

use super::values::{Interval, parse_interval, parse_retention};

/// Where a worker serves its endpoints when `WORKER_HTTP_ADDR` is not set.
pub const DEFAULT_WORKER_HTTP_ADDR: &str = "127.0.0.1:9464";

/// Jobs a worker process runs at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// A worker process.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Worker process")]
pub struct WorkerArgs {
    /// Jobs this process runs at once.
    #[arg(long, env = "WORKER_CONCURRENCY", value_name = "WORKER_CONCURRENCY", default_value_t = DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: usize,
    /// Seconds in-flight jobs get to commit after SIGTERM/SIGINT.
    #[arg(
        long,
        env = "WORKER_SHUTDOWN_TIMEOUT_SECS",
        value_name = "WORKER_SHUTDOWN_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub shutdown_timeout_secs: u64,
    /// Where to serve `/healthz`, `/readyz` and `/metrics`, e.g. `0.0.0.0:9464`; `off` serves
    /// nothing [default: 127.0.0.1:9464, and when another process holds it (a second replica
    /// on the host) the worker warns and serves nothing; an address set here must be free].
    #[arg(long = "http-addr", env = "WORKER_HTTP_ADDR", value_name = "WORKER_HTTP_ADDR", value_parser = parse_http_addr)]
    pub http_addr: Option<HttpAddr>,
    /// Seconds between heartbeats; a worker silent for five of them is presumed dead and its
    /// jobs go to the others.
    #[arg(long, env = "WORKER_HEARTBEAT_SECS", value_name = "WORKER_HEARTBEAT_SECS", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub heartbeat_secs: u64,
    /// Seconds between maintenance passes (one replica at a time runs each).
    #[arg(long, env = "MAINTENANCE_INTERVAL_SECS", value_name = "MAINTENANCE_INTERVAL_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub maintenance_interval_secs: u64,
    /// How often each organisation's ledger is verified against Xero's Trial Balance, once its
    /// runs have settled (`0`: never).
    #[arg(long, env = "VERIFY_EVERY", value_name = "VERIFY_EVERY", default_value = "1d", value_parser = parse_interval)]
    pub verify_every: Interval,
    /// How often each organisation's Trial Balance, Profit and Loss, Balance Sheet and Bank
    /// Summary are kept as a snapshot in `xero.report_snapshots` (`0`: never).
    #[arg(long, env = "REPORTS_EVERY", value_name = "REPORTS_EVERY", default_value = "1d", value_parser = parse_interval)]
    pub reports_every: Interval,
    /// How long finished jobs are kept, e.g. `7d`.
    #[arg(long, env = "JOB_RETENTION", value_name = "JOB_RETENTION", default_value = "7d", value_parser = parse_retention)]
    pub job_retention: Interval,
    /// How long finished runs are kept in `xero.sync_log` (each pair's last run always is).
    #[arg(long, env = "SYNC_LOG_RETENTION", value_name = "SYNC_LOG_RETENTION", default_value = "90d", value_parser = parse_retention)]
    pub log_retention: Interval,
}

impl WorkerArgs {
    /// Where to serve the endpoints, and whether that address was chosen (`WORKER_HTTP_ADDR`
    /// or `--http-addr`) rather than the default.
    pub fn http_endpoint(&self) -> (HttpAddr, bool) {
        match self.http_addr {
            Some(addr) => (addr, true),
            None => (
                parse_http_addr(DEFAULT_WORKER_HTTP_ADDR).unwrap_or(HttpAddr(None)),
                false,
            ),
        }
    }
}

/// Where a worker serves its HTTP endpoints, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpAddr(pub Option<std::net::SocketAddr>);

pub(super) fn parse_http_addr(value: &str) -> Result<HttpAddr, String> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(HttpAddr(None));
    }
    value
        .parse()
        .map(|addr| HttpAddr(Some(addr)))
        .map_err(|_| format!("`{value}` is not an address like 0.0.0.0:9464, or off"))
}

fn parse_concurrency(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{value}` is not a number of jobs between 1 and 256"
        )),
    }
}
