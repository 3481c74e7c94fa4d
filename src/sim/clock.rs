//! The simulator's clock: wall-clock time plus an offset that `POST /sim/clock` moves forward,
//! so token expiry, the refresh grace period and rate-limit windows are testable without sleeping.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Utc;

/// Wall clock plus a test-controlled offset, and a source of strictly increasing record stamps.
#[derive(Debug, Default)]
pub struct SimClock {
    offset_ms: AtomicI64,
    last_stamp_ms: Mutex<i64>,
}

impl SimClock {
    /// The simulator's notion of now, in Unix epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance_secs(&self, secs: i64) {
        self.offset_ms
            .fetch_add(secs.saturating_mul(1000), Ordering::SeqCst);
    }

    /// A stamp for a mutated record: now, but strictly greater than every stamp handed out
    /// before, so two mutations never share an `UpdatedDateUTC` and their order is their order
    /// of occurrence.
    pub fn next_stamp_ms(&self) -> i64 {
        let mut last = self
            .last_stamp_ms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let stamp = self.now_ms().max(*last + 1);
        *last = stamp;
        stamp
    }
}
