//! What the engine needs to know about one Xero entity: where to fetch it, how it pages, and the
//! SQL that stores a page of it. The engine names no entity; `xero-sync-workers` declares them.

/// How an endpoint is walked. Each variant fixes the cursor the engine keeps for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// One call returns the whole set (Accounts, Items, Users…). `modified_since` when the
    /// endpoint honours `If-Modified-Since`, so an incremental run fetches only changes.
    Unpaged {
        /// Whether `If-Modified-Since` is sent on incremental runs.
        modified_since: bool,
    },
    /// `page=N&pageSize=1000` under `If-Modified-Since = cursor`, where the cursor is the
    /// greatest `UpdatedDateUTC` seen (a keyset, so records edited mid-run are never skipped).
    Keyset,
    /// `offset=N` over a number that only grows (Journals: `JournalNumber`); the run ends on an
    /// empty page, never on a short one.
    Offset {
        /// The record field holding the number, e.g. `JournalNumber`.
        field: &'static str,
    },
}

/// The OAuth scopes that let the app read an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scopes {
    /// The granular scope apps created on or after 2 March 2026 must request, e.g.
    /// `accounting.invoices.read`.
    pub granular: &'static str,
    /// The broad scope of apps created before then, e.g. `accounting.transactions.read`.
    pub broad: &'static str,
}

/// The scopes every connection asks for besides the entities': identity, and a refresh token.
pub const BASE_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// The scopes a connection needs to read `entities`: [`BASE_SCOPES`] and each entity's scope,
/// granular unless `broad` (an app created before 2 March 2026), each once, in order.
pub fn scopes(entities: &[Entity], broad: bool) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = BASE_SCOPES.to_vec();
    for entity in entities {
        let scope = if broad {
            entity.scopes.broad
        } else {
            entity.scopes.granular
        };
        if !out.contains(&scope) {
            out.push(scope);
        }
    }
    out
}

/// One Xero entity, declared once in `xero-sync-workers` and registered in its `registry()`.
///
/// Every statement of `upsert` runs once per batch, in the batch's transaction, with two
/// parameters: `$1` the tenant id (`uuid`) and `$2` a JSON object (`text`, to be cast
/// `$2::jsonb`) holding the records of every page of the batch, in the order Xero sent them,
/// under the `collection` key. Statements are set-based: one statement per batch, never one per
/// record. The same record may appear twice (overlapping pages): the later one is the newer.
/// When the records are Xero's whole set (an unpaged call without `If-Modified-Since`: every
/// run of a full-refresh entity, and full runs of the others) the object also holds
/// `"complete": true`, and a statement may mark what is stored but absent as removed.
#[derive(Debug, Clone, Copy)]
pub struct Entity {
    /// Stable wire name used in job payloads, `sync_progress` and the CLI, e.g. `invoices`.
    /// Never renamed once deployed.
    pub name: &'static str,
    /// Path under the Accounting API base, e.g. `Invoices`.
    pub endpoint: &'static str,
    /// Key of the record array in the response envelope, e.g. `Invoices`.
    pub collection: &'static str,
    /// Key of the record's Xero id, e.g. `InvoiceID`.
    pub id_field: &'static str,
    /// How the endpoint is walked.
    pub paging: Paging,
    /// Upsert statements, run in order for each page (see the type's documentation).
    pub upsert: &'static [&'static str],
    /// A query with `$1` the tenant id returning `(id text, version bigint)` for every stored
    /// record: the lower-case Xero id and `UpdatedDateUTC` in epoch milliseconds (for offset
    /// entities, the number). The engine hashes it exactly as the simulator's `/sim/digest`.
    pub digest: &'static str,
    /// Query-string parameters every request carries, e.g. `[("includeArchived", "true")]`.
    pub query: &'static [(&'static str, &'static str)],
    /// The scope that lets the app read it.
    pub scopes: Scopes,
}
