//! Pages the simulator serves, stored exactly as it digests them.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;
use xero_sync::digest::{Digest, digest, digest_query};
use xero_sync::entity::Entity;
use xero_sync::testing::TestDb;
use xero_sync_workers::{line_digests, registry};

use super::pages::store_text;

// ---------------------------------------------------------------------------------------------
// Against the simulator's real responses

/// A plain client of the simulator: a client_credentials token and GETs of raw bodies. Paging
/// here is the naive one (page numbers, no `If-Modified-Since`); the engine's cursors are tested
/// with the engine.
struct SimClient {
    sim: xero_sync_sim::Simulator,
    http: reqwest::Client,
    token: String,
    tenant_id: Uuid,
}

impl SimClient {
    async fn start() -> SimClient {
        // reqwest is built with `rustls-no-provider`: even plain HTTP needs a provider installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = xero_sync_sim::Simulator::start(xero_sync_sim::SimConfig {
            accounts: 40,
            contacts: 150,
            invoices: 350,
            journals: 900,
            rate_limits: false,
            ..Default::default()
        })
        .await
        .unwrap();
        let http = reqwest::Client::new();
        let token = sim.custom_connection_token().unwrap();
        let tenant_id = sim.tenant_ids()[0];
        SimClient {
            token,
            sim,
            http,
            tenant_id,
        }
    }

    /// The body of one Accounting GET, as text (what the engine hands to the upserts).
    async fn get(&self, entity: &Entity, extra: &[(&str, String)]) -> String {
        let res = self
            .http
            .get(format!(
                "{}/api.xro/2.0/{}",
                self.sim.origin(),
                entity.endpoint
            ))
            .query(entity.query)
            .query(extra)
            .header("accept", "application/json")
            .header("xero-tenant-id", self.tenant_id.to_string())
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "GET {}: {}",
            entity.endpoint,
            res.status()
        );
        res.text().await.unwrap()
    }

    /// Fetches every record of `entity` and stores each page as the engine would; returns the
    /// records served.
    async fn sync(&self, pool: &PgPool, entity: &Entity, tenant_id: Uuid) -> Vec<Value> {
        use xero_sync::entity::Paging;
        let run = Uuid::new_v4();
        let mut cursor = 0i64;
        let mut served = Vec::new();
        loop {
            let extra = match entity.paging {
                Paging::Unpaged { .. } => vec![],
                Paging::Keyset => vec![
                    ("page", (cursor + 1).to_string()),
                    ("pageSize", "1000".to_owned()),
                ],
                Paging::Numbered { .. } => vec![("page", (cursor + 1).to_string())],
                Paging::Offset { .. } => vec![("offset", cursor.to_string())],
            };
            let text = self.get(entity, &extra).await;
            let body: Value = serde_json::from_str(&text).unwrap();
            let records = body[entity.collection].as_array().unwrap().clone();
            let last = match entity.paging {
                Paging::Unpaged { .. } => true,
                Paging::Numbered { size, .. } => records.len() < size as usize,
                _ => records.is_empty(),
            };
            if records.is_empty() && !matches!(entity.paging, Paging::Numbered { .. }) {
                return served;
            }
            served.extend(records.iter().cloned());
            // Stamped with the run; a whole set read to its end is marked, as the engine does.
            let mut text = text;
            xero_sync::xero::Page::mark_run(&mut text, run);
            let whole = matches!(
                entity.paging,
                Paging::Unpaged { .. }
                    | Paging::Numbered {
                        modified_since: false,
                        ..
                    }
            );
            if last && whole {
                xero_sync::xero::Page::mark_complete(&mut text);
            }
            store_text(pool, entity, tenant_id, &text).await;
            if last {
                return served;
            }
            cursor = match entity.paging {
                Paging::Offset { field } => records.last().unwrap()[field].as_i64().unwrap(),
                _ => cursor + 1,
            };
        }
    }

    async fn digest(&self, set: &str) -> Digest {
        let url = format!(
            "{}/sim/digest?tenant_id={}&entity={set}",
            self.sim.origin(),
            self.tenant_id
        );
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn mutate(&self, entity: &str, count: usize) {
        let res = self
            .http
            .post(format!("{}/sim/mutate", self.sim.origin()))
            .json(&json!({ "tenant_id": self.tenant_id, "entity": entity, "count": count }))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "mutate {entity}: {}",
            res.status()
        );
    }
}

/// Every entity and line set digested here equals the simulator's digest of it.
async fn assert_same_as_simulator(pool: &PgPool, sim: &SimClient, tenant_id: Uuid) {
    for entity in registry() {
        let ours = digest(pool, entity, tenant_id).await.unwrap();
        assert!(ours.count > 0, "{} stored nothing", entity.name);
        assert_eq!(ours, sim.digest(entity.name).await, "{}", entity.name);
    }
    for (name, query) in line_digests() {
        let ours = digest_query(pool, query, tenant_id).await.unwrap();
        assert_eq!(ours, sim.digest(name).await, "{name}");
    }
}

#[tokio::test]
async fn pages_served_by_the_simulator_are_stored_exactly_as_it_digests_them() -> anyhow::Result<()>
{
    let db = TestDb::new().await?;
    let sim = SimClient::start().await;
    let connection_id: Uuid = sqlx::query_scalar(
        "INSERT INTO xero.connections (grant_type) VALUES ('client_credentials') \
         RETURNING connection_id",
    )
    .fetch_one(&db.pool)
    .await?;
    sqlx::query(
        "INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name) VALUES ($1, $2, 'Sim')",
    )
    .bind(sim.tenant_id)
    .bind(connection_id)
    .execute(&db.pool)
    .await?;

    for entity in registry() {
        sim.sync(&db.pool, entity, sim.tenant_id).await;
    }
    assert_same_as_simulator(&db.pool, &sim, sim.tenant_id).await;

    // A day of changes: edited invoices get fresh lines, journals are appended. Fetch it all
    // again (a full run over stored rows) and the copy still equals the simulator.
    let lines_before = sim.digest("invoice_line_items").await;
    for entity in [
        "invoices",
        "contacts",
        "accounts",
        "journals",
        "payments",
        "manual_journals",
        "tax_rates",
        "items",
        "users",
        "currencies",
        "tracking_categories",
        "contact_groups",
        "branding_themes",
        "organisation",
        "credit_notes",
        "purchase_orders",
        "overpayments",
        "prepayments",
        "bank_transactions",
        "bank_transfers",
        "batch_payments",
        "repeating_invoices",
        "quotes",
        "linked_transactions",
        "receipts",
        "expense_claims",
    ] {
        sim.mutate(entity, 40).await;
    }
    assert_ne!(
        sim.digest("invoice_line_items").await,
        lines_before,
        "no line was edited"
    );
    for entity in registry() {
        sim.sync(&db.pool, entity, sim.tenant_id).await;
    }
    assert_same_as_simulator(&db.pool, &sim, sim.tenant_id).await;
    Ok(())
}

#[tokio::test]
async fn every_record_the_simulator_sends_reads_back_exactly_as_sent() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let sim = SimClient::start().await;
    let tenant_id = super::pages::tenant(&db.pool).await;
    for entity in registry() {
        let served = sim.sync(&db.pool, entity, tenant_id).await;
        let mut sent: BTreeMap<String, Value> = BTreeMap::new();
        for record in served {
            sent.insert(record[entity.id_field].to_string(), record);
        }
        let stored = as_sent(&db.pool, entity, tenant_id).await;
        assert_eq!(stored.len(), sent.len(), "{}", entity.name);
        for record in stored {
            let id = record[entity.id_field].to_string();
            let expected = sent.get(&id);
            assert_eq!(Some(&record), expected, "{} {id}", entity.name);
        }
    }
    Ok(())
}

/// Every stored record of `entity` put back together as Xero sent it: from its `_as_sent` view
/// where its lines have a table of their own, else its `raw`.
async fn as_sent(pool: &PgPool, entity: &Entity, tenant_id: Uuid) -> Vec<Value> {
    let view = format!("xero.{}_as_sent", entity.name);
    let has_view: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(&view)
        .fetch_one(pool)
        .await
        .unwrap();
    let sql = if has_view {
        format!("SELECT record FROM {view} WHERE tenant_id = $1")
    } else {
        format!("SELECT raw FROM xero.{} WHERE tenant_id = $1", entity.name)
    };
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(tenant_id)
        .fetch_all(pool)
        .await
        .unwrap()
}
