//! Metrics in Prometheus text exposition format, for the worker's `/metrics`: the in-process
//! reader the meter provider feeds, and its rendering.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{ManualReader, Temporality};

/// The in-process reader, kept by the provider and by [`Telemetry`] alike.
#[derive(Debug)]
pub(super) struct Shared(pub Arc<ManualReader>);

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
pub(super) fn render(metrics: &ResourceMetrics) -> String {
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
}
