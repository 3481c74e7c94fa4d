//! HTTP handlers of the identity side: `GET /identity/connect/authorize`,
//! `POST /connect/token`, `POST /connect/revocation`, `GET /connections` and
//! `DELETE /connections/{id}`. Not rate-limited.

use std::sync::Arc;

use axum::Form;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dates::connection_date;
use crate::faults::FaultKind;
use crate::identity::grants::Connection;
use crate::identity::tokens::OAuthError;
use crate::identity::wire::{AuthorizeQuery, RevocationForm, TokenForm, basic_credentials};
use crate::responses::{json_response, not_found, problem, set};
use crate::state::App;

fn oauth_error(app: &App, e: OAuthError) -> Response<Body> {
    if e.error == "invalid_grant" {
        app.stats.invalid_grant();
    }
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    json_response(status, &json!({ "error": e.error }))
}

/// `GET /identity/connect/authorize`: consents at once and redirects with `code` and `state`.
pub async fn authorize(
    State(app): State<Arc<App>>,
    Query(q): Query<AuthorizeQuery>,
) -> Response<Body> {
    let response = match app.identity.authorize(q, app.clock.now_ms()) {
        Ok(location) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(e) => oauth_error(&app, e),
    };
    app.stats.request("authorize", response.status().as_u16());
    response
}

/// `POST /connect/token`.
pub async fn token(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response<Body> {
    // A scripted fault on the token endpoint: held (`slow`) or failed (`status_500`).
    match app.faults.take_scripted("token", None) {
        Some(fault) if fault.kind == FaultKind::Slow => {
            tokio::time::sleep(std::time::Duration::from_millis(fault.delay_ms)).await;
        }
        Some(fault) if fault.kind == FaultKind::Status500 => {
            app.stats.request("token", 500);
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "error": "server_error" }),
            );
        }
        _ => {}
    }
    let response = match form {
        Err(_) => oauth_error(
            &app,
            OAuthError {
                status: 400,
                error: "invalid_request",
            },
        ),
        Ok(Form(form)) => {
            let basic = basic_credentials(authorization(&headers));
            match app.identity.token(basic, form, app.clock.now_ms()) {
                Ok((grant, body)) => {
                    app.stats.token_granted(grant);
                    let mut r = json_response(StatusCode::OK, &body);
                    r.headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                    r
                }
                Err(e) => oauth_error(&app, e),
            }
        }
    };
    app.stats.request("token", response.status().as_u16());
    response
}

/// Query of `GET /connections`.
#[derive(Debug, Default, Deserialize)]
pub struct ConnectionsQuery {
    /// Only the connections of this auth event (one consent).
    #[serde(rename = "authEventId")]
    auth_event_id: Option<String>,
}

/// `GET /connections`: the tenants the token's grant is connected to, with only
/// `X-AppMinLimit-Remaining`.
pub async fn connections(
    State(app): State<Arc<App>>,
    Query(q): Query<ConnectionsQuery>,
    headers: HeaderMap,
) -> Response<Body> {
    let now_ms = app.clock.now_ms();
    let response = match app.identity.authenticate(authorization(&headers), now_ms) {
        Err(unauthorized) => problem(StatusCode::UNAUTHORIZED, &unauthorized.0),
        Ok(token) => {
            let wanted = q.auth_event_id.map(|e| e.trim().to_ascii_lowercase());
            let list: Vec<Value> = app
                .identity
                .connections(token.grant)
                .iter()
                .filter(|c| {
                    wanted
                        .as_ref()
                        .is_none_or(|e| *e == c.auth_event_id.hyphenated().to_string())
                })
                .map(|c| connection_json(&app, c))
                .collect();
            let mut r = json_response(StatusCode::OK, &Value::Array(list));
            let remaining = app.limiter.app_remaining(now_ms);
            set(
                r.headers_mut(),
                "x-appminlimit-remaining",
                remaining.to_string(),
            );
            r
        }
    };
    app.stats.request("connections", response.status().as_u16());
    response
}

/// A connection as Xero's `Connection` schema has it.
fn connection_json(app: &App, c: &Connection) -> Value {
    let name = app.tenant(c.tenant_id).map(|t| t.name.as_str());
    json!({
        "id": c.id,
        "authEventId": c.auth_event_id,
        "tenantId": c.tenant_id,
        "tenantType": "ORGANISATION",
        "tenantName": name,
        "createdDateUtc": connection_date(c.created_ms),
        "updatedDateUtc": connection_date(c.updated_ms),
    })
}

/// `DELETE /connections/{id}`: the token's grant lets go of that tenant. `204` with no body,
/// Xero's plain `404` when the grant has no such connection (any more).
pub async fn delete_connection(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let response = match app
        .identity
        .authenticate(authorization(&headers), app.clock.now_ms())
    {
        Err(unauthorized) => problem(StatusCode::UNAUTHORIZED, &unauthorized.0),
        Ok(token) => match Uuid::parse_str(id.trim()) {
            Ok(id) if app.identity.remove_connection(token.grant, id) => {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::NO_CONTENT;
                r
            }
            _ => not_found(),
        },
    };
    app.stats.request("connections", response.status().as_u16());
    response
}

/// `POST /connect/revocation` (RFC 7009): revokes a refresh token with its whole grant.
/// `200` with an empty body, also for a token it does not know; a bad client is `401
/// invalid_client`. Not rate-limited, like the token endpoint.
pub async fn revocation(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    form: Result<Form<RevocationForm>, FormRejection>,
) -> Response<Body> {
    let outcome = match form {
        Err(_) => Err(OAuthError {
            status: 400,
            error: "invalid_request",
        }),
        Ok(Form(form)) => {
            let basic = basic_credentials(authorization(&headers));
            app.identity.revoke_grant(basic, form)
        }
    };
    let response = match outcome {
        Ok(()) => Response::new(Body::empty()),
        Err(e) => oauth_error(&app, e),
    };
    app.stats.request("revocation", response.status().as_u16());
    response
}

/// The `Authorization` header, as text: a bearer token, or a client's Basic credentials.
fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}
