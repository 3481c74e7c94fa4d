//! The states of a run's cursor, stored as JSON in `xero.sync_log.cursor`, and the helpers
//! every paging rule shares.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::xero::Page;
use crate::xero::dates::from_ms;

/// Records per page asked of paged endpoints (Xero's maximum).
pub const PAGE_SIZE: u32 = 1000;
/// Ids of the end of the last window page kept to check the next page continues it.
pub const TAIL: usize = 25;
/// Window restarts a run tolerates before it decides the server does not page.
pub const MAX_RESTARTS: u32 = 10;

/// Where a run stands; stored as JSON in `xero.sync_log.cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cursor {
    /// One call; `modified_since` on incremental runs.
    Unpaged {
        /// `If-Modified-Since`, if any.
        modified_since: Option<DateTime<Utc>>,
    },
    /// `If-Modified-Since` and page 1.
    Keyset {
        /// `If-Modified-Since`, if any (none on the first request of a full run).
        modified_since: Option<DateTime<Utc>>,
        /// Always 1 today. Runs stored by older versions may hold a later page; they re-read
        /// their dense window from its start (see [`Cursor::normalized`]).
        page: u32,
    },
    /// A dense window under one `If-Modified-Since`, read by position (see the module doc).
    Dense {
        /// `If-Modified-Since` of the window.
        modified_since: Option<DateTime<Utc>>,
        /// Position (under that `If-Modified-Since`) of the first record not yet read.
        next: u64,
        /// Ids of the records just before `next`, oldest first.
        tail: Vec<String>,
        /// Times the window was read again from its start.
        restarts: u32,
    },
    /// `offset` over an ever-growing number.
    Offset {
        /// Records with a number greater than this come next.
        offset: i64,
    },
    /// Numbered pages of a fixed `size` under `If-Modified-Since`: page 1.
    Numbered {
        /// `If-Modified-Since`, if any.
        modified_since: Option<DateTime<Utc>>,
        /// Records per page.
        size: u32,
    },
    /// Numbered pages read by position, each page ahead checked by reading the page before it
    /// again (see the module doc).
    Checked(Walk),
}

/// Where a checked walk of numbered pages stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Walk {
    /// `If-Modified-Since` of the walk, if any.
    pub modified_since: Option<DateTime<Utc>>,
    /// Records per page.
    pub size: u32,
    /// Pages read and checked so far (the next page ahead is `page + 1`).
    pub page: u32,
    /// Ids of page `page` as it was read.
    pub tail: Vec<String>,
    /// The page ahead, once read: the next request reads page `page` again to check it.
    pub ahead: Option<Ahead>,
    /// Times the walk was started again.
    pub restarts: u32,
    /// Whether the walk returns to [`Cursor::Numbered`] once a page reaches a later second
    /// (false for endpoints without `If-Modified-Since`, whose walk covers the whole set).
    pub keyset: bool,
}

/// A page read ahead and not yet checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ahead {
    /// Its ids, in order.
    pub ids: Vec<String>,
    /// How many records it held.
    pub records: u32,
    /// `If-Modified-Since` for what follows it, when it reached past the window's second.
    pub later: Option<DateTime<Utc>>,
}

/// What a page does to the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Ask for more with this cursor.
    Next(Cursor),
    /// The run has everything.
    Done,
}

/// A page that cannot move the run forward: the server ignores the paging it was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Stuck(pub String);

/// The query string and header of the next call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// Query-string parameters.
    pub query: Vec<(&'static str, String)>,
    /// `If-Modified-Since`.
    pub modified_since: Option<DateTime<Utc>>,
}

impl Cursor {
    /// A checked walk of numbered pages from its start.
    pub(super) fn checked(
        modified_since: Option<DateTime<Utc>>,
        size: u32,
        restarts: u32,
        keyset: bool,
    ) -> Cursor {
        Cursor::Checked(Walk {
            modified_since,
            size,
            page: 0,
            tail: Vec::new(),
            ahead: None,
            restarts,
            keyset,
        })
    }
}

/// `If-Modified-Since` for the records after `page`.
pub(super) fn page_since(page: &Page, overlap: TimeDelta) -> Option<DateTime<Utc>> {
    page.max_updated_ms
        .and_then(from_ms)
        .map(|t| keyset_since(t, overlap))
}

/// The ids at the end of `page`, kept to check the next page continues it.
pub(super) fn tail_of(page: &Page) -> Vec<String> {
    let from = page.ids.len().saturating_sub(TAIL);
    page.ids[from..].to_vec()
}

/// `If-Modified-Since` for records from `at` on: down to the second, minus the overlap.
pub(super) fn keyset_since(at: DateTime<Utc>, overlap: TimeDelta) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::seconds(1)).unwrap_or(at) - overlap
}
