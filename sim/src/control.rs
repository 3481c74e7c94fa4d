//! The control API under `/sim` (not Xero's): mutate, digest, stats, faults, clock, token
//! revocation and info. Used by tests, the demo and benchmarks; never rate-limited.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dates::iso_millis;
use crate::documents::doc as documents;
use crate::faults::FaultSpec;
use crate::manual_journals::line_versions;
use crate::record::timed_versions;
use crate::responses::json_response;
use crate::state::{App, Tenant, TenantData};
use crate::store::{self, Keyed};
use crate::webhooks::watch::watched;
use crate::{allocations, mutate, payments, settings, tax_rates};

/// A control-API failure: status and message.
type Failure = (StatusCode, String);

fn bad_request(message: impl Into<String>) -> Response<Body> {
    fail((StatusCode::BAD_REQUEST, message.into()))
}

fn fail((status, message): Failure) -> Response<Body> {
    json_response(status, &json!({ "error": message }))
}

/// The tenant named, or the first one when none is.
fn tenant(app: &App, id: Option<Uuid>) -> Result<&Tenant, Failure> {
    match id {
        None => app
            .tenants
            .first()
            .ok_or((StatusCode::BAD_REQUEST, "no tenants".to_owned())),
        Some(id) => app
            .tenant(id)
            .ok_or((StatusCode::NOT_FOUND, format!("unknown tenant {id}"))),
    }
}

/// Parses an optional JSON body (empty = default).
fn optional_json<T: for<'de> Deserialize<'de> + Default>(body: &Bytes) -> Result<T, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))
}

/// Body of `POST /sim/mutate`.
#[derive(Debug, Deserialize)]
pub struct MutateRequest {
    tenant_id: Option<Uuid>,
    entity: String,
    #[serde(default = "default_count")]
    count: usize,
    /// Date the changes this many seconds in the future (a record with a wrong clock) instead
    /// of now. The simulator's own clock does not move with them.
    #[serde(default)]
    future_secs: Option<i64>,
}

fn default_count() -> usize {
    100
}

/// `POST /sim/mutate`.
pub async fn mutate(State(app): State<Arc<App>>, Json(req): Json<MutateRequest>) -> Response<Body> {
    let tenant = match tenant(&app, req.tenant_id) {
        Ok(t) => t,
        Err(f) => return fail(f),
    };
    // Through `watched`: what the change creates or updates becomes webhook events.
    let outcome = watched(&app, tenant, |data| match req.future_secs {
        None => mutate::apply(data, &|| app.clock.next_stamp_ms(), &req.entity, req.count),
        Some(secs) => {
            let base = app.clock.now_ms() + secs.clamp(0, 100 * 365 * 86_400) * 1000;
            let n = std::cell::Cell::new(0);
            let stamp = || {
                n.set(n.get() + 1);
                base + n.get()
            };
            mutate::apply(data, &stamp, &req.entity, req.count)
        }
    });
    match outcome {
        Ok(o) => json_response(StatusCode::OK, &json!(o)),
        Err(e) => bad_request(e),
    }
}

/// Query of `GET /sim/digest`.
#[derive(Debug, Deserialize)]
pub struct DigestQuery {
    tenant_id: Option<Uuid>,
    entity: String,
}

/// `GET /sim/digest`: `{"count", "digest"}` over `"{id}|{version}\n"` sorted by id; version is
/// `UpdatedDateUTC` in epoch ms (journals: `JournalNumber`). Invoices include VOIDED and
/// DELETED ones and contacts ARCHIVED ones: everything a sync using If-Modified-Since (and
/// `includeArchived=true`) receives. `invoice_line_items` (version: the invoice's
/// `UpdatedDateUTC`) and `journal_lines` (version: `JournalNumber`) count lines.
pub async fn digest(State(app): State<Arc<App>>, Query(q): Query<DigestQuery>) -> Response<Body> {
    let tenant = match tenant(&app, q.tenant_id) {
        Ok(t) => t,
        Err(f) => return fail(f),
    };
    let versions = match versions(&tenant.read(), &q.entity) {
        Some(v) => v,
        None => return bad_request(format!("unknown entity '{}'", q.entity)),
    };
    let (count, digest) = store::digest(versions);
    json_response(StatusCode::OK, &json!({ "count": count, "digest": digest }))
}

fn versions(data: &TenantData, entity: &str) -> Option<Vec<(String, i64)>> {
    let uuids = |v: Vec<(Uuid, i64)>| {
        v.into_iter()
            .map(|(id, version)| (id.hyphenated().to_string(), version))
            .collect()
    };
    Some(match entity.to_ascii_lowercase().as_str() {
        "payments" => uuids(payments::versions(data)),
        "manual_journals" => uuids(data.manual_journals.versions()),
        "manual_journal_lines" => uuids(line_versions(&data.manual_journals)),
        "tax_rates" => tax_rates::versions(&data.tax_rates),
        "linked_transactions" => timed_versions(&data.links),
        "expense_claims" => timed_versions(&data.expense_claims),
        "allocations" => uuids(allocations::versions(&data.documents)),
        "contact_addresses" | "contact_phones" | "contact_persons" => contact_parts(data, entity),
        set if let Some(v) = settings::versions(&data.settings, set) => v,
        set if let Some(v) = documents::versions(&data.documents, set) => uuids(v),
        other => uuids(uuid_versions(data, other)?),
    })
}

/// The parts of every contact (`contact_addresses`, `contact_phones`, `contact_persons`),
/// keyed `{ContactID}/{AddressType | PhoneType | position}` (lower case, as every digest id)
/// and versioned by their contact.
fn contact_parts(data: &TenantData, set: &str) -> Vec<(String, i64)> {
    data.contacts
        .rows()
        .iter()
        .flat_map(|c| {
            let id = c.head.contact_id;
            let ms = c.head.updated.0;
            let keys: Vec<String> = match set {
                "contact_addresses" => c
                    .detail
                    .addresses
                    .iter()
                    .map(|a| a.address_type.to_owned())
                    .collect(),
                "contact_phones" => c
                    .detail
                    .phones
                    .iter()
                    .map(|p| p.phone_type.to_owned())
                    .collect(),
                _ => (1..=c.detail.contact_persons.len())
                    .map(|n| n.to_string())
                    .collect(),
            };
            keys.into_iter()
                .map(move |k| (format!("{id}/{k}").to_lowercase(), ms))
        })
        .collect()
}

fn uuid_versions(data: &TenantData, entity: &str) -> Option<Vec<(Uuid, i64)>> {
    let journal_version = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Some(match entity.to_ascii_lowercase().as_str() {
        "accounts" => data.accounts.versions(),
        "contacts" => data.contacts.versions(),
        "invoices" => data.invoices.versions(),
        "journals" => data
            .journals
            .all()
            .iter()
            .map(|j| (j.journal_id, journal_version(j.journal_number)))
            .collect(),
        "invoice_line_items" => data
            .invoices
            .rows()
            .iter()
            .flat_map(|inv| inv.lines.iter().map(|l| (l.line_item_id, inv.updated_ms())))
            .collect(),
        "journal_lines" => data
            .journals
            .all()
            .iter()
            .flat_map(|j| {
                j.journal_lines
                    .iter()
                    .map(|l| (l.journal_line_id, journal_version(j.journal_number)))
            })
            .collect(),
        _ => return None,
    })
}

/// `GET /sim/stats`.
pub async fn stats(State(app): State<Arc<App>>) -> Response<Body> {
    json_response(StatusCode::OK, &app.stats.snapshot())
}

/// `POST /sim/stats/reset`.
pub async fn reset_stats(State(app): State<Arc<App>>) -> Response<Body> {
    app.stats.reset();
    json_response(StatusCode::OK, &json!({ "reset": true }))
}

/// `POST /sim/faults`: one fault object or an array of them.
pub async fn add_faults(State(app): State<Arc<App>>, body: Bytes) -> Response<Body> {
    let specs: Vec<FaultSpec> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => match items.into_iter().map(serde_json::from_value).collect() {
            Ok(specs) => specs,
            Err(e) => return bad_request(e.to_string()),
        },
        Ok(one) => match serde_json::from_value(one) {
            Ok(spec) => vec![spec],
            Err(e) => return bad_request(e.to_string()),
        },
        Err(e) => return bad_request(e.to_string()),
    };
    app.faults.add(specs);
    list_faults(State(app)).await
}

/// `GET /sim/faults`: the scripted faults still pending, and those that hit a call (which call).
pub async fn list_faults(State(app): State<Arc<App>>) -> Response<Body> {
    let listing = json!({ "pending": app.faults.pending(), "taken": app.faults.taken() });
    json_response(StatusCode::OK, &listing)
}

/// `DELETE /sim/faults`.
pub async fn clear_faults(State(app): State<Arc<App>>) -> Response<Body> {
    app.faults.clear();
    json_response(StatusCode::OK, &json!({ "pending": [], "taken": [] }))
}

/// Body of `POST /sim/clock`.
#[derive(Debug, Default, Deserialize)]
pub struct ClockRequest {
    #[serde(default)]
    advance_secs: i64,
}

/// `POST /sim/clock {"advance_secs": N}` moves the clock forward; `GET` reads it.
pub async fn clock(State(app): State<Arc<App>>, body: Bytes) -> Response<Body> {
    let req: ClockRequest = match optional_json(&body) {
        Ok(r) => r,
        Err(f) => return fail(f),
    };
    if req.advance_secs < 0 {
        return bad_request("the clock only moves forward");
    }
    app.clock.advance_secs(req.advance_secs);
    read_clock(State(app)).await
}

/// `GET /sim/clock`.
pub async fn read_clock(State(app): State<Arc<App>>) -> Response<Body> {
    let now = app.clock.now_ms();
    json_response(
        StatusCode::OK,
        &json!({ "now_ms": now, "now": iso_millis(now) }),
    )
}

/// Body of `POST /sim/entitlements`.
#[derive(Debug, Deserialize)]
pub struct EntitlementRequest {
    tenant_id: Option<Uuid>,
    endpoint: String,
    entitled: bool,
}

/// `POST /sim/entitlements {"tenant_id", "endpoint": "Journals", "entitled": false}`: the
/// tenant's calls to that endpoint answer 403 until entitled again.
pub async fn entitlements(
    State(app): State<Arc<App>>,
    Json(req): Json<EntitlementRequest>,
) -> Response<Body> {
    let tenant = match tenant(&app, req.tenant_id) {
        Ok(t) => t.id,
        Err(f) => return fail(f),
    };
    app.entitlements.set(tenant, &req.endpoint, req.entitled);
    json_response(
        StatusCode::OK,
        &json!({ "tenant_id": tenant, "endpoint": req.endpoint, "entitled": req.entitled }),
    )
}

/// Body of `POST /sim/tokens/revoke`.
#[derive(Debug, Default, Deserialize)]
pub struct RevokeRequest {
    refresh_token: Option<String>,
}

/// `POST /sim/tokens/revoke`: revokes one refresh token, or all when none is named.
pub async fn revoke(State(app): State<Arc<App>>, body: Bytes) -> Response<Body> {
    let req: RevokeRequest = match optional_json(&body) {
        Ok(r) => r,
        Err(f) => return fail(f),
    };
    let revoked = app.identity.revoke(req.refresh_token.as_deref());
    json_response(StatusCode::OK, &json!({ "revoked": revoked }))
}

/// `GET /sim/info`: credentials and tenants, for demos and scripts.
pub async fn info(State(app): State<Arc<App>>) -> Response<Body> {
    let tenants: Vec<Value> = app
        .tenants
        .iter()
        .map(|t| json!({ "tenant_id": t.id, "name": t.name }))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "client_id": app.identity.client_id,
            "client_secret": app.identity.client_secret,
            "seed": app.config.seed,
            "tenants": tenants,
        }),
    )
}
