//! Watching it, with real components: two `xero-sync worker` processes export their spans to an
//! OTLP receiver in the test (real OTLP over HTTP, decoded with the OpenTelemetry protobufs),
//! and a run reads as one trace; a real Prometheus scrapes a worker and a webhook receiver
//! during a sync and a webhook's change, and every query of the provisioned Grafana dashboard
//! returns data; `/readyz` tells the truth.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;
use serde_json::Value;
use support::process::WorkerProcess;
use support::{Harness, eventually, small_org};
use uuid::Uuid;
use xero_sync_sim::SimConfig;

// ---------------------------------------------------------------------------------------------
// Helpers

/// What an OTLP receiver was sent, by signal (`traces`, `metrics`), as the raw request bodies.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<BTreeMap<&'static str, Vec<Bytes>>>>);

impl Received {
    fn bodies(&self, signal: &str) -> Vec<Bytes> {
        self.0
            .lock()
            .unwrap()
            .get(signal)
            .cloned()
            .unwrap_or_default()
    }

    /// Every span of every trace export.
    fn spans(&self) -> Vec<Span> {
        self.bodies("traces")
            .iter()
            .flat_map(|body| {
                ExportTraceServiceRequest::decode(body.clone())
                    .unwrap()
                    .resource_spans
            })
            .flat_map(|r| r.scope_spans)
            .flat_map(|s| s.spans)
            .collect()
    }
}

/// An OTLP/HTTP receiver on a free port: its base URL and what it receives.
async fn otlp_receiver() -> (String, Received) {
    async fn keep(State((received, signal)): State<(Received, &'static str)>, body: Bytes) {
        received
            .0
            .lock()
            .unwrap()
            .entry(signal)
            .or_default()
            .push(body);
    }
    let received = Received::default();
    let app = axum::Router::new()
        .route(
            "/v1/traces",
            axum::routing::post(keep).with_state((received.clone(), "traces")),
        )
        .route(
            "/v1/metrics",
            axum::routing::post(keep).with_state((received.clone(), "metrics")),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

/// A span attribute, as text.
fn attr(span: &Span, key: &str) -> Option<String> {
    let value = span
        .attributes
        .iter()
        .find(|a| a.key == key)?
        .value
        .as_ref()?;
    Some(match value.value.as_ref()? {
        AnyValue::StringValue(s) => s.clone(),
        AnyValue::IntValue(i) => i.to_string(),
        AnyValue::BoolValue(b) => b.to_string(),
        AnyValue::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    })
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The repository's `compose/` folder.
fn compose_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compose")
}

// ---------------------------------------------------------------------------------------------
// Traces

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_is_one_trace_across_two_worker_processes_with_call_and_commit_spans_and_no_secret() {
    // Limits on, so Xero's remaining-limit headers come back; a small organisation stays well
    // inside its 60 calls a minute.
    let h = Harness::new(SimConfig {
        invoices: 500,
        contacts: 150,
        accounts: 20,
        journals: 1_100,
        // Each call takes a little while, so the first replica stops mid-journals.
        latency_ms: 50,
        ..SimConfig::default()
    })
    .await;
    // One failed call: its job is retried, and the retry links to the failed attempt.
    h.sim_json(
        "POST",
        "/sim/faults",
        Some(serde_json::json!({"endpoint": "Invoices", "kind": "status_500", "count": 1})),
    )
    .await;
    let (endpoint, received) = otlp_receiver().await;
    // A call per batch and no carrying: every batch goes back through the queue.
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("SYNC_BATCH_SIZE", "1"),
        ("SYNC_CARRY_SECS", "0"),
        ("WORKER_CONCURRENCY", "2"),
    ];
    // The first replica starts the runs and is stopped (SIGTERM: it flushes its exporters on
    // the way out) a few journals batches in; the second finishes them. So the journals run
    // is served by both, whichever would have won the race for each batch.
    let mut first = WorkerProcess::start(&h, &env);
    let runs = h.sync(None, true).await;
    eventually(
        "a few journals batches on the first replica",
        Duration::from_secs(60),
        || async {
            let batches: i32 = sqlx::query_scalar(
                "SELECT batches FROM xero.sync_log WHERE run_id = ANY($1) AND entity = 'journals'",
            )
            .bind(&runs)
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
            (batches >= 3).then_some(())
        },
    )
    .await;
    first.terminate();
    assert!(first.exited_within(Duration::from_secs(30)).await.success());
    let mut second = WorkerProcess::start(&h, &env);
    h.wait(&runs, Duration::from_secs(120)).await;
    second.terminate();
    assert!(
        second
            .exited_within(Duration::from_secs(30))
            .await
            .success()
    );

    let spans = received.spans();
    let by_id: BTreeMap<&[u8], &Span> = spans.iter().map(|s| (&s.span_id[..], s)).collect();
    let batches: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name == "process xero-sync" && attr(s, "sync.run_id").is_some())
        .collect();
    let mut traces = BTreeSet::new();
    let mut journals_traced = false;
    for run in &runs {
        let of_run: Vec<&&Span> = batches
            .iter()
            .filter(|s| attr(s, "sync.run_id") == Some(run.to_string()))
            .collect();
        assert!(!of_run.is_empty(), "no batch span of run {run}");
        let ids: BTreeSet<&[u8]> = of_run.iter().map(|s| &s.trace_id[..]).collect();
        assert_eq!(
            ids.len(),
            1,
            "run {run}'s batches are in {} traces",
            ids.len()
        );
        assert!(
            traces.insert(ids.into_iter().next().unwrap().to_vec()),
            "two runs share a trace"
        );
        // Every batch is a child of the run's own span.
        for batch in &of_run {
            let parent = by_id
                .get(&batch.parent_span_id[..])
                .expect("the run's span was exported");
            assert!(
                parent.name.starts_with("run "),
                "a batch's parent is {:?}",
                parent.name
            );
            assert_eq!(attr(parent, "sync.run_id"), Some(run.to_string()));
        }
        let workers: BTreeSet<_> = of_run.iter().map(|s| attr(s, "worker.name")).collect();
        if of_run
            .iter()
            .any(|s| attr(s, "sync.entity").as_deref() == Some("journals"))
        {
            assert_eq!(
                workers.len(),
                2,
                "the journals run's batches ran on both replicas"
            );
            journals_traced = true;
        }
    }
    assert!(journals_traced, "no journals batch was traced");
    for batch in &batches {
        for (key, expected) in [
            ("messaging.system", Some("xero_sync")),
            ("messaging.operation.type", Some("process")),
            ("messaging.destination.name", Some("xero-sync")),
            ("xero.tenant_id", None),
            ("sync.entity", None),
            ("job.id", None),
        ] {
            let value = attr(batch, key).unwrap_or_else(|| panic!("batch span without {key}"));
            if let Some(expected) = expected {
                assert_eq!(value, expected, "{key}");
            }
        }
    }

    // Each Xero call and each commit sits under its batch, in the batch's trace.
    let batch_of = |span: &Span| -> Option<&Span> {
        let mut at = span;
        while let Some(parent) = by_id.get(&at.parent_span_id[..]) {
            if parent.name == "process xero-sync" {
                return Some(parent);
            }
            at = parent;
        }
        None
    };
    let calls: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("GET "))
        .collect();
    assert!(calls.len() >= runs.len(), "only {} call spans", calls.len());
    for call in &calls {
        let batch = batch_of(call).unwrap_or_else(|| panic!("{} has no batch above it", call.name));
        assert_eq!(call.trace_id, batch.trace_id);
        for key in [
            "http.request.method",
            "http.response.status_code",
            "xero.tenant_id",
            "xero.endpoint",
            "xero.wire_bytes",
        ] {
            assert!(attr(call, key).is_some(), "{} without {key}", call.name);
        }
        if attr(call, "http.response.status_code").as_deref() == Some("200") {
            for key in [
                "xero.min_remaining",
                "xero.day_remaining",
                "http.response.body.size",
            ] {
                assert!(attr(call, key).is_some(), "{} without {key}", call.name);
            }
        }
    }
    let commits: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("commit "))
        .collect();
    assert!(!commits.is_empty(), "no commit span");
    for commit in &commits {
        assert!(batch_of(commit).is_some(), "a commit outside any batch");
        assert!(attr(commit, "rows.upserted").is_some());
    }
    let upserts: Vec<&Span> = spans
        .iter()
        .filter(|s| s.name.starts_with("upsert "))
        .collect();
    assert!(
        upserts
            .iter()
            .any(|s| attr(s, "db.collection.name").as_deref() == Some("xero.invoice_line_items")),
        "no upsert span names the line items table: {:?}",
        upserts.iter().map(|s| &s.name).collect::<BTreeSet<_>>()
    );
    for upsert in &upserts {
        assert!(
            attr(upsert, "db.response.returned_rows").is_some(),
            "{}",
            upsert.name
        );
    }

    // The failed call's job ran again, and its new attempt links to the failed one.
    let failed = calls
        .iter()
        .find(|c| attr(c, "http.response.status_code").as_deref() == Some("500"))
        .expect("the injected 500 was traced");
    let first = batch_of(failed).unwrap();
    let retried = batches
        .iter()
        .find(|s| s.links.iter().any(|l| l.span_id == first.span_id))
        .expect("no attempt links to the failed one");
    assert_eq!(attr(retried, "job.id"), attr(first, "job.id"));

    // Metrics went out too, and nothing secret went anywhere.
    let metrics = received.bodies("metrics");
    assert!(
        metrics
            .iter()
            .any(|b| contains(b, b"xero_sync.rows.upserted")),
        "no metrics export carried the rows counter"
    );
    let tokens: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT access_token, refresh_token FROM xero.tokens")
            .fetch_all(&h.db.pool)
            .await
            .unwrap();
    let mut secrets = vec![h.xero.client_secret.expose().to_owned()];
    for (access, refresh) in tokens {
        secrets.push(access);
        secrets.extend(refresh);
    }
    for body in received.bodies("traces").iter().chain(&metrics) {
        for secret in &secrets {
            assert!(!contains(body, secret.as_bytes()), "a secret was exported");
        }
        assert!(
            !contains(body, b"Bearer"),
            "an authorization header was exported"
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Prometheus and the dashboard

/// The PromQL of every panel of the provisioned dashboard.
fn dashboard_queries() -> Vec<(String, String)> {
    let path = compose_dir().join("grafana/dashboards/xero-sync.json");
    let dashboard: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            queries.push((panel["title"].as_str().unwrap().to_owned(), expr.to_owned()));
        }
    }
    assert!(
        queries.len() >= 10,
        "the dashboard has {} queries",
        queries.len()
    );
    queries
}

/// A dashboard query as Grafana would send it with every organisation selected.
fn as_grafana_sends_it(expr: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$__range", "5m")
        .replace("$tenant", ".*")
}

/// The key the test's webhook receiver checks.
const WEBHOOK_KEY: &str = "b2JzZXJ2YWJpbGl0eS13ZWJob29rLWtleQ==";

/// Posts a signed delivery of one invoice's change to the receiver (once it listens), and waits
/// until the worker has followed it.
async fn deliver_one_change(h: &Harness, receiver: &str) {
    let invoice: Uuid = sqlx::query_scalar("SELECT invoice_id FROM xero.invoices LIMIT 1")
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    let event = serde_json::json!({
        "resourceUrl": format!("https://api.xero.com/api.xro/2.0/Invoices/{invoice}"),
        "resourceId": invoice, "eventDateUtc": "2026-12-03T10:00:00.000",
        "eventType": "UPDATE", "eventCategory": "INVOICE",
        "tenantId": h.tenants[0], "tenantType": "ORGANISATION",
    });
    let body = serde_json::to_vec(&serde_json::json!({
        "events": [event], "firstEventSequence": 1, "lastEventSequence": 1,
        "entropy": "OBSERVABILITYENTROPY",
    }))
    .unwrap();
    let signature = xero_sync::webhooks::signature::sign(WEBHOOK_KEY, &body);
    let url = format!("http://{receiver}{}", xero_sync::webhooks::PATH);
    eventually(
        "the receiver to take a delivery",
        Duration::from_secs(30),
        || {
            let request = h
                .http
                .post(&url)
                .header("x-xero-signature", &signature)
                .body(body.clone());
            async move { request.send().await.ok().filter(|r| r.status() == 200) }
        },
    )
    .await;
    eventually(
        "the worker to follow the event",
        Duration::from_secs(30),
        || async {
            sqlx::query_scalar::<_, bool>(
                "SELECT coalesce(bool_and(handled_at IS NOT NULL), false) FROM xero.webhook_events",
            )
            .fetch_one(&h.db.pool)
            .await
            .unwrap()
            .then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_real_prometheus_scraping_a_worker_answers_every_query_of_the_dashboard() {
    if std::process::Command::new("prometheus")
        .arg("--version")
        .output()
        .is_err()
    {
        support::skip::skip(
            "a_real_prometheus_scraping_a_worker_answers_every_query_of_the_dashboard",
            "no `prometheus` on PATH (.ci/run installs Debian's package)",
        );
        return;
    }
    let h = Harness::new(small_org()).await;
    let metrics_port = free_port();
    let listen = format!("127.0.0.1:{metrics_port}");
    let mut worker = WorkerProcess::start(&h, &[("WORKER_HTTP_ADDR", &listen)]);
    // The webhook receiver, scraped beside the worker, as compose runs them.
    let (hooks_addr, hooks_http) = (
        format!("127.0.0.1:{}", free_port()),
        format!("127.0.0.1:{}", free_port()),
    );
    let mut receiver = WorkerProcess::start_command(
        &h,
        "webhooks",
        &[
            ("WEBHOOK_ADDR", &hooks_addr),
            ("WEBHOOK_HTTP_ADDR", &hooks_http),
            ("XERO_WEBHOOK_KEY", WEBHOOK_KEY),
        ],
    );

    let dir = std::env::temp_dir().join(format!("xero-sync-prometheus-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: xero-sync\n    \
             static_configs:\n      - targets: ['{listen}', '{hooks_http}']\n"
        ),
    )
    .unwrap();
    let prometheus_port = free_port();
    let _prometheus = tokio::process::Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(120)).await;
    deliver_one_change(&h, &hooks_addr).await;

    let api = format!("http://127.0.0.1:{prometheus_port}/api/v1");
    let query = |expr: String| {
        let http = h.http.clone();
        let api = api.clone();
        async move {
            let response = http
                .get(format!("{api}/query"))
                .query(&[("query", &expr)])
                .send()
                .await
                .ok()?;
            let body: Value = response.json().await.ok()?;
            assert_ne!(body["status"], "error", "{expr}: {body}");
            let result = body["data"]["result"].as_array()?.clone();
            (!result.is_empty()).then_some(result)
        }
    };
    for (panel, expr) in dashboard_queries() {
        let expr = as_grafana_sends_it(&expr);
        eventually(
            &format!("data for panel {panel:?}: {expr}"),
            Duration::from_secs(60),
            || query(expr.clone()),
        )
        .await;
    }
    // The dashboard's organisation picker lists the synced organisation.
    let tenants: Value = h
        .http
        .get(format!("{api}/label/tenant_id/values"))
        .query(&[("match[]", "xero_sync_lag_seconds")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tenants["data"],
        serde_json::json!([h.tenants[0].to_string()])
    );

    worker.terminate();
    worker.exited_within(Duration::from_secs(30)).await;
    receiver.terminate();
    receiver.exited_within(Duration::from_secs(30)).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_is_one_trace_from_its_delivery_to_the_commit_of_its_record() {
    let h = Harness::new(small_org()).await;
    let (endpoint, received) = otlp_receiver().await;
    let hooks_addr = format!("127.0.0.1:{}", free_port());
    let otel = ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str());
    let mut worker = WorkerProcess::start(&h, &[otel, ("WORKER_HTTP_ADDR", "off")]);
    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(120)).await;
    let mut receiver = WorkerProcess::start_command(
        &h,
        "webhooks",
        &[
            otel,
            ("WEBHOOK_ADDR", &hooks_addr),
            ("WEBHOOK_HTTP_ADDR", "off"),
            ("XERO_WEBHOOK_KEY", WEBHOOK_KEY),
        ],
    );
    deliver_one_change(&h, &hooks_addr).await;
    // SIGTERM flushes each process's exporter on the way out.
    for process in [&mut receiver, &mut worker] {
        process.terminate();
        assert!(
            process
                .exited_within(Duration::from_secs(30))
                .await
                .success()
        );
    }
    let spans = received.spans();
    let delivery = spans
        .iter()
        .find(|s| s.name == "webhook delivery")
        .expect("the receiver traced the delivery");
    let trace: Vec<&Span> = spans
        .iter()
        .filter(|s| s.trace_id == delivery.trace_id)
        .collect();
    let names: BTreeSet<&str> = trace.iter().map(|s| s.name.as_str()).collect();
    assert!(
        trace
            .iter()
            .any(|s| s.name == "process xero-sync" && s.parent_span_id.len() == 8),
        "the job following the delivery is in its trace: {names:?}"
    );
    assert!(
        trace
            .iter()
            .any(|s| attr(s, "http.response.status_code").as_deref() == Some("200")),
        "the call fetching the invoice by id is in the trace: {names:?}"
    );
    assert!(
        trace
            .iter()
            .any(|s| attr(s, "db.collection.name").as_deref() == Some("xero.invoices")),
        "the upsert of the invoice is in the trace: {names:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Health

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_ready_only_while_the_database_is_at_the_binarys_migration() {
    let h = Harness::new(small_org()).await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut worker = WorkerProcess::start(&h, &[("WORKER_HTTP_ADDR", &listen)]);
    let get = |path: &'static str| {
        let http = h.http.clone();
        async move {
            let response = http
                .get(format!("http://127.0.0.1:{port}{path}"))
                .send()
                .await
                .ok()?;
            Some((response.status().as_u16(), response.text().await.unwrap()))
        }
    };
    let ready = |wanted: u16| {
        move || async move { get("/readyz").await.filter(|(status, _)| *status == wanted) }
    };
    eventually(
        "the worker to be ready",
        Duration::from_secs(30),
        ready(200),
    )
    .await;
    assert_eq!(get("/healthz").await.unwrap().0, 200);
    let (status, metrics) = get("/metrics").await.unwrap();
    assert_eq!(status, 200);
    assert!(
        metrics.contains("xero_sync_runs_ended_total{ending=\"failed\"} 0"),
        "rare counters start at zero:\n{metrics}"
    );

    // A newer schema than the binary knows (another release migrated it): not ready, and why.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99991231000000, 'from a newer release', true, '\\x00', 0)",
    )
    .execute(&h.db.pool)
    .await
    .unwrap();
    let (_, why) = eventually("readyz to refuse", Duration::from_secs(30), ready(503)).await;
    assert!(why.contains("migration"), "{why}");
    assert_eq!(get("/healthz").await.unwrap().0, 200, "alive all the same");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 99991231000000")
        .execute(&h.db.pool)
        .await
        .unwrap();
    eventually(
        "the worker to be ready again",
        Duration::from_secs(30),
        ready(200),
    )
    .await;

    worker.terminate();
    assert!(
        worker
            .exited_within(Duration::from_secs(30))
            .await
            .success()
    );
}
