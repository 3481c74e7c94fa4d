//! The request flow every Accounting call goes through: content negotiation, bearer token,
//! tenant, rate limits, faults, latency, then the endpoint's body, headers and stats.
//!
//! Content negotiation: real Xero answers XML unless JSON is asked for. The simulator speaks
//! only JSON and, to catch clients that would get XML from Xero, answers 406 unless `Accept`
//! names `application/json`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Response, StatusCode, header};
use uuid::Uuid;

use crate::accounting::{self, DEFAULT_PAGE_SIZE, Envelope, ListQuery, MAX_PAGE_SIZE};
use crate::dates::parse_if_modified_since;
use crate::faults::{Fault, FaultKind, Taken};
use crate::identity::GrantKind;
use crate::responses::{
    JSON_UTF8, limit_headers, not_found, problem, set, too_many, validation_error, with_body,
};
use crate::state::App;

/// `GET /api.xro/2.0/{endpoint}`.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response<Body> {
    let Some(endpoint) = accounting::endpoint(&name) else {
        return not_found();
    };
    let response = serve(&app, endpoint, &params, &headers).await;
    // Metered for the organisation named (a custom connection's is the first).
    let tenant = match header(&headers, "xero-tenant-id") {
        Some(raw) => Uuid::parse_str(raw.trim()).ok(),
        None => app.tenants.first().map(|t| t.id),
    };
    app.stats.request(endpoint.name, response.status().as_u16());
    let gzip = header(&headers, header::ACCEPT_ENCODING)
        .is_some_and(|e| e.split(',').any(|c| c.trim().starts_with("gzip")));
    encode(&app, response, tenant, gzip).await
}

/// Compresses the body when the client accepts gzip (Xero meters egress, so clients should
/// ask), and meters the bytes sent for the tenant, as Xero's egress reports would.
async fn encode(
    app: &App,
    response: Response<Body>,
    tenant: Option<Uuid>,
    gzip: bool,
) -> Response<Body> {
    use std::io::Write as _;
    let (mut parts, body) = response.into_parts();
    let Ok(decoded) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let wire = if gzip && !decoded.is_empty() {
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(decoded.len() / 4),
            flate2::Compression::fast(),
        );
        match encoder.write_all(&decoded).and_then(|()| encoder.finish()) {
            Ok(compressed) => {
                parts
                    .headers
                    .insert(header::CONTENT_ENCODING, "gzip".parse().expect("valid"));
                axum::body::Bytes::from(compressed)
            }
            Err(_) => decoded.clone(),
        }
    } else {
        decoded.clone()
    };
    if let Some(tenant) = tenant {
        app.stats
            .egress(tenant, wire.len() as u64, decoded.len() as u64);
    }
    Response::from_parts(parts, Body::from(wire))
}

fn header(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Which tenant a call is for: the `xero-tenant-id` header, or the first tenant for a custom
/// connection (client_credentials) that sends none.
fn tenant_for(app: &App, kind: GrantKind, headers: &HeaderMap) -> Option<Uuid> {
    match header(headers, "xero-tenant-id").filter(|v| !v.trim().is_empty()) {
        Some(raw) => Uuid::parse_str(raw.trim())
            .ok()
            .filter(|id| app.tenant(*id).is_some()),
        None if kind == GrantKind::Custom => app.tenants.first().map(|t| t.id),
        None => None,
    }
}

async fn serve(
    app: &App,
    endpoint: &'static accounting::Endpoint,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response<Body> {
    let accepts_json = header(headers, header::ACCEPT)
        .is_some_and(|a| a.to_ascii_lowercase().contains("application/json"));
    if !accepts_json {
        return with_body(
            StatusCode::NOT_ACCEPTABLE,
            "text/plain; charset=utf-8",
            "The simulator only serves JSON: send 'Accept: application/json'",
        );
    }
    let now_ms = app.clock.now_ms();
    let token = match app
        .identity
        .authenticate(header(headers, header::AUTHORIZATION), now_ms)
    {
        Ok(token) => token,
        Err(unauthorized) => return problem(StatusCode::UNAUTHORIZED, &unauthorized.0),
    };
    // A token without the endpoint's scope: Xero's 401 AuthorizationUnsuccessful.
    if !token.allows(endpoint.scopes) {
        return problem(StatusCode::UNAUTHORIZED, "AuthorizationUnsuccessful");
    }
    let Some(tenant_id) = tenant_for(app, token.kind, headers) else {
        return problem(StatusCode::FORBIDDEN, "AuthenticationUnsuccessful");
    };
    if app.entitlements.refused(tenant_id, endpoint.name) {
        return problem(
            StatusCode::FORBIDDEN,
            &format!(
                "AuthorizationUnsuccessful: this organisation's plan or the connected user's \
                 role does not include {}",
                endpoint.name
            ),
        );
    }
    let admitted = match app.limiter.admit(tenant_id, now_ms) {
        Ok(admitted) => admitted,
        Err(refused) => {
            app.stats.rate_limited(refused.problem.as_str());
            let problem = refused.problem.as_str();
            return too_many(problem, refused.retry_after_secs, Some(refused.remaining));
        }
    };
    app.stats.in_flight(tenant_id, admitted.in_flight);
    let mut response = answer(app, endpoint, params, headers, tenant_id).await;
    // Without rate limits there is no budget to report: no X-*-Remaining headers at all.
    if response.status() != StatusCode::TOO_MANY_REQUESTS && app.config.rate_limits {
        limit_headers(response.headers_mut(), admitted.remaining);
    }
    // The permit is held until here: a slow or delayed call stays in flight.
    drop(admitted);
    response
}

/// Everything after the call was admitted: faults, latency, the body.
async fn answer(
    app: &App,
    endpoint: &'static accounting::Endpoint,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    tenant_id: Uuid,
) -> Response<Body> {
    let fault = app.faults.take(endpoint.name, tenant_id, &app.fault_rng);
    if let Some(fault) = fault {
        app.faults.note(Taken {
            endpoint: endpoint.name,
            tenant_id,
            kind: fault.kind,
            query: params.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    }
    if let Some(Fault {
        kind: FaultKind::Slow,
        delay_ms,
        ..
    }) = fault
    {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    if app.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(app.config.latency_ms)).await;
    }
    match fault.map(|f| (f.kind, f.retry_after_secs, f.problem)) {
        Some((FaultKind::Status500, _, _)) => {
            return with_body(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "An unhandled error with the Xero API. Contact the Xero API team if problems persist",
            );
        }
        Some((FaultKind::Offline503, _, _)) => {
            return with_body(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain; charset=utf-8",
                "The Organisation is offline",
            );
        }
        Some((FaultKind::RateLimit429, retry_after, problem)) => {
            app.stats.rate_limited(problem);
            let mut remaining = app.limiter.remaining(tenant_id, app.clock.now_ms());
            match problem {
                "day" => remaining.day = 0,
                "appminute" => remaining.app_minute = 0,
                "concurrent" => {}
                _ => remaining.minute = 0,
            }
            // Without rate limits there is no budget to report (see `serve`).
            let reported = app.config.rate_limits.then_some(remaining);
            return too_many(problem, retry_after, reported);
        }
        _ => {}
    }
    let mut query = match parse_query(params, headers) {
        Ok(q) => q,
        Err(message) => return validation_error(&message),
    };
    if let Some(raw) = header(headers, header::IF_MODIFIED_SINCE) {
        app.stats.if_modified_since(raw);
    }
    match fault.map(|f| f.kind) {
        Some(FaultKind::IgnorePaging) => {
            query.ims_ms = None;
            query.offset = 0;
            query.page = query.page.map(|_| 1);
        }
        Some(FaultKind::ShortPage) => query.short_page = true,
        _ => {}
    }
    let Some(tenant) = app.tenant(tenant_id) else {
        return problem(StatusCode::FORBIDDEN, "AuthenticationUnsuccessful");
    };
    let envelope = Envelope {
        id: Uuid::new_v4(),
        now_ms: app.clock.now_ms(),
    };
    let rendered = {
        let data = tenant.read();
        (endpoint.render)(&data, &query, envelope)
    };
    let mut body = match rendered {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "sim: rendering a response failed");
            return with_body(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "",
            );
        }
    };
    let truncated = matches!(
        fault,
        Some(Fault {
            kind: FaultKind::Truncate,
            ..
        })
    );
    if truncated {
        body.truncate(body.len() / 2);
    } else {
        app.stats
            .served(endpoint.name, tenant_id, query.cursor_key(endpoint));
    }
    if matches!(fault.map(|f| f.kind), Some(FaultKind::EditServed)) {
        let stamp = app.clock.next_stamp_ms();
        crate::mutate::touch_first_served(&mut tenant.write(), endpoint.name, &query, stamp);
    }
    let mut response = with_body(StatusCode::OK, JSON_UTF8, body);
    set(
        response.headers_mut(),
        "xero-correlation-id",
        envelope.id.to_string(),
    );
    response
}

/// Reads `If-Modified-Since`, `page`, `pageSize`, `offset`, `includeArchived`, `summaryOnly`
/// (query names case-insensitive, as Xero's).
fn parse_query(params: &HashMap<String, String>, headers: &HeaderMap) -> Result<ListQuery, String> {
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    let ims_ms = match header(headers, header::IF_MODIFIED_SINCE) {
        Some(raw) => Some(parse_if_modified_since(raw).map_err(|e| e.to_string())?),
        None => None,
    };
    let page = match get("page").filter(|p| !p.is_empty()) {
        Some(p) => Some(
            p.parse::<i64>()
                .map_err(|_| format!("'{p}' is not a valid page number"))?
                .clamp(1, i64::from(u32::MAX)) as u32,
        ),
        None => None,
    };
    // Out-of-range page sizes are clamped to the nearest supported size, as Xero documents.
    let page_size = get("pageSize")
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(DEFAULT_PAGE_SIZE, |s| {
            s.clamp(1, i64::from(MAX_PAGE_SIZE)) as u32
        });
    let offset = get("offset")
        .and_then(|s| s.parse::<i64>().ok())
        .map_or(0, |o| o.max(0).unsigned_abs());
    let flag = |name: &str| get(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    Ok(ListQuery {
        ims_ms,
        page,
        page_size,
        offset,
        include_archived: flag("includeArchived"),
        include_deleted: flag("includeDeleted"),
        summary_only: flag("summaryOnly"),
        short_page: false,
    })
}
