//! What a fault does to an Accounting call that was admitted (and so counted against the
//! limits, as Xero counts a call that then fails): it may hold the call (`slow`), answer in
//! place of the endpoint (`status_500`, `offline_503`, `rate_limit_429`), bend the request
//! (`ignore_paging`, `short_page`), or spoil or follow up the answer (`truncate`,
//! `edit_served`). Each step is a function here, called in that order by the request flow.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Response, StatusCode};
use uuid::Uuid;

use crate::accounting::query::ListQuery;
use crate::faults::{Fault, FaultKind, Taken};
use crate::mutate;
use crate::responses::{too_many, with_body};
use crate::state::{App, Tenant};
use crate::webhooks::watch::watched;

/// The fault for this call, if one is due: noted for `GET /sim/faults` with the call's query,
/// and, for `slow`, held for its delay before anything else happens.
pub async fn take(
    app: &App,
    endpoint: &'static str,
    params: &HashMap<String, String>,
    tenant_id: Uuid,
) -> Option<Fault> {
    let fault = app.faults.take(endpoint, tenant_id, &app.fault_rng)?;
    app.faults.note(Taken {
        endpoint,
        tenant_id,
        kind: fault.kind,
        query: params.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
    });
    if fault.kind == FaultKind::Slow {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    Some(fault)
}

/// The answer a failing fault gives in place of the endpoint's, or `None` for the faults that
/// let the call go on.
pub fn failure(app: &App, fault: Fault, tenant_id: Uuid) -> Option<Response<Body>> {
    match fault.kind {
        FaultKind::Status500 => Some(with_body(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain; charset=utf-8",
            "An unhandled error with the Xero API. Contact the Xero API team if problems persist",
        )),
        FaultKind::Offline503 => Some(with_body(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain; charset=utf-8",
            "The Organisation is offline",
        )),
        FaultKind::RateLimit429 => Some(rate_limited(app, fault, tenant_id)),
        _ => None,
    }
}

/// A scripted 429: the limit it names reads as spent in the headers, the others as they are.
fn rate_limited(app: &App, fault: Fault, tenant_id: Uuid) -> Response<Body> {
    let problem = fault.problem;
    app.stats.rate_limited(tenant_id, problem);
    let mut remaining = app.limiter.remaining(tenant_id, app.clock.now_ms());
    match problem {
        "day" => remaining.day = 0,
        "appminute" => remaining.app_minute = 0,
        "concurrent" => {}
        _ => remaining.minute = 0,
    }
    // Without rate limits there is no budget to report (see `serve`).
    let reported = app.config.rate_limits.then_some(remaining);
    too_many(problem, fault.retry_after_secs, reported)
}

/// Bends the parsed request: `ignore_paging` serves from the start as if no cursor had been
/// sent, `short_page` cuts the page short.
pub fn bend(query: &mut ListQuery, fault: Option<Fault>) {
    match fault.map(|f| f.kind) {
        Some(FaultKind::IgnorePaging) => {
            query.ims_ms = None;
            query.offset = 0;
            query.page = query.page.map(|_| 1);
        }
        Some(FaultKind::ShortPage) => query.short_page = true,
        _ => {}
    }
}

/// Whether the body is cut in half (`truncate`): the client gets invalid JSON, and the call
/// does not count as served.
pub fn truncates(fault: Option<Fault>) -> bool {
    fault.is_some_and(|f| f.kind == FaultKind::Truncate)
}

/// After the answer (`edit_served`): the first record it served is edited, as by a Xero user
/// right after the page was read.
pub fn follow_up(
    app: &App,
    tenant: &Tenant,
    endpoint: &str,
    query: &ListQuery,
    fault: Option<Fault>,
) {
    if fault.is_some_and(|f| f.kind == FaultKind::EditServed) {
        let stamp = app.clock.next_stamp_ms();
        // An edit by a Xero user notifies like any other.
        watched(app, tenant, |data| {
            mutate::touch_first_served(data, endpoint, query, stamp);
        });
    }
}
