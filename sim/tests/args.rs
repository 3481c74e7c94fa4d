//! `xero-sync simulate`'s flags: the names and defaults of the issue, and their mapping onto
//! `SimConfig`.
#![allow(clippy::unwrap_used)]

use clap::Parser;
use xero_sync_sim::{LimitSettings, SimArgs, SimConfig};

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

#[test]
fn the_defaults_are_a_small_realistic_organisation_with_xeros_limits() {
    let args = Cli::try_parse_from(["simulate"]).unwrap().sim;
    assert_eq!(args.addr.to_string(), "127.0.0.1:4010");
    assert_eq!(args.seed, 42);
    assert_eq!(args.tenants, 1);
    assert_eq!(args.minute_ms, 60_000);
    assert_eq!(args.fault_rate, 0.0);
    assert_eq!(args.latency_ms, 0);
    assert_eq!(args.token_lifetime_secs, 1_800);
    assert!(!args.no_rate_limits);
    let config = SimConfig::from(args);
    let default = SimConfig::default();
    assert_eq!(
        (
            config.accounts,
            config.contacts,
            config.invoices,
            config.journals
        ),
        (
            default.accounts,
            default.contacts,
            default.invoices,
            default.journals
        )
    );
    assert_eq!(config.limits, LimitSettings::default());
    assert_eq!(
        (
            config.limits.concurrent,
            config.limits.per_minute,
            config.limits.per_day,
            config.limits.app_per_minute
        ),
        (5, 60, 5_000, 10_000)
    );
    assert!(config.rate_limits);
}

#[test]
fn every_flag_of_the_issue_is_accepted() {
    let args = Cli::try_parse_from([
        "simulate",
        "--addr",
        "0.0.0.0:9999",
        "--seed",
        "7",
        "--tenants",
        "3",
        "--journals",
        "126800",
        "--invoices",
        "50000",
        "--contacts",
        "9000",
        "--accounts",
        "150",
        "--no-rate-limits",
        "--minute-ms",
        "500",
        "--fault-rate",
        "0.1",
        "--latency-ms",
        "20",
        "--token-lifetime-secs",
        "60",
    ])
    .unwrap()
    .sim;
    let config = SimConfig::from(args);
    assert_eq!((config.seed, config.tenants), (7, 3));
    assert_eq!(
        (
            config.journals,
            config.invoices,
            config.contacts,
            config.accounts
        ),
        (126_800, 50_000, 9_000, 150)
    );
    assert!(!config.rate_limits);
    assert_eq!(config.limits.minute_ms, 500);
    assert_eq!(
        (
            config.fault_rate,
            config.latency_ms,
            config.token_lifetime_secs
        ),
        (0.1, 20, 60)
    );
}
