//! The schedule that learns: each (tenant, entity) keeps its own interval. A run that found
//! something new brings it back to `SYNC_INTERVAL`; each run in a row that found nothing doubles
//! it, up to `SYNC_MAX_INTERVAL`; an entity Xero's webhooks cover is polled only every
//! `SYNC_WEBHOOK_INTERVAL` while webhooks arrive, as a safety net (Xero does not guarantee
//! delivery). Every change is still fetched: a pair is never left longer than the longest of
//! those, and webhooks and `sync` start runs at once.

use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use super::engine::{Engine, MAX_DELAY};
use crate::entity::Entity;

/// How long after a delivery (an event or Xero's intent-to-receive probe) webhooks count as
/// arriving: a day, so an app whose organisations are all quiet keeps the safety net.
pub const WEBHOOKS_HEALTHY_FOR: Duration = Duration::from_secs(86_400);

/// The pair's next interval after a completed run, and why; recorded on the pair.
pub(super) async fn next_interval(
    conn: &mut PgConnection,
    engine: &Engine,
    entity: &Entity,
    tenant_id: Uuid,
    changed: bool,
    base: Duration,
) -> Result<Duration, sqlx::Error> {
    let (previous, unchanged): (Option<f64>, i32) = sqlx::query_as(
        "SELECT interval_secs, unchanged_runs FROM xero.sync_progress
          WHERE tenant_id = $1 AND entity = $2",
    )
    .bind(tenant_id)
    .bind(entity.name)
    .fetch_one(&mut *conn)
    .await?;
    let settings = &engine.settings;
    let max = settings.max_interval.max(base);
    let (mut next, mut why) = if changed {
        (base, "changed in its last run".to_owned())
    } else {
        let previous = previous.map_or(base, Duration::from_secs_f64).max(base);
        let grown = (previous * 2).min(max);
        (
            grown,
            format!("unchanged for {unchanged} run(s): backing off"),
        )
    };
    if entity.webhook.category().is_some() && webhooks_arriving(conn).await? {
        next = settings.webhook_interval.max(base);
        why = "webhooks arriving: polled as a safety net".to_owned();
    }
    let next = next.min(MAX_DELAY);
    sqlx::query(
        "UPDATE xero.sync_progress SET interval_secs = $3, interval_reason = $4
          WHERE tenant_id = $1 AND entity = $2",
    )
    .bind(tenant_id)
    .bind(entity.name)
    .bind(next.as_secs_f64())
    .bind(&why)
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

/// Whether Xero delivered anything to the webhook receiver within [`WEBHOOKS_HEALTHY_FOR`].
pub(super) async fn webhooks_arriving(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM xero.webhook_deliveries
                         WHERE received_at > now() - make_interval(secs => $1))",
    )
    .bind(WEBHOOKS_HEALTHY_FOR.as_secs_f64())
    .fetch_one(conn)
    .await
}
