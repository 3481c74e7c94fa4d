//! The compose deployment (`compose/`), checked without a Docker engine: it validates (with
//! Debian's `docker-compose` when installed), every variable a service passes is one the binary
//! reads, every worker gets what it needs, its health check asks its own `/readyz`, Prometheus
//! scrapes every worker, the collector and Grafana point at services that exist; production
//! refuses to start without its secrets, and the demo's values (`demo.env`) are the simulator's.

#![allow(clippy::unwrap_used)]

#[path = "support/skip.rs"]
mod skip;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_yaml::Value;
use xero_sync_sim::{SimConfig, Simulator};

fn compose_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compose")
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(compose_dir().join(path)).unwrap();
    let mut value: Value = serde_yaml::from_str(&text).unwrap();
    value.apply_merge().unwrap();
    value
}

/// The compose file with its anchors merged.
fn compose() -> Value {
    let mut file = yaml("compose.yaml");
    // `apply_merge` merges one level: a merged-in anchor may hold a `<<` of its own, and so may
    // a service's `environment`.
    let services = file["services"].as_mapping_mut().unwrap();
    for (_, service) in services.iter_mut() {
        while service.get("<<").is_some() {
            service.apply_merge().unwrap();
        }
        if let Some(env) = service.get_mut("environment") {
            while env.get("<<").is_some() {
                env.apply_merge().unwrap();
            }
        }
    }
    file
}

/// The demo's values (`demo.env`).
fn demo_env() -> BTreeMap<String, String> {
    std::fs::read_to_string(compose_dir().join("demo.env"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// A value as compose resolves it with the demo's values: `${NAME}`, `${NAME:-default}` and
/// `${NAME:?message}` (which the demo must set).
fn resolved(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    };
    let env = demo_env();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let inner = &rest[start + 2..end];
        let name = inner.split([':', '-', '?']).next().unwrap();
        let value = match (env.get(name), inner.split_once(":-")) {
            (Some(v), _) => v.clone(),
            (None, Some((_, default))) => default.to_owned(),
            (None, None) => panic!("${{{inner}}}: demo.env must set {name}"),
        };
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn env_of(service: &Value) -> Vec<(String, String)> {
    service["environment"]
        .as_mapping()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().unwrap().to_owned(), resolved(v)))
                .collect()
        })
        .unwrap_or_default()
}

fn env_var(service: &Value, name: &str) -> Option<String> {
    env_of(service)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn command_of(service: &Value) -> Vec<String> {
    service["command"]
        .as_sequence()
        .map(|s| s.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

/// The environment variables `xero-sync <command>` reads, from its own help.
fn env_names_of(command: &str) -> BTreeSet<String> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_xero-sync"))
        .args([command, "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    help.split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap().to_owned())
        .collect()
}

/// The services built from this repository (the `xero-sync` image).
fn our_services(compose: &Value) -> Vec<(String, Value)> {
    compose["services"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, s)| s["image"].as_str() == Some("xero-sync:local"))
        .map(|(name, s)| (name.as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

/// `docker-compose <args>` in the compose folder with exactly `env` set: success, and stderr.
fn docker_compose(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut command = std::process::Command::new("docker-compose");
    command
        .args(args)
        .current_dir(compose_dir())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn docker_compose_refuses_production_without_its_secrets_and_runs_the_demo_with_none() {
    let probe = std::process::Command::new("docker-compose")
        .arg("version")
        .output();
    if probe.is_err() {
        skip::skip(
            "docker_compose_refuses_production_without_its_secrets_and_runs_the_demo_with_none",
            "no `docker-compose` on PATH (.ci/run installs Debian's package)",
        );
        return;
    }
    let (ok, stderr) = docker_compose(&["config", "-q"], &[]);
    assert!(!ok, "production starts without its settings");
    assert!(
        stderr.contains("POSTGRES_PASSWORD") || stderr.contains("XERO_"),
        "{stderr}"
    );
    let settings = [
        ("POSTGRES_PASSWORD", "p"),
        ("XERO_CLIENT_ID", "id"),
        ("XERO_CLIENT_SECRET", "secret"),
        ("XERO_TOKEN_KEY", "a2V5"),
        ("GRAFANA_ADMIN_PASSWORD", "g"),
    ];
    for missing in 0..settings.len() {
        let some: Vec<_> = settings
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != missing)
            .map(|(_, kv)| *kv)
            .collect();
        let (ok, stderr) = docker_compose(&["config", "-q"], &some);
        assert!(!ok, "starts without {}", settings[missing].0);
        assert!(stderr.contains(settings[missing].0), "{stderr}");
    }
    let (ok, stderr) = docker_compose(&["config", "-q"], &settings);
    assert!(ok, "production with its settings: {stderr}");
    let demo = [
        "--env-file",
        "demo.env",
        "--profile",
        "demo",
        "config",
        "-q",
    ];
    let (ok, stderr) = docker_compose(&demo, &[]);
    assert!(ok, "the demo with none: {stderr}");
}

#[test]
fn no_file_with_secrets_is_tracked_and_the_demo_key_is_a_real_key() {
    let ignored = std::fs::read_to_string(compose_dir().join("../.gitignore")).unwrap();
    assert!(
        ignored.lines().any(|l| l == "/compose/.env"),
        "compose/.env is ignored"
    );
    assert!(!compose_dir().join(".env").exists() || ignored.contains("/compose/.env"));
    let example = std::fs::read_to_string(compose_dir().join(".env.example")).unwrap();
    for line in example
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains('='))
    {
        let (name, value) = line.split_once('=').unwrap();
        assert!(
            value.is_empty() || name == "COMPOSE_PROJECT_NAME",
            ".env.example holds a value for {name}"
        );
    }
    let key = demo_env()["XERO_TOKEN_KEY"].clone();
    let args = xero_sync::config::TokenKeyArgs {
        token_key: Some(xero_sync::config::Secret::new(key)),
        ..Default::default()
    };
    assert!(
        xero_sync::seal::Keys::from_args(&args).is_ok(),
        "the demo's key is 32 bytes"
    );
}

#[test]
fn every_variable_passed_to_the_binary_is_one_it_reads() {
    let compose = compose();
    let services = our_services(&compose);
    assert!(
        services.len() >= 6,
        "{:?}",
        services.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    // The services share one environment: each variable must be read by some command of the
    // binary (a misspelt one is not), and every variable a worker gets by `worker` itself.
    let commands: BTreeSet<String> = services
        .iter()
        .map(|(_, s)| command_of(s)[0].clone())
        .collect();
    let read_by_some: BTreeSet<String> = commands.iter().flat_map(|c| env_names_of(c)).collect();
    let read_by_worker = env_names_of("worker");
    for (name, service) in &services {
        let worker = command_of(service)[0] == "worker";
        let known = if worker {
            &read_by_worker
        } else {
            &read_by_some
        };
        for (var, _) in env_of(service) {
            assert!(
                known.contains(&var) || var == "RUST_LOG",
                "service {name} sets {var}, which xero-sync does not read there"
            );
        }
    }
}

#[test]
fn three_workers_with_what_they_need_health_checked_on_readyz_and_scraped_by_prometheus() {
    let compose = compose();
    let services = compose["services"].as_mapping().unwrap();
    let workers: Vec<(String, Value)> = our_services(&compose)
        .into_iter()
        .filter(|(_, s)| command_of(s) == ["worker"])
        .collect();
    assert_eq!(workers.len(), 3, "three worker replicas");
    let prometheus = yaml("prometheus/prometheus.yml");
    let targets: BTreeSet<String> = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    let postgres = &compose["services"]["postgres"];
    let database_url = format!(
        "postgres://{}:{}@postgres:5432/{}",
        env_var(postgres, "POSTGRES_USER").unwrap(),
        env_var(postgres, "POSTGRES_PASSWORD").unwrap(),
        env_var(postgres, "POSTGRES_DB").unwrap()
    );
    for (name, worker) in &workers {
        for var in [
            "DATABASE_URL",
            "XERO_CLIENT_ID",
            "XERO_CLIENT_SECRET",
            "XERO_API_URL",
            "XERO_IDENTITY_URL",
            "WORKER_HTTP_ADDR",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ] {
            let value = env_var(worker, var).unwrap_or_default();
            assert!(!value.is_empty(), "{name} lacks {var}");
        }
        assert_eq!(
            env_var(worker, "DATABASE_URL").unwrap(),
            database_url,
            "{name}"
        );
        // Listening on every interface, so Prometheus reaches it; checked on its own port.
        let addr = env_var(worker, "WORKER_HTTP_ADDR").unwrap();
        let port = addr
            .strip_prefix("0.0.0.0:")
            .unwrap_or_else(|| panic!("{name}: {addr}"));
        let check = worker["healthcheck"]["test"].as_sequence().unwrap();
        let check: Vec<&str> = check.iter().map(|v| v.as_str().unwrap()).collect();
        assert!(
            check.contains(&format!("http://127.0.0.1:{port}/readyz").as_str()),
            "{name}'s health check: {check:?}"
        );
        assert!(
            targets.contains(&format!("{name}:{port}")),
            "Prometheus does not scrape {name}"
        );
        let otlp = env_var(worker, "OTEL_EXPORTER_OTLP_ENDPOINT").unwrap();
        assert_eq!(otlp, "http://otel-collector:4318", "{name}");
        let after = worker["depends_on"]["migrate"]["condition"].as_str();
        assert_eq!(
            after,
            Some("service_completed_successfully"),
            "{name} waits for migrate"
        );
    }
    assert_eq!(
        targets.len(),
        workers.len(),
        "Prometheus scrapes only workers"
    );

    // The collector takes OTLP/HTTP where the workers send it and hands traces to Jaeger.
    let collector = yaml("otel-collector/config.yaml");
    assert_eq!(
        collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].as_str(),
        Some("0.0.0.0:4318")
    );
    let jaeger = collector["exporters"]["otlp/jaeger"]["endpoint"]
        .as_str()
        .unwrap();
    assert!(
        services.contains_key(jaeger.split(':').next().unwrap()),
        "{jaeger}"
    );

    // Grafana: the data source the dashboard names exists, at Prometheus's service.
    let sources = yaml("grafana/provisioning/datasources/prometheus.yaml");
    let prometheus_source = sources["datasources"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "prometheus")
        .unwrap();
    assert_eq!(
        prometheus_source["url"].as_str(),
        Some("http://prometheus:9090")
    );
    let dashboard: serde_json::Value = serde_json::from_slice(
        &std::fs::read(compose_dir().join("grafana/dashboards/xero-sync.json")).unwrap(),
    )
    .unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        assert_eq!(
            panel["datasource"]["uid"].as_str(),
            prometheus_source["uid"].as_str(),
            "panel {}",
            panel["title"]
        );
    }
    let provider = yaml("grafana/provisioning/dashboards/xero-sync.yaml");
    let path = provider["providers"][0]["options"]["path"]
        .as_str()
        .unwrap();
    let grafana_volumes: Vec<&str> = compose["services"]["grafana"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        grafana_volumes.contains(&format!("./grafana/dashboards:{path}:ro").as_str()),
        "the dashboards folder is mounted where the provider reads: {grafana_volumes:?}"
    );
}

#[tokio::test]
async fn the_demo_values_are_the_simulators_credentials_and_address() {
    let compose = compose();
    let simulator = &compose["services"]["simulator"];
    let command = command_of(simulator);
    let seed = command
        .iter()
        .position(|a| a == "--seed")
        .map_or(SimConfig::default().seed, |i| {
            command[i + 1].parse().unwrap()
        });
    let tenants: usize = command
        .iter()
        .position(|a| a == "--tenants")
        .map_or(1, |i| command[i + 1].parse().unwrap());
    let addr = &command[command.iter().position(|a| a == "--addr").unwrap() + 1];
    let port = addr.rsplit(':').next().unwrap();
    let sim = Simulator::start(SimConfig {
        seed,
        tenants,
        invoices: 10,
        contacts: 10,
        accounts: 5,
        journals: 10,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let worker = &compose["services"]["worker-1"];
    assert_eq!(env_var(worker, "XERO_CLIENT_ID").unwrap(), sim.client_id());
    assert_eq!(
        env_var(worker, "XERO_CLIENT_SECRET").unwrap(),
        sim.client_secret()
    );
    for var in ["XERO_API_URL", "XERO_IDENTITY_URL", "XERO_LOGIN_URL"] {
        assert_eq!(
            env_var(worker, var).unwrap(),
            format!("http://simulator:{port}"),
            "{var}"
        );
    }
    let connect = &compose["services"]["connect"];
    assert_eq!(command_of(connect), ["connect", "--client-credentials"]);
    assert_eq!(
        connect["depends_on"]["simulator"]["condition"].as_str(),
        Some("service_healthy")
    );
    sim.shutdown().await;
}
