//! The webhook subscription as the simulator holds it: settings and status, the events waiting
//! for the next delivery, the delivery in flight, the sequence counter and the counters of
//! `GET /sim/webhooks`. Changes queue here under their tenant's write lock, so the queue's
//! order is the order of the changes; the delivery task (`delivery`) takes one batch at a time
//! and reports every attempt back, which keeps deliveries in order.
//!
//! The batch in flight lives here, not in the task: a new `POST /sim/webhooks` replaces the
//! task, and the new one sends the same batch, with the sequence numbers it had, to the new
//! target.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use rand::SeedableRng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::counters::Counters;
use super::event::Event;
use super::payload;
use super::send::{self, Attempt};
use super::settings::WebhookSettings;
use crate::dates::iso_millis;

/// After failing this long on the simulator clock, a subscription is disabled, as Xero
/// disables a webhook after 24 hours of failed retries.
pub const DISABLE_AFTER_MS: i64 = 86_400_000;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// No subscription: changes are not even observed.
    #[default]
    Off,
    /// Delivering.
    Active,
    /// Its intent to receive failed: nothing is delivered until one passes.
    IntentFailed,
    /// A day of failures disabled it; a new `POST /sim/webhooks` enables it again.
    Disabled,
}

impl Status {
    /// The name `GET /sim/webhooks` shows.
    pub fn wire(self) -> &'static str {
        match self {
            Status::Off => "off",
            Status::Active => "active",
            Status::IntentFailed => "intent_failed",
            Status::Disabled => "disabled",
        }
    }
}

/// One delivery: its events' sequence numbers, its body (the same bytes on every retry) and how
/// often it was tried.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `firstEventSequence`.
    pub first: u64,
    /// `lastEventSequence`.
    pub last: u64,
    /// The payload.
    pub body: Vec<u8>,
    /// Attempts so far (towards this subscription's backoff).
    pub attempts: u32,
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Taken; on to the next batch.
    Delivered,
    /// Failed; try again after the backoff for this many attempts.
    Retry(u32),
    /// Failed for a simulated day: the subscription is disabled, its events dropped.
    Disabled,
}

#[derive(Debug, Default)]
struct Inner {
    settings: Option<WebhookSettings>,
    status: Status,
    queue: VecDeque<Event>,
    in_flight: Option<Batch>,
    last_sequence: u64,
    failing_since_ms: Option<i64>,
    counters: Counters,
}

impl Inner {
    /// Drops every event waiting or in flight, counting them.
    fn drop_events(&mut self) {
        let in_flight = self.in_flight.take().map_or(0, |b| b.last + 1 - b.first);
        let dropped = self.queue.len() as u64 + in_flight;
        self.queue.clear();
        self.counters.events_dropped += dropped;
    }
}

/// The subscription, its queue and the task delivering it.
#[derive(Debug)]
pub struct Webhooks {
    inner: Mutex<Inner>,
    /// Wakes the delivery task when events arrive.
    wake: Notify,
    /// Entropy and near-miss signatures: a stream of its own, so that webhooks never move the
    /// data set's stream (the same seed changes the same records with webhooks on or off).
    rng: Mutex<SmallRng>,
    task: Mutex<Option<JoinHandle<()>>>,
    client: reqwest::Client,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Webhooks {
    /// No subscription yet; `seed` seeds the entropy stream.
    pub fn new(seed: u64) -> reqwest::Result<Self> {
        Ok(Self {
            inner: Mutex::default(),
            wake: Notify::new(),
            rng: Mutex::new(SmallRng::seed_from_u64(seed ^ 0x0EB4_00C5)),
            task: Mutex::default(),
            client: send::client()?,
        })
    }

    /// The client deliveries and intents are sent with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Whether changes are to be observed at all (some subscription exists, even a failing
    /// one, whose events are then counted as dropped). Without one, mutations cost nothing more.
    pub fn observing(&self) -> bool {
        lock(&self.inner).settings.is_some()
    }

    /// Queues the events of one change for the next delivery, or drops them when the
    /// subscription does not deliver.
    pub fn queue(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        let mut inner = lock(&self.inner);
        match inner.status {
            Status::Active => inner.queue.extend(events),
            Status::Off => return,
            Status::IntentFailed | Status::Disabled => {
                inner.counters.events_dropped += events.len() as u64;
                return;
            }
        }
        drop(inner);
        self.wake.notify_one();
    }

    /// Waits until an event is queued.
    pub async fn queued(&self) {
        loop {
            let notified = self.wake.notified();
            if !lock(&self.inner).queue.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Installs `settings` with `status`. A delivering subscription keeps what is waiting and
    /// in flight (sent anew, from a fresh backoff); one that does not deliver drops it.
    pub fn subscribe(&self, settings: WebhookSettings, status: Status) {
        let mut inner = lock(&self.inner);
        inner.settings = Some(settings);
        inner.status = status;
        inner.failing_since_ms = None;
        if status == Status::Active {
            if let Some(batch) = inner.in_flight.as_mut() {
                batch.attempts = 0;
            }
        } else {
            inner.drop_events();
        }
    }

    /// Sets the status alone (an intent passed or failed).
    pub fn set_status(&self, status: Status) {
        let settings = lock(&self.inner).settings.clone();
        if let Some(settings) = settings {
            self.subscribe(settings, status);
        }
    }

    /// Ends the subscription, dropping what was waiting.
    pub fn unsubscribe(&self) {
        let mut inner = lock(&self.inner);
        inner.drop_events();
        inner.settings = None;
        inner.status = Status::Off;
        inner.failing_since_ms = None;
    }

    /// The current settings and status.
    pub fn current(&self) -> (Option<WebhookSettings>, Status) {
        let inner = lock(&self.inner);
        (inner.settings.clone(), inner.status)
    }

    /// The batch to send: the one in flight, else every queued event as a new one (numbered
    /// on from the last sequence number given); none when nothing waits.
    pub fn next_batch(&self) -> Option<Batch> {
        let mut inner = lock(&self.inner);
        if let Some(batch) = &inner.in_flight {
            return Some(batch.clone());
        }
        if inner.queue.is_empty() || inner.status != Status::Active {
            return None;
        }
        let events: Vec<Event> = inner.queue.drain(..).collect();
        let first = inner.last_sequence + 1;
        let last = inner.last_sequence + events.len() as u64;
        inner.last_sequence = last;
        let entropy = payload::entropy(&mut lock(&self.rng));
        let batch = Batch {
            first,
            last,
            body: payload::body(&events, first, last, &entropy),
            attempts: 0,
        };
        inner.counters.formed(&events);
        inner.in_flight = Some(batch.clone());
        Some(batch)
    }

    /// Records an attempt of the batch in flight, made at `now_ms` on the simulator clock, and
    /// decides what follows: a day of failures on that clock disables the subscription.
    pub fn attempted(&self, attempt: &Attempt, now_ms: i64) -> Verdict {
        let mut inner = lock(&self.inner);
        let Some(mut batch) = inner.in_flight.take() else {
            return Verdict::Delivered;
        };
        inner.counters.attempt(attempt, batch.attempts > 0);
        if attempt.delivered() {
            inner.counters.delivered(batch.last + 1 - batch.first);
            inner.failing_since_ms = None;
            return Verdict::Delivered;
        }
        batch.attempts += 1;
        let attempts = batch.attempts;
        inner.in_flight = Some(batch);
        let since = *inner.failing_since_ms.get_or_insert(now_ms);
        if now_ms - since < DISABLE_AFTER_MS {
            return Verdict::Retry(attempts);
        }
        inner.drop_events();
        inner.status = Status::Disabled;
        inner.counters.times_disabled += 1;
        Verdict::Disabled
    }

    /// Runs `f` on the entropy stream.
    pub fn with_rng<T>(&self, f: impl FnOnce(&mut SmallRng) -> T) -> T {
        f(&mut lock(&self.rng))
    }

    /// Counts an intent-to-receive series.
    pub fn intent_sent(&self, passed: bool) {
        lock(&self.inner).counters.intent(passed);
    }

    /// Counts a deliberately mis-signed delivery.
    pub fn bad_signature_sent(&self) {
        lock(&self.inner).counters.bad_signatures += 1;
    }

    /// The first event waiting, and the sequence number it would get.
    pub fn peek(&self) -> (Option<Event>, u64) {
        let inner = lock(&self.inner);
        (inner.queue.front().cloned(), inner.last_sequence + 1)
    }

    /// Replaces the delivery task, stopping the old one (at its next await: the batch it was
    /// sending stays in flight here).
    pub fn replace_task(&self, task: Option<JoinHandle<()>>) {
        let old = std::mem::replace(&mut *lock(&self.task), task);
        if let Some(old) = old {
            old.abort();
        }
    }

    /// `GET /sim/webhooks`: the subscription (never its key) and the counters.
    pub fn report(&self) -> Value {
        let inner = lock(&self.inner);
        let settings = inner.settings.as_ref();
        let in_flight = inner.in_flight.as_ref().map(|b| {
            json!({
                "firstEventSequence": b.first,
                "lastEventSequence": b.last,
                "attempts": b.attempts,
            })
        });
        let mut report = json!({
            "status": inner.status.wire(),
            "url": settings.map(|s| s.url.clone()),
            "batch_ms": settings.map(|s| s.batch_ms),
            "retry_max_ms": settings.map(|s| s.retry_max_ms),
            "pending_events": inner.queue.len(),
            "in_flight": in_flight,
            "last_sequence": inner.last_sequence,
            "failing_since": inner.failing_since_ms.map(iso_millis),
        });
        inner.counters.report(&mut report);
        report
    }
}
