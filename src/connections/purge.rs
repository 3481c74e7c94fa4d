//! `disconnect --purge`: a tenant's rows deleted table by table, a batch per transaction, so no
//! table is locked for long; the tenant's own row goes last.

use sqlx::PgPool;
use uuid::Uuid;

/// Rows deleted per statement.
const BATCH: i64 = 5_000;

/// Deletes every row of `tenant_id` and then the tenant; returns the rows deleted.
pub async fn purge_tenant(pool: &PgPool, tenant_id: Uuid) -> Result<u64, sqlx::Error> {
    // Every table that refers to the tenant — by a foreign key, or by a `tenant_id` column
    // alone (the largest tables, which lock the tenant's row per statement instead) — children
    // before their parents (deleting a parent first would cascade its children in the same
    // statement, beyond the batch).
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname)
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND c.oid <> 'xero.tenants'::regclass
            AND (EXISTS (SELECT 1 FROM pg_constraint k
                          WHERE k.contype = 'f' AND k.conrelid = c.oid
                            AND k.confrelid = 'xero.tenants'::regclass)
                 OR (n.nspname = 'xero'
                     AND EXISTS (SELECT 1 FROM pg_attribute a
                                  WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                                    AND NOT a.attisdropped)))
          ORDER BY (SELECT count(*) FROM pg_constraint d
                     WHERE d.contype = 'f' AND d.conrelid = c.oid) DESC, c.relname",
    )
    .fetch_all(pool)
    .await?;
    let mut deleted = 0;
    for table in tables {
        let statement = format!(
            "DELETE FROM {table} WHERE ctid = ANY(ARRAY(
                 SELECT ctid FROM {table} WHERE tenant_id = $1 LIMIT $2))"
        );
        loop {
            let done = sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                .bind(tenant_id)
                .bind(BATCH)
                .execute(pool)
                .await?;
            deleted += done.rows_affected();
            if done.rows_affected() == 0 {
                break;
            }
        }
    }
    sqlx::query("DELETE FROM xero.tenants WHERE tenant_id = $1")
        .bind(tenant_id)
        .execute(pool)
        .await?;
    Ok(deleted)
}
