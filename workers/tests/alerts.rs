//! The alerts compose ships (`compose/prometheus/alerts.yml`): Debian's `promtool` checks them
//! and runs their unit tests (`alerts.test.yml`), every alert has a firing and a silent case and
//! a runbook entry in the README, Prometheus loads what compose mounts, and every metric and
//! label they read is one a real worker exports.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde_yaml::Value;
use support::process::WorkerProcess;
use support::{Harness, small_org};

fn prometheus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../compose/prometheus")
}

fn yaml(name: &str) -> Value {
    let text = std::fs::read_to_string(prometheus_dir().join(name)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// Each alert's name and expression.
fn alerts() -> Vec<(String, String)> {
    let rules = yaml("alerts.yml");
    let mut alerts = Vec::new();
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let name = rule["alert"]
                .as_str()
                .expect("only alerting rules")
                .to_owned();
            alerts.push((name, rule["expr"].as_str().unwrap().to_owned()));
        }
    }
    alerts
}

/// Whether `promtool` runs here; says so and skips when it does not.
fn promtool_present(test: &str) -> bool {
    let present = std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok();
    if !present {
        support::skip::skip(
            test,
            "no `promtool` on PATH (.ci/run installs Debian's prometheus package)",
        );
    }
    present
}

fn promtool(args: &[&str], dir: &std::path::Path) -> String {
    let output = std::process::Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "promtool {args:?}:\n{text}");
    text
}

#[test]
fn promtool_checks_the_alerts_and_passes_their_tests() {
    if !promtool_present("promtool_checks_the_alerts_and_passes_their_tests") {
        return;
    }
    let dir = prometheus_dir();
    let checked = promtool(&["check", "rules", "alerts.yml"], &dir);
    assert!(
        checked.contains(&format!("{} rules found", alerts().len())),
        "{checked}"
    );
    promtool(&["test", "rules", "alerts.test.yml"], &dir);
}

#[test]
fn every_alert_has_a_firing_and_a_silent_case_and_a_runbook_entry() {
    let tests = yaml("alerts.test.yml");
    let mut cases: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for test in tests["tests"].as_sequence().unwrap() {
        for case in test["alert_rule_test"].as_sequence().unwrap() {
            let name = case["alertname"].as_str().unwrap().to_owned();
            let expected = case["exp_alerts"].as_sequence().map_or(0, |a| a.len());
            let counts = cases.entry(name).or_default();
            if expected > 0 {
                counts.0 += 1;
            } else {
                counts.1 += 1;
            }
        }
    }
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let runbook = &readme[readme.find("### Alerts").expect("README has ### Alerts")..];
    let runbook = &runbook[..runbook[4..].find("\n#").map_or(runbook.len(), |i| i + 4)];
    for (name, _) in alerts() {
        let (firing, silent) = cases.get(&name).copied().unwrap_or_default();
        assert!(firing > 0, "{name} has no case where it fires");
        assert!(silent > 0, "{name} has no case where it stays silent");
        assert!(
            runbook.contains(&format!("`{name}`")),
            "README's Alerts section has no runbook entry for {name}"
        );
    }
    let known: BTreeSet<String> = alerts().into_iter().map(|(n, _)| n).collect();
    for name in cases.keys() {
        assert!(
            known.contains(name),
            "alerts.test.yml tests an unknown {name}"
        );
    }
}

#[test]
fn prometheus_loads_the_rule_files_compose_mounts() {
    let config = yaml("prometheus.yml");
    let compose: Value = serde_yaml::from_str(
        &std::fs::read_to_string(prometheus_dir().join("../compose.yaml")).unwrap(),
    )
    .unwrap();
    let volumes: Vec<&str> = compose["services"]["prometheus"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let rule_files: Vec<&str> = config["rule_files"]
        .as_sequence()
        .expect("prometheus.yml loads rule files")
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(!rule_files.is_empty());
    // Each rule file is mounted from a file of the repository, and that file is the alerts.
    let mut local = Vec::new();
    for file in &rule_files {
        let volume = volumes
            .iter()
            .find(|v| v.split(':').nth(1) == Some(file))
            .unwrap_or_else(|| panic!("compose mounts nothing at {file}: {volumes:?}"));
        let source = volume.split(':').next().unwrap();
        let path = prometheus_dir().join("..").join(source);
        assert!(path.exists(), "{source} mounted at {file} does not exist");
        local.push((file.to_string(), path));
    }
    assert!(
        local.iter().any(|(_, p)| p.ends_with("alerts.yml")),
        "{local:?}"
    );
    if !promtool_present("prometheus_loads_the_rule_files_compose_mounts") {
        return;
    }
    // promtool checks the config with the mounts' sources in place of their targets.
    let dir = std::env::temp_dir().join(format!("xero-sync-alerts-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = std::fs::read_to_string(prometheus_dir().join("prometheus.yml")).unwrap();
    for (target, source) in &local {
        text = text.replace(
            target.as_str(),
            &source.canonicalize().unwrap().to_string_lossy(),
        );
    }
    std::fs::write(dir.join("prometheus.yml"), text).unwrap();
    let checked = promtool(&["check", "config", "prometheus.yml"], &dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked.contains("SUCCESS"), "{checked}");
}

/// Metric names (and their label names) in a Prometheus text exposition.
fn exposed(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut metrics: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let labels = metrics.entry(line[..name_end].to_owned()).or_default();
        if let Some(body) = line[name_end..].strip_prefix('{') {
            let body = &body[..body.find('}').unwrap_or(body.len())];
            for pair in body.split(',').filter(|p| !p.is_empty()) {
                labels.insert(pair.split('=').next().unwrap().to_owned());
            }
        }
    }
    metrics
}

/// The `xero_sync_…` names in a PromQL expression or a series selector.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = expr;
    while let Some(at) = rest.find("xero_sync_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alerts_read_metrics_and_labels_a_real_worker_exports() {
    let h = Harness::new(small_org()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let worker = WorkerProcess::start(&h, &[("WORKER_HTTP_ADDR", &listen)]);
    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(120)).await;

    let mut wanted = BTreeSet::new();
    for (_, expr) in alerts() {
        wanted.extend(metric_names(&expr));
    }
    // The series of the tests, with their labels (job and instance are Prometheus's own).
    let mut series: Vec<(String, BTreeSet<String>)> = Vec::new();
    for test in yaml("alerts.test.yml")["tests"].as_sequence().unwrap() {
        for input in test["input_series"].as_sequence().unwrap() {
            let selector = input["series"].as_str().unwrap();
            let (name, body) = selector.split_once('{').unwrap_or((selector, "}"));
            let labels = body
                .trim_end_matches('}')
                .split(',')
                .filter_map(|p| p.split_once('=').map(|(k, _)| k.trim().to_owned()))
                .filter(|k| k != "job" && k != "instance")
                .collect();
            series.push((name.to_owned(), labels));
        }
    }
    let metrics = support::eventually(
        "the worker to export every metric the alerts read",
        Duration::from_secs(60),
        || async {
            let text = h
                .http
                .get(format!("http://{listen}/metrics"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            let metrics = exposed(&text);
            wanted
                .iter()
                .all(|name| metrics.contains_key(name))
                .then_some(metrics)
        },
    )
    .await;
    for (name, labels) in series.iter().filter(|(n, _)| n.starts_with("xero_sync_")) {
        let exported = metrics
            .get(name)
            .unwrap_or_else(|| panic!("a test series reads {name}, which no worker exports"));
        assert!(
            labels.is_subset(exported),
            "{name}: the tests label it {labels:?}, the worker {exported:?}"
        );
    }
    worker.terminate();
}
