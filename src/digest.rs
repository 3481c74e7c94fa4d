//! The digest of what Postgres holds for one (tenant, entity), defined exactly as the simulator's
//! `/sim/digest`: the hex SHA-256 of the lines `"{id}|{version}\n"`, one per record, sorted by
//! id in byte order, where id is the lower-case Xero id and version the record's `UpdatedDateUTC`
//! in epoch milliseconds (for offset entities, the number). Equal digests mean Postgres holds
//! every record Xero holds, each at the same version.

use std::fmt::Write as _;

use futures::TryStreamExt as _;
use sha2::{Digest as _, Sha256};
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

use crate::entity::Entity;

/// The digest of a set of records: how many, and the hash of their ids and versions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Digest {
    /// Number of records.
    pub count: u64,
    /// Lower-case hex SHA-256 of the sorted `"{id}|{version}\n"` lines.
    pub digest: String,
}

/// Computes the digest of the records of `entity` stored for `tenant_id`, from the entity's
/// digest query.
pub async fn digest(
    pool: &PgPool,
    entity: &Entity,
    tenant_id: Uuid,
) -> Result<Digest, sqlx::Error> {
    digest_query(pool, entity.digest, tenant_id).await
}

/// Computes the digest of the rows `query` returns for `tenant_id` (`$1`): `(id text, version
/// bigint)`, as [`Entity::digest`]. For sets that are not entities of their own but that the
/// simulator digests too, such as invoice line items.
///
/// The rows are streamed, not collected, so memory stays flat however many records a tenant has.
/// Ordering is imposed here rather than trusted to each query: `COLLATE "C"` sorts by bytes, as
/// the simulator does, whatever the database's collation. A record without a version hashes as
/// `"{id}|\n"`. `query` is `'static`: program text, never built from input.
pub async fn digest_query(
    pool: &PgPool,
    query: &'static str,
    tenant_id: Uuid,
) -> Result<Digest, sqlx::Error> {
    // Newlines around the query: a trailing `--` comment in it must not swallow the parenthesis.
    let sql = format!(
        "SELECT lower(d.id) AS id, d.version FROM (\n{}\n) AS d(id, version) \
         ORDER BY lower(d.id) COLLATE \"C\"",
        query.trim().trim_end_matches(';')
    );
    let mut rows = sqlx::query_as::<_, (String, Option<i64>)>(AssertSqlSafe(sql))
        .bind(tenant_id)
        .fetch(pool);
    let mut hasher = Sha256::new();
    let mut count = 0u64;
    let mut line = String::new();
    while let Some((id, version)) = rows.try_next().await? {
        line.clear();
        // Writing into a String cannot fail.
        let _ = match version {
            Some(version) => writeln!(line, "{id}|{version}"),
            None => writeln!(line, "{id}|"),
        };
        hasher.update(line.as_bytes());
        count += 1;
    }
    Ok(Digest {
        count,
        digest: hex::encode(hasher.finalize()),
    })
}
