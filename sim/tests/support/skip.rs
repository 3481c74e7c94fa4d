//! Skipping a test whose outside component is missing, visibly: the reason is written straight
//! to the terminal (past the test harness's output capture), so a skipped test never reads as
//! a silent pass. Under `XERO_SYNC_NO_SKIP=1`, which `.ci/run` sets after installing every
//! component, a skip is a failure instead.

use std::io::Write;

/// Reports that `test` is skipped because of `why`; panics instead when skips are not allowed.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var_os("XERO_SYNC_NO_SKIP").is_none(),
        "{test} cannot run: {why} (XERO_SYNC_NO_SKIP is set)"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}
