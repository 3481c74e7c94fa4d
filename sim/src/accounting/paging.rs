//! Paging as Xero does it: a selection in default order (`UpdatedDateUTC`, then id) under
//! `If-Modified-Since`, cut into pages of `pageSize` with the `pagination` object; unpaged
//! requests get the whole selection.

use serde::Serialize;
use uuid::Uuid;

use super::query::ListQuery;
use crate::dates::floor_to_second;
use crate::store::{Keyed, Table};

/// The `pagination` object.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    /// The page served (1-based).
    page: u32,
    /// Records a page holds.
    page_size: u32,
    /// Pages the whole selection fills.
    page_count: u32,
    /// Records in the whole selection.
    item_count: usize,
}

impl Pagination {
    /// Page `page` of `page_size` records out of `item_count`.
    pub fn of(page: u32, page_size: u32, item_count: usize) -> Pagination {
        let size = page_size.max(1) as usize;
        Pagination {
            page,
            page_size,
            page_count: u32::try_from(item_count.div_ceil(size)).unwrap_or(u32::MAX),
            item_count,
        }
    }
}

/// The position in the table of the first record a paged request answers (what the
/// `edit_served` fault edits after serving it).
pub fn first_served<T: Keyed>(table: &Table<T>, q: &ListQuery) -> Option<usize> {
    let skip = (q.page.unwrap_or(1) as usize - 1).saturating_mul(q.page_size as usize);
    table.since(q.ims_ms).get(skip).map(|&(_, _, i)| i)
}

/// The records of a paged (or unpaged) request in default order, and the `pagination` object
/// when paging. `keep` filters (e.g. archived contacts); without it, counting is O(log n).
pub fn select<'a, T: Keyed>(
    table: &'a Table<T>,
    q: &ListQuery,
    keep: Option<&dyn Fn(&T) -> bool>,
) -> (Option<Pagination>, Vec<&'a T>) {
    let matching = table.since(q.ims_ms);
    let rows = matching.iter().map(|&(_, _, i)| table.row(i));
    let Some(page) = q.page else {
        let all = match keep {
            Some(keep) => rows.filter(|r| keep(r)).collect(),
            None => rows.collect(),
        };
        return (None, all);
    };
    let size = q.page_size as usize;
    let skip = (page as usize - 1).saturating_mul(size);
    let (item_count, mut items): (usize, Vec<&T>) = match keep {
        None => (matching.len(), rows.skip(skip).take(size).collect()),
        Some(keep) => {
            let kept: Vec<&T> = rows.filter(|r| keep(r)).collect();
            (kept.len(), kept.into_iter().skip(skip).take(size).collect())
        }
    };
    if q.short_page {
        items.truncate(items.len() / 2);
    }
    let pagination = Pagination {
        page,
        page_size: q.page_size,
        page_count: u32::try_from(item_count.div_ceil(size)).unwrap_or(u32::MAX),
        item_count,
    };
    (Some(pagination), items)
}

/// A page of records already in default order (`(UpdatedDateUTC ms, id, record)`), with
/// `If-Modified-Since` applied as [`Table::since`] does.
pub fn page_of<T>(rows: Vec<(i64, Uuid, T)>, q: &ListQuery) -> (Option<Pagination>, Vec<T>) {
    let from = q.ims_ms.map(floor_to_second);
    let matching = rows
        .into_iter()
        .filter(|(ms, _, _)| from.is_none_or(|from| floor_to_second(*ms) >= from))
        .map(|(_, _, r)| r);
    let Some(page) = q.page else {
        return (None, matching.collect());
    };
    let all: Vec<T> = matching.collect();
    let size = q.page_size as usize;
    let item_count = all.len();
    let skip = (page as usize - 1).saturating_mul(size);
    let mut items: Vec<T> = all.into_iter().skip(skip).take(size).collect();
    if q.short_page {
        items.truncate(items.len() / 2);
    }
    let pagination = Pagination {
        page,
        page_size: q.page_size,
        page_count: u32::try_from(item_count.div_ceil(size)).unwrap_or(u32::MAX),
        item_count,
    };
    (Some(pagination), items)
}
