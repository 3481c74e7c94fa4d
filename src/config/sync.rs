//! How runs are cut into jobs and scheduled.

use std::time::Duration;

use super::values::{Interval, parse_interval};

/// Xero calls per job.
pub const DEFAULT_BATCH_SIZE: u32 = 10;
/// The longest interval an entity backs off to while nothing changes.
pub const DEFAULT_MAX_INTERVAL: Duration = Duration::from_secs(86_400);
/// The safety-net interval of entities webhooks cover, while webhooks arrive.
pub const DEFAULT_WEBHOOK_INTERVAL: Duration = Duration::from_secs(6 * 3600);
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

/// How runs are cut into jobs.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Batches and schedule")]
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
    /// The longest an entity's interval grows while its runs find nothing new (it doubles
    /// with each such run, from SYNC_INTERVAL), e.g. `24h`.
    #[arg(long, env = "SYNC_MAX_INTERVAL", value_name = "SYNC_MAX_INTERVAL", default_value = "24h", value_parser = parse_interval)]
    pub max_interval: Interval,
    /// How often an entity Xero's webhooks cover is polled, as a safety net, while webhooks
    /// arrive (Xero does not guarantee delivery), e.g. `6h`.
    #[arg(long, env = "SYNC_WEBHOOK_INTERVAL", value_name = "SYNC_WEBHOOK_INTERVAL", default_value = "6h", value_parser = parse_interval)]
    pub webhook_interval: Interval,
}

/// What a one-shot `sync` sets of the runs it starts (the rest of [`SyncArgs`] is the
/// workers').
#[derive(Debug, Clone, clap::Args)]
pub struct StartArgs {
    /// Attempts each job of the runs gets for transient failures before it is failed.
    #[arg(long, env = "SYNC_MAX_ATTEMPTS", value_name = "SYNC_MAX_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(i32).range(1..=100))]
    pub max_attempts: i32,
    /// Ignore the stored watermark and fetch everything.
    #[arg(long = "full", env = "FORCE_FULL_SYNC", value_name = "FORCE_FULL_SYNC", num_args = 0..=1, default_value_t = false, default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub force_full: bool,
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
            max_interval: Interval(DEFAULT_MAX_INTERVAL),
            webhook_interval: Interval(DEFAULT_WEBHOOK_INTERVAL),
        }
    }
}
