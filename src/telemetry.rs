//! Logging and tracing for production and tests alike: `RUST_LOG` filters (default `info`),
//! `LOG_FORMAT=json` switches to one JSON object per line.

use tracing_subscriber::EnvFilter;

/// The filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,apalis_core=warn,apalis_postgres=warn";

/// Installs the global subscriber; a second call (another test) is a no-op.
pub fn init(json: bool) {
    init_with(json, DEFAULT_FILTER);
}

/// [`init`] with another filter for when `RUST_LOG` is not set (the demo prints its own story
/// and logs only warnings).
pub fn init_with(json: bool, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
