//! Keyset paging (`If-Modified-Since` and page 1) and the dense windows read by position under
//! one `If-Modified-Since` (see the `cursor` module doc for why this never skips a record).

use chrono::{DateTime, TimeDelta, Utc};

use super::kinds::{Cursor, MAX_RESTARTS, PAGE_SIZE, Step, Stuck, page_since, tail_of};
use crate::xero::Page;

/// The query of page `page` of `size` records.
pub(super) fn pages(page: u32, size: u32) -> Vec<(&'static str, String)> {
    vec![("page", page.to_string()), ("pageSize", size.to_string())]
}

/// A page of [`Cursor::Keyset`]: a short page ends the run; a full one moves the keyset to its
/// greatest second, or starts a dense window when it lies wholly within the overlap.
pub(super) fn keyset_step(since: Option<DateTime<Utc>>, page: &Page, overlap: TimeDelta) -> Step {
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

/// A page of [`Cursor::Dense`]: moves the window on when it continues the tail, reads the
/// window again from its start when it does not.
pub(super) fn dense_step(
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

/// Where the next window request starts and its page size: a start at least half the tail
/// before `next` (so the page overlaps what was read by that much, and that many records may
/// leave between two reads without a restart) whose page reaches furthest past `next`.
/// Without a tail, the request starts at `next` itself.
pub(super) fn window_request(next: u64, tail: usize) -> (u64, u32) {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::kinds::TAIL;
    use super::*;
    use crate::xero::page::Pagination;

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
}
