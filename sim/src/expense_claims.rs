//! ExpenseClaims (Classic Expenses, deprecated by Xero): claims grouping a user's receipts,
//! served unpaged with `If-Modified-Since`. `/sim/mutate` moves a claim on (submitted,
//! authorised, paid), voids one, or makes a new one of a few receipts.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};

use crate::dates::{MsDate, MsDateTime};
use crate::documents::doc::Documents;
use crate::documents::kinds::kind;
use crate::model::Money;
use crate::outcome::Outcome;
use crate::postings::new_id;
use crate::record::Record;
use crate::state::TenantData;
use crate::timeline::timeline;

fn claim(rng: &mut SmallRng, receipts: &[&Value], status: &str, ms: i64) -> Record {
    let id = new_id(rng);
    let total: i64 = receipts.iter().map(|r| Money::of(&r["Total"]).0).sum();
    let paid = if status == "PAID" { total } else { 0 };
    let user = receipts
        .first()
        .map_or_else(|| json!({"UserID": new_id(rng)}), |r| r["User"].clone());
    let ids: Vec<Value> = receipts
        .iter()
        .map(|r| json!({"ReceiptID": r["ReceiptID"]}))
        .collect();
    Record {
        key: id.to_string(),
        updated_ms: Some(ms),
        body: json!({
            "ExpenseClaimID": id, "Status": status, "User": user, "Receipts": ids,
            "Payments": [], "Total": Money(total), "AmountPaid": Money(paid),
            "AmountDue": Money(total - paid), "ReportingDate": MsDate::of_instant(ms),
            "UpdatedDateUTC": MsDateTime(ms),
        }),
    }
}

fn receipts(docs: &Documents) -> Vec<&Value> {
    kind("receipts")
        .map(|i| docs.sets[i].rows().iter().map(|d| &d.body).collect())
        .unwrap_or_default()
}

/// A new organisation's claims: its authorised receipts, a few to a claim.
pub fn generate(rng: &mut SmallRng, docs: &Documents, start: i64, end: i64) -> Vec<Record> {
    let authorised: Vec<&Value> = receipts(docs)
        .into_iter()
        .filter(|r| r["Status"] == "AUTHORISED")
        .collect();
    let groups: Vec<&[&Value]> = authorised.chunks(3).collect();
    let stamps = timeline(rng, groups.len(), start, end, 1);
    groups
        .into_iter()
        .zip(stamps)
        .map(|(group, ms)| {
            let status = ["AUTHORISED", "PAID", "PAID", "SUBMITTED"][rng.random_range(0..4)];
            claim(rng, group, status, ms)
        })
        .collect()
}

/// One change to the claims.
pub fn change(data: &mut TenantData, stamp: i64, out: &mut Outcome) {
    let TenantData {
        expense_claims,
        documents,
        rng,
        ..
    } = data;
    let roll = rng.random_range(0..100);
    let n = expense_claims.len();
    if n > 0 && roll < 55 {
        let record = &mut expense_claims[rng.random_range(0..n)];
        let next = match record.body["Status"].as_str() {
            Some("SUBMITTED") if roll < 40 => "AUTHORISED",
            Some("AUTHORISED") if roll < 40 => "PAID",
            Some("SUBMITTED" | "AUTHORISED") => "VOIDED",
            _ => return change_new(expense_claims, documents, rng, stamp, out),
        };
        let total = Money::of(&record.body["Total"]).0;
        if next == "PAID" {
            record.body["AmountPaid"] = json!(Money(total));
            record.body["AmountDue"] = json!(Money(0));
        }
        record.body["Status"] = json!(next);
        record.touch(stamp);
        if next == "VOIDED" {
            out.voided += 1;
        } else {
            out.updated += 1;
        }
        return;
    }
    change_new(expense_claims, documents, rng, stamp, out);
}

fn change_new(
    claims: &mut Vec<Record>,
    docs: &Documents,
    rng: &mut SmallRng,
    stamp: i64,
    out: &mut Outcome,
) {
    let all = receipts(docs);
    if all.is_empty() {
        return;
    }
    let from = rng.random_range(0..all.len());
    let group: Vec<&Value> = all.iter().skip(from).take(2).copied().collect();
    claims.push(claim(rng, &group, "SUBMITTED", stamp));
    out.created += 1;
}
