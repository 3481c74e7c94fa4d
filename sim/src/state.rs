//! The simulator's shared state: the tenants' data and everything the handlers share.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use rand::rngs::SmallRng;
use uuid::Uuid;

use crate::args::SimConfig;
use crate::book::Book;
use crate::clock::SimClock;
use crate::contact::Contact;
use crate::documents::doc::Documents;
use crate::faults::Faults;
use crate::identity::Identity;
use crate::limits::Limiter;
use crate::manual_journals::ManualJournal;
use crate::model::{Account, Invoice};
use crate::record::Record;
use crate::settings::Settings;
use crate::stats::Stats;
use crate::store::{JournalLog, Table};
use crate::tax_rates::TaxRate;
use crate::webhooks::hub::Webhooks;

/// One organisation's records, plus what its mutations need to stay deterministic.
#[derive(Debug)]
pub struct TenantData {
    /// The chart of accounts.
    pub accounts: Table<Account>,
    /// Contacts.
    pub contacts: Table<Contact>,
    /// Invoices (ACCREC and ACCPAY).
    pub invoices: Table<Invoice>,
    /// The append-only journal log.
    pub journals: JournalLog,
    /// Manual journals.
    pub manual_journals: Table<ManualJournal>,
    /// Tax rates, in the order Xero lists them.
    pub tax_rates: Vec<TaxRate>,
    /// The number of the last custom tax rate added.
    pub next_tax_rate: usize,
    /// Items, users, currencies, tracking categories, contact groups, branding themes and the
    /// organisation itself.
    pub settings: Settings,
    /// Credit notes, bank transactions, overpayments, prepayments, purchase orders, quotes and
    /// receipts.
    pub documents: Documents,
    /// Refunds of credit notes', overpayments' and prepayments' credit.
    pub refunds: Vec<crate::model::Refund>,
    /// Linked transactions (billable expenses); removed outright when deleted.
    pub links: Vec<Record>,
    /// Expense claims (Classic Expenses).
    pub expense_claims: Vec<Record>,
    /// Role accounts and tracking categories.
    pub book: Book,
    /// The random stream of `/sim/mutate`, seeded from the seed and the tenant: the same
    /// sequence of calls makes the same changes.
    pub rng: SmallRng,
    /// Next `INV-` number.
    pub next_invoice_number: u64,
    /// Next contact number.
    pub next_contact_number: u64,
}

/// A simulated organisation.
#[derive(Debug)]
pub struct Tenant {
    /// `tenantId` (the `xero-tenant-id` header).
    pub id: Uuid,
    /// `tenantName`.
    pub name: String,
    /// When it was connected (`createdDateUtc` of its connection).
    pub connected_ms: i64,
    /// Its data; read by requests, written by `/sim/mutate`.
    data: RwLock<TenantData>,
}

impl Tenant {
    /// Wraps generated data.
    pub fn new(id: Uuid, name: String, connected_ms: i64, data: TenantData) -> Self {
        Self {
            id,
            name,
            connected_ms,
            data: RwLock::new(data),
        }
    }

    /// Shared access for serving requests. A poisoned lock only means a panicking writer;
    /// the data is still consistent enough to serve, so we carry on.
    pub fn read(&self) -> RwLockReadGuard<'_, TenantData> {
        self.data.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Exclusive access for mutations.
    pub fn write(&self) -> RwLockWriteGuard<'_, TenantData> {
        self.data.write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Everything the HTTP handlers share.
#[derive(Debug)]
pub struct App {
    /// The configuration it was started with.
    pub config: SimConfig,
    /// The simulator clock.
    pub clock: SimClock,
    /// The organisations, in connection order (the first serves tenant-less custom
    /// connections).
    pub tenants: Vec<Tenant>,
    /// OAuth state: codes, tokens.
    pub identity: Identity,
    /// Rate limits.
    pub limiter: Limiter,
    /// Scripted and random faults.
    pub faults: Faults,
    /// Counters for `/sim/stats`.
    pub stats: Stats,
    /// The random stream behind `--fault-rate`.
    pub fault_rng: Mutex<SmallRng>,
    /// Endpoints refused to particular tenants (`/sim/entitlements`).
    pub entitlements: Entitlements,
    /// The webhook subscription, its queue and its delivery task (`/sim/webhooks`).
    pub webhooks: Webhooks,
}

/// Which tenants may not read which endpoints: a plan without Journals, a user whose role does
/// not reach ManualJournals. Refused calls answer 403.
#[derive(Debug, Default)]
pub struct Entitlements {
    refused: Mutex<HashSet<(Uuid, String)>>,
}

impl Entitlements {
    fn lock(&self) -> MutexGuard<'_, HashSet<(Uuid, String)>> {
        self.refused.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses (`entitled = false`) or grants back an endpoint to a tenant.
    pub fn set(&self, tenant: Uuid, endpoint: &str, entitled: bool) {
        let key = (tenant, endpoint.to_ascii_lowercase());
        if entitled {
            self.lock().remove(&key);
        } else {
            self.lock().insert(key);
        }
    }

    /// Whether the tenant is refused the endpoint.
    pub fn refused(&self, tenant: Uuid, endpoint: &str) -> bool {
        self.lock()
            .contains(&(tenant, endpoint.to_ascii_lowercase()))
    }
}

impl App {
    /// The tenant with this id.
    pub fn tenant(&self, id: Uuid) -> Option<&Tenant> {
        self.tenants.iter().find(|t| t.id == id)
    }
}
