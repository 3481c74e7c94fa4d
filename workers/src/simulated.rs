//! The engine pointed at the simulator: the Xero settings that match a simulator's limits.

use xero_sync::config::XeroArgs;
use xero_sync_sim::SimConfig;

/// `xero` with the limits and minute window of a simulator started with `sim`; without rate
/// limits, limits no sync reaches (the simulator then refuses nothing and reports no budget).
pub fn matching(mut xero: XeroArgs, sim: &SimConfig) -> XeroArgs {
    xero.minute_window_ms = sim.limits.minute_ms;
    xero.concurrent_limit = sim.limits.concurrent;
    if sim.rate_limits {
        xero.minute_limit = sim.limits.per_minute;
        xero.day_limit = sim.limits.per_day;
        xero.app_minute_limit = sim.limits.app_per_minute;
    } else {
        xero.minute_limit = 1_000_000;
        xero.day_limit = 100_000_000;
        xero.app_minute_limit = 100_000_000;
    }
    xero
}
