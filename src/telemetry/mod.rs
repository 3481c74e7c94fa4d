//! Logging, tracing and metrics for production and tests alike: `RUST_LOG` filters (default
//! `info`), `--log-json` switches to one JSON object per line, and with an OTLP endpoint
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`) spans and metrics are exported over OTLP/HTTP (protobuf) as
//! well. Without one nothing is exported and no exporter runs. Metrics are always collected in
//! process for the worker's `/metrics` (Prometheus text format, rendered here).
//!
//! The returned [`Telemetry`] flushes and stops the exporters when dropped.

mod context;
mod prometheus;

pub use context::{continue_trace, link, traceparent};

use prometheus::{Shared, render};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// The filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,apalis_core=warn,apalis_postgres=warn";
/// Set once spans are exported: only then is trace context worth looking up and storing.
static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether spans are exported (an OTLP endpoint is configured).
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

/// How often metrics are pushed over OTLP.
const METRICS_INTERVAL: Duration = Duration::from_secs(15);

/// What telemetry to set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// One JSON object per log line.
    pub json: bool,
    /// The log filter when `RUST_LOG` is not set.
    pub default_filter: String,
    /// The OTLP/HTTP endpoint (`http://collector:4318`), if spans and metrics are exported.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported telemetry.
    pub service_name: String,
    /// The tenant label on per-tenant metric series (see [`crate::metrics`]).
    pub tenant_labels: bool,
}

impl Config {
    /// The configuration `LOG_FORMAT_JSON` and `OTEL_*` give, logging by `default_filter` when
    /// `RUST_LOG` is not set.
    pub fn from_args(args: &crate::config::TelemetryArgs, default_filter: &str) -> Config {
        Config {
            json: args.log_json,
            default_filter: default_filter.to_owned(),
            otlp_endpoint: args.otlp_endpoint.clone(),
            service_name: args.service_name.clone(),
            tenant_labels: args.tenant_labels,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            json: false,
            default_filter: DEFAULT_FILTER.into(),
            otlp_endpoint: None,
            service_name: "xero-sync".into(),
            tenant_labels: true,
        }
    }
}

/// The running telemetry: renders metrics on demand, and flushes the exporters when dropped.
#[derive(Debug, Clone)]
pub struct Telemetry {
    meters: SdkMeterProvider,
    tracer: Option<SdkTracerProvider>,
    reader: Arc<ManualReader>,
    /// Counts this telemetry's clones (the providers hold references of their own).
    clones: Arc<()>,
}

/// Installs the global subscriber and meter provider. A second call (another test) keeps the
/// first subscriber and returns a telemetry of its own.
pub fn init(config: Config) -> Telemetry {
    // reqwest is built without a default TLS provider; the exporter's client needs one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resource = Resource::builder()
        .with_service_name(config.service_name.clone())
        .build();
    let tracer = config.otlp_endpoint.as_deref().and_then(|endpoint| {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
            .build()
            .map_err(|e| eprintln!("OTLP trace export is off: {e}"))
            .ok()?;
        Some(
            SdkTracerProvider::builder()
                .with_resource(resource.clone())
                .with_batch_exporter(exporter)
                .build(),
        )
    });
    let reader = Arc::new(ManualReader::builder().build());
    let mut meters = SdkMeterProvider::builder()
        .with_resource(resource)
        .with_reader(Shared(reader.clone()));
    if let Some(endpoint) = config.otlp_endpoint.as_deref() {
        let exporter = opentelemetry_otlp::MetricExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{}/v1/metrics", endpoint.trim_end_matches('/')))
            .build();
        match exporter {
            Ok(exporter) => {
                let periodic = opentelemetry_sdk::metrics::PeriodicReader::builder(exporter)
                    .with_interval(METRICS_INTERVAL)
                    .build();
                meters = meters.with_reader(periodic);
            }
            Err(e) => eprintln!("OTLP metrics export is off: {e}"),
        }
    }
    let meters = meters.build();
    opentelemetry::global::set_meter_provider(meters.clone());
    crate::metrics::init(config.tenant_labels);
    install_subscriber(&config, tracer.as_ref());
    if tracer.is_some() {
        EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    Telemetry {
        meters,
        tracer,
        reader,
        clones: Arc::new(()),
    }
}

fn install_subscriber(config: &Config, tracer: Option<&SdkTracerProvider>) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(&config.default_filter));
    // Colours only for a person at a terminal: a log written to a file or a pipe stays plain.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colours);
    let fmt = if config.json {
        fmt.json().flatten_event(true).boxed()
    } else {
        fmt.boxed()
    };
    // Spans reach the exporter whatever the log filter says (a span of a quiet module still
    // belongs to its trace); events go to the log only.
    let otel = tracer.map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("xero-sync"))
            .with_filter(EnvFilter::new("xero_sync=info"))
    });
    let _ = tracing_subscriber::registry()
        .with(fmt.with_filter(filter))
        .with(otel)
        .try_init();
}

/// Logging only, as the CLI's short commands and the tests use it.
pub fn init_logging(json: bool, default_filter: &str) -> Telemetry {
    init(Config {
        json,
        default_filter: default_filter.into(),
        ..Config::default()
    })
}

impl Telemetry {
    /// Every metric as Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self) -> String {
        let mut collected = ResourceMetrics::default();
        if let Err(e) = self.reader.collect(&mut collected) {
            tracing::warn!(error = %e, "collecting metrics failed");
        }
        render(&collected)
    }

    /// Flushes and stops the exporters.
    pub fn shutdown(&self) {
        if let Some(tracer) = &self.tracer {
            let _ = tracer.force_flush();
            let _ = tracer.shutdown();
        }
        let _ = self.meters.force_flush();
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        // Clones share the providers; the last one to go flushes them.
        if Arc::strong_count(&self.clones) == 1 {
            self.shutdown();
        }
    }
}
