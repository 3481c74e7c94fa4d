//! `POST /sim/drift`: a change Xero's API would not show to a sync that already read the
//! record, for testing verification and healing: a journal's amounts changed in place, a
//! journal gone without a trace, or an invoice voided (its reversal posted) without its
//! `UpdatedDateUTC` moving.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::responses::json_response;
use crate::state::{App, TenantData};

/// Body of `POST /sim/drift`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftRequest {
    tenant_id: Option<Uuid>,
    /// How much each of the journal's two lines grows, in cents (default 1,234).
    #[serde(default = "default_cents")]
    cents: i64,
    /// `journal` (the default), `journal_deleted_quietly` or `invoice_voided_quietly`.
    #[serde(default)]
    kind: Option<String>,
}

fn default_cents() -> i64 {
    1_234
}

/// `POST /sim/drift {"tenant_id", "cents", "kind"}`: by default a posted journal's amounts
/// change with no new journal (see `JournalLog::drift`; the receivable and payable accounts are
/// spared, so the documents still match them); `journal_deleted_quietly`: that journal vanishes
/// instead; both answer `{"journal_id", "accounts"}`, and the Trial Balance follows at once.
/// `invoice_voided_quietly`: see `void_quietly`, answers `{"invoice_id", "amount_due"}`.
pub async fn drift(State(app): State<Arc<App>>, Json(req): Json<DriftRequest>) -> Response<Body> {
    let tenant = match req.tenant_id {
        Some(id) => app.tenant(id),
        None => app.tenants.first(),
    };
    let Some(tenant) = tenant else {
        return json_response(StatusCode::NOT_FOUND, &json!({ "error": "unknown tenant" }));
    };
    let mut data = tenant.write();
    let spared = [data.book.receivable.id, data.book.payable.id];
    let (answer, none) = match req.kind.as_deref().unwrap_or("journal") {
        "journal" => (
            data.journals.drift(req.cents, &spared).map(
                |(journal_id, accounts)| json!({ "journal_id": journal_id, "accounts": accounts }),
            ),
            "no journal with two lines to change",
        ),
        "journal_deleted_quietly" => (
            vanish(&mut data, &spared).map(
                |(journal_id, accounts)| json!({ "journal_id": journal_id, "accounts": accounts }),
            ),
            "no journal with two lines to delete",
        ),
        "invoice_voided_quietly" => (
            crate::mutate::invoices::void_quietly(&mut data, app.clock.next_stamp_ms())
                .map(|(invoice_id, due)| json!({ "invoice_id": invoice_id, "amount_due": due })),
            "no authorised sale without payments or credit",
        ),
        other => {
            let error = format!(
                "unknown drift kind '{other}' (journal, journal_deleted_quietly, \
                 invoice_voided_quietly)"
            );
            return json_response(StatusCode::BAD_REQUEST, &json!({ "error": error }));
        }
    };
    match answer {
        Some(body) => json_response(StatusCode::OK, &body),
        None => json_response(StatusCode::CONFLICT, &json!({ "error": none })),
    }
}

/// Makes the journal drift would change vanish from the log, and re-points the postings of
/// invoices, documents and manual journals that referred to it (none now) or to later ones.
fn vanish(data: &mut TenantData, spared: &[Uuid]) -> Option<(Uuid, [Uuid; 2])> {
    let (gone, journal_id, accounts) = data.journals.vanish(spared)?;
    let repoint = |posting: &mut Option<usize>| {
        *posting = match *posting {
            Some(j) if j == gone => None,
            Some(j) if j > gone => Some(j - 1),
            other => other,
        };
    };
    for i in 0..data.invoices.len() {
        data.invoices.update(i, |inv| repoint(&mut inv.posting));
    }
    for set in &mut data.documents.sets {
        for j in 0..set.len() {
            set.update(j, |d| repoint(&mut d.posting));
        }
    }
    for i in 0..data.manual_journals.len() {
        data.manual_journals.update(i, |m| repoint(&mut m.posting));
    }
    Some((journal_id, accounts))
}
