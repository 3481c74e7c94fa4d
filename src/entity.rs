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
    /// `page=N` alone: Xero answers `size` records a page and takes no `pageSize` and sends no
    /// `pagination` (Quotes, LinkedTransactions). With `modified_since` the walk is a keyset
    /// like [`Paging::Keyset`]'s, a page at a time; without it, every run reads the whole set
    /// page by page, each page after the first checked by reading the one before it again, so
    /// a record that slides back onto a page already read is still met (see
    /// `sync::cursor`), and what the walk did not meet is marked removed.
    Numbered {
        /// Records per page (Xero's fixed page size for the endpoint).
        size: u32,
        /// Whether the endpoint honours `If-Modified-Since`.
        modified_since: bool,
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

/// The entities a connection asks scopes for: every current one, and of the deprecated ones
/// only those the deployment syncs (`enabled`, the names `SYNC_ENTITIES` chose).
pub fn requested(entities: &[Entity], enabled: &[String]) -> Vec<Entity> {
    entities
        .iter()
        .filter(|e| e.deprecated.is_none() || enabled.iter().any(|n| n == e.name))
        .copied()
        .collect()
}

/// The granular scopes of the reports: the Trial Balance `verify` compares the ledger with,
/// and the Profit and Loss, Balance Sheet and Bank Summary kept as snapshots beside it. An app
/// created before 2 March 2026 asks for the one broad scope instead.
pub const REPORTS_SCOPES: [&str; 4] = [
    "accounting.reports.trialbalance.read",
    "accounting.reports.profitandloss.read",
    "accounting.reports.balancesheet.read",
    "accounting.reports.banksummary.read",
];
/// The broad scope covering every report.
pub const BROAD_REPORTS_SCOPE: &str = "accounting.reports.read";

/// The scopes a connection needs to read `entities`: [`BASE_SCOPES`], the reports' scopes and
/// each entity's scope, granular unless `broad` (an app created before 2 March 2026), each
/// once, in order.
pub fn scopes(entities: &[Entity], broad: bool) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = BASE_SCOPES.to_vec();
    // `xero-sync verify` reads Xero's Trial Balance; the report snapshots the other three.
    if broad {
        out.push(BROAD_REPORTS_SCOPE);
    } else {
        out.extend(REPORTS_SCOPES);
    }
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

/// How a batch's records reach Postgres (see [`Entity`] for the body both read).
#[derive(Debug, Clone, Copy)]
pub enum Store {
    /// Statements that read the batch's body themselves: each runs with two parameters, `$1` the
    /// tenant id (`uuid`) and `$2` the body (`jsonb`; the statements write `$2::jsonb`, which
    /// costs nothing and reads plainly).
    Json(&'static [&'static str]),
    /// Records decoded here, in Rust, and sent as typed arrays (`unnest($2::uuid[], …)`):
    /// Postgres then parses no JSON but what it keeps as `jsonb`. For the entities whose volume
    /// sets the sync's speed (journals). `encode` reads the same body and gives each statement,
    /// in order, its arguments; an error says which record it cannot store and why.
    Columns {
        /// The statements, run in order.
        statements: &'static [&'static str],
        /// The tenant id and the body to each statement's arguments.
        encode: Encode,
    },
}

/// What turns a batch's body into the arguments of a [`Store::Columns`] entity's statements.
pub type Encode =
    fn(tenant_id: uuid::Uuid, body: &str) -> Result<Vec<sqlx::postgres::PgArguments>, String>;

impl Store {
    /// The statements, in the order they run.
    pub fn statements(&self) -> &'static [&'static str] {
        match self {
            Store::Json(statements) | Store::Columns { statements, .. } => statements,
        }
    }
}

/// One Xero entity, declared once in `xero-sync-workers` and registered in its `registry()`.
///
/// Its [`Store`] runs once per batch, in the batch's transaction, over a JSON object holding
/// the records of every page of the batch, in the order Xero sent them, under the `collection`
/// key. Statements are set-based: one statement per batch, never one per record. The same
/// record may appear twice (overlapping pages): the later one is the newer.
/// The object also holds `"run"`, the run's id. When the run has read Xero's whole set (an
/// unpaged call without `If-Modified-Since`: every run of a full-refresh entity and full runs of
/// the others; the last batch of a [`Paging::Numbered`] walk without it) the last batch's object
/// holds `"complete": true`, and a statement may mark what is stored but absent as removed
/// (a walk over several batches knows what it met by the run id it stamped).
///
/// What is stored keeps every field Xero sent: a record's `raw` holds it whole but for the
/// lines kept in a table of their own, and a line's `raw` holds the fields that have no typed
/// column of their own, so no line is stored twice.
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
    /// How a batch's records are stored (see the type's documentation).
    pub store: Store,
    /// A query with `$1` the tenant id returning `(id text, version bigint)` for every stored
    /// record: the lower-case Xero id and `UpdatedDateUTC` in epoch milliseconds (for offset
    /// entities, the number). The engine hashes it exactly as the simulator's `/sim/digest`.
    pub digest: &'static str,
    /// Query-string parameters every request carries, e.g. `[("includeArchived", "true")]`.
    pub query: &'static [(&'static str, &'static str)],
    /// The scope that lets the app read it.
    pub scopes: Scopes,
    /// Why the entity is deprecated at Xero, if it is: a deprecated entity is registered (any
    /// tenant may still be synced on request) but off unless `SYNC_ENTITIES` names it.
    pub deprecated: Option<&'static str>,
    /// What the periodic re-read (the sweep `SYNC_FULL_EVERY` schedules) adds to every request:
    /// `summaryOnly=true` where Xero offers it and the summary keeps every field Xero changes
    /// without moving `UpdatedDateUTC` (Invoices). Such a run's body holds `"summary": true`;
    /// its statements merge a summary into the stored version of the same `UpdatedDateUTC`
    /// and store nothing else, and the run moves no watermark. Empty: the sweep reads whole.
    pub sweep_query: &'static [(&'static str, &'static str)],
    /// What Xero's webhooks say about the entity, and how the engine follows them.
    pub webhook: Webhook,
}

/// How an entity follows Xero's webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Webhook {
    /// Xero sends no events for it: polling alone.
    None,
    /// Events of this category name records the endpoint fetches by `IDs=` (Contacts,
    /// Invoices): the changed records are fetched by id.
    Ids(&'static str),
    /// Events of this category start an early incremental run (the endpoint takes no `IDs=`:
    /// one run costs fewer calls than a call per record).
    Run(&'static str),
}

impl Webhook {
    /// The event category, if Xero sends events for the entity.
    pub fn category(self) -> Option<&'static str> {
        match self {
            Webhook::None => None,
            Webhook::Ids(c) | Webhook::Run(c) => Some(c),
        }
    }
}
