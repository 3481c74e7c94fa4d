//! HTTP handlers of the identity side: `GET /identity/connect/authorize`,
//! `POST /connect/token` and `GET /connections`. Not rate-limited.

use std::sync::Arc;

use axum::Form;
use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::dates::connection_date;
use crate::faults::FaultKind;
use crate::identity::tokens::OAuthError;
use crate::identity::wire::{AuthorizeQuery, TokenForm, basic_credentials};
use crate::responses::{json_response, problem, set};
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
            let basic = basic_credentials(
                headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok()),
            );
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

/// `GET /connections`: every simulated tenant, with only `X-AppMinLimit-Remaining`.
pub async fn connections(State(app): State<Arc<App>>, headers: HeaderMap) -> Response<Body> {
    let now_ms = app.clock.now_ms();
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let response = match app.identity.authenticate(auth, now_ms) {
        Err(unauthorized) => problem(StatusCode::UNAUTHORIZED, &unauthorized.0),
        Ok(_) => {
            let list: Vec<Value> = app
                .tenants
                .iter()
                .map(|t| {
                    json!({
                        "id": uuid::Uuid::new_v5(&t.id, b"connection"),
                        "authEventId": app.identity.auth_event_id,
                        "tenantId": t.id,
                        "tenantType": "ORGANISATION",
                        "tenantName": t.name,
                        "createdDateUtc": connection_date(t.connected_ms),
                        "updatedDateUtc": connection_date(t.connected_ms),
                    })
                })
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
