//! The simulator's clock: wall-clock time plus an offset that `POST /sim/clock` moves forward,
//! so token expiry, the refresh grace period and rate-limit windows are testable without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::Utc;

/// Wall clock plus a test-controlled offset, and a source of strictly increasing record stamps.
#[derive(Debug, Default)]
pub struct SimClock {
    offset_ms: AtomicI64,
    last_stamp_ms: AtomicI64,
}

impl SimClock {
    /// The simulator's notion of now, in Unix epoch milliseconds: never earlier than a stamp it
    /// handed out, so no record is dated after the `DateTimeUTC` of a response that holds it.
    pub fn now_ms(&self) -> i64 {
        self.wall_ms()
            .max(self.last_stamp_ms.load(Ordering::SeqCst))
    }

    fn wall_ms(&self) -> i64 {
        Utc::now().timestamp_millis() + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance_secs(&self, secs: i64) {
        self.offset_ms
            .fetch_add(secs.saturating_mul(1000), Ordering::SeqCst);
    }

    /// A stamp for a mutated record: now, but strictly greater than every stamp handed out
    /// before, so two mutations never share an `UpdatedDateUTC` and their order is their order
    /// of occurrence (a burst of mutations runs the clock ahead of the wall by a millisecond
    /// each).
    pub fn next_stamp_ms(&self) -> i64 {
        let wall = self.wall_ms();
        let previous = self
            .last_stamp_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(wall.max(last + 1))
            })
            .unwrap_or_else(|last| last);
        wall.max(previous + 1)
    }
}
