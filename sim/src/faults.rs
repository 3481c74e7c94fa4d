//! Faults on demand: scripted through `POST /sim/faults` ("fail the next 3 requests to
//! /Invoices") or at random by `--fault-rate`. They apply to Accounting calls only, after the
//! call has been counted against the rate limits (Xero counts a call that then fails).
//!
//! Kinds: `status_500` (an unhandled error), `offline_503` ("The Organisation is offline"),
//! `rate_limit_429` (a minute-limit 429 with `Retry-After`), `slow` (the response is held for
//! `delay_ms`, long enough to pass a client's timeout, while the call stays in flight), and
//! `truncate` (status 200 and a JSON content type, but only the first half of the body: the
//! `Content-Length` matches what is sent, so the client sees invalid JSON rather than a transport
//! error), `edit_served` (the first record served is edited right after the answer),
//! `ignore_paging` (paging parameters ignored) and `short_page` (half a page, full pagination).

use std::sync::Mutex;

use rand::Rng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Default hold of a `slow` fault: longer than any sensible client timeout in tests.
pub const DEFAULT_SLOW_MS: u64 = 30_000;

/// How many faults that hit a call are remembered for `GET /sim/faults`.
pub const TAKEN_KEPT: usize = 10_000;

/// What goes wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum FaultKind {
    /// HTTP 500.
    #[serde(rename = "status_500")]
    Status500,
    /// HTTP 503 "The Organisation is offline".
    #[serde(rename = "offline_503")]
    Offline503,
    /// HTTP 429 (minute limit) without the limit being reached.
    #[serde(rename = "rate_limit_429")]
    RateLimit429,
    /// The response is delayed by `delay_ms`.
    #[serde(rename = "slow")]
    Slow,
    /// The body is cut mid-JSON.
    #[serde(rename = "truncate")]
    Truncate,
    /// The call is answered normally, then the first record it served is edited (its
    /// `UpdatedDateUTC` moves to now, so it moves to the end of the order): the edit of an
    /// already-read record between two pages that makes page-number paging skip.
    #[serde(rename = "edit_served")]
    EditServed,
    /// `page`, `offset` and `If-Modified-Since` are ignored, as a proxy or a static mock
    /// would: every call answers the first page.
    #[serde(rename = "ignore_paging")]
    IgnorePaging,
    /// Only the first half of the page's records, with the full page's `pagination`.
    #[serde(rename = "short_page")]
    ShortPage,
}

/// A scripted fault: the next `count` matching calls fail this way.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FaultSpec {
    /// Endpoint name as in the path (`Invoices`, `Reports/TrialBalance`), case-insensitive; an
    /// endpoint under a folder also answers to its last segment (`TrialBalance`); absent or
    /// `*` = any.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Only this tenant; absent = any.
    #[serde(default)]
    pub tenant_id: Option<Uuid>,
    /// What goes wrong.
    pub kind: FaultKind,
    /// How many calls it applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// Hold time of `slow` (default [`DEFAULT_SLOW_MS`]).
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// `Retry-After` of `rate_limit_429` (default 1).
    #[serde(default)]
    pub retry_after_secs: Option<u64>,
    /// `X-Rate-Limit-Problem` of `rate_limit_429`: `minute` (default), `day`, `appminute` or
    /// `concurrent`.
    #[serde(default)]
    pub problem: Option<String>,
}

fn one() -> u32 {
    1
}

/// Whether a fault's `endpoint` names this one: its path (`Reports/TrialBalance`) or, under a
/// folder, its last segment (`TrialBalance`).
fn names(named: &str, endpoint: &str) -> bool {
    let leaf = endpoint.rsplit_once('/').map(|(_, leaf)| leaf);
    named.eq_ignore_ascii_case(endpoint) || leaf.is_some_and(|l| named.eq_ignore_ascii_case(l))
}

/// A fault chosen for one call.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// Hold time for `slow`.
    pub delay_ms: u64,
    /// `Retry-After` for `rate_limit_429`.
    pub retry_after_secs: u64,
    /// `X-Rate-Limit-Problem` for `rate_limit_429`.
    pub problem: &'static str,
}

/// A fault that hit an Accounting call: which call, so a test can tell which batch it held.
#[derive(Debug, Clone, Serialize)]
pub struct Taken {
    /// Endpoint name as in the path.
    pub endpoint: &'static str,
    /// The tenant called.
    pub tenant_id: Uuid,
    /// What went wrong.
    pub kind: FaultKind,
    /// The call's query parameters (`offset`, `page`, …) as sent.
    pub query: std::collections::BTreeMap<String, String>,
}

/// The scripted faults, the random fault rate, and the faults that hit a call.
#[derive(Debug)]
pub struct Faults {
    scripted: Mutex<Vec<FaultSpec>>,
    taken: Mutex<Vec<Taken>>,
    rate: f64,
}

impl Faults {
    /// No scripted faults; `rate` of calls fail at random.
    pub fn new(rate: f64) -> Self {
        Self {
            scripted: Mutex::new(Vec::new()),
            taken: Mutex::new(Vec::new()),
            rate: rate.clamp(0.0, 1.0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultSpec>> {
        self.scripted.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds scripted faults (applied in the order added).
    pub fn add(&self, specs: Vec<FaultSpec>) {
        self.lock()
            .extend(specs.into_iter().filter(|s| s.count > 0));
    }

    /// Removes every scripted fault and forgets the faults taken.
    pub fn clear(&self) {
        self.lock().clear();
        self.taken.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Notes that a fault hit this call (the first [`TAKEN_KEPT`] only: a long run with a
    /// random fault rate must not grow the list without bound).
    pub fn note(&self, taken: Taken) {
        let mut kept = self.taken.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() < TAKEN_KEPT {
            kept.push(taken);
        }
    }

    /// The faults that hit a call, oldest first.
    pub fn taken(&self) -> Vec<Taken> {
        self.taken.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The scripted faults still pending.
    pub fn pending(&self) -> Vec<FaultSpec> {
        self.lock().clone()
    }

    /// The fault for this call, if any: a matching scripted one first (using it up), else a
    /// random one at the configured rate (500, 503 or a truncated body).
    pub fn take(&self, endpoint: &str, tenant: Uuid, rng: &Mutex<SmallRng>) -> Option<Fault> {
        if let Some(fault) = self.take_scripted(endpoint, Some(tenant)) {
            return Some(fault);
        }
        if self.rate <= 0.0 {
            return None;
        }
        let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
        if !rng.random_bool(self.rate) {
            return None;
        }
        let kind = match rng.random_range(0..3) {
            0 => FaultKind::Status500,
            1 => FaultKind::Offline503,
            _ => FaultKind::Truncate,
        };
        Some(Fault {
            kind,
            delay_ms: 0,
            retry_after_secs: 1,
            problem: "minute",
        })
    }

    /// A scripted fault for this call, if one matches (using it up). The token endpoint
    /// (`"token"`) only ever gets scripted faults.
    pub fn take_scripted(&self, endpoint: &str, tenant: Option<Uuid>) -> Option<Fault> {
        let mut scripted = self.lock();
        let matching = scripted.iter().position(|s| {
            // A wildcard means every Accounting endpoint; the token endpoint must be named.
            let endpoint_ok = match s.endpoint.as_deref() {
                Some(e) => names(e, endpoint) || (e == "*" && endpoint != "token"),
                None => endpoint != "token",
            };
            endpoint_ok && s.tenant_id.is_none_or(|t| Some(t) == tenant)
        });
        if let Some(i) = matching {
            let spec = &mut scripted[i];
            let fault = Fault {
                kind: spec.kind,
                delay_ms: spec.delay_ms.unwrap_or(DEFAULT_SLOW_MS),
                retry_after_secs: spec.retry_after_secs.unwrap_or(1).max(1),
                problem: match spec.problem.as_deref() {
                    Some("day") => "day",
                    Some("appminute") => "appminute",
                    Some("concurrent") => "concurrent",
                    _ => "minute",
                },
            };
            spec.count -= 1;
            if spec.count == 0 {
                scripted.remove(i);
            }
            return Some(fault);
        }
        None
    }
}
