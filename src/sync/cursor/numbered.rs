//! The paging rules of numbered pages (`page` alone, a fixed size, no `pagination`: Quotes,
//! LinkedTransactions): the keyset a page at a time, and the checked walk by position that
//! dense windows and endpoints without `If-Modified-Since` need. Pure functions over
//! [`Cursor`]; why the checked walk never skips a record is in the `cursor` module doc.

use chrono::{DateTime, TimeDelta, Utc};

use super::kinds::{Ahead, Cursor, MAX_RESTARTS, Step, Stuck, Walk, page_since};
use crate::xero::Page;

/// A page of [`Cursor::Numbered`]: a short page ends the run; a full one moves the keyset to
/// its greatest second, or, when it lies wholly within the overlap, starts a checked walk of
/// the window.
pub(super) fn numbered_step(
    since: Option<DateTime<Utc>>,
    size: u32,
    page: &Page,
    overlap: TimeDelta,
) -> Step {
    if (page.records as u64) < u64::from(size) && !page.more() {
        return Step::Done;
    }
    match page_since(page, overlap) {
        Some(next) if Some(next) > since => Step::Next(Cursor::Numbered {
            modified_since: Some(next),
            size,
        }),
        _ => Step::Next(Cursor::Checked(Walk {
            modified_since: since,
            size,
            page: 1,
            tail: page.ids.clone(),
            ahead: None,
            restarts: 0,
            keyset: true,
        })),
    }
}

/// A page of a checked walk: either the page ahead (kept until checked) or the check, the
/// page before it read again.
pub(super) fn checked_step(walk: &Walk, read: &Page, overlap: TimeDelta) -> Result<Step, Stuck> {
    let later = page_since(read, overlap).filter(|l| walk.keyset && Some(*l) > walk.modified_since);
    match &walk.ahead {
        None if walk.page > 0 => Ok(Step::Next(Cursor::Checked(Walk {
            ahead: Some(Ahead {
                ids: read.ids.clone(),
                records: u32::try_from(read.records).unwrap_or(u32::MAX),
                later,
            }),
            ..walk.clone()
        }))),
        None => Ok(first_page(walk, read, later)),
        Some(ahead) => check(walk, ahead, read),
    }
}

/// The first page of a walk: nothing before it to check.
fn first_page(walk: &Walk, read: &Page, later: Option<DateTime<Utc>>) -> Step {
    let full = read.records as u64 >= u64::from(walk.size);
    match (full, later) {
        (false, _) => Step::Done,
        (true, Some(later)) => Step::Next(Cursor::Numbered {
            modified_since: Some(later),
            size: walk.size,
        }),
        (true, None) => Step::Next(Cursor::Checked(Walk {
            page: 1,
            tail: read.ids.clone(),
            ..walk.clone()
        })),
    }
}

/// The page before `ahead` read again: when it still starts with a record of its first read,
/// nothing slid past the page ahead and the walk moves on; otherwise it starts again.
fn check(walk: &Walk, ahead: &Ahead, read: &Page) -> Result<Step, Stuck> {
    let size = walk.size;
    let continuous = read
        .ids
        .first()
        .is_some_and(|first| walk.tail.iter().any(|t| t == first));
    if !continuous {
        if walk.restarts >= MAX_RESTARTS {
            return Err(Stuck(format!(
                "page {} read again never continued where it left off ({MAX_RESTARTS} \
                 walks): the server does not honour `page`",
                walk.page
            )));
        }
        return Ok(Step::Next(Cursor::checked(
            walk.modified_since,
            size,
            walk.restarts + 1,
            walk.keyset,
        )));
    }
    Ok(match ahead.later {
        _ if u64::from(ahead.records) < u64::from(size) => Step::Done,
        Some(later) => Step::Next(Cursor::Numbered {
            modified_since: Some(later),
            size,
        }),
        None => Step::Next(Cursor::Checked(Walk {
            page: walk.page + 1,
            tail: ahead.ids.clone(),
            ahead: None,
            ..walk.clone()
        })),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    use super::super::fixtures::{OVERLAP, at};
    use super::super::numbered_server::{SIZE, Server, dense, walk};
    use super::*;
    use crate::entity::Paging;

    /// The first cursor of a run over numbered pages of [`SIZE`].
    fn first(modified_since: bool, watermark: Option<DateTime<Utc>>) -> Cursor {
        let paging = Paging::Numbered {
            size: SIZE,
            modified_since,
        };
        Cursor::start(paging, watermark, None, OVERLAP)
    }

    /// A page of the records `id{n}` for `n` in `ids`.
    fn of(ids: std::ops::Range<usize>) -> Page {
        Page {
            records: ids.len(),
            ids: ids.map(|i| format!("id{i}")).collect(),
            ..Page::default()
        }
    }

    #[test]
    fn numbered_pages_ask_for_page_one_under_the_keyset_and_no_page_size() {
        let c = first(true, Some(at(10_500)));
        let ask = c.ask();
        assert_eq!(ask.query, vec![("page", "1".to_owned())]);
        assert_eq!(ask.modified_since, Some(at(9_000)));
        assert!(!c.whole_set());
    }

    #[test]
    fn a_full_numbered_page_moves_the_keyset_and_a_short_one_ends_the_run() {
        let c = Cursor::Numbered {
            modified_since: None,
            size: SIZE,
        };
        let full = Page {
            max_updated_ms: Some(20_700),
            ..of(0..100)
        };
        assert_eq!(
            c.advance(&full, OVERLAP),
            Ok(Step::Next(Cursor::Numbered {
                modified_since: Some(at(19_000)),
                size: SIZE
            }))
        );
        let short = Page {
            records: 99,
            max_updated_ms: Some(20_700),
            ..Page::default()
        };
        assert_eq!(c.advance(&short, OVERLAP), Ok(Step::Done));
    }

    #[test]
    fn a_page_ahead_is_followed_by_the_page_before_it_and_a_gap_starts_the_walk_again() {
        let tail: Vec<String> = (0..100).map(|i| format!("id{i}")).collect();
        let c = Cursor::Checked(Walk {
            modified_since: None,
            size: SIZE,
            page: 1,
            tail: tail.clone(),
            ahead: None,
            restarts: 0,
            keyset: false,
        });
        assert_eq!(c.ask().query, vec![("page", "2".to_owned())]);
        let ahead = of(100..200);
        let Ok(Step::Next(check)) = c.advance(&ahead, OVERLAP) else {
            panic!("a check follows")
        };
        assert_eq!(check.ask().query, vec![("page", "1".to_owned())]);
        // Two records left page 1: it now starts two later and ends with two of the next.
        let shifted = of(2..102);
        let Ok(Step::Next(on)) = check.advance(&shifted, OVERLAP) else {
            panic!("goes on")
        };
        assert_eq!(on.ask().query, vec![("page", "3".to_owned())]);
        // A whole page left: nothing read links the two reads, so the walk starts again.
        let gone = of(100..200);
        assert_eq!(
            check.advance(&gone, OVERLAP),
            Ok(Step::Next(Cursor::checked(None, SIZE, 1, false)))
        );
    }

    #[test]
    fn a_walk_that_never_continues_is_stopped_after_the_restart_limit() {
        let c = Cursor::Checked(Walk {
            modified_since: None,
            size: SIZE,
            page: 1,
            tail: vec!["a".into()],
            ahead: Some(Ahead {
                ids: vec!["b".into()],
                records: 100,
                later: None,
            }),
            restarts: MAX_RESTARTS,
            keyset: false,
        });
        let unrelated = Page {
            records: 100,
            ids: vec!["z".into()],
            ..Page::default()
        };
        assert!(c.advance(&unrelated, OVERLAP).is_err());
    }

    #[test]
    fn a_dense_window_read_while_its_records_are_edited_misses_none() {
        for seed in 0..40 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let start = dense(1_234, 50_000);
            let mut server = Server::new(start.clone(), 60_000);
            let cursor = first(true, Some(at(50_000)));
            let (seen, calls) = walk(&mut server, cursor, |s| {
                for _ in 0..rng.random_range(0..4) {
                    let n = s.records.len();
                    let i = rng.random_range(0..n);
                    s.edit(i);
                }
            });
            for (_, id) in &start {
                assert!(seen.contains(id), "seed {seed}: {id} skipped");
            }
            assert!(calls <= 2 * 1_234 / 100 + 40, "seed {seed}: {calls} calls");
        }
    }

    #[test]
    fn a_whole_set_walk_meets_every_record_present_throughout_despite_edits_and_deletions() {
        for seed in 0..40 {
            let mut rng = SmallRng::seed_from_u64(seed);
            let start: Vec<(i64, String)> = (0..777)
                .map(|i| (1_000 + i * 13, format!("r{i:05}")))
                .collect();
            let mut server = Server::new(start.clone(), 100_000);
            let mut deleted = HashSet::new();
            // A watermark the walk must ignore: the endpoint takes no If-Modified-Since.
            let cursor = first(false, Some(at(5_000)));
            assert!(cursor.whole_set());
            assert_eq!(cursor.ask().modified_since, None);
            let (seen, calls) = walk(&mut server, cursor, |s| match rng.random_range(0..6) {
                0 | 1 => {
                    let i = rng.random_range(0..s.records.len());
                    s.edit(i);
                }
                2 => {
                    let i = rng.random_range(0..s.records.len());
                    deleted.insert(s.records[i].1.clone());
                    s.delete(i);
                }
                3 => s.create(),
                _ => {}
            });
            for (_, id) in &start {
                assert!(
                    seen.contains(id) || deleted.contains(id),
                    "seed {seed}: {id} skipped"
                );
            }
            assert!(calls <= 2 * 8 + 20, "seed {seed}: {calls} calls");
        }
    }

    #[test]
    fn a_small_whole_set_takes_one_call() {
        let mut server = Server::new(dense(42, 1_000), 10_000);
        let cursor = first(false, None);
        let (seen, calls) = walk(&mut server, cursor, |_| {});
        assert_eq!((seen.len(), calls), (42, 1));
    }

    #[test]
    fn the_checked_walk_without_churn_reads_each_page_twice_but_the_last() {
        let mut server = Server::new(dense(450, 1_000), 10_000);
        let cursor = first(false, None);
        let (seen, calls) = walk(&mut server, cursor, |_| {});
        // Pages 1–5, and pages 1–4 read again as checks.
        assert_eq!((seen.len(), calls), (450, 9));
    }
}
