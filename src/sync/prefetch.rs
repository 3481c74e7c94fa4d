//! The next batch's calls, made while this batch commits. A worker carrying a run on knows the
//! next batch's cursor before the commit (it comes from the pages, not from the database), so
//! it fetches the next pages concurrently with the transaction that stores these: Xero's
//! answering and Postgres's writing overlap instead of taking turns. The pages are used only
//! by the very batch they were fetched for — same run, next sequence, same cursor — and
//! otherwise dropped, as any uncommitted page is; nothing is written until that batch commits.

use uuid::Uuid;

use super::cursor::Cursor;
use super::engine::Engine;
use super::fetch::{Fetched, fetch};
use super::run::Run;
use super::store::{Prepared, StoreError, prepare_pages};
use crate::entity::Entity;
use crate::vault::AccessToken;

/// Pages fetched ahead for a run's next batch.
#[derive(Debug)]
pub(super) struct Prefetched {
    /// The run.
    pub run_id: Uuid,
    /// The batch they are for (the run's `batches` once the batch before committed).
    pub seq: i32,
    /// The cursor they were fetched from.
    pub cursor: Cursor,
    /// What the calls brought.
    pub fetched: Fetched,
    /// The pages made ready for the entity's statements (none when there are none).
    pub prepared: Option<Result<Prepared, StoreError>>,
}

/// Pages ready for a batch: what the calls brought, and the records made ready to store.
pub(super) type Ready = (Fetched, Option<Result<Prepared, StoreError>>);

impl Prefetched {
    /// The pages, if they are the ones `run`'s next batch needs from `cursor`.
    pub fn take_for(self, run: &Run, cursor: &Cursor) -> Option<Ready> {
        (self.run_id == run.run_id && self.seq == run.batches && self.cursor == *cursor)
            .then_some((self.fetched, self.prepared))
    }
}

/// Fetches batch `seq` of `run` from `cursor`, and makes its records ready to store as soon as
/// they arrive: both while the batch before commits.
pub(super) async fn ahead(
    engine: &Engine,
    entity: &Entity,
    run: &Run,
    seq: i32,
    cursor: Cursor,
    token: AccessToken,
) -> Prefetched {
    let fetched = fetch(engine, entity, run, cursor.clone(), token).await;
    let prepared = (!fetched.pages.is_empty())
        .then(|| prepare_pages(entity, run.run_id, run.tenant_id, &fetched, run.summary));
    Prefetched {
        run_id: run.run_id,
        seq,
        cursor,
        fetched,
        prepared,
    }
}
