//! The cursor of a run: what the next Xero call asks for, and how a page moves it on. Pure
//! functions, so every paging rule is tested without Xero or Postgres.
//!
//! Keyset paging never skips a record: each request starts at `If-Modified-Since` = the greatest
//! `UpdatedDateUTC` seen (to the second, minus an overlap of one second) and page 1, so a record
//! edited mid-run — which moves to the end of Xero's `UpdatedDateUTC ASC, ID ASC` order — is met
//! again later instead of shifting another record off a page. Only when a whole page shares one
//! second does the cursor move on by page number.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::entity::Paging;
use crate::xero::Page;
use crate::xero::dates::from_ms;

/// Records per page asked of paged endpoints (Xero's maximum).
pub const PAGE_SIZE: usize = 1000;
/// How far before the last seen second each keyset request starts, in case Xero's filter is
/// exclusive at the boundary. Upserts make the re-read records harmless.
pub const OVERLAP: TimeDelta = TimeDelta::seconds(1);

/// Where a run stands; stored as JSON in `xero.sync_log.cursor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cursor {
    /// One call; `modified_since` on incremental runs.
    Unpaged {
        /// `If-Modified-Since`, if any.
        modified_since: Option<DateTime<Utc>>,
    },
    /// `If-Modified-Since` + page number.
    Keyset {
        /// `If-Modified-Since`, if any (none on the first request of a full run).
        modified_since: Option<DateTime<Utc>>,
        /// 1-based page under that `If-Modified-Since`.
        page: u32,
    },
    /// `offset` over an ever-growing number.
    Offset {
        /// Records with a number greater than this come next.
        offset: i64,
    },
}

/// What a page does to the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Ask for more with this cursor.
    Next(Cursor),
    /// The run has everything.
    Done,
}

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
    /// entities the greatest number) a completed run committed, `None` for a full run.
    pub fn start(paging: Paging, watermark: Option<DateTime<Utc>>, offset: Option<i64>) -> Cursor {
        let since = watermark.map(keyset_since);
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
                query: vec![
                    ("page", page.to_string()),
                    ("pageSize", PAGE_SIZE.to_string()),
                ],
                modified_since: *modified_since,
            },
            Cursor::Offset { offset } => Ask {
                query: vec![("offset", offset.to_string())],
                modified_since: None,
            },
        }
    }

    /// Moves the cursor past `page`.
    pub fn advance(&self, page: &Page) -> Step {
        match self {
            Cursor::Unpaged { .. } => Step::Done,
            Cursor::Offset { offset } => match page.max_number {
                // Only an empty page ends a journal run: a short one may have gaps behind it.
                None => Step::Done,
                Some(max) => Step::Next(Cursor::Offset {
                    offset: max.max(*offset),
                }),
            },
            Cursor::Keyset {
                modified_since,
                page: number,
            } => {
                if page.records < PAGE_SIZE {
                    return Step::Done;
                }
                let next_since = page.max_updated_ms.and_then(from_ms).map(keyset_since);
                match next_since {
                    Some(next) if Some(next) > *modified_since => Step::Next(Cursor::Keyset {
                        modified_since: Some(next),
                        page: 1,
                    }),
                    // The whole page lies within the overlap of one second: page on.
                    _ => Step::Next(Cursor::Keyset {
                        modified_since: *modified_since,
                        page: number + 1,
                    }),
                }
            }
        }
    }
}

/// `If-Modified-Since` for records from `at` on: down to the second, minus the overlap.
fn keyset_since(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::seconds(1)).unwrap_or(at) - OVERLAP
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(records: usize, max_updated_ms: Option<i64>, max_number: Option<i64>) -> Page {
        Page {
            body: String::new(),
            records,
            max_updated_ms,
            max_number,
        }
    }

    fn at(ms: i64) -> DateTime<Utc> {
        from_ms(ms).expect("valid")
    }

    #[test]
    fn a_full_keyset_run_starts_without_if_modified_since_on_page_one() {
        let c = Cursor::start(Paging::Keyset, None, None);
        let ask = c.ask();
        assert_eq!(ask.modified_since, None);
        assert_eq!(
            ask.query,
            vec![("page", "1".into()), ("pageSize", "1000".into())]
        );
    }

    #[test]
    fn an_incremental_run_starts_one_second_before_the_watermark_second() {
        let c = Cursor::start(Paging::Keyset, Some(at(10_500)), None);
        assert_eq!(c.ask().modified_since, Some(at(9_000)));
    }

    #[test]
    fn a_full_page_moves_the_keyset_to_its_greatest_second_and_page_one() {
        let c = Cursor::start(Paging::Keyset, None, None);
        let next = c.advance(&page(PAGE_SIZE, Some(20_700), None));
        assert_eq!(
            next,
            Step::Next(Cursor::Keyset {
                modified_since: Some(at(19_000)),
                page: 1
            })
        );
    }

    #[test]
    fn a_full_page_within_one_second_pages_on_under_the_same_keyset() {
        let c = Cursor::Keyset {
            modified_since: Some(at(19_000)),
            page: 1,
        };
        let next = c.advance(&page(PAGE_SIZE, Some(20_999), None));
        assert_eq!(
            next,
            Step::Next(Cursor::Keyset {
                modified_since: Some(at(19_000)),
                page: 2
            })
        );
    }

    #[test]
    fn a_short_page_ends_a_keyset_run() {
        let c = Cursor::start(Paging::Keyset, None, None);
        assert_eq!(c.advance(&page(999, Some(5_000), None)), Step::Done);
        assert_eq!(c.advance(&page(0, None, None)), Step::Done);
    }

    #[test]
    fn only_an_empty_page_ends_an_offset_run() {
        let c = Cursor::start(
            Paging::Offset {
                field: "JournalNumber",
            },
            None,
            None,
        );
        assert_eq!(c.ask().query, vec![("offset", "0".into())]);
        assert_eq!(
            c.advance(&page(3, None, Some(42))),
            Step::Next(Cursor::Offset { offset: 42 })
        );
        assert_eq!(c.advance(&page(0, None, None)), Step::Done);
    }

    #[test]
    fn an_offset_run_resumes_from_the_stored_number() {
        let c = Cursor::start(
            Paging::Offset {
                field: "JournalNumber",
            },
            None,
            Some(126_800),
        );
        assert_eq!(c.ask().query, vec![("offset", "126800".into())]);
    }

    #[test]
    fn an_unpaged_entity_takes_one_call_with_if_modified_since_only_when_supported() {
        let with = Cursor::start(
            Paging::Unpaged {
                modified_since: true,
            },
            Some(at(5_000)),
            None,
        );
        assert_eq!(with.ask().modified_since, Some(at(4_000)));
        let without = Cursor::start(
            Paging::Unpaged {
                modified_since: false,
            },
            Some(at(5_000)),
            None,
        );
        assert_eq!(without.ask().modified_since, None);
        assert_eq!(with.advance(&page(7, Some(9_000), None)), Step::Done);
    }
}
