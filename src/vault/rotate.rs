//! Sealing every stored token again under the current key (`xero-sync keys rotate`), and
//! sealing tokens stored in plain text (by `migrate`, after an upgrade from a version that did
//! not seal them). Both go through `xero.tokens` a batch at a time, each batch one transaction
//! holding its rows `FOR UPDATE`: a worker refreshing a token holds the same lock, so a refresh
//! and a re-seal of one row take turns and neither overwrites the other.

use sqlx::PgPool;
use uuid::Uuid;

use crate::seal::{Field, Keys};

/// What a pass over the tokens did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rotated {
    /// Connections whose tokens were sealed again.
    pub resealed: u64,
    /// Connections whose tokens needed nothing.
    pub current: u64,
    /// Connections whose tokens could not be opened, and why.
    pub failed: Vec<(Uuid, String)>,
}

/// Rows of one batch.
const BATCH: i64 = 200;

/// Seals every token not sealed under the current key — plain text and retired keys alike.
pub async fn rotate(pool: &PgPool, keys: &Keys) -> Result<Rotated, sqlx::Error> {
    reseal(pool, keys, |stored| keys.is_current(stored)).await
}

/// Seals the tokens stored in plain text, when a key seals; leaves sealed ones alone.
pub async fn seal_plaintext(pool: &PgPool, keys: &Keys) -> Result<Rotated, sqlx::Error> {
    if keys.current_id().is_none() {
        return Ok(Rotated::default());
    }
    reseal(pool, keys, |stored| stored.starts_with("xs1:")).await
}

/// A stored row of `xero.tokens`.
type Stored = (Uuid, String, Option<String>);

async fn reseal(
    pool: &PgPool,
    keys: &Keys,
    done: impl Fn(&str) -> bool,
) -> Result<Rotated, sqlx::Error> {
    let mut rotated = Rotated::default();
    let mut after = Uuid::nil();
    loop {
        let mut tx = pool.begin().await?;
        let rows: Vec<Stored> = sqlx::query_as(
            "SELECT connection_id, access_token, refresh_token FROM xero.tokens
              WHERE connection_id > $1 ORDER BY connection_id LIMIT $2 FOR UPDATE",
        )
        .bind(after)
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(rotated);
        };
        for (id, access, refresh) in rows {
            if done(&access) && refresh.as_deref().is_none_or(&done) {
                rotated.current += 1;
                continue;
            }
            match sealed_again(keys, id, &access, refresh.as_deref()) {
                Ok((access, refresh)) => {
                    sqlx::query(
                        "UPDATE xero.tokens SET access_token = $2, refresh_token = $3
                          WHERE connection_id = $1",
                    )
                    .bind(id)
                    .bind(access)
                    .bind(refresh)
                    .execute(&mut *tx)
                    .await?;
                    rotated.resealed += 1;
                }
                Err(why) => rotated.failed.push((id, why)),
            }
        }
        tx.commit().await?;
        after = last;
    }
}

/// Both tokens of a connection opened and sealed under the current key.
fn sealed_again(
    keys: &Keys,
    id: Uuid,
    access: &str,
    refresh: Option<&str>,
) -> Result<(String, Option<String>), String> {
    let access = keys
        .open(id, Field::Access, access)
        .map_err(|e| e.to_string())?;
    let refresh = refresh
        .map(|r| keys.open(id, Field::Refresh, r))
        .transpose()
        .map_err(|e| e.to_string())?;
    Ok((
        keys.seal(id, Field::Access, access.expose()),
        refresh.map(|r| keys.seal(id, Field::Refresh, r.expose())),
    ))
}
