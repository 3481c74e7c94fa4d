//! A signed delivery made durable: the delivery and its events stored in one transaction —
//! each event once, however often Xero delivers it — and, for every connected organisation it
//! names, a job that will follow its events. Only then does the receiver answer 200.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::sync::job::HooksJob;
use crate::sync::queue::{self, Enqueue};

/// A delivery as Xero posts it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The events; empty in an intent-to-receive probe.
    pub events: Vec<Value>,
    /// The first event's sequence number (0 in a probe).
    #[serde(default)]
    pub first_event_sequence: Option<i64>,
    /// The last event's.
    #[serde(default)]
    pub last_event_sequence: Option<i64>,
}

/// One event, the fields the engine uses. Read leniently: a category or shape the engine does
/// not know (Xero's set grows: SUBSCRIPTION, PREPAYMENT, PAYMENT…) is recorded, not refused,
/// so Xero does not retry it for a day.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Event {
    resource_id: Option<String>,
    tenant_id: Option<String>,
    event_category: String,
    event_type: String,
    event_date_utc: Option<String>,
}

impl Event {
    fn tenant(&self) -> Uuid {
        uuid_of(self.tenant_id.as_deref())
    }

    fn resource(&self) -> Uuid {
        uuid_of(self.resource_id.as_deref())
    }
}

fn uuid_of(text: Option<&str>) -> Uuid {
    text.and_then(|t| Uuid::parse_str(t).ok())
        .unwrap_or_default()
}

/// What storing a delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// Events new to the database.
    pub new: usize,
    /// Events it had already (a delivery repeated).
    pub duplicates: usize,
    /// Events of organisations not connected here (kept, not followed).
    pub unknown_tenant: usize,
}

/// Why a delivery cannot be stored.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The payload is JSON but not Xero's shape.
    #[error("not a Xero webhook delivery: {0}")]
    Malformed(String),
    /// The database failed: nothing is durable, Xero must retry.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// `eventDateUtc` carries no zone (`2025-12-02T00:44:09.923`): it is UTC. A value with a zone
/// is read with it.
pub fn event_date(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// Stores a delivery and its events, and enqueues the jobs that follow them.
pub async fn store(
    pool: &PgPool,
    delivery: &Delivery,
    traceparent: Option<&str>,
) -> Result<Stored, IntakeError> {
    let events: Vec<(Event, &Value)> = delivery
        .events
        .iter()
        .map(|raw| {
            serde_json::from_value::<Event>(raw.clone())
                .map(|e| (e, raw))
                .map_err(|e| IntakeError::Malformed(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let mut tx = pool.begin().await?;
    let delivery_id: i64 = sqlx::query_scalar(
        "INSERT INTO xero.webhook_deliveries (intent, first_sequence, last_sequence, events,
                                              traceparent)
         VALUES ($1, $2, $3, $4, $5) RETURNING delivery_id",
    )
    .bind(events.is_empty())
    .bind(delivery.first_event_sequence)
    .bind(delivery.last_event_sequence)
    .bind(events.len() as i32)
    .bind(traceparent)
    .fetch_one(&mut *tx)
    .await?;
    let mut stored = Stored::default();
    let mut to_follow: Vec<Uuid> = Vec::new();
    for (event, raw) in &events {
        let inserted = insert_event(&mut tx, delivery_id, event, raw).await?;
        count(&mut stored, &mut to_follow, inserted, event);
    }
    sqlx::query("UPDATE xero.webhook_deliveries SET duplicates = $2 WHERE delivery_id = $1")
        .bind(delivery_id)
        .bind(stored.duplicates as i32)
        .execute(&mut *tx)
        .await?;
    follow(&mut tx, delivery_id, &to_follow).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Stores one event unless the same event is stored already; `Some(known tenant)` when new.
async fn insert_event(
    tx: &mut sqlx::PgConnection,
    delivery_id: i64,
    event: &Event,
    raw: &Value,
) -> Result<Option<bool>, sqlx::Error> {
    // Without a date the event is recorded as of its arrival.
    let date = event
        .event_date_utc
        .as_deref()
        .and_then(event_date)
        .unwrap_or_else(Utc::now);
    sqlx::query_scalar(
        "INSERT INTO xero.webhook_events (delivery_id, tenant_id, known_tenant, category,
                                          event_type, resource_id, event_date, raw)
         SELECT $1, $2, EXISTS (SELECT 1 FROM xero.tenants WHERE tenant_id = $2), $3, $4,
                $5, $6, $7
         ON CONFLICT (tenant_id, category, resource_id, event_date, event_type) DO NOTHING
         RETURNING known_tenant",
    )
    .bind(delivery_id)
    .bind(event.tenant())
    .bind(&event.event_category)
    .bind(&event.event_type)
    .bind(event.resource())
    .bind(date)
    .bind(raw)
    .fetch_optional(tx)
    .await
}

/// Enqueues a job following the delivery's new events for each known tenant it names.
async fn follow(
    tx: &mut sqlx::PgConnection,
    delivery_id: i64,
    tenants: &[Uuid],
) -> Result<(), sqlx::Error> {
    for &tenant in tenants {
        let job = HooksJob {
            webhooks_of: tenant,
            delivery: delivery_id,
        };
        let key = format!("hooks:{tenant}:{delivery_id}");
        let how = Enqueue {
            delay: None,
            max_attempts: 8,
            priority: 10,
        };
        queue::enqueue(&mut *tx, &job, &key, how).await?;
    }
    Ok(())
}

fn count(stored: &mut Stored, to_follow: &mut Vec<Uuid>, inserted: Option<bool>, event: &Event) {
    let labels = |novelty: &'static str| {
        [
            opentelemetry::KeyValue::new("category", event.event_category.clone()),
            opentelemetry::KeyValue::new("novelty", novelty),
        ]
    };
    let m = crate::metrics::get();
    match inserted {
        None => {
            stored.duplicates += 1;
            m.webhook_events.add(1, &labels("duplicate"));
        }
        Some(known) => {
            stored.new += 1;
            m.webhook_events.add(1, &labels("new"));
            if !known {
                stored.unknown_tenant += 1;
            } else if !to_follow.contains(&event.tenant()) {
                to_follow.push(event.tenant());
            }
        }
    }
}
