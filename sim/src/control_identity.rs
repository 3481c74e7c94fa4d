//! The control API's identity side (not Xero's): every grant's live connections, a user
//! disconnecting the app from an organisation in Xero, and every token issued (for leak
//! tests). The older `/sim/tokens/revoke` stays in `control`.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::responses::json_response;
use crate::state::App;

/// `GET /sim/connections`: `[{"id", "tenant_id", "auth_event_id", "grant"}]`, every grant's
/// live connections, grant by grant (`grant` is `authorization_code` or
/// `client_credentials`).
pub async fn connections(State(app): State<Arc<App>>) -> Response<Body> {
    let list: Vec<Value> = app
        .identity
        .all_connections()
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "tenant_id": c.tenant_id,
                "auth_event_id": c.auth_event_id,
                "grant": c.kind.grant_type(),
            })
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(list))
}

/// Body of `POST /sim/connections/disconnect`.
#[derive(Debug, Deserialize)]
pub struct DisconnectRequest {
    tenant_id: Uuid,
}

/// `POST /sim/connections/disconnect {"tenant_id"}`: the user removed the app from that
/// organisation in Xero's settings, so every grant loses its connection to it (its tokens
/// keep working for the other tenants). Answers `{"disconnected": N}`, the connections
/// removed; an unknown tenant is a 404.
pub async fn disconnect(
    State(app): State<Arc<App>>,
    Json(req): Json<DisconnectRequest>,
) -> Response<Body> {
    if app.tenant(req.tenant_id).is_none() {
        let message = format!("unknown tenant {}", req.tenant_id);
        return json_response(StatusCode::NOT_FOUND, &json!({ "error": message }));
    }
    let disconnected = app.identity.disconnect_tenant(req.tenant_id);
    json_response(StatusCode::OK, &json!({ "disconnected": disconnected }))
}

/// `GET /sim/tokens/issued`: `{"access_tokens", "refresh_tokens"}`, the most recent 10,000 of
/// each the simulator issued, oldest first, so a test can look for any of them in logs, dumps
/// and output.
pub async fn issued(State(app): State<Arc<App>>) -> Response<Body> {
    let issued = app.identity.issued();
    json_response(
        StatusCode::OK,
        &json!({ "access_tokens": issued.access, "refresh_tokens": issued.refresh }),
    )
}
