//! Batch payments tied to the payments made in them: each batch of a new organisation pays
//! the invoices of one direction paid on one day (a `RECBATCH` the sales, a `PAYBATCH` the
//! bills). The batch lists its payments (`Payments`, with its `TotalAmount`), and
//! `GET /Payments` serves each of them with the batch's `BatchPaymentID` and a summary of it
//! (`BatchPayment`); a bill paid in a batch also carries the supplier's bank account number
//! and the statement's particulars and details, as Xero's batch bill payments do.

use std::collections::BTreeMap;

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::dates::MsDateTime;
use crate::model::{Invoice, Money, PaymentSummary};
use crate::record::Record;
use crate::state::TenantData;

/// Ties each authorised batch to the payments of one day and direction not yet in a batch
/// (a day with several such payments when there is one); a batch left with no payment to
/// pay (an organisation that has paid nothing that way) stays as it was.
pub fn link(batches: &mut [Record], invoices: &mut [Invoice], rng: &mut SmallRng) {
    for batch in batches.iter_mut() {
        if batch.body["Status"] != "AUTHORISED" {
            continue;
        }
        let kind = if batch.body["Type"] == "RECBATCH" {
            "ACCREC"
        } else {
            "ACCPAY"
        };
        let days = unbatched_by_day(invoices, kind);
        let several: Vec<&Vec<(usize, usize)>> = days.values().filter(|p| p.len() > 1).collect();
        let pool: Vec<&Vec<(usize, usize)>> = if several.is_empty() {
            days.values().collect()
        } else {
            several
        };
        if pool.is_empty() {
            continue;
        }
        let chosen = pool[rng.random_range(0..pool.len())].clone();
        pay_in(batch, invoices, &chosen);
    }
}

/// The payments of invoices of `kind` in no batch, by day: `(invoice, payment)` positions.
fn unbatched_by_day(invoices: &[Invoice], kind: &str) -> BTreeMap<i64, Vec<(usize, usize)>> {
    let mut days: BTreeMap<i64, Vec<(usize, usize)>> = BTreeMap::new();
    for (i, invoice) in invoices.iter().enumerate() {
        if invoice.head.kind != kind {
            continue;
        }
        for (p, payment) in invoice.head.payments.iter().enumerate() {
            if payment.batch_payment_id.is_none() {
                days.entry(payment.date.0).or_default().push((i, p));
            }
        }
    }
    days
}

/// Makes `batch` the batch of the payments at `chosen` (all of one day): its date, total and
/// list of payments, stamped when the last of them was made.
fn pay_in(batch: &mut Record, invoices: &mut [Invoice], chosen: &[(usize, usize)]) {
    let id = Uuid::parse_str(&batch.key).unwrap_or_default();
    let bills = batch.body["Type"] == "PAYBATCH";
    let reference = batch.body["Reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut listed = Vec::new();
    let (mut total, mut last) = (0, 0);
    for &(i, p) in chosen {
        let invoice = &mut invoices[i];
        let payment = &mut invoice.head.payments[p];
        payment.batch_payment_id = Some(id);
        total += payment.amount.0;
        last = last.max(payment.updated_ms);
        let head = &invoice.head;
        let payment = &head.payments[p];
        let mut entry = json!({
            "Invoice": {
                "InvoiceID": head.invoice_id, "InvoiceNumber": head.invoice_number,
                "CurrencyCode": head.currency_code, "Payments": [], "CreditNotes": [],
                "Prepayments": [], "Overpayments": [], "HasErrors": false,
                "IsDiscounted": false, "LineItems": [],
            },
            "PaymentID": payment.payment_id, "Amount": payment.amount,
            "BankAmount": payment.amount,
        });
        if bills {
            entry["BankAccountNumber"] = json!(account_number(head.contact.contact_id));
            entry["Particulars"] = json!(head.invoice_number);
            entry["Details"] = json!(reference);
        }
        listed.push(entry);
    }
    if let Some(&(i, p)) = chosen.first() {
        batch.body["Date"] = json!(invoices[i].head.payments[p].date);
    }
    batch.body["TotalAmount"] = json!(Money(total));
    batch.body["Payments"] = Value::Array(listed);
    batch.touch(last);
}

/// A supplier's bank account number, in New Zealand's bank-branch-account-suffix form, drawn
/// from its id so that it never changes.
fn account_number(contact: Uuid) -> String {
    let b = contact.as_bytes();
    let n = |i: usize| u64::from(u16::from_be_bytes([b[i], b[i + 1]]));
    format!(
        "{:02}-{:04}-{:07}-{:02}",
        n(0) % 40,
        n(2) % 10_000,
        n(4) * 100 + n(6) % 100,
        n(8) % 100
    )
}

/// What `GET /Payments` adds to a payment made in a batch: `BatchPaymentID`, the batch's
/// summary (`BatchPayment`), and a bill's bank details as the batch lists them.
pub fn on_payment(data: &TenantData, payment: &PaymentSummary) -> Option<Map<String, Value>> {
    let id = payment.batch_payment_id?;
    let key = id.to_string();
    let batch = data.settings.batch_payments.iter().find(|b| b.key == key)?;
    let b = &batch.body;
    let mut out = Map::new();
    out.insert("BatchPaymentID".to_owned(), json!(id));
    out.insert(
        "BatchPayment".to_owned(),
        json!({
            "Account": {"AccountID": b["Account"]["AccountID"]},
            "BatchPaymentID": id, "Date": b["Date"], "Type": b["Type"], "Status": b["Status"],
            "TotalAmount": b["TotalAmount"],
            "UpdatedDateUTC": MsDateTime(batch.updated_ms.unwrap_or_default()),
            "IsReconciled": b["IsReconciled"],
        }),
    );
    let listed = b["Payments"].as_array().into_iter().flatten();
    let entry = listed
        .into_iter()
        .find(|p| p["PaymentID"] == json!(payment.payment_id));
    for key in ["BankAccountNumber", "Particulars", "Details"] {
        if let Some(value) = entry.and_then(|e| e.get(key)) {
            out.insert(key.to_owned(), value.clone());
        }
    }
    Some(out)
}
