//! Xero's checks of a receiver: the intent-to-receive series (empty payloads numbered 0, some
//! signed right and some one or two characters off; the receiver must answer 200 to the first
//! and 401 to the others, with no body and no cookie, within 5 s) and, on request, one
//! real-looking delivery signed wrongly.

use rand::seq::SliceRandom;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::event::{Category, Event};
use super::payload::{self, missign, sign};
use super::send::{self, ANSWER_WITHIN, Attempt};
use super::settings::WebhookSettings;
use crate::state::App;

/// Correctly and incorrectly signed payloads per series (shuffled together).
const EACH: usize = 3;

/// One payload of a series and what it got.
#[derive(Debug, Serialize)]
pub struct Check {
    /// Whether it was signed with the right signature.
    pub signed_correctly: bool,
    /// The answer.
    #[serde(flatten)]
    pub attempt: Attempt,
}

impl Check {
    /// What Xero requires of the answer: 200 when signed correctly, else 401; no body, no
    /// cookie, in time.
    fn passed(&self) -> bool {
        let wanted = if self.signed_correctly { 200 } else { 401 };
        let a = &self.attempt;
        a.status == Some(wanted)
            && a.body_empty
            && !a.set_cookie
            && u128::from(a.millis) < ANSWER_WITHIN.as_millis()
    }
}

/// A series' result: passed only when every payload got what Xero requires.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Every answer was right.
    pub passed: bool,
    /// Per payload, in the order sent.
    pub results: Vec<Check>,
}

/// Sends an intent-to-receive series to `settings`' receiver and counts it.
pub async fn intent(app: &App, settings: &WebhookSettings) -> Report {
    let hooks = &app.webhooks;
    let mut plan: Vec<bool> = (0..EACH * 2).map(|n| n < EACH).collect();
    hooks.with_rng(|rng| plan.shuffle(rng));
    let mut results = Vec::with_capacity(plan.len());
    for signed_correctly in plan {
        let (body, signature) = hooks.with_rng(|rng| {
            let body = payload::intent_body(&payload::entropy(rng));
            let right = sign(&settings.key, &body);
            let signature = if signed_correctly {
                right
            } else {
                missign(&right, rng)
            };
            (body, signature)
        });
        let attempt = send::post(hooks.client(), &settings.url, &signature, body).await;
        results.push(Check {
            signed_correctly,
            attempt,
        });
    }
    let passed = results.iter().all(Check::passed);
    hooks.intent_sent(passed);
    Report { passed, results }
}

/// Sends one delivery signed wrongly: the first event waiting (it stays queued, its sequence
/// number not taken), or else an invoice UPDATE of the first tenant. A receiver must answer 401
/// and drop it.
pub async fn bad_signature(app: &App, settings: &WebhookSettings) -> Value {
    let hooks = &app.webhooks;
    let (waiting, sequence) = hooks.peek();
    let event = waiting.unwrap_or_else(|| synthetic(app));
    let entropy = hooks.with_rng(payload::entropy);
    let body = payload::body(std::slice::from_ref(&event), sequence, sequence, &entropy);
    let signature = hooks.with_rng(|rng| missign(&sign(&settings.key, &body), rng));
    let payload: Value = serde_json::from_slice(&body).unwrap_or_default();
    let attempt = send::post(hooks.client(), &settings.url, &signature, body).await;
    hooks.bad_signature_sent();
    json!({
        "rejected": attempt.status == Some(401),
        "signed_correctly": false,
        "result": attempt,
        "payload": payload,
    })
}

/// An UPDATE of the first tenant's first invoice, dated now.
fn synthetic(app: &App) -> Event {
    let tenant = app.tenants.first();
    let resource_id = tenant
        .and_then(|t| t.read().invoices.rows().first().map(|i| i.head.invoice_id))
        .unwrap_or_else(Uuid::nil);
    Event {
        category: Category::Invoice,
        created: false,
        resource_id,
        tenant_id: tenant.map_or_else(Uuid::nil, |t| t.id),
        at_ms: app.clock.now_ms(),
        data: None,
    }
}
