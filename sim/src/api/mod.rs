//! The request flow every Accounting call goes through: content negotiation, bearer token,
//! tenant, rate limits, faults, latency, then the endpoint's body, headers and stats. What a
//! fault does to a call is in `faulted`; compression and egress metering in `egress`.
//!
//! Content negotiation: real Xero answers XML unless JSON is asked for. The simulator speaks
//! only JSON and, to catch clients that would get XML from Xero, answers 406 unless `Accept`
//! names `application/json`.

mod egress;
mod faulted;
mod filtered;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};
use uuid::Uuid;

use crate::accounting;
use crate::accounting::endpoint::{Endpoint, Envelope, Paging};
use crate::accounting::query::{self, ListQuery};
use crate::identity::grants::GrantKind;
use crate::identity::tokens::Authenticated;
use crate::responses::{
    JSON_UTF8, limit_headers, not_found, problem, set, too_many, validation_error, with_body,
};
use crate::state::{App, Tenant};

/// The longest path and query Xero serves, in characters.
pub const MAX_URI: usize = 2_048;

/// `GET /api.xro/2.0/{endpoint}`.
pub async fn get(
    State(app): State<Arc<App>>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    call(&app, &name, &params, &uri, &headers).await
}

/// `GET /api.xro/2.0/{folder}/{endpoint}`: the endpoints under a folder
/// (`Reports/TrialBalance`), named by their whole path.
pub async fn get_in_folder(
    State(app): State<Arc<App>>,
    Path((folder, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    call(&app, &format!("{folder}/{name}"), &params, &uri, &headers).await
}

/// An Accounting call to the endpoint at `name`: answered, counted and metered.
async fn call(
    app: &App,
    name: &str,
    params: &HashMap<String, String>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response<Body> {
    let Some(endpoint) = accounting::endpoint(name) else {
        return not_found();
    };
    // Xero answers a request line past about 2,000 characters with a bare 404 (a long `IDs=`
    // list): a client must not read that as "no such record".
    if uri.to_string().len() > MAX_URI {
        app.stats
            .request(endpoint.name, StatusCode::NOT_FOUND.as_u16());
        return not_found();
    }
    let response = serve(app, endpoint, params, headers).await;
    // Metered for the organisation named (a custom connection's is the first).
    let tenant = match header(headers, "xero-tenant-id") {
        Some(raw) => Uuid::parse_str(raw.trim()).ok(),
        None => app.tenants.first().map(|t| t.id),
    };
    app.stats.request(endpoint.name, response.status().as_u16());
    let gzip = header(headers, header::ACCEPT_ENCODING)
        .is_some_and(|e| e.split(',').any(|c| c.trim().starts_with("gzip")));
    egress::encode(app, response, tenant, gzip).await
}

fn header(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Which tenant a call is for: the `xero-tenant-id` header, or the first tenant for a custom
/// connection (client_credentials) that sends none; `None` (a 403) unless the token's grant is
/// connected to it, so a removed connection answers as an unknown tenant does.
fn tenant_for(app: &App, token: &Authenticated, headers: &HeaderMap) -> Option<Uuid> {
    let id = match header(headers, "xero-tenant-id").filter(|v| !v.trim().is_empty()) {
        Some(raw) => Uuid::parse_str(raw.trim()).ok(),
        None if token.kind == GrantKind::Custom => app.tenants.first().map(|t| t.id),
        None => None,
    }?;
    Some(id).filter(|id| app.tenant(*id).is_some() && token.reaches(*id))
}

async fn serve(
    app: &App,
    endpoint: &'static Endpoint,
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
    let Some(tenant_id) = tenant_for(app, &token, headers) else {
        return problem(StatusCode::FORBIDDEN, "AuthenticationUnsuccessful");
    };
    if app.entitlements.refused(tenant_id, endpoint.name) {
        return problem(
            StatusCode::FORBIDDEN,
            &format!(
                "AuthorizationUnsuccessful: the app's pricing tier or the connected user's \
                 role does not include {}",
                endpoint.name
            ),
        );
    }
    let admitted = match app.limiter.admit(tenant_id, now_ms) {
        Ok(admitted) => admitted,
        Err(refused) => {
            app.stats.rate_limited(tenant_id, refused.problem.as_str());
            let problem = refused.problem.as_str();
            return too_many(problem, refused.retry_after_secs, Some(refused.remaining));
        }
    };
    app.stats.in_flight(tenant_id, admitted.in_flight);
    app.stats.admitted(tenant_id, admitted.app_window_ms);
    let mut response = answer(app, endpoint, params, headers, tenant_id).await;
    // Without rate limits there is no budget to report: no X-*-Remaining headers at all.
    if response.status() != StatusCode::TOO_MANY_REQUESTS && app.config.rate_limits {
        limit_headers(response.headers_mut(), admitted.remaining);
    }
    // The permit is held until here: a slow or delayed call stays in flight.
    drop(admitted);
    response
}

/// Everything after the call was admitted: faults, latency, the body. The order is observable
/// and tests rely on it: a fault is taken (a slow one held) before the latency, a failing fault
/// answers before the request is validated, and only a call answered in full counts as served.
async fn answer(
    app: &App,
    endpoint: &'static Endpoint,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    tenant_id: Uuid,
) -> Response<Body> {
    let fault = faulted::take(app, endpoint.name, params, tenant_id).await;
    if app.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(app.config.latency_ms)).await;
    }
    if let Some(failure) = fault.and_then(|f| faulted::failure(app, f, tenant_id)) {
        return failure;
    }
    let ims = header(headers, header::IF_MODIFIED_SINCE);
    let mut query = match parse(endpoint, params, ims) {
        Ok(q) => q,
        Err(message) => return validation_error(&message),
    };
    if let Some(message) = query
        .filters()
        .then(|| filtered::refused(endpoint))
        .flatten()
    {
        return validation_error(&message);
    }
    if let Some(raw) = ims {
        app.stats.if_modified_since(raw);
    }
    faulted::bend(&mut query, fault);
    let Some(tenant) = app.tenant(tenant_id) else {
        return problem(StatusCode::FORBIDDEN, "AuthenticationUnsuccessful");
    };
    let envelope = Envelope {
        id: Uuid::new_v4(),
        now_ms: app.clock.now_ms(),
    };
    let mut body = match render(tenant, endpoint, &query, envelope) {
        Ok(body) => body,
        Err(e) => return render_failed(&e),
    };
    if faulted::truncates(fault) {
        body.truncate(body.len() / 2);
    } else {
        app.stats
            .served(endpoint.name, tenant_id, endpoint.cursor_key(&query));
    }
    faulted::follow_up(app, tenant, endpoint.name, &query, fault);
    let mut response = with_body(StatusCode::OK, JSON_UTF8, body);
    set(
        response.headers_mut(),
        "xero-correlation-id",
        envelope.id.to_string(),
    );
    response
}

/// The request as the endpoint reads it: a report reads its `date`, `fromDate` and `toDate`
/// too (a period that ends before it starts is refused).
fn parse(
    endpoint: &Endpoint,
    params: &HashMap<String, String>,
    ims: Option<&str>,
) -> Result<ListQuery, String> {
    let mut query = query::parse(params, ims)?;
    if endpoint.paging == Paging::Report {
        query.date = query::report_day(params, "date")?;
        query.from_date = query::report_day(params, "fromDate")?;
        query.to_date = query::report_day(params, "toDate")?;
        if let (Some(from), Some(to)) = (query.from_date, query.to_date)
            && from > to
        {
            return Err("fromDate is after toDate".to_owned());
        }
    }
    Ok(query)
}

/// The endpoint's body for the tenant, read under its lock.
fn render(
    tenant: &Tenant,
    endpoint: &Endpoint,
    query: &ListQuery,
    envelope: Envelope,
) -> serde_json::Result<Vec<u8>> {
    let data = tenant.read();
    if query.filters() {
        return filtered::render(&data, endpoint, query, envelope);
    }
    (endpoint.render)(&data, query, envelope)
}

/// The 500 of a body that could not be rendered (logged here: nothing else handles it).
fn render_failed(e: &serde_json::Error) -> Response<Body> {
    tracing::error!(error = %e, "sim: rendering a response failed");
    with_body(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain; charset=utf-8",
        "",
    )
}
