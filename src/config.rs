//! Configuration, parsed once by clap from flags and environment variables, grouped by concern.
//! Nothing below `main` reads the environment. An invalid value stops the program at start with
//! clap's message, which names the variable (each value is shown as `<VARIABLE>`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Where the database is when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/xero_sync";
/// Xero's API host (Accounting API under `/api.xro/2.0`, connections under `/connections`).
pub const DEFAULT_API_URL: &str = "https://api.xero.com";
/// Xero's identity host (token endpoint `/connect/token`).
pub const DEFAULT_IDENTITY_URL: &str = "https://identity.xero.com";
/// Xero's login host (consent page `/identity/connect/authorize`).
pub const DEFAULT_LOGIN_URL: &str = "https://login.xero.com";
/// Xero calls per job.
pub const DEFAULT_BATCH_SIZE: u32 = 10;
/// Jobs a worker process runs at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Time from a completed run to the pair's next incremental run.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
/// Response bytes one job holds before it commits (64 MiB).
pub const DEFAULT_BATCH_BYTES: u64 = 64 << 20;
/// How far before the watermark's second an incremental run starts.
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(1);
/// Age of a pair's last full run after which its scheduled run is full again.
pub const DEFAULT_FULL_EVERY: Duration = Duration::from_secs(7 * 86_400);
/// First back-off after a 503 "The Organisation is offline".
pub const DEFAULT_OFFLINE_BACKOFF: Duration = Duration::from_secs(5);
/// How long a worker carries one run from batch to batch before letting other jobs go first.
pub const DEFAULT_CARRY: Duration = Duration::from_secs(10);
/// Time before a pair Xero refused is tried again.
pub const DEFAULT_ENTITLEMENT_RECHECK: Duration = Duration::from_secs(86_400);
/// The largest Xero response body accepted (64 MiB; a page of 1,000 invoices is about 2 MB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 << 20;
/// The longest duration any setting accepts.
pub const MAX_SETTING: Duration = Duration::from_secs(31 * 86_400);

/// A value that must never be printed: `Debug` and `Display` show a placeholder.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// The database.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Postgres URL; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = parse_database_url)]
    pub database_url: String,
    /// The entities this deployment syncs: comma-separated names, or `all`. Unset leaves the
    /// stored choice (every entity, on a new database); see `xero-sync entities`.
    #[arg(
        long = "sync-entities",
        env = "SYNC_ENTITIES",
        value_name = "SYNC_ENTITIES"
    )]
    pub sync_entities: Option<String>,
}

/// The Xero app and where Xero is.
#[derive(Debug, Clone, clap::Args)]
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

impl Default for SyncArgs {
    /// Every default, as when no flag or variable is given.
    fn default() -> Self {
        SyncArgs {
            batch_size: DEFAULT_BATCH_SIZE,
            batch_bytes: DEFAULT_BATCH_BYTES,
            overlap_secs: DEFAULT_OVERLAP.as_secs(),
            offline_backoff_secs: DEFAULT_OFFLINE_BACKOFF.as_secs(),
            carry_secs: DEFAULT_CARRY.as_secs(),
            full_every: Interval(DEFAULT_FULL_EVERY),
            max_attempts: 8,
            force_full: false,
            interval: Interval(DEFAULT_INTERVAL),
        }
    }
}

impl SyncArgs {
    /// The batch settings these arguments give.
    pub fn settings(&self) -> crate::sync::Settings {
        crate::sync::Settings {
            batch_size: self.batch_size,
            batch_bytes: self.batch_bytes,
            max_attempts: self.max_attempts,
            interval: self.interval.schedule(),
            force_full: self.force_full,
            overlap: Duration::from_secs(self.overlap_secs),
            offline_backoff: Duration::from_secs(self.offline_backoff_secs),
            carry_for: Duration::from_secs(self.carry_secs),
            full_every: self.full_every.schedule(),
            ..crate::sync::Settings::default()
        }
    }
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

    /// Settings matching a simulator: its limits and its minute window; without rate limits,
    /// limits no sync reaches (the simulator then refuses nothing and reports no budget).
    pub fn matching(mut self, sim: &crate::sim::SimConfig) -> XeroArgs {
        self.minute_window_ms = sim.limits.minute_ms;
        self.concurrent_limit = sim.limits.concurrent;
        if sim.rate_limits {
            self.minute_limit = sim.limits.per_minute;
            self.day_limit = sim.limits.per_day;
            self.app_minute_limit = sim.limits.app_per_minute;
        } else {
            self.minute_limit = 1_000_000;
            self.day_limit = 100_000_000;
            self.app_minute_limit = 100_000_000;
        }
        self
    }

    /// The limits of the shared budget.
    pub fn limits(&self) -> crate::budget::Limits {
        let megabytes = |mb: u64| (mb > 0).then_some(mb * 1_000_000);
        crate::budget::Limits {
            concurrent: self.concurrent_limit,
            per_minute: self.minute_limit,
            per_day: self.day_limit,
            app_per_minute: self.app_minute_limit,
            window: Duration::from_millis(self.minute_window_ms),
            burst: self.burst,
            day_reserve: f64::from(self.day_reserve_percent) / 100.0,
            // A call outlives its timeout by a margin before its lease is taken back.
            lease: self.timeout() + Duration::from_secs(10),
            egress_budget: megabytes(self.egress_budget_mb),
            app_egress_budget: megabytes(self.app_egress_budget_mb),
        }
    }

    /// The per-call timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }
}

/// How runs are cut into jobs.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// Xero calls (pages) per job; each job commits its pages in one transaction.
    #[arg(long, env = "SYNC_BATCH_SIZE", value_name = "SYNC_BATCH_SIZE", default_value_t = DEFAULT_BATCH_SIZE, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub batch_size: u32,
    /// Response bytes per job: a job commits early once its pages hold this much.
    #[arg(long, env = "SYNC_BATCH_BYTES", value_name = "SYNC_BATCH_BYTES", default_value_t = DEFAULT_BATCH_BYTES, value_parser = clap::value_parser!(u64).range(1024..))]
    pub batch_bytes: u64,
    /// Seconds an incremental run starts before the watermark's second (re-read records are
    /// harmless; a longer overlap covers a Xero clock that stamps records late).
    #[arg(long, env = "SYNC_OVERLAP_SECS", value_name = "SYNC_OVERLAP_SECS", default_value_t = DEFAULT_OVERLAP.as_secs(), value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub overlap_secs: u64,
    /// Seconds of the first back-off after "The Organisation is offline" (503); each 503 in a
    /// row doubles it, up to an hour.
    #[arg(long, env = "SYNC_OFFLINE_BACKOFF_SECS", value_name = "SYNC_OFFLINE_BACKOFF_SECS", default_value_t = DEFAULT_OFFLINE_BACKOFF.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub offline_backoff_secs: u64,
    /// Seconds a worker carries one run on from batch to batch itself (no hand-off through the
    /// queue) before the next batch waits its turn behind other jobs; `0` hands every batch on.
    #[arg(long, env = "SYNC_CARRY_SECS", value_name = "SYNC_CARRY_SECS", default_value_t = DEFAULT_CARRY.as_secs(), value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub carry_secs: u64,
    /// A scheduled run is full when the pair's last full run is older than this (Xero changes
    /// some fields without moving UpdatedDateUTC, and deletes some records outright), e.g.
    /// `7d`; `0` never re-reads in full. Invoices are re-read as summaries.
    #[arg(long, env = "SYNC_FULL_EVERY", value_name = "SYNC_FULL_EVERY", default_value = "7d", value_parser = parse_interval)]
    pub full_every: Interval,
    /// Attempts a job gets for transient failures (5xx, timeouts) before it is failed.
    #[arg(long, env = "SYNC_MAX_ATTEMPTS", value_name = "SYNC_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(i32).range(1..=100))]
    pub max_attempts: i32,
    /// Ignore the stored watermark and fetch everything: runs started by `sync` and the next
    /// runs a worker schedules. (SQL callers say so per call: `full_sync => true`.)
    #[arg(long = "full", env = "FORCE_FULL_SYNC", value_name = "FORCE_FULL_SYNC", num_args = 0..=1, default_value_t = false, default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub force_full: bool,
    /// Time from a completed run to the next incremental run of the same tenant and entity,
    /// e.g. `1h`, `30m`, `90s`; `0` schedules none.
    #[arg(long, env = "SYNC_INTERVAL", value_name = "SYNC_INTERVAL", default_value = "1h", value_parser = parse_interval)]
    pub interval: Interval,
}

/// A sync interval; zero means "do not schedule".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval(pub Duration);

impl Interval {
    /// The interval, or `None` when scheduling is off.
    pub fn schedule(self) -> Option<Duration> {
        (!self.0.is_zero()).then_some(self.0)
    }
}

/// A duration like `90s`, `30m`, `1h`, `7d` or `0`, at most [`MAX_SETTING`].
fn parse_interval(value: &str) -> Result<Interval, String> {
    parse_duration(value, MAX_SETTING)
}

/// A retention period: like [`parse_interval`], up to ten years.
fn parse_retention(value: &str) -> Result<Interval, String> {
    parse_duration(value, Duration::from_secs(3650 * 86_400))
}

fn parse_duration(value: &str, max: Duration) -> Result<Interval, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{value}` is not a duration like 1h, 30m, 90s or 0"))?;
    let unit_secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{value}`: the unit must be s, m, h or d")),
    };
    let seconds = number
        .checked_mul(unit_secs)
        .filter(|&s| s <= max.as_secs())
        .ok_or_else(|| {
            format!(
                "`{value}` is longer than the {} days this setting may be",
                max.as_secs() / 86_400
            )
        })?;
    Ok(Interval(Duration::from_secs(seconds)))
}

/// Where telemetry goes.
#[derive(Debug, Clone, clap::Args)]
pub struct TelemetryArgs {
    /// Log one JSON object per line (for log pipelines).
    #[arg(long, env = "LOG_FORMAT_JSON", global = true)]
    pub log_json: bool,
    /// An OTLP/HTTP endpoint (`http://collector:4318`): spans and metrics are exported to it.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_name = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true, value_parser = parse_url)]
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported telemetry.
    #[arg(
        long,
        env = "OTEL_SERVICE_NAME",
        value_name = "OTEL_SERVICE_NAME",
        default_value = "xero-sync",
        global = true
    )]
    pub service_name: String,
    /// Label per-tenant metrics (lag, response bytes) with the tenant; turn off with very many
    /// organisations to keep series bounded (they are then per entity, or summed).
    #[arg(long, env = "METRICS_TENANT_LABELS", value_name = "METRICS_TENANT_LABELS", default_value_t = true, action = clap::ArgAction::Set, global = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub tenant_labels: bool,
}

impl TelemetryArgs {
    /// The telemetry configuration, logging by `default_filter` when `RUST_LOG` is not set.
    pub fn config(&self, default_filter: &str) -> crate::telemetry::Config {
        crate::telemetry::Config {
            json: self.log_json,
            default_filter: default_filter.to_owned(),
            otlp_endpoint: self.otlp_endpoint.clone(),
            service_name: self.service_name.clone(),
            tenant_labels: self.tenant_labels,
        }
    }
}

/// A worker process.
#[derive(Debug, Clone, clap::Args)]
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
    /// nothing.
    #[arg(long = "http-addr", env = "WORKER_HTTP_ADDR", value_name = "WORKER_HTTP_ADDR", default_value = "127.0.0.1:9464", value_parser = parse_http_addr)]
    pub http_addr: HttpAddr,
    /// Seconds between heartbeats; a worker silent for five of them is presumed dead and its
    /// jobs go to the others.
    #[arg(long, env = "WORKER_HEARTBEAT_SECS", value_name = "WORKER_HEARTBEAT_SECS", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=60))]
    pub heartbeat_secs: u64,
    /// Seconds between maintenance passes (one replica at a time runs each).
    #[arg(long, env = "MAINTENANCE_INTERVAL_SECS", value_name = "MAINTENANCE_INTERVAL_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub maintenance_interval_secs: u64,
    /// How long finished jobs are kept, e.g. `7d`.
    #[arg(long, env = "JOB_RETENTION", value_name = "JOB_RETENTION", default_value = "7d", value_parser = parse_retention)]
    pub job_retention: Interval,
    /// How long finished runs are kept in `xero.sync_log` (each pair's last run always is).
    #[arg(long, env = "SYNC_LOG_RETENTION", value_name = "SYNC_LOG_RETENTION", default_value = "90d", value_parser = parse_retention)]
    pub log_retention: Interval,
}

impl WorkerArgs {
    /// The maintenance loop these arguments give, scheduling next runs as `follow_up` says.
    pub fn maintenance(
        &self,
        follow_up: Option<crate::sync::engine::FollowUp>,
    ) -> crate::sync::maintenance::Maintenance {
        crate::sync::maintenance::Maintenance {
            every: Duration::from_secs(self.maintenance_interval_secs),
            job_retention: self.job_retention.0,
            log_retention: self.log_retention.0,
            follow_up,
        }
    }
}

/// Where a worker serves its HTTP endpoints, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpAddr(pub Option<std::net::SocketAddr>);

fn parse_http_addr(value: &str) -> Result<HttpAddr, String> {
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

/// The driver reads any scheme as Postgres (`mysql://h/db` would dial `h:5432`), so the scheme
/// is checked here, where the message can name the variable.
fn parse_database_url(value: &str) -> Result<String, String> {
    let scheme_ok = ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| value.starts_with(scheme));
    if !scheme_ok {
        return Err(format!(
            "`{value}` is not a Postgres URL (postgres://user@host:port/database)"
        ));
    }
    Ok(value.to_owned())
}

fn parse_url(value: &str) -> Result<String, String> {
    let trimmed = value.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| format!("`{value}` is not an http(s) URL"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("`{value}` is not an http(s) URL"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
    }

    #[test]
    fn intervals_read_seconds_minutes_hours_and_days() {
        assert_eq!(parse_interval("90s"), Ok(Interval(Duration::from_secs(90))));
        assert_eq!(
            parse_interval("30m"),
            Ok(Interval(Duration::from_secs(1800)))
        );
        assert_eq!(
            parse_interval("1h"),
            Ok(Interval(Duration::from_secs(3600)))
        );
        assert_eq!(
            parse_interval("2d"),
            Ok(Interval(Duration::from_secs(172_800)))
        );
        assert_eq!(parse_interval("0").map(Interval::schedule), Ok(None));
        assert!(parse_interval("soon").is_err());
        assert!(parse_interval("5y").is_err());
        assert!(parse_interval("32d").is_err());
        assert!(parse_interval("99999999999999999999d").is_err());
        assert!(parse_interval("9999999999999999d").is_err());
    }

    #[test]
    fn urls_must_be_http() {
        assert_eq!(parse_url("http://x:1/").as_deref(), Ok("http://x:1"));
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("http://").is_err());
    }

    #[test]
    fn database_urls_must_be_postgres() {
        assert!(parse_database_url(DEFAULT_DATABASE_URL).is_ok());
        assert!(parse_database_url("postgresql://u@h/db").is_ok());
        assert!(parse_database_url("mysql://nowhere").is_err());
        assert!(parse_database_url("").is_err());
    }
}
