//! A real `xero-sync worker` (or `webhooks`) process, started with a harness's configuration.

use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::Harness;

/// A `xero-sync worker` child process whose JSON log lines are kept for the test to read.
pub struct WorkerProcess {
    /// The child.
    pub child: tokio::process::Child,
    /// Its process id.
    pub pid: u32,
    /// Its log lines (JSON).
    pub log: Arc<Mutex<Vec<Value>>>,
    /// The task reading its log; it ends when the child's stderr closes.
    reader: Option<tokio::task::JoinHandle<()>>,
}

impl WorkerProcess {
    /// Starts `xero-sync worker` with the harness's configuration plus `env`.
    pub fn start(h: &Harness, env: &[(&str, &str)]) -> WorkerProcess {
        Self::start_command(h, "worker", env)
    }

    /// Starts `xero-sync <command>` (`worker`, `webhooks`) the same way.
    pub fn start_command(h: &Harness, subcommand: &str, env: &[(&str, &str)]) -> WorkerProcess {
        Self::start_with(h, subcommand, env, &[])
    }

    /// Starts `xero-sync <command>` the same way, with the variables `unset` not set at all
    /// (their defaults apply).
    pub fn start_with(
        h: &Harness,
        subcommand: &str,
        env: &[(&str, &str)],
        unset: &[&str],
    ) -> WorkerProcess {
        let mut command = h.command(&[subcommand]);
        for name in unset {
            command.env_remove(name);
        }
        command
            .env("LOG_FORMAT_JSON", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let pid = child.id().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        let reader = tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("[worker {pid}] {line}");
                if let Ok(value) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push(value);
                }
            }
        });
        WorkerProcess {
            child,
            pid,
            log,
            reader: Some(reader),
        }
    }

    /// SIGKILL: no chance to clean up, exactly like a crashed or OOM-killed replica.
    pub async fn kill(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }

    /// SIGTERM, as an orchestrator stopping a replica sends it.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM {}", self.pid);
    }

    /// Waits for the process to exit on its own, and for every line it logged to be read.
    pub async fn exited_within(&mut self, limit: Duration) -> ExitStatus {
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("worker {} still running after {limit:?}", self.pid))
            .unwrap();
        if let Some(reader) = self.reader.take() {
            reader.await.unwrap();
        }
        status
    }

    /// Whether a line it logged so far says `text`.
    pub fn logged(&self, text: &str) -> bool {
        self.log.lock().unwrap().iter().any(|line| {
            line["message"]
                .as_str()
                .is_some_and(|message| message.contains(text))
        })
    }

    /// `(run_id, seq)` of every batch this process logged as committed.
    pub fn committed_batches(&self) -> Vec<(String, i64)> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|line| line["message"] == "batch committed")
            .map(|line| {
                let span = &line["span"];
                let run = span["sync.run_id"].as_str().unwrap().to_owned();
                (run, span["sync.seq"].as_i64().unwrap())
            })
            .collect()
    }
}

/// Stops processes started without a [`WorkerProcess`] (the benches', whose output is not
/// read): SIGTERM to each, then up to 40 s for it to exit.
pub async fn stop(processes: Vec<tokio::process::Child>) {
    for mut process in processes {
        if let Some(pid) = process.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        let _ = tokio::time::timeout(Duration::from_secs(40), process.wait()).await;
    }
}
