//! How close a sync comes to what Postgres can ingest, in one run on one machine, over the same
//! 126,800-journal organisation (357,000 lines):
//!
//! - **ceiling**: Postgres alone, independent of this project's code: the same number of journal
//!   and line rows generated server-side and inserted set-based into the same tables (same
//!   indexes), a thousand journals and their lines per transaction — no JSON, no HTTP;
//! - **upserts**: the journals entity's own statements applied back to back to the response
//!   bodies, fetched beforehand (no HTTP, no queue), ten pages per transaction as a batch;
//! - **sync**: a real `xero-sync worker` process syncing from the simulator over HTTP;
//! - **seed**: the approach this project replaced: sequential pages, one INSERT per record and
//!   per line, a commit every ten pages.
//!
//! It prints journals per second of each, the ratios (goals: sync ≥ 25 % of the ceiling and ≥ 5×
//! the seed), the worker's peak RSS (goal < 100 MB), and then the same sync with 150 ms of
//! latency per call as wall time ÷ (calls × latency), and the cost of exporting traces and
//! metrics over OTLP (speed with export ÷ without; goal ≥ 0.95). The full form exits non-zero
//! when a goal is missed; the short form only reports.
//!
//! `cargo bench -p xero-sync-workers --bench throughput`; `THROUGHPUT_BENCH_SHORT=1` runs
//! 12,680 journals (1,268 with latency) for CI.

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::PgPool;
use support::Harness;
use uuid::Uuid;
use xero_sync::seal::Field;
use xero_sync::xero::Page;
use xero_sync::xero::page::Fields;
use xero_sync_sim::SimConfig;
use xero_sync_workers::entity;

/// A measured way of getting the journals into Postgres.
struct Measure {
    name: &'static str,
    elapsed: Duration,
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("throughput: run with `cargo bench -p xero-sync-workers --bench throughput`");
        return;
    }
    let short = std::env::var("THROUGHPUT_BENCH_SHORT").is_ok_and(|v| !v.is_empty() && v != "0");
    let (journals, latency_journals) = if short {
        (12_680, 1_268)
    } else {
        (126_800, 12_680)
    };
    let h = Harness::new(SimConfig {
        journals,
        rate_limits: false,
        ..SimConfig::default()
    })
    .await;
    let (sync, peak_kib, _) = sync_with_worker(&h, &[]).await;
    let exported = export_overhead(&h, &sync).await;
    let pages = fetch_all(&h).await;
    let (_, lines) = counts(&h.db.pool).await;
    let ceiling = ceiling(&h.db.pool).await;
    let upserts = upserts(&h, &pages).await;
    let seed = seed(&h).await;

    let rate = |m: &Measure| journals as f64 / m.elapsed.as_secs_f64();
    println!();
    println!(
        "throughput: {journals} journals, {lines} lines, {} pages",
        pages.len()
    );
    for m in [&ceiling, &upserts, &sync, &seed] {
        println!(
            "  {:<8} {:>8.2} s  {:>9.0} journals/s",
            m.name,
            m.elapsed.as_secs_f64(),
            rate(m)
        );
    }
    let of_ceiling = rate(&sync) / rate(&ceiling);
    let over_seed = rate(&sync) / rate(&seed);
    let peak_mib = peak_kib as f64 / 1024.0;
    println!(
        "  sync / ceiling = {:.0} % (goal ≥ 25 %); upserts / ceiling = {:.0} %",
        of_ceiling * 100.0,
        rate(&upserts) / rate(&ceiling) * 100.0
    );
    println!("  sync / seed    = {over_seed:.1}× (goal ≥ 5×)");
    println!("  worker peak RSS {peak_mib:.1} MiB (goal < 100 MB)");
    drop(h);

    let latency_ms = 150;
    let slow = Harness::new(SimConfig {
        journals: latency_journals,
        rate_limits: false,
        latency_ms,
        ..SimConfig::default()
    })
    .await;
    let (slow_sync, _, calls) = sync_with_worker(&slow, &[]).await;
    let floor = calls as f64 * latency_ms as f64 / 1000.0;
    println!(
        "throughput: {latency_journals} journals at {latency_ms} ms a call: {:.2} s for {calls} \
         calls = {:.2} × (calls × latency)",
        slow_sync.elapsed.as_secs_f64(),
        slow_sync.elapsed.as_secs_f64() / floor
    );

    let mut missed = Vec::new();
    if of_ceiling < 0.25 {
        missed.push(format!(
            "sync at {:.0} % of the ceiling",
            of_ceiling * 100.0
        ));
    }
    if over_seed < 5.0 {
        missed.push(format!("sync only {over_seed:.1}× the seed approach"));
    }
    if exported < 0.95 {
        missed.push(format!(
            "with export on, {:.0} % of the speed",
            exported * 100.0
        ));
    }
    if peak_mib >= 100.0 {
        missed.push(format!("worker peak {peak_mib:.1} MiB"));
    }
    if !missed.is_empty() {
        eprintln!("throughput goals missed: {}", missed.join("; "));
        // The short form (CI, on a shared machine) reports; the full one is the measurement.
        if !short {
            std::process::exit(1);
        }
    }
}

/// A full journals sync by a real worker process: its time (from the request to the run's
/// end), the process's peak RSS, and the Xero calls the run made.
async fn sync_with_worker(h: &Harness, env: &[(&str, &str)]) -> (Measure, u64, i32) {
    let mut command = h.command(&["worker"]);
    command.env("RUST_LOG", "warn").stdout(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let worker = command.spawn().unwrap();
    let pid = worker.id().unwrap();
    h.workers_registered(1).await;
    let started = Instant::now();
    let runs = h.sync(Some(&["journals"]), true).await;
    h.wait(&runs, Duration::from_secs(3600)).await;
    let elapsed = started.elapsed();
    let peak_kib = vm_hwm_kib(pid);
    support::process::stop(vec![worker]).await;
    h.assert_equal(Some(&["journals"])).await;
    let calls: i32 = sqlx::query_scalar("SELECT api_calls FROM xero.sync_log WHERE run_id = $1")
        .bind(runs[0])
        .fetch_one(&h.db.pool)
        .await
        .unwrap();
    let measure = Measure {
        name: "sync",
        elapsed,
    };
    (measure, peak_kib, calls)
}

/// The same sync again with traces and metrics exported over OTLP (to a receiver that counts
/// the bytes and drops them), against the same sync without export right after: prints and
/// returns speed with export ÷ speed without (goal ≥ 0.95).
async fn export_overhead(h: &Harness, first: &Measure) -> f64 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(body.len(), Ordering::Relaxed);
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    empty_journals(&h.db.pool).await;
    let (on, _, _) = sync_with_worker(h, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)]).await;
    empty_journals(&h.db.pool).await;
    let (off, _, _) = sync_with_worker(h, &[]).await;
    // Without export: the better of the run before and the run after, so a warmer cache
    // never flatters the exporting run.
    let off = off.elapsed.min(first.elapsed);
    let ratio = off.as_secs_f64() / on.elapsed.as_secs_f64();
    let bytes = received.load(Ordering::Relaxed);
    assert!(bytes > 0, "nothing was exported");
    println!(
        "throughput: export on {:.2} s vs off {:.2} s = {:.2} of the speed (goal ≥ 0.95), \
         {:.1} KiB of OTLP",
        on.elapsed.as_secs_f64(),
        off.as_secs_f64(),
        ratio,
        bytes as f64 / 1024.0
    );
    ratio
}

/// Every journals page of the organisation, as the API serves them.
async fn fetch_all(h: &Harness) -> Vec<String> {
    let token = access_token(h).await;
    let mut pages = Vec::new();
    let mut offset = 0;
    loop {
        let body = get_page(h, &token, offset).await;
        let value: Value = serde_json::from_str(&body).unwrap();
        let journals = value["Journals"].as_array().unwrap();
        let Some(last) = journals.last() else {
            break;
        };
        offset = last["JournalNumber"].as_i64().unwrap();
        pages.push(body);
    }
    pages
}

/// The stored access token, opened with the harness's key (tokens are sealed at rest).
async fn access_token(h: &Harness) -> String {
    let (connection, sealed): (Uuid, String) =
        sqlx::query_as("SELECT connection_id, access_token FROM xero.tokens")
            .fetch_one(&h.db.pool)
            .await
            .unwrap();
    h.keys
        .open(connection, Field::Access, &sealed)
        .unwrap()
        .expose()
        .to_owned()
}

async fn get_page(h: &Harness, token: &str, offset: i64) -> String {
    h.http
        .get(format!("{}/api.xro/2.0/Journals", h.sim.origin()))
        .bearer_auth(token)
        .header("xero-tenant-id", h.tenants[0].to_string())
        .header("Accept", "application/json")
        .query(&[("offset", offset.to_string())])
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn empty_journals(pool: &PgPool) {
    sqlx::query("TRUNCATE xero.journals, xero.journal_lines")
        .execute(pool)
        .await
        .unwrap();
}

/// Postgres's own ingest rate into the same tables, with nothing of this project in the way:
/// the very rows the sync stored, copied aside before the clock starts, inserted again
/// set-based, a thousand journals with their lines per transaction, as a batch commits — no
/// JSON parsed, no HTTP, no queue.
async fn ceiling(pool: &PgPool) -> Measure {
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS ceiling_journals, ceiling_journal_lines;
         CREATE UNLOGGED TABLE ceiling_journals AS
             SELECT j.*, (row_number() OVER (ORDER BY journal_number) - 1) / 1000 AS batch
               FROM xero.journals j;
         CREATE UNLOGGED TABLE ceiling_journal_lines AS
             SELECT l.*, c.batch FROM xero.journal_lines l
               JOIN ceiling_journals c USING (tenant_id, journal_id);
         CREATE INDEX ON ceiling_journals (batch);
         CREATE INDEX ON ceiling_journal_lines (batch);
         ANALYZE ceiling_journals, ceiling_journal_lines;",
    )
    .execute(pool)
    .await
    .unwrap();
    let batches: i64 =
        sqlx::query_scalar("SELECT coalesce(max(batch) + 1, 0) FROM ceiling_journals")
            .fetch_one(pool)
            .await
            .unwrap();
    let mut statements = Vec::new();
    for table in ["journals", "journal_lines"] {
        let columns: String = sqlx::query_scalar(
            "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
               FROM information_schema.columns WHERE table_schema = 'xero' AND table_name = $1",
        )
        .bind(table)
        .fetch_one(pool)
        .await
        .unwrap();
        statements.push(format!(
            "INSERT INTO xero.{table} ({columns}) SELECT {columns} FROM ceiling_{table} WHERE batch = $1"
        ));
    }
    let stored = counts(pool).await;
    empty_journals(pool).await;
    sqlx::query("CHECKPOINT").execute(pool).await.unwrap();
    let started = Instant::now();
    for batch in 0..batches {
        let mut tx = pool.begin().await.unwrap();
        for statement in &statements {
            sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                .bind(batch)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let elapsed = started.elapsed();
    assert_eq!(counts(pool).await, stored);
    Measure {
        name: "ceiling",
        elapsed,
    }
}

/// The journals and lines stored.
async fn counts(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM xero.journals), (SELECT count(*) FROM xero.journal_lines)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The entity's statements over the pages, ten pages per transaction and per statement as a
/// batch runs them (the bodies are combined before the clock starts).
async fn upserts(h: &Harness, pages: &[String]) -> Measure {
    empty_journals(&h.db.pool).await;
    let journals = entity("journals").unwrap();
    let fields = Fields {
        collection: journals.collection,
        id: journals.id_field,
        number: Some("JournalNumber"),
    };
    let batches: Vec<String> = pages
        .chunks(10)
        .map(|batch| {
            let parsed: Vec<Page> = batch
                .iter()
                .map(|body| Page::parse(body.clone(), fields).unwrap())
                .collect();
            Page::combined(&parsed, journals.collection)
        })
        .collect();
    let tenant = h.tenants[0];
    let started = Instant::now();
    for body in &batches {
        let mut tx = h.db.pool.begin().await.unwrap();
        xero_sync::sync::store::store(&mut tx, journals, tenant, body)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let elapsed = started.elapsed();
    h.assert_equal(Some(&["journals"])).await;
    Measure {
        name: "upserts",
        elapsed,
    }
}

/// The seed's approach: page after page over HTTP, a statement per journal and per line.
async fn seed(h: &Harness) -> Measure {
    empty_journals(&h.db.pool).await;
    let token = access_token(h).await;
    let tenant = h.tenants[0];
    let started = Instant::now();
    let mut offset = 0;
    let mut tx = h.db.pool.begin().await.unwrap();
    for page_no in 1.. {
        let body: Value = serde_json::from_str(&get_page(h, &token, offset).await).unwrap();
        let page = body["Journals"].as_array().unwrap();
        let Some(last) = page.last() else {
            break;
        };
        offset = last["JournalNumber"].as_i64().unwrap();
        for journal in page {
            insert_journal(&mut tx, tenant, journal).await;
        }
        if page_no % 10 == 0 {
            tx.commit().await.unwrap();
            tx = h.db.pool.begin().await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    let elapsed = started.elapsed();
    h.assert_equal(Some(&["journals"])).await;
    Measure {
        name: "seed",
        elapsed,
    }
}

fn uuid(v: &Value) -> Option<Uuid> {
    v.as_str().and_then(|s| s.parse().ok())
}

fn ms(v: &Value) -> Option<f64> {
    let s = v.as_str()?.strip_prefix("/Date(")?;
    let end = s.find(['+', ')'])?;
    s[..end].parse::<f64>().ok().map(|ms| ms / 1000.0)
}

async fn insert_journal(tx: &mut sqlx::PgConnection, tenant: Uuid, j: &Value) {
    let journal_id = uuid(&j["JournalID"]).unwrap();
    sqlx::query(
        "INSERT INTO xero.journals (tenant_id, journal_id, journal_number, journal_date,
                                    created_date_utc, reference, source_id, source_type, raw)
         VALUES ($1, $2, $3, (to_timestamp($4) AT TIME ZONE 'UTC')::date, to_timestamp($5),
                 $6, $7, $8, $9)
         ON CONFLICT (tenant_id, journal_id) DO UPDATE SET raw = excluded.raw",
    )
    .bind(tenant)
    .bind(journal_id)
    .bind(j["JournalNumber"].as_i64())
    .bind(ms(&j["JournalDate"]))
    .bind(ms(&j["CreatedDateUTC"]))
    .bind(j["Reference"].as_str())
    .bind(uuid(&j["SourceID"]))
    .bind(j["SourceType"].as_str())
    .bind(j)
    .execute(&mut *tx)
    .await
    .unwrap();
    for line in j["JournalLines"].as_array().into_iter().flatten() {
        let number = |k: &str| line[k].as_f64();
        sqlx::query(
            "INSERT INTO xero.journal_lines (tenant_id, journal_line_id, journal_id, account_id,
                    account_code, account_type, account_name, description, net_amount,
                    gross_amount, tax_amount, tax_type, tax_name, tracking, raw)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (tenant_id, journal_id, journal_line_id) DO UPDATE SET raw = excluded.raw",
        )
        .bind(tenant)
        .bind(uuid(&line["JournalLineID"]).unwrap())
        .bind(journal_id)
        .bind(uuid(&line["AccountID"]))
        .bind(line["AccountCode"].as_str())
        .bind(line["AccountType"].as_str())
        .bind(line["AccountName"].as_str())
        .bind(line["Description"].as_str())
        .bind(number("NetAmount"))
        .bind(number("GrossAmount"))
        .bind(number("TaxAmount"))
        .bind(line["TaxType"].as_str())
        .bind(line["TaxName"].as_str())
        .bind(&line["TrackingCategories"])
        .bind(line)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
}

/// The `VmHWM` (peak resident set) of a live process, in KiB.
fn vm_hwm_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
