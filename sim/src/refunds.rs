//! Refunds of credit: `/sim/mutate` of credit notes, overpayments and prepayments sometimes
//! pays an authorised document's credit left back through the bank, as Xero's refunds do. The
//! document lists the payment under `Payments` and its `RemainingCredit` falls (PAID when none
//! is left); `GET /Payments` serves the payment with the document in place of an invoice
//! (`ARCREDITPAYMENT`, `APOVERPAYMENTPAYMENT`…); and the journal moves the amount between the
//! bank and where the credit sat — the control account for credit notes and overpayments, the
//! accounts its lines name for a prepayment — so the ledger and the documents still agree.

use rand::Rng;
use serde_json::{Value, json};

use crate::dates::MsDate;
use crate::documents::doc::{Doc, is_sale, settle, touch};
use crate::documents::kinds::{KINDS, Kind};
use crate::model::{Money, Refund};
use crate::outcome::Outcome;
use crate::postings::{self, new_id};
use crate::state::TenantData;

/// Refunds part or all of the credit left on one authorised document of kind `kind` (a few
/// random tries); `false` when none turned up.
pub fn refund(data: &mut TenantData, kind: usize, stamp: i64, out: &mut Outcome) -> bool {
    let Some(j) = with_credit(data, kind) else {
        return false;
    };
    let k = &KINDS[kind];
    let body = &data.documents.sets[kind].row(j).body;
    let left = Money::of(&body["RemainingCredit"]).0;
    let sale = is_sale(body);
    let number = k.number.and_then(|(key, _)| body[key].as_str());
    let reference = format!("Refund: {}", number.unwrap_or("credit"));
    let items = body["LineItems"].as_array().cloned().unwrap_or_default();
    let rng = &mut data.rng;
    let amount = if rng.random_ratio(1, 2) {
        left
    } else {
        (left / 2).max(1)
    };
    let (payment_type, journal_kind) = types(k.endpoint, sale);
    let day = MsDate::of_instant(stamp);
    let payment_id = new_id(rng);
    let source = postings::Source {
        id: payment_id,
        kind: journal_kind,
        reference: reference.clone(),
        date: day,
    };
    post(
        data,
        (k.endpoint, sale),
        &items,
        Money(amount),
        (source, stamp),
    );
    let refund = Refund {
        payment_id,
        doc: (kind, j),
        reference,
        date: day,
        amount: Money(amount),
        payment_type,
        updated_ms: stamp,
    };
    data.documents.sets[kind].update(j, |d| pay_out(d, k, &refund, left - amount));
    data.refunds.push(refund);
    out.journals_posted += 1;
    out.created += 1;
    out.updated += 1;
    true
}

/// Journals a refund of `amount` from a document of `endpoint` (a sale's or a purchase's):
/// between the bank and where the credit sat.
fn post(
    data: &mut TenantData,
    (endpoint, sale): (&str, bool),
    items: &[Value],
    amount: Money,
    (source, stamp): (postings::Source, i64),
) {
    let rng = &mut data.rng;
    let lines = if endpoint == "Prepayments" {
        postings::prepayment_lines(rng, &data.book, (sale, true), items, amount)
    } else {
        // The control account gives back the credit it held; the bank pays it out (or in,
        // for a supplier's refund).
        let pays = if sale { "ACCREC" } else { "ACCPAY" };
        postings::payment_lines(rng, &data.book, pays, Money(-amount.0))
    };
    let number = data.journals.next_number();
    let journal = postings::journal(rng, number, stamp, source, lines);
    data.journals.post(journal);
}

/// The document's side: the refund listed under `Payments` as Xero lists a document's
/// payments, `left` the credit left (PAID when none is).
fn pay_out(d: &mut Doc, k: &Kind, refund: &Refund, left: i64) {
    d.body["RemainingCredit"] = json!(Money(left));
    if left == 0 {
        settle(&mut d.body, k, refund.date);
    }
    if let Some(list) = d.body["Payments"].as_array_mut() {
        list.push(json!({
            "PaymentID": refund.payment_id, "Date": refund.date, "Amount": refund.amount,
            "Reference": refund.reference, "CurrencyRate": 1.0,
            "HasAccount": true, "HasValidationErrors": false,
        }));
    }
    touch(d, refund.updated_ms);
}

/// An authorised document of kind `kind` with credit left (a few random tries).
fn with_credit(data: &mut TenantData, kind: usize) -> Option<usize> {
    let set = &data.documents.sets[kind];
    let n = set.len();
    let open = |d: &Value| d["Status"] == "AUTHORISED" && Money::of(&d["RemainingCredit"]).0 > 0;
    (0..40)
        .map(|_| data.rng.random_range(0..n.max(1)))
        .find(|&j| j < n && open(&set.row(j).body))
}

/// A refund's `PaymentType` and its journal's `SourceType`, by the document's endpoint and
/// direction.
fn types(endpoint: &str, sale: bool) -> (&'static str, &'static str) {
    match (endpoint, sale) {
        ("CreditNotes", true) => ("ARCREDITPAYMENT", "ARCREDITPAYMENT"),
        ("CreditNotes", false) => ("APCREDITPAYMENT", "APCREDITPAYMENT"),
        ("Overpayments", true) => ("AROVERPAYMENTPAYMENT", "AROVERPAYMENT"),
        ("Overpayments", false) => ("APOVERPAYMENTPAYMENT", "APOVERPAYMENT"),
        (_, true) => ("ARPREPAYMENTPAYMENT", "ARPREPAYMENT"),
        (_, false) => ("APPREPAYMENTPAYMENT", "APPREPAYMENT"),
    }
}

/// How `GET /Payments` names the refunded document: its key (`CreditNote`, `Overpayment`,
/// `Prepayment`) and a reference to it (ids, number, type, contact, currency, lists empty).
pub fn document_ref(data: &TenantData, refund: &Refund) -> (&'static str, Value) {
    let (kind, j) = refund.doc;
    let k = &KINDS[kind];
    let body = &data.documents.sets[kind].row(j).body;
    let key = match k.endpoint {
        "CreditNotes" => "CreditNote",
        "Overpayments" => "Overpayment",
        _ => "Prepayment",
    };
    let mut reference = json!({
        k.id_key: body[k.id_key], "Type": body["Type"], "Contact": body["Contact"],
        "CurrencyCode": body["CurrencyCode"], "LineItems": [],
    });
    if let Some((key, _)) = k.number {
        reference[key] = body[key].clone();
    }
    (key, reference)
}
