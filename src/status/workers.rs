//! Whether any worker is alive: the heartbeats apalis records in `apalis.workers`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

use crate::sync::queue::QUEUE;

/// A worker heard from within this long is alive. A worker beats every `HEARTBEAT_SECS` (3 s
/// by default) and is presumed dead after five missed beats; a minute leaves room for a
/// longer heartbeat and a busy database.
pub const ALIVE_WITHIN: Duration = Duration::from_secs(60);

/// The workers of this deployment's queue.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Workers {
    /// Those heard from within [`ALIVE_WITHIN`], most recent first.
    pub alive: Vec<LiveWorker>,
    /// The last heartbeat of any worker, alive or not, or the moment the last one stopped
    /// cleanly (none: no worker ever ran here).
    pub last_seen: Option<DateTime<Utc>>,
}

/// One live worker.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LiveWorker {
    /// Its name (host, process id and a random suffix).
    pub name: String,
    /// Its last heartbeat.
    pub last_seen: DateTime<Utc>,
}

impl Workers {
    /// Whether the worker of this name is alive.
    pub fn is_alive(&self, name: &str) -> bool {
        self.alive.iter().any(|w| w.name == name)
    }
}

/// The workers of the queue and their heartbeats.
pub async fn workers(pool: &PgPool) -> Result<Workers, sqlx::Error> {
    let alive: Vec<LiveWorker> = sqlx::query_as(
        "SELECT id AS name, last_seen::timestamptz AS last_seen FROM apalis.workers
          WHERE worker_type = $1 AND last_seen > now() - make_interval(secs => $2)
          ORDER BY last_seen DESC",
    )
    .bind(QUEUE)
    .bind(ALIVE_WITHIN.as_secs_f64())
    .fetch_all(pool)
    .await?;
    let last_seen: Option<DateTime<Utc>> = sqlx::query_scalar(
        "SELECT greatest(
                    (SELECT max(last_seen)::timestamptz FROM apalis.workers WHERE worker_type = $1),
                    (SELECT stopped_at FROM xero.worker_exits WHERE queue = $1))",
    )
    .bind(QUEUE)
    .fetch_one(pool)
    .await?;
    Ok(Workers { alive, last_seen })
}
