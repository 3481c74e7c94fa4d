//! `POST /sim/drift`: a change Xero's API would not show to a sync that already read the
//! record, for testing verification and healing.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::responses::json_response;
use crate::state::App;

/// Body of `POST /sim/drift`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftRequest {
    tenant_id: Option<Uuid>,
    /// How much each of the journal's two lines grows, in cents (default 1,234).
    #[serde(default = "default_cents")]
    cents: i64,
}

fn default_cents() -> i64 {
    1_234
}

/// `POST /sim/drift {"tenant_id", "cents"}`: a posted journal's amounts change with no new
/// journal (see `JournalLog::drift`); answers `{"journal_id", "accounts"}`. The Trial Balance
/// follows the change at once.
pub async fn drift(State(app): State<Arc<App>>, Json(req): Json<DriftRequest>) -> Response<Body> {
    let tenant = match req.tenant_id {
        Some(id) => app.tenant(id),
        None => app.tenants.first(),
    };
    let Some(tenant) = tenant else {
        return json_response(StatusCode::NOT_FOUND, &json!({ "error": "unknown tenant" }));
    };
    match tenant.write().journals.drift(req.cents) {
        Some((journal_id, accounts)) => json_response(
            StatusCode::OK,
            &json!({ "journal_id": journal_id, "accounts": accounts }),
        ),
        None => json_response(
            StatusCode::CONFLICT,
            &json!({ "error": "no journal with two lines to change" }),
        ),
    }
}
