//! A faithful Xero simulator: identity, connections and the Accounting API over real HTTP.
//!
//! Every test, the demo and every benchmark talk to this instead of Xero. It is deliberately not
//! kinder than the real API: it pages, orders and filters like Xero, expires and rotates tokens,
//! counts requests against Xero's limits and answers 429s, and injects 500/503/slow/truncated
//! faults on demand. The engine only ever talks to it over HTTP, so the HTTP behaviour (the Xero
//! paths plus the `/sim/*` control API) is the contract; the Rust API below only starts and stops
//! it.
//!
//! Layout: `args` (command line and [`SimConfig`]), `generate` (the deterministic data set),
//! `model`/`store` (records and their indexes), `dates` (Xero's date formats), `identity`
//! (authorize, token, grants and their connections, revocation) and `identity_routes` (their
//! handlers), `accounting` (the Accounting endpoints, one table row each), `trial_balance` (the
//! Trial Balance report's sums from the journals), `statements` (Profit and Loss, Balance Sheet
//! and Bank Summary from the same), `api` (the request flow), `limits`,
//! `faults`, `stats`, `control`, `control_identity` and `control_webhooks` (`/sim/*`),
//! `mutate`, `webhooks` (events, signed deliveries, retries, intent to receive) and `server`
//! (wiring and start/stop).
//!
//! The files import each other in layers, never in a loop (a structure test checks it). At the
//! bottom, the vocabulary every entity shares: `dates`, `names`, `model`, `store`, `book`,
//! `record`, `timeline`, `outcome`, `postings`, `accounting::query`, `accounting::paging` and
//! `documents::kinds`. Above them, the records the tenant state holds and their generation:
//! `documents::{doc, build}`, `settings` (one file per set), `manual_journals`, `tax_rates`,
//! `invoices`, `history`; those whose changes touch only their own data change there too.
//! Beside them, `webhooks::{settings, event, payload, send, counters, hub}`: the subscription
//! the state holds. Then `state`; then the changes that reach across a tenant (`payments`,
//! `links`, `expense_claims`, `allocations`, `documents::change`, `mutate`'s files),
//! `trial_balance` and `statements` (they read a tenant's journals and chart), the endpoints'
//! bodies, and
//! `webhooks::{watch, delivery, intent}` (which changes notify, and the sending). On top, the
//! modules that list every entity — the endpoint table (`accounting`), `generate`, `mutate`,
//! `control` — then `api`, the identity side's handlers (`identity_routes`, `control_identity`,
//! above `identity` and `state`), `control_webhooks` and `server`. A file imports a name from
//! the file that defines it, never through a parent's re-export (the module folders re-export
//! nothing; only this root does, for other crates).
//!
//! `If-Modified-Since` semantics: inclusive at second precision. A record is returned when
//! `floor_to_second(UpdatedDateUTC) >= floor_to_second(If-Modified-Since)`, so handing back the
//! greatest `UpdatedDateUTC` seen returns that record (and its second-mates) again.

mod accounting;
mod allocations;
mod api;
mod args;
mod batches;
mod book;
mod clock;
mod contact;
mod control;
mod control_drift;
mod control_identity;
mod control_webhooks;
mod dates;
mod documents;
mod expense_claims;
mod faults;
mod generate;
mod history;
mod identity;
mod identity_routes;
mod invoices;
mod limits;
mod links;
mod manual_journals;
mod model;
mod mutate;
mod names;
mod outcome;
mod payments;
mod postings;
mod record;
mod refunds;
mod responses;
mod server;
mod settings;
mod state;
mod statements;
mod stats;
mod store;
mod tax_rates;
mod timeline;
mod trial_balance;
mod webhooks;

pub use args::{SimArgs, SimConfig};
pub use limits::LimitSettings;
pub use server::{Simulator, run_cli};
pub use webhooks::settings::WebhookSettings;
