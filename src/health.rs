//! A worker's (or the webhook receiver's) HTTP side (`--http-addr`): `/healthz` (the process is alive), `/readyz` (the
//! database answers, its migrations are this binary's, and apalis's worker is running) and
//! `/metrics` (Prometheus text format).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::telemetry::Telemetry;

/// What `/readyz` looks at.
#[derive(Debug, Clone)]
pub struct Readiness {
    /// The database.
    pub pool: PgPool,
    /// Set while apalis's worker is running (the supervisor clears it while it restarts one).
    pub running: Arc<AtomicBool>,
}

#[derive(Clone)]
struct Shared {
    readiness: Readiness,
    telemetry: Telemetry,
}

/// Serves the health and metrics endpoints on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    readiness: Readiness,
    telemetry: Telemetry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .with_state(Shared {
            readiness,
            telemetry,
        });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds the HTTP address, naming it and its setting (`WORKER_HTTP_ADDR`, …) in the error.
pub async fn bind(addr: SocketAddr, setting: &str) -> anyhow::Result<TcpListener> {
    use anyhow::Context as _;
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({setting})"))
}

async fn ready(State(shared): State<Shared>) -> impl IntoResponse {
    match readiness(&shared.readiness).await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        ),
    }
}

async fn readiness(r: &Readiness) -> Result<(), String> {
    let applied: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&r.pool)
            .await
            .map_err(|e| format!("the database does not answer: {e}"))?;
    let wanted = crate::db::latest_migration();
    if applied != Some(wanted) {
        return Err(format!(
            "the database is at migration {}, this binary needs {wanted} (run `xero-sync migrate`)",
            applied.map_or("none".into(), |v| v.to_string())
        ));
    }
    if !r.running.load(Ordering::SeqCst) {
        return Err("the worker is not running (starting, restarting or stopping)".into());
    }
    Ok(())
}

async fn metrics(State(shared): State<Shared>) -> impl IntoResponse {
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        shared.telemetry.prometheus(),
    )
}
