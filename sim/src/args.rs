//! The simulator's knobs: [`SimArgs`] as parsed from `xero-sync simulate …`, and [`SimConfig`],
//! the same knobs as a plain struct that tests build directly.

use std::net::SocketAddr;

use crate::limits::LimitSettings;
use crate::webhooks::settings::{DEFAULT_BATCH_MS, DEFAULT_RETRY_MAX_MS, WebhookSettings};

/// Default listen address of `xero-sync simulate`.
pub const DEFAULT_ADDR: &str = "127.0.0.1:4010";
/// Default seed: the same seed always yields the same organisations and the same digests.
pub const DEFAULT_SEED: u64 = 42;
/// Default number of accounts per tenant (a realistic small chart of accounts).
pub const DEFAULT_ACCOUNTS: usize = 60;
/// Default number of contacts per tenant.
pub const DEFAULT_CONTACTS: usize = 500;
/// Default number of invoices per tenant.
pub const DEFAULT_INVOICES: usize = 2_000;
/// Default number of journals per tenant (invoice, payment and other journals together).
pub const DEFAULT_JOURNALS: usize = 5_000;
/// Default number of manual journals per tenant.
pub const DEFAULT_MANUAL_JOURNALS: usize = 150;
/// Default length of the simulator's "minute" rate-limit window, in milliseconds.
pub const DEFAULT_MINUTE_MS: u64 = 60_000;
/// Default access-token lifetime, as Xero's (30 minutes).
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 1_800;

/// Command-line arguments of `xero-sync simulate`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, env = "SIM_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Seed of the generated data set (same seed, same data and digests).
    #[arg(long, env = "SIM_SEED", default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Number of simulated organisations (tenants).
    #[arg(long, env = "SIM_TENANTS", default_value_t = 1)]
    pub tenants: usize,
    /// Total number of journals per tenant in the initial data set.
    #[arg(long, env = "SIM_JOURNALS", default_value_t = DEFAULT_JOURNALS)]
    pub journals: usize,
    /// Number of invoices per tenant.
    #[arg(long, env = "SIM_INVOICES", default_value_t = DEFAULT_INVOICES)]
    pub invoices: usize,
    /// Number of contacts per tenant.
    #[arg(long, env = "SIM_CONTACTS", default_value_t = DEFAULT_CONTACTS)]
    pub contacts: usize,
    /// Number of accounts per tenant.
    #[arg(long, env = "SIM_ACCOUNTS", default_value_t = DEFAULT_ACCOUNTS)]
    pub accounts: usize,
    /// Manual journals per tenant.
    #[arg(long, env = "SIM_MANUAL_JOURNALS", default_value_t = DEFAULT_MANUAL_JOURNALS)]
    pub manual_journals: usize,
    /// Turn rate limits off (for throughput benchmarks); limit headers then always read "full".
    #[arg(long, env = "SIM_NO_RATE_LIMITS")]
    pub no_rate_limits: bool,
    /// Length of the rate-limit "minute" in milliseconds (shrink it to exercise limits quickly).
    #[arg(long, env = "SIM_MINUTE_MS", default_value_t = DEFAULT_MINUTE_MS)]
    pub minute_ms: u64,
    /// Fraction (0.0..=1.0) of Accounting requests that fail at random with 500, 503 or a
    /// truncated body.
    #[arg(long, env = "SIM_FAULT_RATE", default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Extra latency added to every Accounting request, in milliseconds.
    #[arg(long, env = "SIM_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Lifetime of access tokens in seconds.
    #[arg(long, env = "SIM_TOKEN_LIFETIME_SECS", default_value_t = DEFAULT_TOKEN_LIFETIME_SECS)]
    pub token_lifetime_secs: u64,
    /// Play an app created before 2 March 2026, which may still request broad scopes
    /// (`accounting.transactions.read`…); a newer app must request granular ones.
    #[arg(long, env = "SIM_LEGACY_APP")]
    pub legacy_app: bool,
    /// Records of the largest bulk import (one `UpdatedDateUTC` second) among the invoices;
    /// 0 keeps the default (about 1,050 + invoices / 40, from 3,000 invoices on).
    #[arg(long, env = "SIM_BULK_IMPORT", default_value_t = 0)]
    pub bulk_import: usize,
    /// Send webhooks to this receiver (`http://host:port/path`, plain http) from the start,
    /// without an intent to receive (the receiver may not be up yet); `POST /sim/webhooks`
    /// subscribes at run time.
    #[arg(long, env = "SIM_WEBHOOK_URL", requires = "webhook_key")]
    pub webhook_url: Option<String>,
    /// The webhook key: its UTF-8 bytes are the HMAC key of `x-xero-signature`, used as is
    /// (not base64-decoded, though Xero's keys look like base64).
    #[arg(long, env = "SIM_WEBHOOK_KEY", hide_env_values = true)]
    pub webhook_key: Option<String>,
    /// Batching window of webhook deliveries, in milliseconds: the events of a window go out
    /// in one payload.
    #[arg(long, env = "SIM_WEBHOOK_BATCH_MS", default_value_t = DEFAULT_BATCH_MS)]
    pub webhook_batch_ms: u64,
    /// Cap of the retry backoff of a failed delivery (1 s, 2 s, 4 s… up to this), in
    /// milliseconds.
    #[arg(long, env = "SIM_WEBHOOK_RETRY_MAX_MS", default_value_t = DEFAULT_RETRY_MAX_MS)]
    pub webhook_retry_max_ms: u64,
}

/// Everything that shapes a simulator: data set size, limits, faults and token lifetime.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the generated data and of random faults.
    pub seed: u64,
    /// Number of tenants (organisations).
    pub tenants: usize,
    /// Total journals per tenant in the initial data set.
    pub journals: usize,
    /// Invoices per tenant.
    pub invoices: usize,
    /// Contacts per tenant.
    pub contacts: usize,
    /// Accounts per tenant.
    pub accounts: usize,
    /// Manual journals per tenant.
    pub manual_journals: usize,
    /// Whether rate limits are enforced.
    pub rate_limits: bool,
    /// The limits themselves (Xero's by default; tests may shrink them).
    pub limits: LimitSettings,
    /// Fraction of Accounting requests failing at random.
    pub fault_rate: f64,
    /// Latency added to every Accounting request, in milliseconds.
    pub latency_ms: u64,
    /// Access-token lifetime in seconds.
    pub token_lifetime_secs: u64,
    /// The app was created before 2 March 2026 and may request broad scopes.
    pub legacy_app: bool,
    /// Size of the invoices' largest one-second bulk import (0: the default rule).
    pub bulk_import: usize,
    /// The first tenants' journals, when they are to be larger than the others (a mixed set: a
    /// few large organisations among small ones); how many: `large_tenants`.
    pub first_tenant_journals: Option<usize>,
    /// How many of the first tenants have `first_tenant_journals` journals (1 by default).
    pub large_tenants: usize,
    /// A webhook subscription active from the start (none: no webhooks until
    /// `POST /sim/webhooks`).
    pub webhooks: Option<WebhookSettings>,
}

impl Default for SimConfig {
    /// A realistic small organisation that generates in a few milliseconds.
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            tenants: 1,
            journals: DEFAULT_JOURNALS,
            invoices: DEFAULT_INVOICES,
            contacts: DEFAULT_CONTACTS,
            accounts: DEFAULT_ACCOUNTS,
            manual_journals: DEFAULT_MANUAL_JOURNALS,
            rate_limits: true,
            limits: LimitSettings::default(),
            fault_rate: 0.0,
            latency_ms: 0,
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            legacy_app: false,
            bulk_import: 0,
            first_tenant_journals: None,
            large_tenants: 1,
            webhooks: None,
        }
    }
}

impl From<SimArgs> for SimConfig {
    fn from(args: SimArgs) -> Self {
        Self {
            seed: args.seed,
            tenants: args.tenants,
            journals: args.journals,
            invoices: args.invoices,
            contacts: args.contacts,
            accounts: args.accounts,
            manual_journals: args.manual_journals,
            rate_limits: !args.no_rate_limits,
            limits: LimitSettings {
                minute_ms: args.minute_ms,
                ..LimitSettings::default()
            },
            fault_rate: args.fault_rate,
            latency_ms: args.latency_ms,
            token_lifetime_secs: args.token_lifetime_secs,
            legacy_app: args.legacy_app,
            bulk_import: args.bulk_import,
            first_tenant_journals: None,
            large_tenants: 1,
            webhooks: args.webhook_url.map(|url| WebhookSettings {
                url,
                key: args.webhook_key.unwrap_or_default(),
                batch_ms: args.webhook_batch_ms,
                retry_max_ms: args.webhook_retry_max_ms,
            }),
        }
    }
}
