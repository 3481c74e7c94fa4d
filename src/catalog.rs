//! `xero-sync entities`: every entity the binary knows, how it is walked, the scope it needs,
//! whether this deployment syncs it (`SYNC_ENTITIES`), and for each connected organisation
//! whether it may read it.

use std::fmt::Write as _;

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::entity::{Entity, Paging};

/// One entity, as `entities` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct EntityRow {
    /// Wire name (`invoices`).
    pub name: &'static str,
    /// Accounting API path (`Invoices`).
    pub endpoint: &'static str,
    /// How it is walked: `keyset`, `offset`, `unpaged` (with If-Modified-Since), `full
    /// refresh`, `keyset/page` (numbered pages under If-Modified-Since) or `whole/paged` (every
    /// numbered page, every run).
    pub paging: &'static str,
    /// The granular scope (apps created from 2 March 2026).
    pub scope: &'static str,
    /// The broad scope of older apps.
    pub broad_scope: &'static str,
    /// Whether this deployment syncs it (`SYNC_ENTITIES`).
    pub enabled: bool,
    /// Why Xero deprecated it, if it did (off unless `SYNC_ENTITIES` names it).
    pub deprecated: Option<&'static str>,
    /// Each connected organisation's access to it.
    pub tenants: Vec<Access>,
}

/// One organisation's access to one entity.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    /// The organisation.
    pub tenant_id: Uuid,
    /// Its name.
    pub tenant_name: String,
    /// `entitled` (a run read it), `not_entitled` (Xero refused it), `no_scope` (the
    /// connection's token lacks the scope: reconnect) or `unknown` (not synced yet).
    pub state: &'static str,
}

/// (tenant, its name, the connection's granted scopes, entity, the pair's status).
type Pair = (Uuid, String, Option<String>, String, Option<String>);

/// How an entity pages, in a word.
pub fn paging_kind(paging: Paging) -> &'static str {
    match paging {
        Paging::Keyset => "keyset",
        Paging::Offset { .. } => "offset",
        Paging::Unpaged {
            modified_since: true,
        } => "unpaged",
        Paging::Unpaged {
            modified_since: false,
        } => "full refresh",
        Paging::Numbered {
            modified_since: true,
            ..
        } => "keyset/page",
        Paging::Numbered {
            modified_since: false,
            ..
        } => "whole/paged",
    }
}

/// Every registered entity with its state.
pub async fn list(pool: &PgPool, registry: &[Entity]) -> Result<Vec<EntityRow>, sqlx::Error> {
    let enabled: Vec<String> =
        sqlx::query_scalar("SELECT name FROM xero.entities WHERE enabled ORDER BY position")
            .fetch_all(pool)
            .await?;
    let pairs: Vec<Pair> = sqlx::query_as(
        "SELECT t.tenant_id, t.tenant_name, k.scopes, e.name, p.status
           FROM xero.tenants t
           CROSS JOIN xero.entities e
           LEFT JOIN xero.tokens k ON k.connection_id = t.connection_id
           LEFT JOIN xero.sync_progress p ON p.tenant_id = t.tenant_id AND p.entity = e.name
          ORDER BY t.tenant_name, t.tenant_id",
    )
    .fetch_all(pool)
    .await?;
    let rows = registry
        .iter()
        .map(|entity| EntityRow {
            name: entity.name,
            endpoint: entity.endpoint,
            paging: paging_kind(entity.paging),
            scope: entity.scopes.granular,
            broad_scope: entity.scopes.broad,
            enabled: enabled.iter().any(|n| n == entity.name),
            deprecated: entity.deprecated,
            tenants: pairs
                .iter()
                .filter(|p| p.3 == entity.name)
                .map(|(tenant_id, tenant_name, scopes, _, status)| Access {
                    tenant_id: *tenant_id,
                    tenant_name: tenant_name.clone(),
                    state: access(entity, scopes.as_deref(), status.as_deref()),
                })
                .collect(),
        })
        .collect();
    Ok(rows)
}

fn access(entity: &Entity, scopes: Option<&str>, status: Option<&str>) -> &'static str {
    let granted = |scope: &str| {
        scopes.is_some_and(|s| {
            // A write scope (`accounting.invoices`) grants its `.read` too.
            s.split_whitespace()
                .any(|g| g == scope || format!("{g}.read") == scope)
        })
    };
    // A custom connection's token lists no scopes: only Xero's answer tells.
    let scoped = scopes.is_none_or(str::is_empty)
        || granted(entity.scopes.granular)
        || granted(entity.scopes.broad);
    match status {
        Some("not_entitled") => "not_entitled",
        _ if !scoped => "no_scope",
        Some("completed") => "entitled",
        _ => "unknown",
    }
}

/// The table `entities` prints.
pub fn render(rows: &[EntityRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<19} {:<18} {:<13} {:<32} {:<8} organisations",
        "entity", "endpoint", "paging", "scope", "synced"
    );
    for row in rows {
        let tenants: Vec<String> = row
            .tenants
            .iter()
            .map(|a| format!("{}: {}", a.tenant_name, a.state))
            .collect();
        let _ = writeln!(
            out,
            "{:<19} {:<18} {:<13} {:<32} {:<8} {}",
            row.name,
            row.endpoint,
            row.paging,
            row.scope,
            if row.enabled { "yes" } else { "no" },
            if tenants.is_empty() {
                "none connected".to_owned()
            } else {
                tenants.join(", ")
            }
        );
    }
    let deprecated: Vec<&EntityRow> = rows.iter().filter(|r| r.deprecated.is_some()).collect();
    if !deprecated.is_empty() {
        let _ = writeln!(
            out,
            "\ndeprecated at Xero (synced only when SYNC_ENTITIES names them):"
        );
        for row in deprecated {
            let _ = writeln!(
                out,
                "  {}: {}",
                row.name,
                row.deprecated.unwrap_or_default()
            );
        }
    }
    out
}
