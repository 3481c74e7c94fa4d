//! The cursor of a run: what the next Xero call asks for, and how a page moves it on. Pure
//! functions, so every paging rule is tested without Xero or Postgres.
//!
//! **Keyset.** Each request starts at `If-Modified-Since` = the greatest `UpdatedDateUTC` seen
//! (to the second, minus the overlap) and page 1, so a record edited mid-run — which moves to the
//! end of Xero's `UpdatedDateUTC ASC, ID ASC` order — is met again later instead of shifting
//! another record off a page.
//!
//! **Dense windows.** When a whole page lies within the overlap of one second (bulk imports put
//! thousands of records in one second), `If-Modified-Since` cannot move and the window is read
//! by position. Positions only ever shrink while it is read: Xero stamps an edited or new record
//! with its own clock, after everything in the window, so a record can leave the window (edited)
//! but never enter it. Reading by position alone would still skip: a record read on page p and
//! edited before page p+1 is read pulls the first record of page p+1 back onto page p. So every
//! window request starts a few records *before* the end of the previous one (Xero pages are
//! `page × pageSize`, so the start is any number with a divisor up to 1,000 near it), and its
//! first record must be one of the last [`TAIL`] records already read: then nothing between was
//! lost. If it is not, more records left than the overlap covers and the window is read again
//! from its start. Every restart means records left the window, which is finite, so the walk
//! ends; a server that ignores `page` restarts forever and is stopped after [`MAX_RESTARTS`].
//!
//! **Offset.** Journals go by `offset` over `JournalNumber`; only an empty page ends the run (a
//! short one may have gaps behind it), and a page that does not move the offset is an error.
//!
//! **Numbered pages** (Quotes, LinkedTransactions: `page` alone, a fixed size, no
//! `pagination`). Under `If-Modified-Since` they are walked as the keyset above, a page at a
//! time. Where positions must be read instead — a dense window, or the whole set of an endpoint
//! without `If-Modified-Since` — no request can start a few records before the last one read
//! (pages start at multiples of the size), so each page ahead is followed by the page before
//! it read again (`Checked`): records only ever leave positions already read (an edit moves a
//! record to the end of the order, a deletion removes it; new records come last), so the ones
//! that slid back past the page ahead while it was read are exactly the ones now at the end of
//! the page before, and that page still starting with a record of its earlier read proves
//! fewer than a page's worth left. Otherwise the walk starts again. Two calls per page, only
//! where positions are read.

//!
//! Files: `kinds` (the cursor's states, stored as JSON), `keyset` (keyset and dense windows),
//! `offset`, `numbered` (numbered pages and the checked walk); this file starts a cursor, says
//! what it asks for, and hands each page to the rule of its kind.

#[cfg(test)]
mod fixtures;
mod keyset;
mod kinds;
mod numbered;
#[cfg(test)]
mod numbered_server;
mod offset;

use chrono::{DateTime, TimeDelta, Utc};

pub use kinds::{Ahead, Ask, Cursor, MAX_RESTARTS, PAGE_SIZE, Step, Stuck, TAIL, Walk};

use crate::entity::Paging;
use crate::xero::Page;

impl Cursor {
    /// The first cursor of a run: `watermark` is the greatest `UpdatedDateUTC` (or for offset
    /// entities the greatest number) a completed run committed, `None` for a full run; an
    /// incremental keyset starts `overlap` before the watermark's second.
    pub fn start(
        paging: Paging,
        watermark: Option<DateTime<Utc>>,
        offset: Option<i64>,
        overlap: TimeDelta,
    ) -> Cursor {
        let since = watermark.map(|w| kinds::keyset_since(w, overlap));
        match paging {
            Paging::Unpaged { modified_since } => Cursor::Unpaged {
                modified_since: since.filter(|_| modified_since),
            },
            Paging::Keyset => Cursor::Keyset {
                modified_since: since,
                page: 1,
            },
            Paging::Offset { .. } => Cursor::Offset {
                offset: offset.unwrap_or(0),
            },
            Paging::Numbered {
                size,
                modified_since: true,
            } => Cursor::Numbered {
                modified_since: since,
                size,
            },
            Paging::Numbered {
                size,
                modified_since: false,
            } => Cursor::checked(None, size, 0, false),
        }
    }

    /// Whether the run has read Xero's whole set once this cursor is done: an unpaged call
    /// without `If-Modified-Since`, or a checked walk of an endpoint that has none.
    pub fn whole_set(&self) -> bool {
        matches!(
            self,
            Cursor::Unpaged {
                modified_since: None
            } | Cursor::Checked(Walk { keyset: false, .. })
        )
    }

    /// The cursor as this version walks it: a keyset stored mid-window by an older version
    /// (page 2 or later) re-reads its window from the start, with the continuity check.
    pub fn normalized(self) -> Cursor {
        match self {
            Cursor::Keyset {
                modified_since,
                page,
            } if page > 1 => Cursor::Dense {
                modified_since,
                next: 0,
                tail: Vec::new(),
                restarts: 0,
            },
            other => other,
        }
    }

    /// What to ask Xero for.
    pub fn ask(&self) -> Ask {
        match self {
            Cursor::Unpaged { modified_since } => Ask {
                query: vec![],
                modified_since: *modified_since,
            },
            Cursor::Keyset {
                modified_since,
                page,
            } => Ask {
                query: keyset::pages(*page, PAGE_SIZE),
                modified_since: *modified_since,
            },
            Cursor::Dense {
                modified_since,
                next,
                tail,
                ..
            } => {
                let (start, size) = keyset::window_request(*next, tail.len());
                let page = u32::try_from(start / u64::from(size) + 1).unwrap_or(u32::MAX);
                Ask {
                    query: keyset::pages(page, size),
                    modified_since: *modified_since,
                }
            }
            Cursor::Offset { offset } => Ask {
                query: vec![("offset", offset.to_string())],
                modified_since: None,
            },
            Cursor::Numbered { modified_since, .. } => Ask {
                query: vec![("page", "1".to_owned())],
                modified_since: *modified_since,
            },
            Cursor::Checked(walk) => {
                let asked = if walk.ahead.is_some() {
                    walk.page
                } else {
                    walk.page + 1
                };
                Ask {
                    query: vec![("page", asked.to_string())],
                    modified_since: walk.modified_since,
                }
            }
        }
    }

    /// Moves the cursor past `page`.
    pub fn advance(&self, page: &Page, overlap: TimeDelta) -> Result<Step, Stuck> {
        match self {
            Cursor::Unpaged { .. } => Ok(Step::Done),
            Cursor::Offset { offset } => offset::offset_step(*offset, page),
            Cursor::Keyset { modified_since, .. } => {
                Ok(keyset::keyset_step(*modified_since, page, overlap))
            }
            Cursor::Dense {
                modified_since,
                next,
                tail,
                restarts,
            } => keyset::dense_step(*modified_since, *next, tail, *restarts, page, overlap),
            Cursor::Numbered {
                modified_since,
                size,
            } => Ok(numbered::numbered_step(
                *modified_since,
                *size,
                page,
                overlap,
            )),
            Cursor::Checked(walk) => numbered::checked_step(walk, page, overlap),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn a_full_keyset_run_starts_without_if_modified_since_on_page_one() {
        let c = Cursor::start(keyset(), None, None, OVERLAP);
        let ask = c.ask();
        assert_eq!(ask.modified_since, None);
        assert_eq!(
            ask.query,
            vec![("page", "1".into()), ("pageSize", "1000".into())]
        );
    }

    #[test]
    fn an_incremental_run_starts_the_overlap_before_the_watermark_second() {
        let c = Cursor::start(keyset(), Some(at(10_500)), None, OVERLAP);
        assert_eq!(c.ask().modified_since, Some(at(9_000)));
        let wide = Cursor::start(keyset(), Some(at(10_500)), None, TimeDelta::seconds(5));
        assert_eq!(wide.ask().modified_since, Some(at(5_000)));
    }

    #[test]
    fn a_keyset_stored_mid_window_by_an_older_version_rereads_its_window() {
        let old = Cursor::Keyset {
            modified_since: Some(at(1_000)),
            page: 3,
        };
        assert_eq!(
            old.normalized(),
            Cursor::Dense {
                modified_since: Some(at(1_000)),
                next: 0,
                tail: vec![],
                restarts: 0
            }
        );
    }

    #[test]
    fn an_unpaged_entity_takes_one_call_with_if_modified_since_only_when_supported() {
        let with = Cursor::start(
            Paging::Unpaged {
                modified_since: true,
            },
            Some(at(5_000)),
            None,
            OVERLAP,
        );
        assert_eq!(with.ask().modified_since, Some(at(4_000)));
        let without = Cursor::start(
            Paging::Unpaged {
                modified_since: false,
            },
            Some(at(5_000)),
            None,
            OVERLAP,
        );
        assert_eq!(without.ask().modified_since, None);
        assert_eq!(
            with.advance(&page(7, Some(9_000), None), OVERLAP),
            Ok(Step::Done)
        );
    }
}
