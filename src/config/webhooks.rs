//! The webhook receiver.

use std::net::SocketAddr;

use super::values::Secret;
use super::worker::{HttpAddr, parse_http_addr};

/// Where the webhook receiver listens, and the key Xero signs with.
pub const DEFAULT_WEBHOOK_ADDR: &str = "127.0.0.1:8750";

/// Where the receiver serves its health and metrics: beside the worker's 9464.
pub const DEFAULT_WEBHOOK_HTTP_ADDR: &str = "127.0.0.1:9465";

/// The webhook receiver (`xero-sync webhooks`).
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookArgs {
    /// Where to listen for Xero's deliveries (path `/webhooks/xero`), e.g. `0.0.0.0:8750`
    /// behind a public load balancer.
    #[arg(long = "addr", env = "WEBHOOK_ADDR", value_name = "WEBHOOK_ADDR", default_value = DEFAULT_WEBHOOK_ADDR)]
    pub addr: SocketAddr,
    /// The webhook key Xero's developer portal shows for the app (used as the string it is).
    #[arg(
        long = "webhook-key",
        env = "XERO_WEBHOOK_KEY",
        value_name = "XERO_WEBHOOK_KEY",
        hide_env_values = true
    )]
    pub key: Option<Secret>,
    /// Where the receiver serves `/healthz`, `/readyz` and `/metrics` (its deliveries, bad
    /// signatures, duplicates, events by category), apart from the public address; `off`
    /// serves nothing.
    #[arg(long = "http-addr", env = "WEBHOOK_HTTP_ADDR", value_name = "WEBHOOK_HTTP_ADDR", default_value = DEFAULT_WEBHOOK_HTTP_ADDR, value_parser = parse_http_addr)]
    pub http_addr: HttpAddr,
}
