//! `/sim/webhooks`: subscribe (after Xero's intent to receive), read the subscription and its
//! counters, stop it; send the intent-to-receive series or a mis-signed delivery on request.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::responses::json_response;
use crate::state::App;
use crate::webhooks::hub::Status;
use crate::webhooks::settings::{DEFAULT_BATCH_MS, DEFAULT_RETRY_MAX_MS, WebhookSettings};
use crate::webhooks::{delivery, intent};

fn failure(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    json_response(status, &json!({ "error": message.into() }))
}

/// Body of `POST /sim/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    url: String,
    key: String,
    #[serde(default = "default_batch_ms")]
    batch_ms: u64,
    #[serde(default = "default_retry_max_ms")]
    retry_max_ms: u64,
    /// Send the intent-to-receive series first, as Xero does on a new or re-enabled webhook
    /// (default); `false` subscribes at once, as `--webhook-url` does.
    #[serde(default = "yes")]
    intent: bool,
}

fn default_batch_ms() -> u64 {
    DEFAULT_BATCH_MS
}

fn default_retry_max_ms() -> u64 {
    DEFAULT_RETRY_MAX_MS
}

fn yes() -> bool {
    true
}

/// `POST /sim/webhooks {"url", "key", "batch_ms": 500, "retry_max_ms": 60000, "intent": true}`:
/// subscribes, replacing (and re-enabling) any subscription. With `intent`, the receiver must
/// pass the intent-to-receive series, else the subscription is `intent_failed` and delivers
/// nothing. Answers the state of `GET /sim/webhooks` plus `intent` (the series' report).
pub async fn subscribe(State(app): State<Arc<App>>, body: Bytes) -> Response<Body> {
    let req: SubscribeRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return failure(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let settings = WebhookSettings {
        url: req.url,
        key: req.key,
        batch_ms: req.batch_ms,
        retry_max_ms: req.retry_max_ms,
    };
    if let Err(e) = settings.check() {
        return failure(StatusCode::BAD_REQUEST, e);
    }
    // Nothing goes to the old target any more; its batch in flight waits for the new one.
    delivery::stop(&app);
    let report = if req.intent {
        Some(intent::intent(&app, &settings).await)
    } else {
        None
    };
    let status = match &report {
        Some(r) if !r.passed => Status::IntentFailed,
        _ => Status::Active,
    };
    app.webhooks.subscribe(settings.clone(), status);
    if status == Status::Active {
        delivery::start(&app, settings);
    }
    let mut state = app.webhooks.report();
    state["intent"] = json!(report);
    json_response(StatusCode::OK, &state)
}

/// `GET /sim/webhooks`: status (`off`, `active`, `intent_failed`, `disabled`), target, window,
/// backoff cap, events waiting and in flight, and the counters.
pub async fn read(State(app): State<Arc<App>>) -> Response<Body> {
    json_response(StatusCode::OK, &app.webhooks.report())
}

/// `DELETE /sim/webhooks`: no more deliveries; what was waiting is dropped.
pub async fn unsubscribe(State(app): State<Arc<App>>) -> Response<Body> {
    delivery::stop(&app);
    app.webhooks.unsubscribe();
    json_response(StatusCode::OK, &app.webhooks.report())
}

/// `POST /sim/webhooks/intent`: sends the intent-to-receive series to the subscription's
/// receiver: `{"passed", "results": [{"signed_correctly", "status", "body_empty",
/// "set_cookie", "millis"}], "status"}`. Passing enables a subscription that had failed its
/// intent or was disabled; failing leaves an active one active.
pub async fn send_intent(State(app): State<Arc<App>>) -> Response<Body> {
    let (Some(settings), status) = app.webhooks.current() else {
        return failure(StatusCode::CONFLICT, "no webhook subscription");
    };
    let report = intent::intent(&app, &settings).await;
    if report.passed && matches!(status, Status::IntentFailed | Status::Disabled) {
        app.webhooks.set_status(Status::Active);
        delivery::start(&app, settings);
    }
    let mut body = json!(report);
    body["status"] = json!(app.webhooks.current().1.wire());
    json_response(StatusCode::OK, &body)
}

/// `POST /sim/webhooks/bad-signature`: one real-looking delivery (the first event waiting, or
/// an invoice UPDATE) signed wrongly: `{"rejected", "result": {"status", …}, "payload"}`.
pub async fn bad_signature(State(app): State<Arc<App>>) -> Response<Body> {
    let (Some(settings), _) = app.webhooks.current() else {
        return failure(StatusCode::CONFLICT, "no webhook subscription");
    };
    let report = intent::bad_signature(&app, &settings).await;
    json_response(StatusCode::OK, &report)
}
