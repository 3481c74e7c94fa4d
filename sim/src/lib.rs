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
//! (authorize, token, connections), `accounting` (the Accounting endpoints, one table row each),
//! `api` (the request flow), `limits`, `faults`, `stats`, `control` (`/sim/*`), `mutate`, and
//! `server` (wiring and start/stop).
//!
//! `If-Modified-Since` semantics: inclusive at second precision. A record is returned when
//! `floor_to_second(UpdatedDateUTC) >= floor_to_second(If-Modified-Since)`, so handing back the
//! greatest `UpdatedDateUTC` seen returns that record (and its second-mates) again.

mod accounting;
mod allocations;
mod api;
mod args;
mod clock;
mod control;
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
mod payments;
mod postings;
mod responses;
mod server;
mod settings;
mod state;
mod stats;
mod store;
mod tax_rates;

pub use args::{SimArgs, SimConfig};
pub use limits::LimitSettings;
pub use server::{Simulator, run_cli};
