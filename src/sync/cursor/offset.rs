//! Offset paging: Journals by `offset` over `JournalNumber`. Only an empty page ends the run (a
//! short one may have gaps behind it), and a page that does not move the offset is an error.

use super::kinds::{Cursor, Step, Stuck};
use crate::xero::Page;

/// A page of [`Cursor::Offset`] at `offset`.
pub(super) fn offset_step(offset: i64, page: &Page) -> Result<Step, Stuck> {
    match page.max_number {
        // Only an empty page ends a journal run: a short one may have gaps behind it.
        None => Ok(Step::Done),
        Some(max) if max > offset => Ok(Step::Next(Cursor::Offset { offset: max })),
        Some(max) => Err(Stuck(format!(
            "offset={offset} was answered with numbers up to {max}: the server does not \
             honour `offset`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::entity::Paging;

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
}
