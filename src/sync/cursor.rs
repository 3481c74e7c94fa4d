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

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::numbered;
use crate::entity::Paging;
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
    /// The first cursor of a run: `watermark` is the greatest `UpdatedDateUTC` (or for offset
    /// entities the greatest number) a completed run committed, `None` for a full run; an
    /// incremental keyset starts `overlap` before the watermark's second.
    pub fn start(
        paging: Paging,
        watermark: Option<DateTime<Utc>>,
        offset: Option<i64>,
        overlap: TimeDelta,
    ) -> Cursor {
        let since = watermark.map(|w| keyset_since(w, overlap));
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
                query: pages(*page, PAGE_SIZE),
                modified_since: *modified_since,
            },
            Cursor::Dense {
                modified_since,
                next,
                tail,
                ..
            } => {
                let (start, size) = window_request(*next, tail.len());
                let page = u32::try_from(start / u64::from(size) + 1).unwrap_or(u32::MAX);
                Ask {
                    query: pages(page, size),
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
            Cursor::Offset { offset } => match page.max_number {
                // Only an empty page ends a journal run: a short one may have gaps behind it.
                None => Ok(Step::Done),
                Some(max) if max > *offset => Ok(Step::Next(Cursor::Offset { offset: max })),
                Some(max) => Err(Stuck(format!(
                    "offset={offset} was answered with numbers up to {max}: the server does \
                     not honour `offset`"
                ))),
            },
            Cursor::Keyset { modified_since, .. } => {
                Ok(keyset_step(*modified_since, page, overlap))
            }
            Cursor::Dense {
                modified_since,
                next,
                tail,
                restarts,
            } => dense_step(*modified_since, *next, tail, *restarts, page, overlap),
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

fn pages(page: u32, size: u32) -> Vec<(&'static str, String)> {
    vec![("page", page.to_string()), ("pageSize", size.to_string())]
}

fn keyset_step(since: Option<DateTime<Utc>>, page: &Page, overlap: TimeDelta) -> Step {
    if (page.records as u32) < PAGE_SIZE && !page.more() {
        return Step::Done;
    }
    match page_since(page, overlap) {
        Some(next) if Some(next) > since => Step::Next(Cursor::Keyset {
            modified_since: Some(next),
            page: 1,
        }),
        // The whole page lies within the overlap of one second: read the window by position.
        _ => Step::Next(Cursor::Dense {
            modified_since: since,
            next: page.records as u64,
            tail: tail_of(page),
            restarts: 0,
        }),
    }
}

fn dense_step(
    since: Option<DateTime<Utc>>,
    next: u64,
    tail: &[String],
    restarts: u32,
    page: &Page,
    overlap: TimeDelta,
) -> Result<Step, Stuck> {
    let (start, size) = window_request(next, tail.len());
    let continuous = tail.is_empty()
        || page
            .ids
            .first()
            .is_some_and(|first| tail.iter().any(|t| t == first));
    if !continuous {
        if restarts >= MAX_RESTARTS {
            return Err(Stuck(format!(
                "a window of records sharing one second was read {MAX_RESTARTS} times and never \
                 continued where it left off: the server does not honour `page`"
            )));
        }
        return Ok(Step::Next(Cursor::Dense {
            modified_since: since,
            next: 0,
            tail: Vec::new(),
            restarts: restarts + 1,
        }));
    }
    if (page.records as u32) < size && !page.more() {
        return Ok(Step::Done);
    }
    if page.records == 0 {
        return Err(Stuck(
            "an empty page claims more pages follow: the server's pagination is inconsistent"
                .into(),
        ));
    }
    Ok(Step::Next(match page_since(page, overlap) {
        Some(next_since) if Some(next_since) > since => Cursor::Keyset {
            modified_since: Some(next_since),
            page: 1,
        },
        _ => Cursor::Dense {
            modified_since: since,
            next: start + page.records as u64,
            tail: tail_of(page),
            restarts,
        },
    }))
}

/// `If-Modified-Since` for the records after `page`.
pub(super) fn page_since(page: &Page, overlap: TimeDelta) -> Option<DateTime<Utc>> {
    page.max_updated_ms
        .and_then(from_ms)
        .map(|t| keyset_since(t, overlap))
}

fn tail_of(page: &Page) -> Vec<String> {
    let from = page.ids.len().saturating_sub(TAIL);
    page.ids[from..].to_vec()
}

/// Where the next window request starts and its page size: a start at least half the tail
/// before `next` (so the page overlaps what was read by that much, and that many records may
/// leave between two reads without a restart) whose page reaches furthest past `next`.
/// Without a tail, the request starts at `next` itself.
fn window_request(next: u64, tail: usize) -> (u64, u32) {
    if tail == 0 {
        return (next, largest_divisor(next));
    }
    let lowest = next.saturating_sub(tail as u64);
    let highest = next.saturating_sub((tail as u64).div_ceil(2)).max(lowest);
    let mut best = (lowest, largest_divisor(lowest));
    for start in lowest..=highest {
        let size = largest_divisor(start);
        if start + u64::from(size) > best.0 + u64::from(best.1) {
            best = (start, size);
        }
    }
    best
}

/// The largest page size that has a page starting exactly at `start` (`start = (page - 1) ×
/// size`): the largest divisor of `start` up to [`PAGE_SIZE`]; any size for `start = 0`.
fn largest_divisor(start: u64) -> u32 {
    if start == 0 {
        return PAGE_SIZE;
    }
    (1..=PAGE_SIZE)
        .rev()
        .find(|&size| start.is_multiple_of(u64::from(size)))
        .unwrap_or(1)
}

/// `If-Modified-Since` for records from `at` on: down to the second, minus the overlap.
fn keyset_since(at: DateTime<Utc>, overlap: TimeDelta) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::seconds(1)).unwrap_or(at) - overlap
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xero::page::Pagination;

    const OVERLAP: TimeDelta = TimeDelta::seconds(1);

    fn page(records: usize, max_updated_ms: Option<i64>, max_number: Option<i64>) -> Page {
        Page {
            records,
            ids: (0..records).map(|i| format!("id{i}")).collect(),
            max_updated_ms,
            max_number,
            ..Page::default()
        }
    }

    fn with_ids(ids: std::ops::Range<usize>, max_updated_ms: i64) -> Page {
        Page {
            records: ids.len(),
            ids: ids.map(|i| format!("id{i}")).collect(),
            max_updated_ms: Some(max_updated_ms),
            ..Page::default()
        }
    }

    fn at(ms: i64) -> DateTime<Utc> {
        from_ms(ms).expect("valid")
    }

    fn keyset() -> Paging {
        Paging::Keyset
    }

    fn query(c: &Cursor) -> (u64, u64) {
        let q = c.ask().query;
        let get = |k: &str| {
            q.iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| v.parse::<u64>().expect("number"))
                .expect("present")
        };
        (get("page"), get("pageSize"))
    }

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
    fn a_full_page_moves_the_keyset_to_its_greatest_second_and_page_one() {
        let c = Cursor::start(keyset(), None, None, OVERLAP);
        let next = c.advance(&page(1000, Some(20_700), None), OVERLAP);
        assert_eq!(
            next,
            Ok(Step::Next(Cursor::Keyset {
                modified_since: Some(at(19_000)),
                page: 1
            }))
        );
    }

    #[test]
    fn a_full_page_within_one_second_starts_a_dense_window_keeping_its_tail() {
        let c = Cursor::Keyset {
            modified_since: Some(at(19_000)),
            page: 1,
        };
        let Ok(Step::Next(Cursor::Dense {
            modified_since,
            next,
            tail,
            restarts,
        })) = c.advance(&page(1000, Some(20_999), None), OVERLAP)
        else {
            panic!("a dense window")
        };
        assert_eq!(
            (modified_since, next, restarts),
            (Some(at(19_000)), 1000, 0)
        );
        assert_eq!(tail.len(), TAIL);
        assert_eq!(tail.last().map(String::as_str), Some("id999"));
    }

    #[test]
    fn a_window_request_overlaps_the_tail_with_a_page_that_starts_exactly_there() {
        let c = Cursor::Dense {
            modified_since: Some(at(19_000)),
            next: 1000,
            tail: (975..1000).map(|i| format!("id{i}")).collect(),
            restarts: 0,
        };
        let (page, size) = query(&c);
        let start = (page - 1) * size;
        assert!((975..1000).contains(&start), "starts at {start}");
        assert!(
            start + size > 1900,
            "reads far past the tail: {start}+{size}"
        );
    }

    #[test]
    fn largest_divisors_give_pages_that_start_anywhere() {
        assert_eq!(largest_divisor(0), 1000);
        assert_eq!(largest_divisor(1980), 990);
        assert_eq!(largest_divisor(997), 997);
        assert_eq!(largest_divisor(1009), 1);
        for next in [1000_u64, 1990, 2999, 10_007, 48_000] {
            let (start, size) = window_request(next, TAIL);
            let overlap = next - start;
            assert!(
                (TAIL as u64 / 2..=TAIL as u64).contains(&overlap),
                "{next}: {start}"
            );
            assert_eq!(start % u64::from(size), 0);
            assert!(size >= 500, "{next}: size {size}");
        }
    }

    #[test]
    fn a_window_page_that_continues_the_tail_moves_on_and_one_that_does_not_restarts() {
        let since = Some(at(19_000));
        let c = Cursor::Dense {
            modified_since: since,
            next: 1000,
            tail: (975..1000).map(|i| format!("id{i}")).collect(),
            restarts: 0,
        };
        let (page_no, size) = query(&c);
        let start = (page_no - 1) * size;
        // Two records left the window before this read: the page starts two records later.
        let shifted = start as usize + 2;
        let page = with_ids(shifted..shifted + size as usize, 19_999);
        match c.advance(&page, OVERLAP) {
            Ok(Step::Next(Cursor::Dense { next, tail, .. })) => {
                assert_eq!(next, start + size);
                assert_eq!(tail.first(), page.ids.get(size as usize - TAIL));
            }
            other => panic!("continues: {other:?}"),
        }
        // More left than the tail covers: the first record is new, so read the window again.
        let jumped = with_ids(1200..1200 + size as usize, 19_999);
        assert_eq!(
            c.advance(&jumped, OVERLAP),
            Ok(Step::Next(Cursor::Dense {
                modified_since: since,
                next: 0,
                tail: vec![],
                restarts: 1
            }))
        );
    }

    #[test]
    fn a_window_page_reaching_a_later_second_returns_to_the_keyset() {
        let c = Cursor::Dense {
            modified_since: Some(at(19_000)),
            next: 1000,
            tail: (975..1000).map(|i| format!("id{i}")).collect(),
            restarts: 0,
        };
        let (page_no, size) = query(&c);
        let start = ((page_no - 1) * size) as usize;
        let page = with_ids(start..start + size as usize, 25_400);
        assert_eq!(
            c.advance(&page, OVERLAP),
            Ok(Step::Next(Cursor::Keyset {
                modified_since: Some(at(24_000)),
                page: 1
            }))
        );
        let short = with_ids(start..start + 10, 19_999);
        assert_eq!(c.advance(&short, OVERLAP), Ok(Step::Done));
    }

    #[test]
    fn a_server_ignoring_page_is_stopped_after_the_restart_limit() {
        let c = Cursor::Dense {
            modified_since: Some(at(19_000)),
            next: 1000,
            tail: (975..1000).map(|i| format!("id{i}")).collect(),
            restarts: MAX_RESTARTS,
        };
        let same_first_page = with_ids(0..1000, 19_999);
        assert!(c.advance(&same_first_page, OVERLAP).is_err());
    }

    #[test]
    fn a_short_page_ends_a_keyset_run_unless_pagination_says_more_follow() {
        let c = Cursor::start(keyset(), None, None, OVERLAP);
        assert_eq!(
            c.advance(&page(999, Some(5_000), None), OVERLAP),
            Ok(Step::Done)
        );
        assert_eq!(c.advance(&page(0, None, None), OVERLAP), Ok(Step::Done));
        let more = Page {
            pagination: Some(Pagination {
                page: 1,
                page_size: 1000,
                page_count: 2,
                item_count: 1500,
            }),
            ..page(400, Some(5_000), None)
        };
        assert_eq!(
            c.advance(&more, OVERLAP),
            Ok(Step::Next(Cursor::Keyset {
                modified_since: Some(at(4_000)),
                page: 1
            }))
        );
    }

    #[test]
    fn only_an_empty_page_ends_an_offset_run_and_a_page_not_moving_the_offset_is_stuck() {
        let paging = Paging::Offset {
            field: "JournalNumber",
        };
        let c = Cursor::start(paging, None, None, OVERLAP);
        assert_eq!(c.ask().query, vec![("offset", "0".into())]);
        assert_eq!(
            c.advance(&page(3, None, Some(42)), OVERLAP),
            Ok(Step::Next(Cursor::Offset { offset: 42 }))
        );
        assert_eq!(c.advance(&page(0, None, None), OVERLAP), Ok(Step::Done));
        let at_30 = Cursor::Offset { offset: 30 };
        let err = at_30.advance(&page(100, None, Some(30)), OVERLAP);
        assert!(matches!(err, Err(Stuck(m)) if m.contains("offset=30")));
    }

    #[test]
    fn an_offset_run_resumes_from_the_stored_number() {
        let paging = Paging::Offset {
            field: "JournalNumber",
        };
        let c = Cursor::start(paging, None, Some(126_800), OVERLAP);
        assert_eq!(c.ask().query, vec![("offset", "126800".into())]);
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
