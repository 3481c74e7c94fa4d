//! The next batch's calls, made while this batch commits. A worker carrying a run on knows the
//! next batch's cursor before the commit (it comes from the pages, not from the database), so
//! it fetches the next pages concurrently with the transaction that stores these: Xero's
//! answering and Postgres's writing overlap instead of taking turns. The pages are used only
//! by the very batch they were fetched for — same run, next sequence, same cursor — and
//! otherwise dropped, as any uncommitted page is; nothing is written until that batch commits.

use uuid::Uuid;

use super::cursor::Cursor;
use super::fetch::Fetched;
use super::run::Run;

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
}

impl Prefetched {
    /// The pages, if they are the ones `run`'s next batch needs from `cursor`.
    pub fn take_for(self, run: &Run, cursor: &Cursor) -> Option<Fetched> {
        (self.run_id == run.run_id && self.seq == run.batches && self.cursor == *cursor)
            .then_some(self.fetched)
    }
}
