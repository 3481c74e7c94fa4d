//! Counters behind `GET /sim/stats`: what a test asserts after a sync (nothing fetched twice,
//! no limit crossed, how many tokens were granted).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Default)]
struct Counters {
    requests: BTreeMap<String, BTreeMap<u16, u64>>,
    rate_limited: BTreeMap<&'static str, u64>,
    rate_limited_tenants: BTreeMap<Uuid, u64>,
    max_concurrent: BTreeMap<Uuid, u32>,
    app_windows: BTreeMap<i64, BTreeMap<Uuid, u64>>,
    served: BTreeMap<(String, Uuid, String), u64>,
    token_grants: BTreeMap<String, u64>,
    invalid_grant: u64,
    if_modified_since: std::collections::BTreeSet<String>,
    egress: BTreeMap<Uuid, Egress>,
}

/// Bytes of Accounting responses sent to one tenant.
#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Egress {
    responses: u64,
    wire_bytes: u64,
    decoded_bytes: u64,
}

/// Distinct `If-Modified-Since` values kept for `/sim/stats` (enough to check their format).
const IMS_KEPT: usize = 1_000;

/// The app's minute windows whose calls `/sim/stats` lists (the latest; a simulator serving for
/// days keeps no more).
const APP_WINDOWS_KEPT: usize = 120;

/// One entry of `served`: how often a (endpoint, tenant, cursor) was answered in full.
#[derive(Debug, Serialize)]
struct Served<'a> {
    endpoint: &'a str,
    tenant_id: Uuid,
    cursor: &'a str,
    count: u64,
}

/// Request counters, safe to share between handlers.
#[derive(Debug, Default)]
pub struct Stats {
    counters: Mutex<Counters>,
}

impl Stats {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a response by endpoint and status.
    pub fn request(&self, endpoint: &str, status: u16) {
        let mut c = self.lock();
        *c.requests
            .entry(endpoint.to_owned())
            .or_default()
            .entry(status)
            .or_default() += 1;
    }

    /// Counts a 429 by its `X-Rate-Limit-Problem`, and for the tenant it refused.
    pub fn rate_limited(&self, tenant: Uuid, problem: &'static str) {
        let mut c = self.lock();
        *c.rate_limited.entry(problem).or_default() += 1;
        *c.rate_limited_tenants.entry(tenant).or_default() += 1;
    }

    /// Counts a call admitted for `tenant` in the app's minute window that began at `window_ms`.
    pub fn admitted(&self, tenant: Uuid, window_ms: i64) {
        let mut c = self.lock();
        *c.app_windows
            .entry(window_ms)
            .or_default()
            .entry(tenant)
            .or_default() += 1;
        while c.app_windows.len() > APP_WINDOWS_KEPT {
            c.app_windows.pop_first();
        }
    }

    /// Records how many calls a tenant had in flight.
    pub fn in_flight(&self, tenant: Uuid, n: u32) {
        let mut c = self.lock();
        let max = c.max_concurrent.entry(tenant).or_default();
        *max = (*max).max(n);
    }

    /// Counts a complete, successful answer for a cursor key such as
    /// `Invoices?ims=2024-01-02T03:04:05Z&page=2&pageSize=1000` or `Journals?offset=300`.
    pub fn served(&self, endpoint: &str, tenant: Uuid, cursor: String) {
        *self
            .lock()
            .served
            .entry((endpoint.to_owned(), tenant, cursor))
            .or_default() += 1;
    }

    /// Meters one response body sent for `tenant`: on the wire and before compression.
    pub fn egress(&self, tenant: Uuid, wire: u64, decoded: u64) {
        let mut c = self.lock();
        let e = c.egress.entry(tenant).or_default();
        e.responses += 1;
        e.wire_bytes += wire;
        e.decoded_bytes += decoded;
    }

    /// Keeps an `If-Modified-Since` header value as sent (the first thousand distinct ones).
    pub fn if_modified_since(&self, raw: &str) {
        let mut c = self.lock();
        if c.if_modified_since.len() < IMS_KEPT {
            c.if_modified_since.insert(raw.to_owned());
        }
    }

    /// Counts a token granted, by grant type.
    pub fn token_granted(&self, grant_type: &str) {
        *self
            .lock()
            .token_grants
            .entry(grant_type.to_owned())
            .or_default() += 1;
    }

    /// Counts an `invalid_grant` answer.
    pub fn invalid_grant(&self) {
        self.lock().invalid_grant += 1;
    }

    /// Clears every counter.
    pub fn reset(&self) {
        *self.lock() = Counters::default();
    }

    /// The `/sim/stats` document.
    pub fn snapshot(&self) -> Value {
        let c = self.lock();
        let requests: BTreeMap<&str, BTreeMap<String, u64>> = c
            .requests
            .iter()
            .map(|(e, by)| {
                (
                    e.as_str(),
                    by.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
                )
            })
            .collect();
        let total: u64 = c.requests.values().flat_map(|by| by.values()).sum();
        let served: Vec<Served<'_>> = c
            .served
            .iter()
            .map(|((endpoint, tenant_id, cursor), count)| Served {
                endpoint,
                tenant_id: *tenant_id,
                cursor,
                count: *count,
            })
            .collect();
        let app_windows: Vec<Value> = c
            .app_windows
            .iter()
            .map(|(start, by)| {
                json!({
                    "start_ms": start,
                    "calls": by.values().sum::<u64>(),
                    "by_tenant": by,
                })
            })
            .collect();
        json!({
            "total_requests": total,
            "requests": requests,
            "rate_limited": c.rate_limited,
            "rate_limited_tenants": c.rate_limited_tenants,
            "max_concurrent": c.max_concurrent,
            "app_windows": app_windows,
            "served": served,
            "token_grants": c.token_grants,
            "invalid_grant": c.invalid_grant,
            "if_modified_since": c.if_modified_since,
            "egress": c.egress,
        })
    }
}
