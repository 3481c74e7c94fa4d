//! Logging, tracing and metrics for production and tests alike: `RUST_LOG` filters (default
//! `info`), `--log-json` switches to one JSON object per line, and with an OTLP endpoint
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`) spans and metrics are exported over OTLP/HTTP (protobuf) as
//! well. Without one nothing is exported and no exporter runs. Metrics are always collected in
//! process for the worker's `/metrics` (Prometheus text format, rendered here).
//!
//! The returned [`Telemetry`] flushes and stops the exporters when dropped.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{ManualReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
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
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
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

/// The in-process reader, kept by the provider and by [`Telemetry`] alike.
#[derive(Debug)]
struct Shared(Arc<ManualReader>);

impl MetricReader for Shared {
    fn register_pipeline(&self, pipeline: std::sync::Weak<opentelemetry_sdk::metrics::Pipeline>) {
        self.0.register_pipeline(pipeline);
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: opentelemetry_sdk::metrics::InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// Renders collected metrics as Prometheus text: dots become underscores, the unit is a suffix
/// (`_seconds`, `_bytes`), monotonic sums end in `_total`, histograms give `_bucket`, `_sum`
/// and `_count`.
fn render(metrics: &ResourceMetrics) -> String {
    let mut out = String::new();
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            let base = prometheus_name(metric.name(), metric.unit());
            match metric.data() {
                AggregatedMetrics::U64(data) => {
                    render_data(&mut out, &base, metric.description(), data)
                }
                AggregatedMetrics::I64(data) => {
                    render_data(&mut out, &base, metric.description(), data)
                }
                AggregatedMetrics::F64(data) => {
                    render_data(&mut out, &base, metric.description(), data)
                }
            }
        }
    }
    out
}

fn prometheus_name(name: &str, unit: &str) -> String {
    let mut base: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    match unit {
        "s" => base.push_str("_seconds"),
        "By" => base.push_str("_bytes"),
        _ => {}
    }
    base
}

/// A data point's value as Prometheus writes it (a float).
trait Sample: Copy {
    fn value(self) -> f64;
}

impl Sample for u64 {
    fn value(self) -> f64 {
        self as f64
    }
}

impl Sample for i64 {
    fn value(self) -> f64 {
        self as f64
    }
}

impl Sample for f64 {
    fn value(self) -> f64 {
        self
    }
}

fn render_data<T: Sample>(out: &mut String, base: &str, help: &str, data: &MetricData<T>) {
    match data {
        MetricData::Sum(sum) => {
            let name = if sum.is_monotonic() {
                format!("{base}_total")
            } else {
                base.to_owned()
            };
            let kind = if sum.is_monotonic() {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for point in sum.data_points() {
                sample(
                    out,
                    &name,
                    &labels(point.attributes(), None),
                    point.value().value(),
                );
            }
        }
        MetricData::Gauge(gauge) => {
            let _ = writeln!(out, "# HELP {base} {help}\n# TYPE {base} gauge");
            for point in gauge.data_points() {
                sample(
                    out,
                    base,
                    &labels(point.attributes(), None),
                    point.value().value(),
                );
            }
        }
        MetricData::Histogram(histogram) => {
            let _ = writeln!(out, "# HELP {base} {help}\n# TYPE {base} histogram");
            for point in histogram.data_points() {
                let mut cumulative = 0;
                let counts: Vec<u64> = point.bucket_counts().collect();
                for (i, bound) in point.bounds().enumerate() {
                    cumulative += counts.get(i).copied().unwrap_or(0);
                    let le = labels(point.attributes(), Some(&bound.to_string()));
                    sample(out, &format!("{base}_bucket"), &le, cumulative as f64);
                }
                let all = labels(point.attributes(), Some("+Inf"));
                sample(out, &format!("{base}_bucket"), &all, point.count() as f64);
                let plain = labels(point.attributes(), None);
                sample(out, &format!("{base}_sum"), &plain, point.sum().value());
                sample(out, &format!("{base}_count"), &plain, point.count() as f64);
            }
        }
        MetricData::ExponentialHistogram(_) => {}
    }
}

fn labels<'a>(attributes: impl Iterator<Item = &'a KeyValue>, le: Option<&str>) -> String {
    let mut pairs: Vec<String> = attributes
        .map(|kv| {
            let key: String = kv
                .key
                .as_str()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            format!("{key}=\"{}\"", escape(&kv.value.as_str()))
        })
        .collect();
    if let Some(le) = le {
        pairs.push(format!("le=\"{le}\""));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", pairs.join(","))
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    let _ = writeln!(out, "{name}{labels} {value}");
}

/// The W3C `traceparent` of the current span, when it belongs to an exported trace.
pub fn traceparent() -> Option<String> {
    let context = tracing::Span::current().context();
    let span = context.span();
    let span_context = span.span_context();
    span_context.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags().to_u8()
        )
    })
}

/// Makes `span` a child of the remote span named by a W3C `traceparent`; a malformed one is
/// ignored (the span starts a trace of its own).
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    if let Some(context) = remote_context(traceparent) {
        let _ = span.set_parent(context);
    }
}

/// Links `span` to the span a `traceparent` names (a retried attempt to the one before it).
pub fn link(span: &tracing::Span, traceparent: &str) {
    if let Some(context) = remote_context(traceparent) {
        span.add_link(context.span().span_context().clone());
    }
}

fn remote_context(traceparent: &str) -> Option<Context> {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    let mut parts = traceparent.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version != "00" || parts.next().is_some() {
        return None;
    }
    let trace_id = TraceId::from_hex(trace).ok()?;
    let span_id = SpanId::from_hex(span).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let context = SpanContext::new(
        trace_id,
        span_id,
        TraceFlags::new(flags),
        true,
        TraceState::default(),
    );
    context
        .is_valid()
        .then(|| Context::new().with_remote_span_context(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_names_carry_their_unit_and_counters_their_total() {
        assert_eq!(
            prometheus_name("xero_sync.job.duration", "s"),
            "xero_sync_job_duration_seconds"
        );
        assert_eq!(
            prometheus_name("xero_sync.xero.response", "By"),
            "xero_sync_xero_response_bytes"
        );
        assert_eq!(
            prometheus_name("xero_sync.rows.upserted", ""),
            "xero_sync_rows_upserted"
        );
    }

    #[test]
    fn a_traceparent_becomes_a_remote_parent_and_garbage_does_not() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = remote_context(good).expect("valid");
        assert_eq!(
            context.span().span_context().trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        for bad in [
            "",
            "00-xyz-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            assert!(remote_context(bad).is_none(), "{bad}");
        }
    }
}
