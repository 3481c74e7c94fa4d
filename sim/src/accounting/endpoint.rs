//! What an Accounting endpoint is: its name, how it pages, the scopes that reach it and the
//! function rendering its body; and the envelope every body is wrapped in.

use serde::Serialize;
use uuid::Uuid;

use super::paging::Pagination;
use super::query::ListQuery;
use crate::dates::{MsDate, envelope_date, floor_to_second, iso_millis};
use crate::state::TenantData;

/// The envelope's `ProviderName` (Xero puts the app's name there).
pub const PROVIDER_NAME: &str = "xero-sync simulator";

/// How an endpoint pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `page`/`pageSize` with a `pagination` object; without `page`, everything at once.
    Pages,
    /// `offset` (Journals).
    Offset,
    /// `page` alone, a fixed 100 records a page, no `pagination` (Quotes, LinkedTransactions).
    Numbered,
    /// One response with everything (If-Modified-Since still filters).
    Unpaged,
    /// A report as at its `date`: one response, If-Modified-Since ignored (Reports).
    Report,
}

/// Renders an endpoint's response body for one tenant.
pub type Render = fn(&TenantData, &ListQuery, Envelope) -> serde_json::Result<Vec<u8>>;

/// An Accounting endpoint.
#[derive(Debug)]
pub struct Endpoint {
    /// Path (`Invoices`, `Reports/TrialBalance`) and, for a list, its collection key.
    pub name: &'static str,
    /// How it pages.
    pub paging: Paging,
    /// The scopes that let a token read it (any one of them).
    pub scopes: &'static [&'static str],
    /// Its body.
    pub render: Render,
}

impl Endpoint {
    /// The cursor key counted in `/sim/stats`, e.g.
    /// `Invoices?ims=2024-01-02T03:04:05.000Z&page=2&pageSize=1000`, `Journals?offset=300` or
    /// `Reports/TrialBalance?date=2024-03-31` (`date=-`: today).
    pub fn cursor_key(&self, q: &ListQuery) -> String {
        if self.paging == Paging::Report {
            let day = |d: Option<MsDate>| d.map_or_else(|| "-".to_owned(), |d| d.day().to_string());
            let mut key = format!("{}?date={}", self.name, day(q.date));
            if q.from_date.is_some() || q.to_date.is_some() {
                key.push_str(&format!(
                    "&fromDate={}&toDate={}",
                    day(q.from_date),
                    day(q.to_date)
                ));
            }
            return key;
        }
        let ims = q
            .ims_ms
            .map_or_else(|| "-".to_owned(), |ms| iso_millis(floor_to_second(ms)));
        let mut key = match self.paging {
            Paging::Offset => format!("{}?offset={}&ims={ims}", self.name, q.offset),
            _ => format!("{}?ims={ims}", self.name),
        };
        match (self.paging, q.page) {
            (Paging::Pages, Some(page)) => {
                key.push_str(&format!("&page={page}&pageSize={}", q.page_size));
            }
            (Paging::Numbered, Some(page)) => key.push_str(&format!("&page={page}")),
            _ => {}
        }
        if q.include_archived {
            key.push_str("&includeArchived=true");
        }
        if q.summary_only {
            key.push_str("&summaryOnly=true");
        }
        key
    }
}

/// The envelope fields of one response.
#[derive(Debug, Clone, Copy)]
pub struct Envelope {
    /// `Id` (also sent as `Xero-Correlation-Id`).
    pub id: Uuid,
    /// `DateTimeUTC` in epoch ms.
    pub now_ms: i64,
}

impl Envelope {
    /// Writes `{"Id":…,"Status":"OK",…,["pagination":…,]"<key>":[items]}`.
    pub fn write<T: Serialize>(
        self,
        key: &str,
        pagination: Option<Pagination>,
        items: impl Iterator<Item = T>,
        size_hint: usize,
    ) -> serde_json::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(256 + size_hint);
        buf.extend_from_slice(b"{\"Id\":\"");
        buf.extend_from_slice(self.id.hyphenated().to_string().as_bytes());
        buf.extend_from_slice(b"\",\"Status\":\"OK\",\"ProviderName\":");
        serde_json::to_writer(&mut buf, PROVIDER_NAME)?;
        buf.extend_from_slice(b",\"DateTimeUTC\":");
        serde_json::to_writer(&mut buf, &envelope_date(self.now_ms))?;
        if let Some(p) = pagination {
            buf.extend_from_slice(b",\"pagination\":");
            serde_json::to_writer(&mut buf, &p)?;
        }
        buf.extend_from_slice(b",\"");
        buf.extend_from_slice(key.as_bytes());
        buf.extend_from_slice(b"\":[");
        for (i, item) in items.enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            serde_json::to_writer(&mut buf, &item)?;
        }
        buf.extend_from_slice(b"]}");
        Ok(buf)
    }
}
