//! Allocations of credit notes, overpayments and prepayments to invoices: `/sim/mutate` of
//! those kinds sometimes applies an authorised document's remaining credit to an open invoice
//! of the same contact and direction (a customer credit to a sale, a supplier credit to a
//! bill). Both change and both are stamped: the document's `Allocations` gains one (with its
//! `AllocationID`) and its `RemainingCredit` falls, PAID when none is left; the invoice's
//! `AmountDue` falls and its `AmountCredited` rises, PAID when nothing is due, and it lists the
//! document under `CreditNotes`, `Prepayments` or `Overpayments` with the `AppliedAmount`.
//! Allocating a credit note or an overpayment posts no journal (their credit already sits in
//! receivables or payables), as in Xero; allocating a prepayment moves the amount from the
//! account it was posted to into the control account.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dates::MsDate;
use crate::documents::doc::{Doc, Documents, is_sale, settle, touch};
use crate::documents::kinds::{KINDS, Kind};
use crate::model::{Invoice, Money};
use crate::outcome::Outcome;
use crate::postings::{self, new_id};
use crate::state::TenantData;
use crate::store::Table;

/// Allocates one document of kind `kind` with credit left to an open invoice of its contact;
/// `false` when no such pair turned up.
pub fn allocate(data: &mut TenantData, kind: usize, stamp: i64, out: &mut Outcome) -> bool {
    let TenantData {
        documents,
        invoices,
        journals,
        book,
        rng,
        ..
    } = data;
    let set = &mut documents.sets[kind];
    let Some((j, i)) = pair(set, invoices, rng) else {
        return false;
    };
    let head = &invoices.row(i).head;
    let amount = Money::of(&set.row(j).body["RemainingCredit"])
        .0
        .min(head.amount_due.0);
    let (invoice_id, number) = (head.invoice_id, head.invoice_number.clone());
    let day = MsDate::of_instant(stamp);
    let allocation = json!({
        "AllocationID": new_id(rng), "Amount": Money(amount), "Date": day,
        "Invoice": {"InvoiceID": invoice_id, "InvoiceNumber": number},
    });
    let applied = applied(kind, &set.row(j).body, amount);
    set.update(j, |d| {
        credit_document(d, &KINDS[kind], allocation, amount, stamp)
    });
    invoices.update(i, |inv| credit_invoice(inv, kind, applied, day, stamp));
    if KINDS[kind].endpoint == "Prepayments" {
        let body = &set.row(j).body;
        let items = body["LineItems"].as_array().cloned().unwrap_or_default();
        let lines =
            postings::prepayment_lines(rng, book, (is_sale(body), false), &items, Money(amount));
        let source = postings::Source {
            id: set.row(j).id,
            kind: if is_sale(body) {
                "ARPREPAYMENT"
            } else {
                "APPREPAYMENT"
            },
            reference: body["Reference"].as_str().unwrap_or_default().to_owned(),
            date: day,
        };
        let number = journals.next_number();
        journals.post(postings::journal(rng, number, stamp, source, lines));
        out.journals_posted += 1;
    }
    out.allocated += 1;
    out.updated += 1;
    true
}

/// A document with credit left (a few random tries) and an open invoice of its contact in the
/// same direction: `(document, invoice)` positions.
fn pair(set: &Table<Doc>, invoices: &Table<Invoice>, rng: &mut SmallRng) -> Option<(usize, usize)> {
    let n = set.len();
    let open = |d: &Value| d["Status"] == "AUTHORISED" && Money::of(&d["RemainingCredit"]).0 > 0;
    let j = (0..40)
        .map(|_| rng.random_range(0..n.max(1)))
        .find(|&j| j < n && open(&set.row(j).body))?;
    let doc = &set.row(j).body;
    let contact = doc["Contact"]["ContactID"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let wanted = if is_sale(doc) { "ACCREC" } else { "ACCPAY" };
    let i = (0..invoices.len()).find(|&i| {
        let head = &invoices.row(i).head;
        head.kind == wanted
            && head.status == "AUTHORISED"
            && head.amount_due.0 > 0
            && head.contact.contact_id.to_string() == contact
    })?;
    Some((j, i))
}

/// The document's side: the allocation listed, its credit down by `amount`, PAID when none is
/// left.
fn credit_document(d: &mut Doc, kind: &Kind, allocation: Value, amount: i64, stamp: i64) {
    let left = Money::of(&d.body["RemainingCredit"]).0 - amount;
    d.body["RemainingCredit"] = json!(Money(left));
    if left == 0 {
        settle(&mut d.body, kind, MsDate::of_instant(stamp));
    }
    if let Some(list) = d.body["Allocations"].as_array_mut() {
        list.push(allocation);
    }
    touch(d, stamp);
}

/// How an invoice lists a document of kind `kind` applied to it: the document's id (and
/// number), date and total, and the `AppliedAmount`.
fn applied(kind: usize, doc: &Value, amount: i64) -> Value {
    let k = &KINDS[kind];
    let mut summary = json!({
        k.id_key: doc[k.id_key], "Date": doc["Date"], "Total": doc["Total"],
        "AppliedAmount": Money(amount),
    });
    if let Some((key, _)) = k.number {
        summary[key] = doc[key].clone();
    }
    summary
}

/// The invoice's side: the document listed, due down and credited up by its `AppliedAmount`,
/// PAID when nothing is due.
fn credit_invoice(inv: &mut Invoice, kind: usize, applied: Value, day: MsDate, stamp: i64) {
    inv.touch(stamp);
    let amount = Money::of(&applied["AppliedAmount"]).0;
    let head = &mut inv.head;
    match KINDS[kind].endpoint {
        "CreditNotes" => head.credit_notes.push(applied),
        "Prepayments" => head.prepayments.push(applied),
        _ => head.overpayments.push(applied),
    }
    head.amount_due = Money(head.amount_due.0 - amount);
    head.amount_credited = Money(head.amount_credited.0 + amount);
    if head.amount_due.0 == 0 {
        head.status = "PAID";
        head.fully_paid_on_date = Some(day);
    }
}

/// The digest's `(AllocationID, version)` of every allocation, versioned by its document's
/// `UpdatedDateUTC`.
pub fn versions(docs: &Documents) -> Vec<(Uuid, i64)> {
    KINDS
        .iter()
        .zip(&docs.sets)
        .filter(|(k, _)| k.allocates)
        .flat_map(|(_, set)| set.rows())
        .flat_map(|d| {
            let list = d.body["Allocations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            list.into_iter().filter_map(move |a| {
                let id = Uuid::parse_str(a["AllocationID"].as_str()?).ok()?;
                Some((id, d.updated_ms))
            })
        })
        .collect()
}
