//! Following webhook events: the job a delivery enqueues for each organisation it names turns
//! every unhandled event of that organisation into work. Events of entities Xero fetches by
//! `IDs=` (Contacts, Invoices) become one call per ~50 ids, whose records are stored in the same
//! transaction that marks the events handled; events of the others start an early incremental
//! run (or find one running). Bursts coalesce: whatever job runs first takes every event
//! waiting, and the jobs of later deliveries find nothing left to do.
//!
//! The watermark never moves here — these reads are not a walk of the set — and an older
//! version never overwrites a newer one, so a fetch racing a run is harmless.

use std::collections::BTreeMap;
use std::time::Duration;

use uuid::Uuid;

use super::engine::Engine;
use super::job::HooksJob;
use super::leased;
use super::queue::{self, Lease};
use super::start::{StartError, start_run_in};
use super::tenant::{self, TenantState};
use crate::entity::{Entity, Webhook};
use crate::xero::client::Get;
use crate::xero::page::Fields;
use crate::xero::{Page, XeroError};

/// Ids per `IDs=` call: 50 GUIDs keep the URL well under the ~2,000 characters past which Xero
/// answers 404 (a 404 that must never be read as "deleted").
pub const IDS_PER_CALL: usize = 50;
/// How long a claim on events holds before another job may take them (a crashed worker's).
const CLAIM_LAPSES: Duration = Duration::from_secs(300);

/// Unhandled events of one category.
struct Claimed {
    ids: Vec<i64>,
    resources: Vec<Uuid>,
    oldest: chrono::DateTime<chrono::Utc>,
}

/// Runs a webhook job: claims the tenant's events, fetches or schedules, stores, completes.
pub(super) async fn follow(
    engine: &Engine,
    lease: Lease<'_>,
    job: HooksJob,
) -> anyhow::Result<String> {
    let tenant_id = job.webhooks_of;
    tracing::Span::current().record("xero.tenant_id", tracing::field::display(tenant_id));
    if tenant::state(engine, tenant_id).await? != TenantState::Active {
        // A paused or disconnected organisation's events are kept, and ignored.
        let outcome = ignore(engine, tenant_id).await?;
        let mut conn = engine.pool.acquire().await?;
        queue::complete(&mut conn, lease, &outcome).await?;
        return Ok(outcome);
    }
    let claimed = claim(engine, tenant_id).await?;
    if claimed.is_empty() {
        let mut conn = engine.pool.acquire().await?;
        let outcome = "no event left: another job took them";
        queue::complete(&mut conn, lease, outcome).await?;
        return Ok(outcome.into());
    }
    let mut fetched: Vec<(&'static Entity, Vec<Page>)> = Vec::new();
    for (category, events) in &claimed {
        if let Some(entity) = by_ids(engine, category) {
            match fetch_ids(engine, entity, tenant_id, &events.resources).await {
                Ok(pages) => fetched.push((entity, pages)),
                Err(e) => {
                    // Unclaimed at once: a retry of this job, or the next delivery's, tries
                    // again; the events stay unhandled until then.
                    unclaim(engine, &claimed).await?;
                    return Err(anyhow::anyhow!("fetching {} by id: {e}", entity.name));
                }
            }
        }
    }
    commit(engine, lease, tenant_id, &claimed, fetched).await
}

/// The registered entity Xero fetches by id for this category.
fn by_ids(engine: &Engine, category: &str) -> Option<&'static Entity> {
    engine
        .entities
        .iter()
        .find(|e| matches!(e.webhook, Webhook::Ids(c) if c == category))
}

/// The entity whose events of this category start a run.
fn by_run(engine: &Engine, category: &str) -> Option<&'static Entity> {
    engine
        .entities
        .iter()
        .find(|e| matches!(e.webhook, Webhook::Run(c) if c == category))
}

/// Claims every unhandled event of the tenant, by category.
async fn claim(engine: &Engine, tenant_id: Uuid) -> Result<BTreeMap<String, Claimed>, sqlx::Error> {
    let rows: Vec<(i64, String, Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "UPDATE xero.webhook_events SET claimed_at = now()
          WHERE tenant_id = $1 AND known_tenant AND handled_at IS NULL
            AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $2))
      RETURNING event_id, category, resource_id, event_date",
    )
    .bind(tenant_id)
    .bind(CLAIM_LAPSES.as_secs_f64())
    .fetch_all(&engine.pool)
    .await?;
    let mut claimed: BTreeMap<String, Claimed> = BTreeMap::new();
    for (id, category, resource, date) in rows {
        let entry = claimed.entry(category).or_insert_with(|| Claimed {
            ids: Vec::new(),
            resources: Vec::new(),
            oldest: date,
        });
        entry.ids.push(id);
        if !entry.resources.contains(&resource) {
            entry.resources.push(resource);
        }
        entry.oldest = entry.oldest.min(date);
    }
    Ok(claimed)
}

/// Fetches the records by id, [`IDS_PER_CALL`] a call, each call leased from the budget.
async fn fetch_ids(
    engine: &Engine,
    entity: &Entity,
    tenant_id: Uuid,
    resources: &[Uuid],
) -> Result<Vec<Page>, XeroError> {
    // One token for the whole burst.
    let token = leased::token(engine, tenant_id).await?;
    let mut pages = Vec::new();
    for chunk in resources.chunks(IDS_PER_CALL) {
        let ids: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
        // The entity's own parameters too (`includeArchived`: an archived contact's event).
        let mut query: Vec<(&str, String)> = entity
            .query
            .iter()
            .map(|&(k, v)| (k, v.to_owned()))
            .collect();
        query.extend([("IDs", ids.join(",")), ("page", "1".into())]);
        let get = Get {
            tenant_id,
            endpoint: entity.endpoint,
            query,
            modified_since: None,
        };
        let answer = leased::get(engine, &token, &get, entity.name).await;
        let fields = Fields {
            collection: entity.collection,
            id: entity.id_field,
            number: None,
        };
        pages.push(Page::parse(answer?.body, fields)?);
    }
    Ok(pages)
}

/// Stores what was fetched, starts the runs the other categories ask for, marks the events
/// handled and completes the job: one transaction.
async fn commit(
    engine: &Engine,
    lease: Lease<'_>,
    tenant_id: Uuid,
    claimed: &BTreeMap<String, Claimed>,
    fetched: Vec<(&'static Entity, Vec<Page>)>,
) -> anyhow::Result<String> {
    let mut tx = engine.pool.begin().await?;
    let mut done = Vec::new();
    for (entity, pages) in &fetched {
        let mut body = Page::combined(pages, entity.collection);
        Page::mark_run(&mut body, Uuid::new_v4());
        super::store::store(&mut tx, entity, tenant_id, &body).await?;
        let records: usize = pages.iter().map(|p| p.records).sum();
        done.push(format!("{} {} fetched by id", records, entity.name));
    }
    for (category, events) in claimed {
        let outcome = if by_ids(engine, category).is_some() {
            "fetched by id".to_owned()
        } else if let Some(entity) = by_run(engine, category) {
            match start_run_in(
                &mut tx,
                entity.name,
                tenant_id,
                false,
                engine.settings.max_attempts,
            )
            .await
            {
                Ok(started) => {
                    done.push(format!("{} run {}", entity.name, started.run_id));
                    format!("run {}", started.run_id)
                }
                Err(StartError::Db(e)) => return Err(e.into()),
                Err(e) => format!("no run: {e}"),
            }
        } else {
            "recorded: no entity follows this category".to_owned()
        };
        mark(&mut tx, &events.ids, &outcome).await?;
        record_delay(category, events.oldest);
    }
    let outcome = if done.is_empty() {
        "events recorded".to_owned()
    } else {
        done.join("; ")
    };
    if !queue::complete(&mut tx, lease, &outcome).await? {
        return Ok("lease lost; rolled back".into());
    }
    tx.commit().await?;
    tracing::info!(
        webhooks.events = claimed.values().map(|c| c.ids.len()).sum::<usize>(),
        outcome,
        "webhook events followed"
    );
    Ok(outcome)
}

/// Gives the claimed events back.
async fn unclaim(engine: &Engine, claimed: &BTreeMap<String, Claimed>) -> Result<(), sqlx::Error> {
    let ids: Vec<i64> = claimed
        .values()
        .flat_map(|c| c.ids.iter().copied())
        .collect();
    sqlx::query("UPDATE xero.webhook_events SET claimed_at = NULL WHERE event_id = ANY($1)")
        .bind(ids)
        .execute(&engine.pool)
        .await?;
    Ok(())
}

async fn mark(tx: &mut sqlx::PgConnection, ids: &[i64], outcome: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE xero.webhook_events SET handled_at = clock_timestamp(), outcome = $2
          WHERE event_id = ANY($1)",
    )
    .bind(ids)
    .bind(outcome)
    .execute(tx)
    .await?;
    Ok(())
}

/// The delay from Xero's event to its commit here, for the metric.
fn record_delay(category: &str, oldest: chrono::DateTime<chrono::Utc>) {
    let delay = (chrono::Utc::now() - oldest).num_milliseconds().max(0) as f64 / 1000.0;
    let labels = [opentelemetry::KeyValue::new(
        "category",
        category.to_owned(),
    )];
    crate::metrics::get().webhook_delay.record(delay, &labels);
}

/// Marks a stopped tenant's events handled as ignored.
async fn ignore(engine: &Engine, tenant_id: Uuid) -> Result<String, sqlx::Error> {
    let ignored = sqlx::query(
        "UPDATE xero.webhook_events SET handled_at = now(), outcome = 'ignored: tenant not active'
          WHERE tenant_id = $1 AND handled_at IS NULL",
    )
    .bind(tenant_id)
    .execute(&engine.pool)
    .await?;
    Ok(format!(
        "{} event(s) ignored: the tenant is not active",
        ignored.rows_affected()
    ))
}
