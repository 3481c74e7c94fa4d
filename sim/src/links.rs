//! LinkedTransactions: billable expenses, each linking a line of a bill (`SourceTransactionID`,
//! an ACCPAY invoice of the organisation) to a customer, and once billed to a line of a sales
//! invoice (`TargetTransactionID`). Served like Xero's: numbered pages of 100 (`page` alone; no
//! `pageSize`, no `pagination`, every request paged), no `If-Modified-Since`, in
//! `UpdatedDateUTC` order then id — the order in which new and edited links come last, which
//! the engine's checked walk relies on. A deleted link is gone outright (Xero's DELETE leaves
//! nothing to read), so only a walk of the whole set notices it.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use crate::accounting::query::ListQuery;
use crate::dates::MsDateTime;
use crate::model::Invoice;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;
use crate::state::TenantData;
use crate::store::Table;
use crate::timeline::timeline;

/// Records per page, fixed.
pub const PAGE: usize = 100;

fn first_line(invoice: &Invoice) -> Option<(String, String)> {
    let line = invoice.lines.first()?;
    Some((
        invoice.head.invoice_id.to_string(),
        line.line_item_id.to_string(),
    ))
}

/// A link from the first line of `source` (a bill), for the target's contact once billed.
fn link(
    rng: &mut SmallRng,
    source: &Invoice,
    target: Option<&Invoice>,
    status: &str,
    ms: i64,
) -> Option<Record> {
    let (source_id, source_line) = first_line(source)?;
    let id = new_id(rng);
    let mut body = json!({
        "LinkedTransactionID": id, "SourceTransactionID": source_id,
        "SourceLineItemID": source_line, "Status": status, "Type": "BILLABLEEXPENSE",
        "UpdatedDateUTC": MsDateTime(ms), "SourceTransactionTypeCode": "ACCPAY",
    });
    if let Some(target) = target {
        body["ContactID"] = json!(target.head.contact.contact_id);
        if let Some((target_id, target_line)) = first_line(target) {
            body["TargetTransactionID"] = json!(target_id);
            body["TargetLineItemID"] = json!(target_line);
        }
    }
    Some(Record {
        key: id.to_string(),
        updated_ms: Some(ms),
        body,
    })
}

fn of_kind(invoices: &Table<Invoice>, kind: &str) -> Vec<usize> {
    (0..invoices.len())
        .filter(|&i| invoices.row(i).head.kind == kind && !invoices.row(i).lines.is_empty())
        .collect()
}

/// A new organisation's links: about one bill in three has a billable line, from a stream of
/// their own.
pub fn generate(
    rng: &mut SmallRng,
    invoices: &Table<Invoice>,
    start: i64,
    end: i64,
) -> Vec<Record> {
    let bills = of_kind(invoices, "ACCPAY");
    let sales = of_kind(invoices, "ACCREC");
    let chosen: Vec<usize> = bills
        .into_iter()
        .filter(|_| rng.random_ratio(1, 3))
        .collect();
    let stamps = timeline(rng, chosen.len(), start, end, 1);
    chosen
        .into_iter()
        .zip(stamps)
        .filter_map(|(b, ms)| {
            let status = [
                "APPROVED", "APPROVED", "BILLED", "DRAFT", "ONDRAFT", "VOIDED",
            ][rng.random_range(0..6)];
            let billed = matches!(status, "BILLED" | "ONDRAFT") && !sales.is_empty();
            let target = billed.then(|| invoices.row(sales[rng.random_range(0..sales.len())]));
            link(rng, invoices.row(b), target, status, ms)
        })
        .collect()
}

/// The records of page `page` (1-based) in `UpdatedDateUTC` order, then id.
pub fn page(links: &[Record], page: u32) -> Vec<&Value> {
    let mut ordered: Vec<&Record> = links.iter().collect();
    ordered.sort_by(|a, b| (a.updated_ms, &a.key).cmp(&(b.updated_ms, &b.key)));
    ordered
        .into_iter()
        .skip((page.max(1) as usize - 1) * PAGE)
        .take(PAGE)
        .map(|r| &r.body)
        .collect()
}

/// Stamps the first link of the page `q` was answered with, moving it to the end of the order
/// (the `edit_served` fault).
pub fn touch_first_served(links: &mut [Record], q: &ListQuery, stamp: i64) {
    let first = page(links, q.page.unwrap_or(1))
        .first()
        .and_then(|body| body["LinkedTransactionID"].as_str())
        .map(str::to_owned);
    if let Some(record) = links.iter_mut().find(|r| Some(&r.key) == first.as_ref()) {
        record.touch(stamp);
    }
}

/// One change: a link billed or approved, one deleted outright, or a new one.
pub fn change(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let TenantData {
        links,
        invoices,
        rng,
        ..
    } = data;
    let roll = rng.random_range(0..100);
    let n = links.len();
    if n > 0 && roll < 35 {
        let j = rng.random_range(0..n);
        let sales = of_kind(invoices, "ACCREC");
        let record = &mut links[j];
        let next = match record.body["Status"].as_str() {
            Some("DRAFT") => "APPROVED",
            Some("APPROVED" | "ONDRAFT") if !sales.is_empty() => "BILLED",
            _ => "VOIDED",
        };
        if next == "BILLED" && record.body.get("TargetTransactionID").is_none() {
            let target = invoices.row(sales[rng.random_range(0..sales.len())]);
            record.body["ContactID"] = json!(target.head.contact.contact_id);
            if let Some((id, line)) = first_line(target) {
                record.body["TargetTransactionID"] = json!(id);
                record.body["TargetLineItemID"] = json!(line);
            }
        }
        record.body["Status"] = json!(next);
        record.touch(stamp);
        out.updated += 1;
    } else if n > 0 && roll < 60 {
        links.swap_remove(rng.random_range(0..n));
        out.deleted += 1;
    } else {
        let bills = of_kind(invoices, "ACCPAY");
        if bills.is_empty() {
            return;
        }
        let bill = invoices.row(bills[rng.random_range(0..bills.len())]);
        if let Some(record) = link(rng, bill, None, "APPROVED", stamp) {
            links.push(record);
            out.created += 1;
        }
    }
}
