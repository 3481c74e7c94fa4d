//! README's main command, in process: the demo connects two simulated organisations, syncs them
//! in full, follows webhooks, syncs a day of changes and a sweep, and ends by verifying every
//! organisation's ledger against its Trial Balance and its documents against the receivable and
//! payable accounts; it says yes only when all of it holds.

#![allow(clippy::unwrap_used)]

mod support;

use support::small_org;
use xero_sync::config::SyncArgs;
use xero_sync::testing::TestDb;
use xero_sync_sim::SimConfig;
use xero_sync_workers::demo::{self, DemoOptions};
use xero_sync_workers::registry;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_syncs_every_organisation_and_verifies_each_against_its_reports() {
    // The demo recreates its database; an empty one of this test's own gives it a unique name.
    let db = TestDb::empty().await.unwrap();
    let options = DemoOptions {
        database_url: db.url.clone(),
        sim: SimConfig {
            tenants: 2,
            ..small_org()
        },
        changes: 20,
        sync: SyncArgs::default(),
        concurrency: 4,
    };
    assert!(
        demo::run(options, registry()).await.unwrap(),
        "the demo says Postgres differs"
    );
}
