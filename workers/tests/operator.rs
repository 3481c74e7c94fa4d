//! An operator's first hour, as a new user meets it: the README's "try it with the simulator"
//! block run verbatim in a shell, two workers with default settings on one host, read-only
//! commands that never create a database, and the errors a mistyped setting gets.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use support::process::WorkerProcess;
use support::{Harness, small_org};
use xero_sync::testing::{DEFAULT_TEST_SERVER, TestDb};

const BINARY: &str = env!("CARGO_BIN_EXE_xero-sync");

/// The fenced block between `<!-- try-simulator -->` and `<!-- /try-simulator -->`.
fn readme_block() -> String {
    let readme = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let text = std::fs::read_to_string(readme).unwrap();
    let start = text
        .find("<!-- try-simulator -->")
        .expect("README.md marks its try-it block with <!-- try-simulator -->");
    let end = text[start..]
        .find("<!-- /try-simulator -->")
        .expect("… and ends it with <!-- /try-simulator -->")
        + start;
    let marked = &text[start..end];
    let fence = marked.find("```sh\n").expect("the block is a ```sh fence") + 6;
    let close = marked[fence..].find("```").unwrap() + fence;
    marked[fence..close].to_owned()
}

/// A directory of the test's own, removed with it.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("xero-sync-try-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `xero-sync` with nothing of the test's environment but `PATH` and `HOME`.
fn bare(args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(BINARY);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

async fn fails_saying(command: &mut tokio::process::Command, says: &[&str]) -> String {
    let output = command.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "succeeded: {stderr}");
    for text in says {
        assert!(stderr.contains(text), "`{text}` not in: {stderr}");
    }
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_try_it_block_runs_verbatim_to_a_completed_sync() {
    let block = readme_block();
    let db = TestDb::empty().await.unwrap();
    let dir = TempDir::new();
    let bin_dir = Path::new(BINARY).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut shell = tokio::process::Command::new("bash");
    shell
        .args(["-e", "-c", &block])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", dir.path())
        // The one setting the README says to set when Postgres is elsewhere; and the
        // simulator on a port of its own, as tests run in parallel.
        .env("DATABASE_URL", &db.url)
        .env("SIM_ADDR", "127.0.0.1:0")
        .stdin(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    let child = shell
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let group = child.id().unwrap();
    let run = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output()).await;
    // Whatever became of the block, nothing it started outlives the test.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
    let output = run.expect("the block ends within five minutes").unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}\n{stderr}");
    assert!(output.status.success(), "the block failed");
    let (pairs, unfinished): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status <> 'completed') FROM xero.sync_progress",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(pairs >= 20, "{pairs} pairs synced");
    assert_eq!(unfinished, 0, "every run completed");
    assert!(stdout.contains("completed"), "{stdout}");
    assert!(
        !stderr.contains('\u{1b}'),
        "a log written to a pipe carries no colours"
    );
    let settings = std::fs::read_to_string(dir.path().join("sim.env")).unwrap();
    for line in [
        "export XERO_MINUTE_WINDOW_MS='5000'",
        "export XERO_MINUTE_LIMIT='60'",
        "export XERO_TOKEN_KEY='",
        "export XERO_API_URL='http://127.0.0.1:",
    ] {
        assert!(settings.contains(line), "{line} not in {settings}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_with_default_settings_on_one_host_both_sync() {
    // Each call takes a while and there are eight runs, so one worker cannot carry every run
    // before the other claims one, however loaded the machine.
    let h = Harness::new(xero_sync_sim::SimConfig {
        latency_ms: 40,
        tenants: 2,
        ..small_org()
    })
    .await;
    let start = || {
        WorkerProcess::start_with(
            &h,
            "worker",
            &[("WORKER_CONCURRENCY", "2"), ("SYNC_BATCH_SIZE", "1")],
            &["WORKER_HTTP_ADDR"],
        )
    };
    let (first, second) = (start(), start());
    // Both registered with the queue (their heartbeat rows), not only started.
    support::eventually(
        "both workers to register",
        Duration::from_secs(30),
        || async {
            let registered: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM apalis.workers WHERE last_seen > now() - interval '30 seconds'",
        )
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
            (registered == 2).then_some(())
        },
    )
    .await;
    let runs = h.sync(None, true).await;
    h.wait(&runs, Duration::from_secs(120)).await;
    h.assert_equal(None).await;
    for (which, worker) in [("first", &first), ("second", &second)] {
        assert!(
            !worker.committed_batches().is_empty(),
            "the {which} worker committed batches"
        );
    }
    let serving = [&first, &second]
        .iter()
        .filter(|w| w.logged("serving /healthz"))
        .count();
    let warned = [&first, &second]
        .iter()
        .filter(|w| w.logged("WORKER_HTTP_ADDR"))
        .count();
    assert!(serving <= 1, "one process holds the default address");
    assert_eq!(serving + warned, 2, "the other says so, naming the setting");
    first.terminate();
    second.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_commands_never_create_or_migrate_a_database() {
    let server =
        std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_SERVER.to_owned());
    let name = format!("xero_sync_mistyped_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{server}/{name}");
    for args in [
        &["status"][..],
        &["entities"],
        &["jobs", "failed"],
        &["connections"],
    ] {
        fails_saying(
            bare(args).env("DATABASE_URL", &url),
            &[&name, "does not exist"],
        )
        .await;
    }
    let admin = TestDb::empty().await.unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&admin.pool)
            .await
            .unwrap();
    assert!(!exists, "no database was created");

    // A database that exists but was never migrated is named, with what to run.
    for args in [&["status"][..], &["jobs", "retry", "--all"]] {
        fails_saying(
            bare(args).env("DATABASE_URL", &admin.url),
            &["has no xero-sync schema", "xero-sync migrate"],
        )
        .await;
    }
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname IN ('xero', 'apalis')")
            .fetch_one(&admin.pool)
            .await
            .unwrap();
    assert_eq!(tables, 0, "nothing was migrated");
}

#[tokio::test]
async fn mistyped_settings_get_errors_that_say_what_to_do() {
    // A password with `/` or `#`: not "invalid port number"; and the password never printed.
    let stderr = fails_saying(
        bare(&["status"]).env("DATABASE_URL", "postgres://u:s3cr/et@127.0.0.1:5432/x"),
        &["percent-encode the password", "DATABASE_URL"],
    )
    .await;
    assert!(!stderr.contains("s3cr"), "{stderr}");
    assert!(!stderr.contains("invalid port"), "{stderr}");
    fails_saying(
        &mut bare(&["pause", "--tenant", "not-a-uuid"]),
        &["not-a-uuid", "a UUID is expected"],
    )
    .await;
    fails_saying(
        bare(&["worker"]).env("SYNC_INTERVAL", "1"),
        &["SYNC_INTERVAL", "has no unit", "1m"],
    )
    .await;
}

#[tokio::test]
async fn help_says_what_the_tool_does_and_each_command_shows_its_own_options_first() {
    let help = bare(&["--help"]).output().await.unwrap();
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.starts_with("Keeps Postgres copies"), "{text}");
    let sync = bare(&["sync", "--help"]).output().await.unwrap();
    let text = String::from_utf8(sync.stdout).unwrap();
    let own = text.find("--tenant").expect("sync's own options");
    let telemetry = text
        .find("Telemetry (every command)")
        .expect("the telemetry options in their own group");
    assert!(own < telemetry, "{text}");
    for tuning in ["SYNC_BATCH_SIZE", "SYNC_CARRY_SECS", "WORKER_CONCURRENCY"] {
        assert!(
            !text.contains(tuning),
            "one-shot sync lists {tuning}:\n{text}"
        );
    }
}

/// A free loopback port's redirect URI for `connect` (bound, then freed for the process).
fn free_redirect_uri() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}/callback", listener.local_addr().unwrap())
}

/// A `connect` process of the harness, its stdin and stdout piped, and the consent URL it
/// printed.
async fn connect_process(
    h: &Harness,
    args: &[&str],
) -> (tokio::process::Child, String, tokio::process::ChildStdout) {
    use tokio::io::AsyncBufReadExt;
    let mut child = h
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout);
    let mut printed = String::new();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let mut line = String::new();
            assert!(lines.read_line(&mut line).await.unwrap() > 0, "{printed}");
            printed.push_str(&line);
            if let Some(url) = line.split_whitespace().find(|w| w.contains("/authorize?")) {
                return url.to_owned();
            }
        }
    })
    .await
    .expect("connect prints the consent URL");
    (child, url, lines.into_inner())
}

/// Where the simulator's consent page sends the browser (it consents at once).
async fn consented(url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser.get(url).send().await.unwrap();
    let location = response.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap();
    location.to_owned()
}

/// The stored tokens of every connection: a connect that stores anything changes them.
async fn connections(h: &Harness) -> String {
    sqlx::query_scalar(
        "SELECT string_agg(access_token, ',' ORDER BY connection_id) FROM xero.tokens",
    )
    .fetch_one(&h.db.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_without_a_browser_takes_the_pasted_redirect_address() {
    use tokio::io::AsyncWriteExt;
    let h = Harness::new(small_org()).await;
    let before = connections(&h).await;
    let redirect = free_redirect_uri();
    let args = ["connect", "--no-browser", "--redirect-uri", &redirect];
    let (mut child, url, _stdout) = connect_process(&h, &args).await;
    let mut stdin = child.stdin.take().unwrap();

    // A pasted line that is not the redirect is refused, saying what to paste.
    stdin.write_all(b"https://example.com/\n").await.unwrap();
    let output = child.wait_with_output().await.unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not the address Xero redirected to"),
        "{stderr}"
    );

    // The address the browser was sent to, pasted whole: connected and stored.
    let (mut child, url_again, mut stdout) = connect_process(&h, &args).await;
    assert_ne!(url, url_again, "each consent has its own state");
    let mut stdin = child.stdin.take().unwrap();
    let pasted = consented(&url_again).await;
    stdin
        .write_all(format!("{pasted}\n").as_bytes())
        .await
        .unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .unwrap()
        .unwrap();
    let mut rest = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut rest)
        .await
        .unwrap();
    assert!(status.success(), "{rest}");
    assert!(rest.contains("connected "), "{rest}");
    assert_ne!(connections(&h).await, before, "new tokens stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_is_told_connected_only_once_stored_and_the_error_otherwise() {
    let h = Harness::new(small_org()).await;
    let before = connections(&h).await;
    let redirect = free_redirect_uri();
    let args = ["connect", "--redirect-uri", &redirect];

    // A redirect whose state is not this consent's: the page shows the error, nothing stored.
    let (child, url, _stdout) = connect_process(&h, &args).await;
    let location = consented(&url).await;
    let tampered = location.replace("state=", "state=x");
    let page = reqwest::get(&tampered).await.unwrap().text().await.unwrap();
    assert!(page.contains("could not connect"), "{page}");
    let output = child.wait_with_output().await.unwrap();
    assert!(!output.status.success());
    assert_eq!(connections(&h).await, before);

    // The real redirect: by the time the page says connected, the connection is stored.
    let (child, url, _stdout) = connect_process(&h, &args).await;
    let page = reqwest::get(consented(&url).await)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("is connected to"), "{page}");
    assert_ne!(connections(&h).await, before, "stored before the page");
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success());
}
