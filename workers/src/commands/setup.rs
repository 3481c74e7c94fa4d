//! What every command does first: the schema migrated, the entities registered and the
//! deployment's choice of them (`SYNC_ENTITIES`) recorded; the token keys; and the OAuth
//! redirect's listener.

use std::sync::Arc;

use anyhow::Context;
use xero_sync::config::{DbArgs, TokenKeyArgs};
use xero_sync::db;
use xero_sync::seal::Keys;

use crate::registry;

/// The token keys, or the clear refusal of a command that touches tokens without one.
pub fn keys(args: &TokenKeyArgs) -> anyhow::Result<Arc<Keys>> {
    let keys = Keys::from_args(args)?;
    if keys.current_id().is_none() {
        tracing::warn!("tokens are stored in plain text (--allow-plaintext-tokens)");
    }
    Ok(Arc::new(keys))
}

/// Migrates and registers the entities; records `SYNC_ENTITIES` when it is given.
pub async fn prepare(pool: &sqlx::PgPool, db: &DbArgs) -> anyhow::Result<()> {
    db::prepare_target(pool, &db::Target::from_args(db), registry()).await?;
    if let Some(list) = &db.sync_entities {
        let names = chosen_entities(list)?;
        db::choose_entities(pool, &names).await?;
    }
    Ok(())
}

/// The database of a command that only reads (or re-queues) what is there: it must exist and
/// be migrated, and nothing is created or migrated; `SYNC_ENTITIES`, when given, is recorded.
pub async fn open(db: &DbArgs) -> anyhow::Result<sqlx::PgPool> {
    let pool = db::open(&db::Target::from_args(db), 2).await?;
    if let Some(list) = &db.sync_entities {
        let names = chosen_entities(list)?;
        db::choose_entities(&pool, &names).await?;
    }
    Ok(pool)
}

/// The names `SYNC_ENTITIES` lists, each checked against the registry: `all` stands for every
/// entity but the deprecated ones, which are synced only when named (`all, receipts`).
fn chosen_entities(list: &str) -> anyhow::Result<Vec<&'static str>> {
    let known: Vec<&'static str> = registry().iter().map(|e| e.name).collect();
    let mut names: Vec<&'static str> = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let add: Vec<&'static str> = if name == "all" {
            registry()
                .iter()
                .filter(|e| e.deprecated.is_none())
                .map(|e| e.name)
                .collect()
        } else {
            let Some(found) = known.iter().find(|k| **k == name) else {
                anyhow::bail!(
                    "SYNC_ENTITIES names `{name}`, which is not an entity; known: {}, or all",
                    known.join(", ")
                );
            };
            vec![*found]
        };
        for name in add {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    anyhow::ensure!(
        !names.is_empty(),
        "SYNC_ENTITIES is empty; name entities ({}) or all",
        known.join(", ")
    );
    Ok(names)
}

/// The loopback address the redirect URI points at.
pub fn loopback_addr(redirect_uri: &str) -> anyhow::Result<String> {
    let rest = redirect_uri
        .strip_prefix("http://")
        .context("the redirect URI must be http://localhost:PORT/… (a loopback listener)")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let (host, port) = authority
        .rsplit_once(':')
        .context("the redirect URI needs an explicit port")?;
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    Ok(format!("{host}:{port}"))
}
