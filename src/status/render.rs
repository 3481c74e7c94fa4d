//! `xero-sync status` as text: a block per tenant, a line per pair.

use super::pairs::PairStatus;
use super::workers::Workers;

/// Renders status as a table, one line per (tenant, entity), under a line on the workers.
pub fn render(pairs: &[PairStatus], workers: &Workers) -> String {
    use std::fmt::Write;
    let mut out = workers_line(workers);
    let mut tenant = None;
    for p in pairs {
        if tenant != Some(p.tenant_id) {
            tenant = Some(p.tenant_id);
            out.push_str(&tenant_header(p));
        }
        let j = &p.jobs;
        let jobs = format!(
            "{}/{}/{}/{}/{}",
            j.queued, j.running, j.snoozed, j.retrying, j.failed
        );
        let next = p
            .next_run_at
            .map(|t| t.format("%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "  {:<19} {:<11} {:<12} {:>8} {:<24} {:<34} {:<22} {:>7.1} MB  {:<12} {:>6}  {}",
            p.entity,
            p.mode.as_deref().unwrap_or("-"),
            p.state,
            p.records_stored
                .map_or_else(|| "-".into(), |n| n.to_string()),
            watermark(p),
            last_run(p),
            jobs,
            p.egress.wire_bytes as f64 / 1e6,
            next,
            every(p.interval_secs),
            p.interval_reason.as_deref().unwrap_or("")
        );
    }
    if pairs.is_empty() {
        out.push_str("no syncs yet: connect with `xero-sync connect`, then `xero-sync sync`\n");
    }
    out
}

/// Whether any worker is alive, in one line.
fn workers_line(workers: &Workers) -> String {
    let now = chrono::Utc::now();
    match (workers.alive.first(), workers.last_seen) {
        (Some(latest), _) => format!(
            "workers: {} alive (last heartbeat {}s ago)\n",
            workers.alive.len(),
            (now - latest.last_seen).num_seconds().max(0)
        ),
        (None, Some(last)) => format!(
            "workers: NONE ALIVE (last seen {}): runs wait until `xero-sync worker` runs\n",
            last.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        (None, None) => {
            "workers: none has ever run here: start `xero-sync worker` to sync\n".to_owned()
        }
    }
}

/// The lines above a tenant's pairs: its name and connection, and the column heads.
fn tenant_header(p: &PairStatus) -> String {
    let mut error = p
        .connection_error
        .as_deref()
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    if p.tenant_status != "active" {
        let reason = p.tenant_status_reason.as_deref().unwrap_or("-");
        error.push_str(&format!(
            " — organisation {} ({reason})",
            p.tenant_status.to_uppercase()
        ));
    }
    if let Some(u) = &p.xero_unreachable {
        error.push_str(&format!(
            " — Xero UNREACHABLE since {}: {}",
            u.since.format("%m-%d %H:%M"),
            u.error
        ));
    }
    if let Some(v) = &p.verification {
        let at = v.verified_at.format("%m-%d %H:%M");
        error.push_str(&match v.outcome.as_str() {
            "equal" => format!(" — ledger equal to Xero's Trial Balance ({at})"),
            "not_verified" => format!(
                " — ledger not verified ({at}): {}",
                v.detail.as_deref().unwrap_or("-")
            ),
            "differs" => format!(
                " — ledger DIFFERS from Xero ({} accounts, {at}): healing",
                v.differing
            ),
            _ => format!(
                " — ledger STILL DIFFERS from Xero after healing ({} accounts, {at})",
                v.differing
            ),
        });
    }
    format!(
        "\n{} ({}) — connection {}{error}\n  {:<19} {:<11} {:<12} {:>8} {:<24} {:<34} {:<22} {:>10}  {:<12} {:>6}  why\n",
        p.tenant_name,
        p.tenant_id,
        p.connection,
        "entity",
        "mode",
        "state",
        "stored",
        "watermark",
        "last run",
        "jobs q/r/s/retry/fail",
        "egress/mo",
        "next run",
        "every"
    )
}

/// An interval in a few characters: `90s`, `45m`, `6h`, `1.5d`.
fn every(secs: Option<f64>) -> String {
    match secs {
        None => "-".into(),
        Some(s) if s < 120.0 => format!("{s:.0}s"),
        Some(s) if s < 7_200.0 => format!("{:.0}m", s / 60.0),
        Some(s) if s < 172_800.0 => format!("{:.0}h", s / 3600.0),
        Some(s) => format!("{:.1}d", s / 86_400.0),
    }
}

/// The watermark: a time, or a journal number.
fn watermark(p: &PairStatus) -> String {
    p.watermark
        .map(|w| w.format("%Y-%m-%d %H:%M:%S").to_string())
        .or(p.last_offset.map(|o| format!("#{o}")))
        .unwrap_or_else(|| "-".into())
}

/// The last run in a few words: when, how it ended, how long, records and calls.
fn last_run(p: &PairStatus) -> String {
    p.last_run
        .as_ref()
        .map(|r| {
            format!(
                "{} {} {:.1}s {}r {}c",
                r.finished_at.unwrap_or(r.started_at).format("%m-%d %H:%M"),
                r.status,
                r.duration_secs,
                r.records,
                r.api_calls
            )
        })
        .unwrap_or_else(|| "-".into())
}
