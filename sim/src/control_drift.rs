//! `POST /sim/drift`: a change Xero's API would not show to a sync that already read the
//! record, for testing verification and healing: a journal's amounts changed in place, or an
//! invoice voided (its reversal posted) without its `UpdatedDateUTC` moving.

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
    /// `journal` (the default) or `invoice_voided_quietly`.
    #[serde(default)]
    kind: Option<String>,
}

fn default_cents() -> i64 {
    1_234
}

/// `POST /sim/drift {"tenant_id", "cents"}`: a posted journal's amounts change with no new
/// journal (see `JournalLog::drift`; the receivable and payable accounts are spared, so the
/// documents still match them); answers `{"journal_id", "accounts"}`. The Trial Balance
/// follows the change at once.
pub async fn drift(State(app): State<Arc<App>>, Json(req): Json<DriftRequest>) -> Response<Body> {
    let tenant = match req.tenant_id {
        Some(id) => app.tenant(id),
        None => app.tenants.first(),
    };
    let Some(tenant) = tenant else {
        return json_response(StatusCode::NOT_FOUND, &json!({ "error": "unknown tenant" }));
    };
    let mut data = tenant.write();
    if req.kind.as_deref() == Some("invoice_voided_quietly") {
        let stamp = app.clock.next_stamp_ms();
        return match crate::mutate::invoices::void_quietly(&mut data, stamp) {
            Some((invoice_id, due)) => json_response(
                StatusCode::OK,
                &json!({ "invoice_id": invoice_id, "amount_due": due }),
            ),
            None => json_response(
                StatusCode::CONFLICT,
                &json!({ "error": "no authorised sale without payments or credit" }),
            ),
        };
    }
    if let Some(other) = req.kind.as_deref().filter(|k| *k != "journal") {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": format!("unknown drift kind '{other}' (journal, invoice_voided_quietly)") }),
        );
    }
    let spared = [data.book.receivable.id, data.book.payable.id];
    match data.journals.drift(req.cents, &spared) {
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
