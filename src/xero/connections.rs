//! Xero's `/connections`: the organisations a token reaches, and disconnecting one of them
//! (`DELETE /connections/{id}`). Not the Accounting API: no tenant header, no limit headers.

use std::time::Duration;

use serde::Deserialize;
use uuid::Uuid;

use super::error::{XeroError, classify, error_chain};
use crate::config::Secret;

/// One organisation a token reaches.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    /// Xero's id of this organisation's connection to the app.
    pub id: Option<Uuid>,
    /// The organisation's id, sent as `xero-tenant-id`.
    pub tenant_id: Uuid,
    /// Its name.
    pub tenant_name: String,
    /// ORGANISATION, PRACTICE…
    pub tenant_type: String,
}

/// How long a call to `/connections` may take.
const TIMEOUT: Duration = Duration::from_secs(30);

fn url(api_url: &str) -> String {
    format!("{}/connections", api_url.trim_end_matches('/'))
}

/// `GET /connections`: every organisation `token` reaches.
pub async fn list(
    http: &reqwest::Client,
    api_url: &str,
    token: &Secret,
) -> Result<Vec<Connection>, XeroError> {
    let response = http
        .get(url(api_url))
        .bearer_auth(token.expose())
        .header("Accept", "application/json")
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| XeroError::Transport(error_chain(&e)))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| XeroError::Transport(error_chain(&e)))?;
    if !status.is_success() {
        return Err(classify(status, body, None, None));
    }
    serde_json::from_str(&body)
        .map_err(|e| XeroError::Malformed(format!("/connections is not a list: {e}")))
}

/// `DELETE /connections/{id}`: disconnects one organisation from the app. `false` when Xero
/// no longer knew the connection (disconnected already).
pub async fn delete(
    http: &reqwest::Client,
    api_url: &str,
    token: &Secret,
    id: Uuid,
) -> Result<bool, XeroError> {
    let response = http
        .delete(format!("{}/{id}", url(api_url)))
        .bearer_auth(token.expose())
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| XeroError::Transport(error_chain(&e)))?;
    let status = response.status();
    match status.as_u16() {
        200..=299 => Ok(true),
        404 => Ok(false),
        _ => {
            let body = response.text().await.unwrap_or_default();
            Err(classify(status, body, None, None))
        }
    }
}
