//! The webhook receiver over real HTTP against a real Postgres: signatures checked on the raw
//! bytes before anything is parsed, Xero's intent-to-receive handshake, events stored before the
//! 200 (once, however often delivered), unknown tenants recorded and ignored, a database that
//! cannot take a delivery answered 503 so Xero retries, and the events followed by the workers:
//! invoices and contacts fetched by `IDs=`, the other categories by an early run.

#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod follow;
mod receive;

use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use uuid::Uuid;
use xero_sync::webhooks;

/// A webhook key as Xero's portal shows one: it looks like base64, and is used as it is.
pub const KEY: &str = "dGVzdC13ZWJob29rLWtleS1mcm9tLXRoZS1wb3J0YWw=";

/// A receiver on a free port of `pool`'s database; its URL, and its task.
pub async fn receiver(pool: sqlx::PgPool) -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        webhooks::PATH
    );
    let key = xero_sync::config::Secret::new(KEY);
    let task = tokio::spawn(async move {
        webhooks::serve(listener, pool, key, std::future::pending())
            .await
            .unwrap();
    });
    (url, task)
}

/// An event as Xero sends one.
pub fn event(tenant: Uuid, category: &str, resource: Uuid, at: &str) -> Value {
    let collection = match category {
        "INVOICE" => "Invoices",
        "CONTACT" => "Contacts",
        "CREDITNOTE" => "CreditNotes",
        _ => "Other",
    };
    json!({
        "resourceUrl": format!("https://api.xero.com/api.xro/2.0/{collection}/{resource}"),
        "resourceId": resource,
        "eventDateUtc": at,
        "eventType": "UPDATE",
        "eventCategory": category,
        "tenantId": tenant,
        "tenantType": "ORGANISATION",
    })
}

/// A delivery of `events`, as bytes.
pub fn delivery(events: Vec<Value>, sequence: i64) -> Vec<u8> {
    let body = json!({
        "events": events,
        "firstEventSequence": sequence,
        "lastEventSequence": sequence,
        "entropy": "QWERTYUIOPASDFGHJKLZ",
    });
    serde_json::to_vec(&body).unwrap()
}

/// What the receiver answered: status, body, whether it set a cookie.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body's bytes.
    pub body: Vec<u8>,
    /// Whether a `set-cookie` header came back.
    pub cookie: bool,
}

/// Posts `body` with `signature` (`None`: no header).
pub async fn post(url: &str, body: Vec<u8>, signature: Option<String>) -> Answer {
    let http = xero_sync::app::http_client().unwrap();
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .timeout(Duration::from_secs(5))
        .body(body);
    if let Some(signature) = signature {
        request = request.header("x-xero-signature", signature);
    }
    let response = request.send().await.unwrap();
    let cookie = response.headers().contains_key("set-cookie");
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap().to_vec();
    Answer {
        status,
        body,
        cookie,
    }
}

/// Posts `body` signed with [`KEY`].
pub async fn post_signed(url: &str, body: Vec<u8>) -> Answer {
    let signature = webhooks::signature::sign(KEY, &body);
    post(url, body, Some(signature)).await
}

/// Events stored: (tenant, category, known tenant, handled).
pub async fn stored(pool: &sqlx::PgPool) -> Vec<(Uuid, String, bool, bool)> {
    sqlx::query_as(
        "SELECT tenant_id, category, known_tenant, handled_at IS NOT NULL
           FROM xero.webhook_events ORDER BY event_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}
