//! The payloads of the two kinds of job that share the queue. Their field names are a wire
//! format (SQL callers and queued rows hold them): never renamed once deployed.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// One batch of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchJob {
    /// The run this batch belongs to.
    pub run_id: Uuid,
    /// The organisation.
    pub tenant_id: Uuid,
    /// The entity's wire name.
    pub entity: String,
    /// The batch's number within the run, from 0.
    pub seq: i32,
}

impl BatchJob {
    /// One job per (run, batch): a duplicate enqueue is a no-op.
    pub fn idempotency_key(&self) -> String {
        format!("{}:{}", self.run_id, self.seq)
    }

    /// The batch after this one.
    pub fn next(&self) -> BatchJob {
        BatchJob {
            seq: self.seq + 1,
            ..self.clone()
        }
    }
}

/// A scheduled run: at `run_at` it starts the pair's next run through `xero.start_run` (which
/// returns an active run rather than starting a second one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledRun {
    /// The organisation.
    pub tenant_id: Uuid,
    /// The entity's wire name.
    pub entity: String,
    /// The run whose end scheduled this one.
    pub after_run: Uuid,
}

/// The webhook events of an organisation, to be turned into fetches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksJob {
    /// The organisation whose unhandled events the job handles (all of them, whichever
    /// delivery brought them).
    pub webhooks_of: Uuid,
    /// The delivery that enqueued it (for its idempotency key).
    pub delivery: i64,
}

/// A verification of an organisation's ledger against Xero's Trial Balance, or its second
/// look once the runs that heal a difference have ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyJob {
    /// The organisation.
    pub verify_tenant: Uuid,
    /// The check whose difference the runs heal (`None`: a first check).
    #[serde(default)]
    pub healing: Option<i64>,
}

/// A snapshot of an organisation's reports (Trial Balance, Profit and Loss, Balance Sheet,
/// Bank Summary), kept as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsJob {
    /// The organisation.
    pub reports_of: Uuid,
}

/// A decoded job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A batch of a run.
    Batch(BatchJob),
    /// A scheduled run.
    Scheduled(ScheduledRun),
    /// Webhook events to follow.
    Hooks(HooksJob),
    /// A verification.
    Verify(VerifyJob),
    /// A snapshot of the reports.
    Reports(ReportsJob),
}

impl Payload {
    /// Decodes a payload; the error says what is wrong, for the failed job's message.
    pub fn decode(value: Value) -> Result<Payload, String> {
        if value.get("verify_tenant").is_some() {
            return serde_json::from_value(value)
                .map(Payload::Verify)
                .map_err(|e| format!("undecodable verification job: {e}"));
        }
        if value.get("reports_of").is_some() {
            return serde_json::from_value(value)
                .map(Payload::Reports)
                .map_err(|e| format!("undecodable report snapshot job: {e}"));
        }
        if value.get("webhooks_of").is_some() {
            return serde_json::from_value(value)
                .map(Payload::Hooks)
                .map_err(|e| format!("undecodable webhook job: {e}"));
        }
        // A scheduled run names the run it follows; a batch never does.
        if value.get("after_run").is_some() {
            return serde_json::from_value(value)
                .map(Payload::Scheduled)
                .map_err(|e| format!("undecodable scheduled run: {e}"));
        }
        serde_json::from_value(value)
            .map(Payload::Batch)
            .map_err(|e| format!("undecodable job payload: {e}"))
    }
}
