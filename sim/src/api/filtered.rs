//! A list request with `where` or `order`: the endpoint's whole selection (under
//! `If-Modified-Since` and its flags) rendered as usual, then filtered, sorted and paged here
//! on the records as Xero's JSON, so every endpoint answers them the same way.

use serde_json::Value;

use crate::accounting::endpoint::{Endpoint, Envelope, Paging};
use crate::accounting::order;
use crate::accounting::paging::Pagination;
use crate::accounting::query::{ListQuery, NUMBERED_PAGE_SIZE};
use crate::state::TenantData;

/// Why `where`/`order` cannot be answered on `endpoint`, if they cannot.
pub fn refused(endpoint: &Endpoint) -> Option<String> {
    match endpoint.paging {
        Paging::Pages | Paging::Unpaged | Paging::Numbered => None,
        Paging::Offset | Paging::Report => Some(format!(
            "`where` and `order` are not supported on {} (by Xero nor the simulator)",
            endpoint.name
        )),
    }
}

/// The body of `endpoint` for `q`, filtered by its `where`, sorted by its `order` and paged.
pub fn render(
    data: &TenantData,
    endpoint: &Endpoint,
    q: &ListQuery,
    env: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let whole = ListQuery {
        page: None,
        short_page: false,
        ..q.clone()
    };
    let body: Value = serde_json::from_slice(&(endpoint.render)(data, &whole, env)?)?;
    let (key, records) = body
        .as_object()
        .and_then(|o| {
            o.iter()
                .find_map(|(k, v)| Some((k.clone(), v.as_array()?.clone())))
        })
        .unwrap_or_default();
    let mut records: Vec<Value> = match &q.filter {
        Some(filter) => records.into_iter().filter(|r| filter.matches(r)).collect(),
        None => records,
    };
    order::sort(&mut records, &q.order);
    let (pagination, size) = match (endpoint.paging, q.page) {
        (Paging::Pages, Some(page)) => {
            let p = Pagination::of(page, q.page_size, records.len());
            (Some(p), q.page_size)
        }
        (Paging::Numbered, Some(_)) => (None, NUMBERED_PAGE_SIZE),
        _ => (None, u32::MAX),
    };
    let skip = (q.page.unwrap_or(1) as usize - 1).saturating_mul(size as usize);
    let page: Vec<&Value> = records.iter().skip(skip).take(size as usize).collect();
    let hint = page.len() * 1000;
    env.write(&key, pagination, page.into_iter(), hint)
}
