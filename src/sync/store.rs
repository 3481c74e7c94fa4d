//! Storing a batch's records: an entity's statements run over the batch's body, or over the
//! typed arrays its encoder made of it (see [`Store`]). The one path every writer takes — a
//! batch, a webhook's fetch by id, the tests and the benchmarks — so what they store is what a
//! sync stores.

use serde_json::value::RawValue;
use sqlx::PgConnection;
use sqlx::postgres::PgArguments;
use tracing::Instrument;
use uuid::Uuid;

use super::cursor::Cursor;
use super::fetch::Fetched;
use crate::entity::{Entity, Store};
use crate::xero::Page;

/// Why records could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A record the entity's encoder cannot read: storing it again would fail the same way.
    #[error("Xero sent {entity} records this version cannot store: {why}")]
    Undecodable {
        /// The entity's name.
        entity: &'static str,
        /// Which record, and what is wrong with it.
        why: String,
    },
    /// The database refused a statement.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// A batch made ready to store: done before the transaction opens (for a carried run, while
/// the batch before commits), so decoding takes no time inside it.
pub struct Prepared {
    statements: &'static [&'static str],
    arguments: Arguments,
}

enum Arguments {
    /// `$1` the tenant, `$2` the body, for every statement. Sent as `jsonb`: Postgres parses it
    /// once per statement, where a text parameter was parsed again at every `$2::jsonb` in
    /// the statement (twice or three times in some).
    Body(Uuid, Box<RawValue>),
    /// Each statement's own arguments.
    Columns(Vec<PgArguments>),
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.arguments {
            Arguments::Body(..) => "body",
            Arguments::Columns(_) => "columns",
        };
        write!(f, "Prepared({} statements, {kind})", self.statements.len())
    }
}

/// Readies `body` (a batch's records, as [`Entity`] describes it) for `entity`'s statements.
pub fn prepare(entity: &Entity, tenant_id: Uuid, body: String) -> Result<Prepared, StoreError> {
    let arguments = match entity.store {
        Store::Json(_) => {
            let body = RawValue::from_string(body).map_err(|e| StoreError::Undecodable {
                entity: entity.name,
                why: format!("a batch that is not JSON: {e}"),
            })?;
            Arguments::Body(tenant_id, body)
        }
        Store::Columns { statements, encode } => {
            let encoded = encode(tenant_id, &body).map_err(|why| StoreError::Undecodable {
                entity: entity.name,
                why,
            })?;
            if encoded.len() != statements.len() {
                return Err(StoreError::Undecodable {
                    entity: entity.name,
                    why: format!(
                        "the encoder gave {} argument sets for {} statements",
                        encoded.len(),
                        statements.len()
                    ),
                });
            }
            Arguments::Columns(encoded)
        }
    };
    Ok(Prepared {
        statements: entity.store.statements(),
        arguments,
    })
}

/// The pages of a batch of run `run_id` made ready for the entity's statements: one body,
/// marked with the run (and as summaries, or as the end of a whole set). One statement per
/// table for the whole batch, not per page: a tenth of the round trips, each carrying a large
/// parameter.
pub(super) fn prepare_pages(
    entity: &Entity,
    run_id: Uuid,
    tenant_id: Uuid,
    fetched: &Fetched,
    summary: bool,
) -> Result<Prepared, StoreError> {
    let mut body = Page::combined(&fetched.pages, entity.collection);
    Page::mark_run(&mut body, run_id);
    if summary {
        Page::mark_summary(&mut body);
    }
    // The run has read the whole set: say so, so that the entity's statements may mirror
    // removals (what is stored and was not met in this run is gone in Xero).
    if fetched.done && fetched.cursor.whole_set() {
        Page::mark_complete(&mut body);
    }
    // An offset walk met every record numbered after where the batch started, up to its last
    // page's greatest number (or, at the run's end, every one after that): say so, so that the
    // entity's statements may mark what they store in that range and was not met as removed.
    if let (Cursor::Offset { offset: after }, Cursor::Offset { offset: through }) =
        (&fetched.from, &fetched.cursor)
    {
        Page::mark_numbers(&mut body, *after, (!fetched.done).then_some(*through));
    }
    prepare(entity, tenant_id, body)
}

/// Runs the prepared statements, in order, each in its span, on `tx` (the caller's
/// transaction).
pub async fn execute(tx: &mut PgConnection, prepared: Prepared) -> Result<(), sqlx::Error> {
    let Prepared {
        statements,
        arguments,
        ..
    } = prepared;
    // Planned for their own parameters, always: after five runs Postgres may switch a prepared
    // statement to a generic plan, which for these (a whole batch as one parameter) was
    // measured six times slower once table statistics went stale. Only here: re-planning every
    // small statement of the engine on every run was a good part of Postgres's time with
    // hundreds of organisations, so the setting goes back to the configured one once they have
    // run (set for the transaction, it would otherwise hold for the statements that follow
    // them: the cursor, the next job, the completion).
    sqlx::query("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
        .execute(&mut *tx)
        .await?;
    match arguments {
        Arguments::Body(tenant_id, body) => {
            for statement in statements {
                let query = sqlx::query(*statement)
                    .bind(tenant_id)
                    .bind(sqlx::types::Json(&*body));
                run(tx, statement, query).await?;
            }
        }
        Arguments::Columns(each) => {
            for (statement, arguments) in statements.iter().zip(each) {
                run(tx, statement, sqlx::query_with(*statement, arguments)).await?;
            }
        }
    }
    sqlx::query("SET LOCAL plan_cache_mode TO DEFAULT")
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Prepares and runs in one: what a writer outside a batch (a webhook's fetch by id, a test)
/// calls with its transaction.
pub async fn store(
    tx: &mut PgConnection,
    entity: &Entity,
    tenant_id: Uuid,
    body: &str,
) -> Result<(), StoreError> {
    let prepared = prepare(entity, tenant_id, body.to_owned())?;
    Ok(execute(tx, prepared).await?)
}

/// Runs one statement in its span, which records the rows it wrote.
async fn run(
    tx: &mut PgConnection,
    statement: &str,
    query: sqlx::query::Query<'_, sqlx::Postgres, PgArguments>,
) -> Result<(), sqlx::Error> {
    let table = target_table(statement);
    let span = tracing::info_span!(
        "db.upsert",
        otel.name = format!("upsert {table}"),
        db.system.name = "postgresql",
        db.operation.name = "INSERT",
        db.collection.name = table.as_str(),
        db.response.returned_rows = tracing::field::Empty,
    );
    let done = query.execute(&mut *tx).instrument(span.clone()).await?;
    span.record("db.response.returned_rows", done.rows_affected());
    Ok(())
}

/// The table an entity's statement writes (`xero.invoices`), for its span: the first
/// `INSERT INTO` or `UPDATE` target, else the table a `SELECT xero.store_document_headers('…'`
/// or `xero.store_document_lines('…'` call writes.
pub(super) fn target_table(statement: &str) -> String {
    let named = ["INSERT INTO ", "UPDATE "].iter().find_map(|verb| {
        let (_, rest) = statement.split_once(verb)?;
        let table = rest.split_whitespace().next()?.trim_end_matches('(');
        table.starts_with("xero.").then(|| table.to_owned())
    });
    let document = |call: &str, suffix: &str| {
        let (_, rest) = statement.split_once(call)?;
        Some(format!("xero.{}{suffix}", rest.split('\'').next()?))
    };
    named
        .or_else(|| document("store_document_headers('", ""))
        .or_else(|| document("store_document_lines('", "_line_items"))
        .unwrap_or_else(|| "?".to_owned())
}
