//! The Xero half of a batch: up to `SYNC_BATCH_SIZE` calls (or `SYNC_BATCH_BYTES` of
//! responses) following the run's cursor, stopping early at the first error, which the batch
//! then decides on. Nothing here writes to the database.

use std::time::Duration;

use super::cursor::{Cursor, Step};
use super::engine::{Engine, jittered};
use super::outcome::Stop;
use super::run::Run;
use crate::budget::Take;
use crate::entity::{Entity, Paging};
use crate::vault::AccessToken;
use crate::xero::client::{Get, Report};
use crate::xero::page::Fields;
use crate::xero::{Page, XeroError};

/// What the calls of one batch brought.
#[derive(Debug)]
pub(super) struct Fetched {
    /// The pages, in order.
    pub pages: Vec<Page>,
    /// The cursor the batch started from.
    pub from: Cursor,
    /// The cursor after the last page.
    pub cursor: Cursor,
    /// The last page ended the run.
    pub done: bool,
    /// Xero calls made, failed ones included.
    pub calls: i32,
    /// What stopped the batch early, if anything did.
    pub stop: Option<Stop>,
}

impl Fetched {
    /// Response bytes held.
    pub fn bytes(&self) -> u64 {
        self.pages.iter().map(|p| p.body.len() as u64).sum()
    }
}

/// Fetches the batch's pages from `cursor` on.
pub(super) async fn fetch(
    engine: &Engine,
    entity: &Entity,
    run: &Run,
    cursor: Cursor,
    mut token: AccessToken,
) -> Fetched {
    let settings = engine.settings;
    let mut fetched = Fetched {
        pages: Vec::new(),
        from: cursor.clone(),
        cursor,
        done: false,
        calls: 0,
        stop: None,
    };
    let mut refreshed = false;
    let mut returns = Vec::new();
    while fetched.pages.len() < settings.batch_size as usize
        && fetched.bytes() < settings.batch_bytes
    {
        let lease = match lease(engine, run).await {
            Ok(lease) => lease,
            Err(stop) => {
                fetched.stop = Some(stop);
                break;
            }
        };
        fetched.calls += 1;
        let (result, report) = call(engine, entity, run, &fetched.cursor, &token).await;
        returns.push(give_back(engine, entity, run, lease, &result, report));
        let goes_on = match result {
            Ok(page) => fetched.take(entity, page, engine),
            // A token Xero refuses before its time (revoked, rotated elsewhere): one refresh.
            Err(XeroError::Unauthorized { .. }) if !refreshed => {
                refreshed = true;
                refresh(engine, run, &mut token, &mut fetched).await
            }
            Err(e) => {
                if let XeroError::RateLimited { problem, .. } = &e {
                    tracing::info!(xero.rate_limit_problem = %problem, "Xero rate limit reached");
                }
                fetched.stop = Some(Stop::Xero(e));
                false
            }
        };
        if !goes_on {
            break;
        }
    }
    await_returns(returns).await;
    fetched
}

/// Gives the call's lease back while the batch goes on (a round trip less on every call); the
/// batch waits for every return before it commits, so egress and counters are in place by
/// then. A call that never reached Xero is not counted.
fn give_back<T>(
    engine: &Engine,
    entity: &Entity,
    run: &Run,
    lease: i64,
    result: &Result<T, XeroError>,
    report: Report,
) -> tokio::task::JoinHandle<Result<(), sqlx::Error>> {
    let budget = engine.budget.clone();
    let (tenant_id, name) = (run.tenant_id, entity.name);
    let unreached = match result {
        Err(XeroError::Unreachable(why)) => Some(why.clone()),
        _ => None,
    };
    tokio::spawn(async move {
        match unreached {
            Some(why) => budget.unreached(lease, tenant_id, &why).await,
            None => budget.give_back(lease, tenant_id, name, &report).await,
        }
    })
}

/// Replaces a token Xero refused with a fresh one; `false` (the batch stops) when there is none.
async fn refresh(
    engine: &Engine,
    run: &Run,
    token: &mut AccessToken,
    fetched: &mut Fetched,
) -> bool {
    match engine
        .vault
        .access_token(run.tenant_id, Some(&token.token))
        .await
    {
        Ok(fresh) => {
            *token = fresh;
            true
        }
        Err(e) => {
            fetched.stop = Some(Stop::Token(e));
            false
        }
    }
}

/// Waits until every lease of the batch is given back.
async fn await_returns(returns: Vec<tokio::task::JoinHandle<Result<(), sqlx::Error>>>) {
    for returned in returns {
        match returned.await {
            Ok(Ok(())) => {}
            // The lease expires by itself; the counters catch up with the next response.
            Ok(Err(e)) => tracing::warn!(error = %e, "could not give the call's lease back"),
            Err(e) => tracing::warn!(error = %e, "giving the call's lease back failed"),
        }
    }
}

/// The longest a batch waits in place for the budget; a longer wait snoozes its job, so the
/// worker serves other tenants meanwhile.
const WAIT_IN_PLACE: Duration = Duration::from_secs(2);

/// A lease on a call for the run's tenant from the shared budget, waiting for one briefly.
async fn lease(engine: &Engine, run: &Run) -> Result<i64, Stop> {
    let full = run.mode == "full";
    loop {
        match engine.budget.take(run.tenant_id, full).await {
            Ok(Take::Granted(lease)) => return Ok(lease),
            Ok(Take::Wait(wait, reason)) if wait <= WAIT_IN_PLACE => {
                tracing::debug!(wait = ?wait, reason, "waiting for Xero's budget");
                tokio::time::sleep(jittered(wait)).await;
            }
            Ok(Take::Wait(wait, reason)) => return Err(Stop::Budget { wait, reason }),
            Err(e) => return Err(Stop::Database(e)),
        }
    }
}

/// The call the cursor asks for, parsed, and what it cost.
async fn call(
    engine: &Engine,
    entity: &Entity,
    run: &Run,
    cursor: &Cursor,
    token: &AccessToken,
) -> (Result<Page, XeroError>, Report) {
    let ask = cursor.ask();
    let mut query = ask.query;
    let sweep: &[(&str, &str)] = if run.summary { entity.sweep_query } else { &[] };
    query.extend(
        entity
            .query
            .iter()
            .chain(sweep)
            .map(|(k, v)| (*k, (*v).to_owned())),
    );
    let get = Get {
        tenant_id: run.tenant_id,
        endpoint: entity.endpoint,
        query,
        modified_since: ask.modified_since,
    };
    let fields = Fields {
        collection: entity.collection,
        id: entity.id_field,
        number: match entity.paging {
            Paging::Offset { field } => Some(field),
            _ => None,
        },
    };
    let (answer, report) = engine.xero.get(token.token.expose(), &get).await;
    (answer.and_then(|a| Page::parse(a.body, fields)), report)
}

impl Fetched {
    /// Moves the cursor past `page` and keeps it; `false` when the batch is over (the run is
    /// done, or stuck).
    fn take(&mut self, entity: &Entity, page: Page, engine: &Engine) -> bool {
        let overlap = chrono::TimeDelta::from_std(engine.settings.overlap).unwrap_or_default();
        match self.cursor.advance(&page, overlap) {
            Ok(step) => {
                self.pages.push(page);
                match step {
                    Step::Next(next) => {
                        self.cursor = next;
                        true
                    }
                    Step::Done => {
                        self.done = true;
                        false
                    }
                }
            }
            Err(stuck) => {
                // The page is dropped: committing it would leave the cursor where it is, and
                // the next batch would fetch it again, forever.
                let at = serde_json::to_string(&self.cursor).unwrap_or_default();
                let error = format!("{}: {stuck} (at cursor {at})", entity.endpoint);
                self.stop = Some(Stop::Stuck(error));
                false
            }
        }
    }
}
