//! The counters of `GET /sim/webhooks`: deliveries formed and taken, attempts, failures and
//! retries, events per category, events dropped, intents, the last error.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::event::{Category, Event};
use super::send::Attempt;

/// What the webhook side has done since the simulator started (a new subscription keeps
/// counting: a test reads differences).
#[derive(Debug, Default)]
pub struct Counters {
    /// Batches formed (each sent at least once).
    pub deliveries: u64,
    /// Batches a receiver took (2xx).
    pub delivered: u64,
    /// POSTs of batches, retries included.
    pub attempts: u64,
    /// POSTs that got no 2xx (an error status, no answer within 5 s, no connection).
    pub failed_attempts: u64,
    /// POSTs of a batch that had been tried before.
    pub retries: u64,
    /// Events put into batches, per category.
    pub events_sent: BTreeMap<&'static str, u64>,
    /// Events of batches a receiver took.
    pub events_delivered: u64,
    /// Events never to be delivered: queued when a subscription was disabled, ended or failed
    /// its intent, or arising while it did not deliver.
    pub events_dropped: u64,
    /// Times a day of failures disabled the subscription.
    pub times_disabled: u64,
    /// Intent-to-receive series sent.
    pub intents: u64,
    /// Of those, the ones the receiver passed.
    pub intents_passed: u64,
    /// Deliberately mis-signed deliveries sent (`/sim/webhooks/bad-signature`).
    pub bad_signatures: u64,
    /// The last failed attempt's reason.
    pub last_error: Option<String>,
}

impl Counters {
    /// A batch of `events` formed.
    pub fn formed(&mut self, events: &[Event]) {
        self.deliveries += 1;
        for event in events {
            *self.events_sent.entry(event.category.wire()).or_default() += 1;
        }
    }

    /// One POST of a batch; `retry` when the batch had been tried before.
    pub fn attempt(&mut self, attempt: &Attempt, retry: bool) {
        self.attempts += 1;
        if retry {
            self.retries += 1;
        }
        if !attempt.delivered() {
            self.failed_attempts += 1;
            self.last_error = Some(attempt.describe());
        }
    }

    /// A batch of `events` events taken by the receiver.
    pub fn delivered(&mut self, events: u64) {
        self.delivered += 1;
        self.events_delivered += events;
    }

    /// An intent-to-receive series sent.
    pub fn intent(&mut self, passed: bool) {
        self.intents += 1;
        if passed {
            self.intents_passed += 1;
        }
    }

    /// Adds the counters to a report object.
    pub fn report(&self, report: &mut Value) {
        let per_category: BTreeMap<&str, u64> = Category::ALL
            .iter()
            .map(|c| {
                (
                    c.wire(),
                    self.events_sent.get(c.wire()).copied().unwrap_or(0),
                )
            })
            .collect();
        let counters = json!({
            "deliveries": self.deliveries,
            "delivered": self.delivered,
            "attempts": self.attempts,
            "failed_attempts": self.failed_attempts,
            "retries": self.retries,
            "events_sent": per_category,
            "events_delivered": self.events_delivered,
            "events_dropped": self.events_dropped,
            "times_disabled": self.times_disabled,
            "intents": self.intents,
            "intents_passed": self.intents_passed,
            "bad_signatures": self.bad_signatures,
            "last_error": self.last_error,
        });
        if let (Some(into), Value::Object(from)) = (report.as_object_mut(), counters) {
            into.extend(from);
        }
    }
}
