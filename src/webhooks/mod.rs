//! `xero-sync webhooks`: the receiver of Xero's webhooks, a process of its own so it can sit
//! behind a public load balancer while the workers stay private; any number of replicas may run.
//!
//! `POST /webhooks/xero`: the body is read whole (at most [`MAX_BODY`]), its signature checked
//! on the raw bytes ([`signature`]), then parsed; a correctly signed intent-to-receive probe gets
//! 200, a bad or missing signature 401, and a delivery 200 only once its events are committed
//! ([`intake`]) — 503 when the database cannot take them, so Xero retries. Every answer has an
//! empty body and sets no cookie, as Xero's handshake requires.

pub mod intake;
pub mod signature;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::post;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tracing::Instrument;

use crate::config::Secret;

/// The largest delivery accepted; Xero's are a few kilobytes.
pub const MAX_BODY: usize = 1 << 20;
/// How long storing a delivery may take before the receiver gives up and answers 503: Xero
/// wants an answer within 5 seconds.
const STORE_WITHIN: Duration = Duration::from_secs(3);
/// Where Xero posts.
pub const PATH: &str = "/webhooks/xero";

/// What the receiver needs.
struct Receiver {
    pool: PgPool,
    key: Secret,
}

/// Serves the receiver on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    pool: PgPool,
    key: Secret,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let receiver = Arc::new(Receiver { pool, key });
    let app = axum::Router::new()
        .route(PATH, post(receive))
        .with_state(receiver);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the receiver's address, naming the variable when it cannot.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    use anyhow::Context as _;
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (WEBHOOK_ADDR)"))
}

async fn receive(State(receiver): State<Arc<Receiver>>, request: Request<Body>) -> StatusCode {
    let span = tracing::info_span!(
        "webhook.delivery",
        otel.name = "webhook delivery",
        webhooks.events = tracing::field::Empty,
        webhooks.outcome = tracing::field::Empty,
    );
    let (outcome, status) = answer(&receiver, request).instrument(span.clone()).await;
    span.record("webhooks.outcome", outcome);
    let labels = [opentelemetry::KeyValue::new("outcome", outcome)];
    crate::metrics::get().webhook_deliveries.add(1, &labels);
    status
}

/// The answer to one request, and its outcome for the metric.
async fn answer(receiver: &Receiver, request: Request<Body>) -> (&'static str, StatusCode) {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ("too_large", StatusCode::PAYLOAD_TOO_LARGE);
    };
    if !signature::verify(receiver.key.expose(), &bytes, header(&parts.headers)) {
        tracing::warn!("webhook delivery with a bad or missing signature refused");
        return ("bad_signature", StatusCode::UNAUTHORIZED);
    }
    let Ok(delivery) = serde_json::from_slice::<intake::Delivery>(&bytes) else {
        return ("malformed", StatusCode::BAD_REQUEST);
    };
    tracing::Span::current().record("webhooks.events", delivery.events.len());
    let traceparent = crate::telemetry::traceparent();
    let stored = tokio::time::timeout(
        STORE_WITHIN,
        intake::store(&receiver.pool, &delivery, traceparent.as_deref()),
    )
    .await;
    match stored {
        Ok(Ok(_)) if delivery.events.is_empty() => ("intent", StatusCode::OK),
        Ok(Ok(stored)) => {
            tracing::info!(
                webhooks.new = stored.new,
                webhooks.duplicates = stored.duplicates,
                webhooks.unknown_tenant = stored.unknown_tenant,
                "webhook delivery stored"
            );
            ("stored", StatusCode::OK)
        }
        Ok(Err(intake::IntakeError::Malformed(why))) => {
            tracing::warn!(error = %why, "webhook delivery refused");
            ("malformed", StatusCode::BAD_REQUEST)
        }
        // A probe proves the endpoint and the key; it has nothing to keep, so it passes even
        // while the database is away.
        _ if delivery.events.is_empty() => ("intent", StatusCode::OK),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot store a webhook delivery; Xero will retry");
            ("unavailable", StatusCode::SERVICE_UNAVAILABLE)
        }
        Err(_) => {
            tracing::error!("storing a webhook delivery timed out; Xero will retry");
            ("unavailable", StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

fn header(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-xero-signature")?.to_str().ok()
}
