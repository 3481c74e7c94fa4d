//! The Xero app, where Xero is, and the limits it sets.

use std::time::Duration;

use super::values::{Secret, parse_url};

/// Xero's API host (Accounting API under `/api.xro/2.0`, connections under `/connections`).
pub const DEFAULT_API_URL: &str = "https://api.xero.com";
/// Xero's identity host (token endpoint `/connect/token`).
pub const DEFAULT_IDENTITY_URL: &str = "https://identity.xero.com";
/// Xero's login host (consent page `/identity/connect/authorize`).
pub const DEFAULT_LOGIN_URL: &str = "https://login.xero.com";
/// The largest Xero response body accepted (64 MiB; a page of 1,000 invoices is about 2 MB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// The Xero app and where Xero is.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Xero")]
pub struct XeroArgs {
    /// The app's client id (developer.xero.com → My Apps).
    #[arg(
        long,
        env = "XERO_CLIENT_ID",
        value_name = "XERO_CLIENT_ID",
        default_value = ""
    )]
    pub client_id: String,
    /// The app's client secret.
    #[arg(
        long,
        env = "XERO_CLIENT_SECRET",
        value_name = "XERO_CLIENT_SECRET",
        default_value = "",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub client_secret: Secret,
    /// Xero's API host.
    #[arg(long, env = "XERO_API_URL", value_name = "XERO_API_URL", default_value = DEFAULT_API_URL, value_parser = parse_url)]
    pub api_url: String,
    /// Xero's identity host (token endpoint).
    #[arg(long, env = "XERO_IDENTITY_URL", value_name = "XERO_IDENTITY_URL", default_value = DEFAULT_IDENTITY_URL, value_parser = parse_url)]
    pub identity_url: String,
    /// Xero's login host (consent page).
    #[arg(long, env = "XERO_LOGIN_URL", value_name = "XERO_LOGIN_URL", default_value = DEFAULT_LOGIN_URL, value_parser = parse_url)]
    pub login_url: String,
    /// Seconds to wait for one Xero answer.
    #[arg(long, env = "XERO_TIMEOUT_SECS", value_name = "XERO_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout_secs: u64,
    /// Calls in flight per organisation (Xero: 5).
    #[arg(long, env = "XERO_CONCURRENT_LIMIT", value_name = "XERO_CONCURRENT_LIMIT", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub concurrent_limit: u32,
    /// Calls per organisation per minute (Xero: 60).
    #[arg(long, env = "XERO_MINUTE_LIMIT", value_name = "XERO_MINUTE_LIMIT", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub minute_limit: u32,
    /// Calls per organisation per day (Xero: 5,000; 1,000 on the Starter tier).
    #[arg(long, env = "XERO_DAY_LIMIT", value_name = "XERO_DAY_LIMIT", default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub day_limit: u32,
    /// Calls per minute for the whole app, across organisations (Xero: 10,000).
    #[arg(long, env = "XERO_APP_MINUTE_LIMIT", value_name = "XERO_APP_MINUTE_LIMIT", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=100_000_000))]
    pub app_minute_limit: u32,
    /// Length of the minute window in milliseconds: 60000 at Xero; shorter only against a
    /// simulator started with a shortened minute (`--minute-ms`).
    #[arg(long, env = "XERO_MINUTE_WINDOW_MS", value_name = "XERO_MINUTE_WINDOW_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub minute_window_ms: u64,
    /// Calls an organisation may make at once before its calls are paced at the minute's rate.
    #[arg(long, env = "XERO_BURST", value_name = "XERO_BURST", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub burst: u32,
    /// Percent of each organisation's day that full runs leave to incremental ones.
    #[arg(long, env = "XERO_DAY_RESERVE_PERCENT", value_name = "XERO_DAY_RESERVE_PERCENT", default_value_t = 10, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub day_reserve_percent: u8,
    /// Monthly response megabytes per organisation after which full runs wait for the next
    /// month (incremental runs go on); `0`: no budget.
    #[arg(
        long,
        env = "XERO_EGRESS_BUDGET_MB",
        value_name = "XERO_EGRESS_BUDGET_MB",
        default_value_t = 0
    )]
    pub egress_budget_mb: u64,
    /// The same for the whole app.
    #[arg(
        long,
        env = "XERO_APP_EGRESS_BUDGET_MB",
        value_name = "XERO_APP_EGRESS_BUDGET_MB",
        default_value_t = 0
    )]
    pub app_egress_budget_mb: u64,
    /// The largest response body accepted, in bytes; a larger one fails its job clearly.
    #[arg(long, env = "XERO_MAX_RESPONSE_BYTES", value_name = "XERO_MAX_RESPONSE_BYTES", default_value_t = DEFAULT_MAX_RESPONSE_BYTES, value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_response_bytes: u64,
}

impl XeroArgs {
    /// Xero (or the simulator) entirely at `origin`, with every other setting at its default.
    pub fn at(origin: &str, client_id: &str, client_secret: &str, timeout_secs: u64) -> XeroArgs {
        XeroArgs {
            client_id: client_id.to_owned(),
            client_secret: Secret::new(client_secret),
            api_url: origin.to_owned(),
            identity_url: origin.to_owned(),
            login_url: origin.to_owned(),
            timeout_secs,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            concurrent_limit: 5,
            minute_limit: 60,
            day_limit: 5_000,
            app_minute_limit: 10_000,
            minute_window_ms: 60_000,
            burst: 20,
            day_reserve_percent: 10,
            egress_budget_mb: 0,
            app_egress_budget_mb: 0,
        }
    }

    /// The per-call timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}
