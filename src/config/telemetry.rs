//! Where logs, traces and metrics go.

use super::values::parse_url;

/// Where telemetry goes.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Telemetry (every command)")]
pub struct TelemetryArgs {
    /// Log one JSON object per line (for log pipelines).
    #[arg(long, env = "LOG_FORMAT_JSON", global = true)]
    pub log_json: bool,
    /// An OTLP/HTTP endpoint (`http://collector:4318`): spans and metrics are exported to it.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", value_name = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true, value_parser = parse_url)]
    pub otlp_endpoint: Option<String>,
    /// `service.name` of the exported telemetry.
    #[arg(
        long,
        env = "OTEL_SERVICE_NAME",
        value_name = "OTEL_SERVICE_NAME",
        default_value = "xero-sync",
        global = true
    )]
    pub service_name: String,
    /// Label per-tenant metrics (lag, response bytes) with the tenant; turn off with very many
    /// organisations to keep series bounded (they are then per entity, or summed).
    #[arg(long, env = "METRICS_TENANT_LABELS", value_name = "METRICS_TENANT_LABELS", default_value_t = true, action = clap::ArgAction::Set, global = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub tenant_labels: bool,
}
