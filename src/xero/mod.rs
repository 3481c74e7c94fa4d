//! The Xero boundary: the Accounting API client, its error type, Xero's date formats, and the
//! OAuth token endpoint.

pub mod client;
pub mod connections;
pub mod dates;
mod envelope;
pub mod error;
pub mod oauth;
pub mod page;

pub use client::XeroClient;
pub use error::XeroError;
pub use page::Page;
