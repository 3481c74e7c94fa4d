//! A list request as the endpoints read it ([`ListQuery`]): `If-Modified-Since`, `page`,
//! `pageSize`, `offset` and the flags, parsed once from the query string and header; a report's
//! `date`; and Xero's page sizes.

use std::collections::HashMap;

use uuid::Uuid;

use super::filter::{self, Where};
use super::order::{self, OrderBy};
use crate::dates::{MsDate, parse_if_modified_since, parse_report_date};

/// Xero's default and maximum page sizes.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// The largest page Xero serves; larger requests are clamped.
pub const MAX_PAGE_SIZE: u32 = 1_000;
/// Journals per response.
pub const JOURNALS_PER_CALL: usize = 100;
/// Records a numbered page holds (Quotes, LinkedTransactions).
pub const NUMBERED_PAGE_SIZE: u32 = 100;

/// A parsed list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// `If-Modified-Since` in epoch ms.
    pub ims_ms: Option<i64>,
    /// `page` (1-based), if paging.
    pub page: Option<u32>,
    /// `pageSize`, already clamped to 1..=1000.
    pub page_size: u32,
    /// Journals `offset`.
    pub offset: u64,
    /// `includeArchived=true`.
    pub include_archived: bool,
    /// `includeDeleted=true` (BankTransfers).
    pub include_deleted: bool,
    /// `summaryOnly=true`.
    pub summary_only: bool,
    /// `IDs=a,b,…` (Invoices, Contacts): only these records, whatever their date.
    pub ids: Option<Vec<Uuid>>,
    /// Serve only the first half of the page's records, with the page's full `pagination`
    /// (the `short_page` fault: a page cut short that is not the last one).
    pub short_page: bool,
    /// A report's `date`: the day it is as at (`None`: today, by the simulator clock).
    pub date: Option<MsDate>,
    /// A report's `fromDate` and `toDate`: the days its period starts and ends (inclusive).
    pub from_date: Option<MsDate>,
    /// See `from_date`.
    pub to_date: Option<MsDate>,
    /// `where`, parsed.
    pub filter: Option<Where>,
    /// `order`, parsed (empty: the default order).
    pub order: Vec<OrderBy>,
}

impl ListQuery {
    /// Whether `where` or `order` was sent.
    pub fn filters(&self) -> bool {
        self.filter.is_some() || !self.order.is_empty()
    }
}

/// A query parameter, its name case-insensitive as Xero's.
fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// A report's day parameter (`date`, `fromDate`, `toDate`: `2019-10-31`), if sent and not
/// empty. Only the reports read them, so a list endpoint ignores a `date` it does not take, as
/// Xero ignores unknown parameters.
pub fn report_day(params: &HashMap<String, String>, name: &str) -> Result<Option<MsDate>, String> {
    match param(params, name).filter(|d| !d.is_empty()) {
        Some(raw) => parse_report_date(raw)
            .map(Some)
            .ok_or_else(|| format!("{name} '{raw}' is not a valid date (use yyyy-mm-dd)")),
        None => Ok(None),
    }
}

/// Reads `If-Modified-Since` (the header's value, if sent), `page`, `pageSize`, `offset`,
/// `includeArchived`, `includeDeleted`, `summaryOnly`, `IDs`, `where` and `order` (query names
/// case-insensitive, as Xero's).
pub fn parse(
    params: &HashMap<String, String>,
    if_modified_since: Option<&str>,
) -> Result<ListQuery, String> {
    let get = |name: &str| param(params, name);
    let ims_ms = match if_modified_since {
        Some(raw) => Some(parse_if_modified_since(raw).map_err(|e| e.to_string())?),
        None => None,
    };
    let page = match get("page").filter(|p| !p.is_empty()) {
        Some(p) => Some(
            p.parse::<i64>()
                .map_err(|_| format!("'{p}' is not a valid page number"))?
                .clamp(1, i64::from(u32::MAX)) as u32,
        ),
        None => None,
    };
    // Out-of-range page sizes are clamped to the nearest supported size, as Xero documents.
    let page_size = get("pageSize")
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(DEFAULT_PAGE_SIZE, |s| {
            s.clamp(1, i64::from(MAX_PAGE_SIZE)) as u32
        });
    let offset = get("offset")
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(0, |o| o.max(0).unsigned_abs());
    let flag = |name: &str| get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let ids = match get("IDs").filter(|v| !v.is_empty()) {
        Some(list) => Some(
            list.split(',')
                .map(|id| {
                    Uuid::parse_str(id.trim()).map_err(|_| format!("'{id}' is not a valid GUID"))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let filter = match get("where").filter(|w| !w.is_empty()) {
        Some(raw) => Some(filter::parse_where(raw)?),
        None => None,
    };
    let order = match get("order").filter(|o| !o.is_empty()) {
        Some(raw) => order::parse_order(raw)?,
        None => Vec::new(),
    };
    Ok(ListQuery {
        ims_ms,
        page,
        page_size,
        offset,
        include_archived: flag("includeArchived"),
        include_deleted: flag("includeDeleted"),
        summary_only: flag("summaryOnly"),
        ids,
        filter,
        order,
        ..ListQuery::default()
    })
}
