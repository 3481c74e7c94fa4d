//! The delivery task of a subscription, one at a time so deliveries go out in order: wait for
//! events, let the batching window gather more, send them as one payload, and retry it with a
//! growing backoff (1 s, 2 s, 4 s… up to `retry_max_ms`) until the receiver takes it, or until a
//! day of failures on the simulator clock disables the subscription. Nothing behind a failing
//! batch is sent before it.

use std::sync::Arc;
use std::time::Duration;

use super::hub::{Batch, Verdict};
use super::payload::sign;
use super::send;
use super::settings::WebhookSettings;
use crate::state::App;

/// The first retry's wait; each later one doubles it, up to the subscription's cap.
const FIRST_BACKOFF_MS: u64 = 1_000;
/// How often a wait looks at the simulator clock, so that `POST /sim/clock` shortens it.
const CLOCK_POLL: Duration = Duration::from_millis(50);

/// Starts delivering for the current subscription, replacing any task that was.
pub fn start(app: &Arc<App>, settings: WebhookSettings) {
    let task = tokio::spawn(run(app.clone(), settings));
    app.webhooks.replace_task(Some(task));
}

/// Stops the delivery task (the batch in flight stays queued).
pub fn stop(app: &App) {
    app.webhooks.replace_task(None);
}

/// Delivers batch after batch until the subscription is disabled (or the task replaced).
async fn run(app: Arc<App>, settings: WebhookSettings) {
    let window = Duration::from_millis(settings.batch_ms);
    loop {
        let batch = match app.webhooks.next_batch() {
            Some(batch) => batch,
            None => {
                app.webhooks.queued().await;
                // The window opens with the first event; what arrives within it joins it.
                tokio::time::sleep(window).await;
                continue;
            }
        };
        if !deliver(&app, &settings, batch).await {
            tracing::warn!(webhook.url = %settings.url, "sim: webhook disabled after a day of failures");
            return;
        }
    }
}

/// Sends `batch` until it is taken (true) or the subscription is disabled (false).
async fn deliver(app: &App, settings: &WebhookSettings, batch: Batch) -> bool {
    let signature = sign(&settings.key, &batch.body);
    loop {
        let client = app.webhooks.client();
        let attempt = send::post(client, &settings.url, &signature, batch.body.clone()).await;
        let now = app.clock.now_ms();
        match app.webhooks.attempted(&attempt, now) {
            Verdict::Delivered => return true,
            Verdict::Disabled => return false,
            Verdict::Retry(attempts) => {
                let wait = backoff_ms(attempts, settings.retry_max_ms);
                let until = now.saturating_add(i64::try_from(wait).unwrap_or(i64::MAX));
                wait_on_clock(app, until).await;
            }
        }
    }
}

/// The wait after the `attempts`-th failure: "decreasing frequency", as Xero retries.
pub fn backoff_ms(attempts: u32, cap_ms: u64) -> u64 {
    let doublings = attempts.saturating_sub(1).min(32);
    FIRST_BACKOFF_MS
        .saturating_mul(1u64 << doublings)
        .min(cap_ms)
}

/// Waits until the simulator clock reads `until_ms`: real time passes it, and so does
/// `POST /sim/clock`, which is how a test reaches "a day later" at once.
async fn wait_on_clock(app: &App, until_ms: i64) {
    loop {
        let left = until_ms - app.clock.now_ms();
        if left <= 0 {
            return;
        }
        let left = Duration::from_millis(u64::try_from(left).unwrap_or(0));
        tokio::time::sleep(left.min(CLOCK_POLL)).await;
    }
}
