//! The life of a connection after `connect`: storing what a consent brought (`store`), pausing,
//! resuming and disconnecting organisations (`lifecycle`, `purge`), and listing them (`list`).

mod lifecycle;
mod list;
mod purge;
mod store;

pub use lifecycle::{Disconnect, Disconnected, Services, disconnect, pause, resume};
pub use list::{ConnectionInfo, TenantInfo, list, render};
pub use store::{remove_unused, store};
