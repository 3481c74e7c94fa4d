//! One Xero call outside a run's batch (a webhook's fetch by id, a report for `verify`): the
//! organisation's access token, a lease from the budget shared by replicas (waiting as it
//! says), the call, and the lease given back with what Xero said of its limits.

use std::time::Duration;

use uuid::Uuid;

use super::engine::Engine;
use crate::budget::Take;
use crate::xero::XeroError;
use crate::xero::client::{Answer, Get};

/// The longest one wait for the budget is slept before asking again.
const WAIT_AT_MOST: Duration = Duration::from_secs(5);

/// The tenant's access token (refreshed if due), for the calls that follow.
pub async fn token(engine: &Engine, tenant_id: Uuid) -> Result<String, XeroError> {
    let token = engine
        .vault
        .access_token(tenant_id, None)
        .await
        .map_err(|e| XeroError::Transport(e.to_string()))?;
    Ok(token.token.expose().to_owned())
}

/// Makes `get` for its tenant with `token` within the budget; `label` names the call in the
/// budget's accounting (an entity or a report).
pub async fn get(
    engine: &Engine,
    token: &str,
    get: &Get<'_>,
    label: &str,
) -> Result<Answer, XeroError> {
    let tenant_id: Uuid = get.tenant_id;
    let lease = loop {
        match engine.budget.take(tenant_id, false).await {
            Ok(Take::Granted(lease)) => break lease,
            Ok(Take::Wait(wait, _)) => tokio::time::sleep(wait.min(WAIT_AT_MOST)).await,
            Err(e) => return Err(XeroError::Transport(e.to_string())),
        }
    };
    let (answer, report) = engine.xero.get(token, get).await;
    let _ = match &answer {
        Err(XeroError::Unreachable(why)) => engine.budget.unreached(lease, tenant_id, why).await,
        _ => {
            engine
                .budget
                .give_back(lease, tenant_id, label, &report)
                .await
        }
    };
    answer
}
