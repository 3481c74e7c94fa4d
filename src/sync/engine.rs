//! What every job of a worker shares: the database, the Xero client, the token vault, the
//! registered entities and the batch settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;

use crate::budget::Budget;
use crate::entity::Entity;
use crate::vault::Vault;
use crate::xero::XeroClient;

/// The longest any job is put off, whatever Xero or the configuration says: a `Retry-After` of
/// a year (or a bug) must delay a job, never overflow a timestamp or park it forever.
pub const MAX_DELAY: Duration = Duration::from_secs(31 * 86_400);

/// `delay` plus a random part of up to a tenth of it (a second at most), so jobs put off
/// together do not all come back in the same instant, and short waits stay short.
pub fn jittered(delay: Duration) -> Duration {
    let spread = (delay / 10).min(Duration::from_secs(1));
    delay + spread.mul_f64(rand::random::<f64>())
}

/// How batches behave.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Xero calls per job.
    pub batch_size: u32,
    /// Response bytes per job: a batch stops fetching once its pages hold this much, so one
    /// transaction never holds an unbounded amount of data.
    pub batch_bytes: u64,
    /// Attempts a job gets for transient failures.
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_cap: Duration,
    /// After a run ends, its pair's next run is scheduled this much later (`None`: never);
    /// the base of the interval each pair learns (see `sync::cadence`).
    pub interval: Option<Duration>,
    /// The longest a pair's interval grows while its runs find nothing new.
    pub max_interval: Duration,
    /// The interval of entities webhooks cover, while webhooks arrive.
    pub webhook_interval: Duration,
    /// Scheduled runs ignore the watermark (`FORCE_FULL_SYNC`).
    pub force_full: bool,
    /// How far before the watermark's second an incremental run starts (`SYNC_OVERLAP_SECS`).
    pub overlap: Duration,
    /// A scheduled run is full when the pair's last full run is older than this, catching the
    /// edits Xero makes without moving `UpdatedDateUTC` (`SYNC_FULL_EVERY`; `None`: never).
    pub full_every: Option<Duration>,
    /// A pair Xero refused (`not_entitled`) is tried again this much later.
    pub entitlement_recheck: Duration,
    /// First back-off after "The Organisation is offline"; doubles with each 503 in a row.
    pub offline_backoff: Duration,
    /// How long a worker carries one run on from batch to batch itself before its next batch
    /// queues behind other waiting jobs (`SYNC_CARRY_SECS`; zero: never).
    pub carry_for: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            batch_size: crate::config::DEFAULT_BATCH_SIZE,
            batch_bytes: crate::config::DEFAULT_BATCH_BYTES,
            max_attempts: 8,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            interval: Some(crate::config::DEFAULT_INTERVAL),
            max_interval: crate::config::DEFAULT_MAX_INTERVAL,
            webhook_interval: crate::config::DEFAULT_WEBHOOK_INTERVAL,
            force_full: false,
            overlap: crate::config::DEFAULT_OVERLAP,
            full_every: Some(crate::config::DEFAULT_FULL_EVERY),
            entitlement_recheck: crate::config::DEFAULT_ENTITLEMENT_RECHECK,
            offline_backoff: crate::config::DEFAULT_OFFLINE_BACKOFF,
            carry_for: crate::config::DEFAULT_CARRY,
        }
    }
}

impl Settings {
    /// The batch settings `SYNC_*` give.
    pub fn from_args(args: &crate::config::SyncArgs) -> Settings {
        Settings {
            batch_size: args.batch_size,
            batch_bytes: args.batch_bytes,
            max_attempts: args.max_attempts,
            interval: args.interval.schedule(),
            max_interval: args.max_interval.0,
            webhook_interval: args.webhook_interval.0,
            force_full: args.force_full,
            overlap: Duration::from_secs(args.overlap_secs),
            offline_backoff: Duration::from_secs(args.offline_backoff_secs),
            carry_for: Duration::from_secs(args.carry_secs),
            full_every: args.full_every.schedule(),
            ..Settings::default()
        }
    }
}

/// When and how a pair's next run is scheduled.
#[derive(Debug, Clone, Copy)]
pub struct FollowUp {
    /// How long after the end of this run, on the database's clock.
    pub after: Duration,
    /// Attempts its jobs get.
    pub max_attempts: i32,
}

/// Everything a batch needs. Shared by all jobs of a worker.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The database.
    pub pool: PgPool,
    /// The Accounting API.
    pub xero: XeroClient,
    /// Access tokens.
    pub vault: Vault,
    /// Xero's limits, shared by every replica.
    pub budget: Budget,
    /// The entities this deployment syncs.
    pub entities: &'static [Entity],
    /// Batch settings.
    pub settings: Settings,
    /// Set once the worker is shutting down: no run is carried on to its next batch.
    pub stopping: Arc<AtomicBool>,
}

impl Engine {
    /// The entity with this wire name.
    pub fn entity(&self, name: &str) -> Option<&'static Entity> {
        self.entities.iter().find(|e| e.name == name)
    }

    /// Whether a run may be carried on to its next batch by the worker that committed this one.
    pub fn may_carry(&self) -> bool {
        !self.settings.carry_for.is_zero() && !self.stopping.load(Ordering::SeqCst)
    }

    /// The message for a name that is not a registered entity.
    pub fn unknown_entity(&self, name: &str) -> String {
        let known: Vec<&str> = self.entities.iter().map(|e| e.name).collect();
        format!("unknown entity `{name}`; known: {}", known.join(", "))
    }

    /// The next run a finished (completed or failed) run schedules, if scheduling is on.
    pub fn follow_up(&self) -> Option<FollowUp> {
        self.settings.interval.map(|interval| FollowUp {
            after: interval.min(MAX_DELAY),
            max_attempts: self.settings.max_attempts,
        })
    }

    /// The next run of a pair Xero refused: later than usual, and even with scheduling off
    /// nothing is scheduled.
    pub fn recheck(&self) -> Option<FollowUp> {
        self.follow_up().map(|f| FollowUp {
            after: f
                .after
                .max(self.settings.entitlement_recheck)
                .min(MAX_DELAY),
            ..f
        })
    }
}
