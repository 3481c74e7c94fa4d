//! Response bodies and headers as Xero sends them: problem-details 401/403, ValidationException
//! 400, plain-text 404/500/503, and the rate-limit headers.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode, header};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::limits::Remaining;

/// `application/json; charset=utf-8`, Xero's content type.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// A response with a body and a content type.
pub fn with_body(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A JSON response.
pub fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    with_body(status, JSON_UTF8, value.to_string())
}

/// The 401/403 problem-details body Xero sends.
pub fn problem(status: StatusCode, detail: &str) -> Response<Body> {
    let title = if status == StatusCode::FORBIDDEN {
        "Forbidden"
    } else {
        "Unauthorized"
    };
    let mut response = json_response(
        status,
        &json!({
            "Type": null,
            "Title": title,
            "Status": status.as_u16(),
            "Detail": detail,
            "Instance": Uuid::new_v4(),
            "Extensions": {},
        }),
    );
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// A 400 `ValidationException` with one message.
pub fn validation_error(message: &str) -> Response<Body> {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [{ "ValidationErrors": [{ "Message": message }] }],
        }),
    )
}

/// Xero's 404: plain text.
pub fn not_found() -> Response<Body> {
    with_body(
        StatusCode::NOT_FOUND,
        "text/html; charset=utf-8",
        "The resource you're looking for cannot be found",
    )
}

/// The `X-*Limit-Remaining` headers of a tenant call.
pub fn limit_headers(headers: &mut HeaderMap, r: Remaining) {
    set(headers, "x-minlimit-remaining", r.minute.to_string());
    set(headers, "x-daylimit-remaining", r.day.to_string());
    set(headers, "x-appminlimit-remaining", r.app_minute.to_string());
}

/// Sets a header from a string known to be a valid header value.
pub fn set(headers: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

/// A 429 for `problem`, with `Retry-After`.
pub fn too_many(
    problem: &str,
    retry_after_secs: u64,
    remaining: Option<Remaining>,
) -> Response<Body> {
    let mut response = with_body(
        StatusCode::TOO_MANY_REQUESTS,
        "text/plain; charset=utf-8",
        format!("Rate limit exceeded: {problem}"),
    );
    let headers = response.headers_mut();
    if let Some(remaining) = remaining {
        limit_headers(headers, remaining);
    }
    set(headers, "x-rate-limit-problem", problem.to_owned());
    set(headers, "retry-after", retry_after_secs.to_string());
    response
}
