//! Xero's rate limits, per tenant: 5 concurrent calls, 60 per minute, 5,000 per day; and
//! 10,000 per minute per app. Windows are fixed and start with the first call counted in them
//! (Xero: "a fixed window which will reset at different times for each tenant"), measured on the
//! simulator clock so `/sim/clock` can end them. A refused call is not counted.

use std::collections::HashMap;
use std::sync::Mutex;

use uuid::Uuid;

/// Milliseconds in the day window.
const DAY_WINDOW_MS: i64 = 86_400_000;

/// The limits in force (Xero's by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    /// Calls in flight per tenant.
    pub concurrent: u32,
    /// Calls per tenant per "minute".
    pub per_minute: u32,
    /// Calls per tenant per day.
    pub per_day: u32,
    /// Calls per app (all tenants) per "minute".
    pub app_per_minute: u32,
    /// Length of the "minute" in milliseconds (`--minute-ms`).
    pub minute_ms: u64,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            concurrent: 5,
            per_minute: 60,
            per_day: 5_000,
            app_per_minute: 10_000,
            minute_ms: 60_000,
        }
    }
}

/// Which limit refused a call: the `X-Rate-Limit-Problem` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Problem {
    /// The tenant's minute window is used up.
    Minute,
    /// The tenant's day window is used up.
    Day,
    /// The tenant has too many calls in flight.
    Concurrent,
    /// The app's minute window is used up.
    AppMinute,
}

impl Problem {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Minute => "minute",
            Problem::Day => "day",
            Problem::Concurrent => "concurrent",
            Problem::AppMinute => "appminute",
        }
    }
}

/// The `X-*Limit-Remaining` header values after a call.
#[derive(Debug, Clone, Copy)]
pub struct Remaining {
    /// `X-MinLimit-Remaining`.
    pub minute: u32,
    /// `X-DayLimit-Remaining`.
    pub day: u32,
    /// `X-AppMinLimit-Remaining`.
    pub app_minute: u32,
}

/// A refused call.
#[derive(Debug, Clone, Copy)]
pub struct Rejection {
    /// Which limit.
    pub problem: Problem,
    /// `Retry-After`: whole seconds until the window resets, at least 1.
    pub retry_after_secs: u64,
    /// Remaining budget to report alongside.
    pub remaining: Remaining,
}

#[derive(Debug, Default, Clone, Copy)]
struct Window {
    start_ms: i64,
    count: u32,
}

impl Window {
    /// Starts a new window if the current one has ended.
    fn roll(&mut self, now_ms: i64, len_ms: i64) {
        if self.count == 0 || now_ms - self.start_ms >= len_ms {
            self.start_ms = now_ms;
            self.count = 0;
        }
    }

    fn retry_after(&self, now_ms: i64, len_ms: i64) -> u64 {
        let left = (self.start_ms + len_ms - now_ms).max(0);
        u64::try_from((left + 999) / 1000).unwrap_or(1).max(1)
    }
}

#[derive(Debug, Default)]
struct TenantWindows {
    minute: Window,
    day: Window,
    in_flight: u32,
}

#[derive(Debug, Default)]
struct LimiterState {
    tenants: HashMap<Uuid, TenantWindows>,
    app: Window,
}

/// Counts calls against the limits.
#[derive(Debug)]
pub struct Limiter {
    enabled: bool,
    settings: LimitSettings,
    state: Mutex<LimiterState>,
}

/// A call admitted and in flight; dropping it (response sent, or the request abandoned) frees
/// the concurrency slot.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a Limiter,
    tenant: Uuid,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut state = self.limiter.lock();
        if let Some(t) = state.tenants.get_mut(&self.tenant) {
            t.in_flight = t.in_flight.saturating_sub(1);
        }
    }
}

/// An admitted call: its permit, the budget left, and the calls now in flight for the tenant.
#[derive(Debug)]
pub struct Admitted<'a> {
    /// Frees the concurrency slot when the admitted call is dropped.
    _permit: Permit<'a>,
    /// Header values.
    pub remaining: Remaining,
    /// Calls in flight for the tenant, this one included.
    pub in_flight: u32,
    /// When the app's minute window this call counts in started (epoch milliseconds).
    pub app_window_ms: i64,
}

impl Limiter {
    /// A limiter; when `enabled` is false it refuses nothing (and the API sends no limit
    /// headers, so a client pacing itself by them does not slow a benchmark down).
    pub fn new(enabled: bool, settings: LimitSettings) -> Self {
        Self {
            enabled,
            settings,
            state: Mutex::new(LimiterState::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn minute_ms(&self) -> i64 {
        i64::try_from(self.settings.minute_ms)
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// Counts a tenant call, or says which limit refuses it.
    pub fn admit(&self, tenant: Uuid, now_ms: i64) -> Result<Admitted<'_>, Rejection> {
        let s = self.settings;
        let minute_ms = self.minute_ms();
        let mut guard = self.lock();
        let state = &mut *guard;
        state.app.roll(now_ms, minute_ms);
        let t = state.tenants.entry(tenant).or_default();
        t.minute.roll(now_ms, minute_ms);
        t.day.roll(now_ms, DAY_WINDOW_MS);
        let remaining = |t: &TenantWindows, app: &Window| Remaining {
            minute: s.per_minute.saturating_sub(t.minute.count),
            day: s.per_day.saturating_sub(t.day.count),
            app_minute: s.app_per_minute.saturating_sub(app.count),
        };
        if self.enabled {
            let refuse = |problem, retry_after_secs| Rejection {
                problem,
                retry_after_secs,
                remaining: remaining(t, &state.app),
            };
            if t.in_flight >= s.concurrent {
                return Err(refuse(Problem::Concurrent, 1));
            }
            if t.day.count >= s.per_day {
                return Err(refuse(
                    Problem::Day,
                    t.day.retry_after(now_ms, DAY_WINDOW_MS),
                ));
            }
            if t.minute.count >= s.per_minute {
                return Err(refuse(
                    Problem::Minute,
                    t.minute.retry_after(now_ms, minute_ms),
                ));
            }
            if state.app.count >= s.app_per_minute {
                let retry = state.app.retry_after(now_ms, minute_ms);
                return Err(refuse(Problem::AppMinute, retry));
            }
        }
        t.minute.count += 1;
        t.day.count += 1;
        state.app.count += 1;
        t.in_flight += 1;
        let (in_flight, app_window_ms) = (t.in_flight, state.app.start_ms);
        let remaining = if self.enabled {
            remaining(t, &state.app)
        } else {
            self.full()
        };
        Ok(Admitted {
            _permit: Permit {
                limiter: self,
                tenant,
            },
            remaining,
            in_flight,
            app_window_ms,
        })
    }

    /// `X-AppMinLimit-Remaining` for tenant-less calls (`/connections`), without counting one.
    pub fn app_remaining(&self, now_ms: i64) -> u32 {
        if !self.enabled {
            return self.settings.app_per_minute;
        }
        let minute_ms = self.minute_ms();
        let mut state = self.lock();
        state.app.roll(now_ms, minute_ms);
        self.settings.app_per_minute.saturating_sub(state.app.count)
    }

    /// The budget a tenant has left, without counting a call.
    pub fn remaining(&self, tenant: Uuid, now_ms: i64) -> Remaining {
        if !self.enabled {
            return self.full();
        }
        let minute_ms = self.minute_ms();
        let mut guard = self.lock();
        let state = &mut *guard;
        state.app.roll(now_ms, minute_ms);
        let t = state.tenants.entry(tenant).or_default();
        t.minute.roll(now_ms, minute_ms);
        t.day.roll(now_ms, DAY_WINDOW_MS);
        Remaining {
            minute: self.settings.per_minute.saturating_sub(t.minute.count),
            day: self.settings.per_day.saturating_sub(t.day.count),
            app_minute: self.settings.app_per_minute.saturating_sub(state.app.count),
        }
    }

    fn full(&self) -> Remaining {
        Remaining {
            minute: self.settings.per_minute,
            day: self.settings.per_day,
            app_minute: self.settings.app_per_minute,
        }
    }
}
