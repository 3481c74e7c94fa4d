//! Payments (`GET /Payments`), served from the invoices they pay: every payment an invoice
//! carries, plus the payments deleted from it (`Status: DELETED`, still served, as Xero's are).
//! Paying an invoice (`/sim/mutate` of invoices or payments) creates one; deleting a payment
//! (`/sim/mutate` of payments) puts its invoice back to AUTHORISED with its amount due and posts
//! the reversing journal, so Payments, Invoices and Journals stay consistent.

use rand::Rng;
use serde::Serialize;
use uuid::Uuid;

use crate::dates::{MsDate, MsDateTime, UtcSecondString};
use crate::model::{ContactRef, Empty, Invoice, Money, PaymentSummary, Refund, Shared};
use crate::outcome::Outcome;
use crate::postings;
use crate::refunds;
use crate::state::TenantData;

/// The bank account a payment went through.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountRef {
    #[serde(rename = "AccountID")]
    account_id: Uuid,
    code: Shared,
}

impl AccountRef {
    /// The organisation's bank account, which every payment goes through.
    fn bank(data: &TenantData) -> AccountRef {
        AccountRef {
            account_id: data.book.bank.id,
            code: data.book.bank.code.clone(),
        }
    }
}

/// The invoice a payment pays, as `GET /Payments` embeds it: its ids and contact, with its
/// lists empty, as Xero's.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InvoiceRef<'a> {
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(rename = "InvoiceID")]
    invoice_id: Uuid,
    invoice_number: &'a str,
    payments: Empty,
    credit_notes: Empty,
    prepayments: Empty,
    overpayments: Empty,
    has_errors: bool,
    is_discounted: bool,
    contact: &'a ContactRef,
    line_items: Empty,
    currency_code: &'static str,
}

/// One payment as served.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentView<'a> {
    #[serde(rename = "PaymentID")]
    payment_id: Uuid,
    date: MsDate,
    bank_amount: Money,
    amount: Money,
    reference: &'a str,
    currency_rate: f64,
    payment_type: &'static str,
    status: &'static str,
    #[serde(rename = "UpdatedDateUTC")]
    updated: MsDateTime,
    #[serde(rename = "UpdatedDateUTCString")]
    updated_string: UtcSecondString,
    has_account: bool,
    is_reconciled: bool,
    account: AccountRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    invoice: Option<InvoiceRef<'a>>,
    /// A refund's document, under its key (`CreditNote`, `Overpayment`, `Prepayment`).
    #[serde(flatten)]
    refunded: Option<serde_json::Map<String, serde_json::Value>>,
    /// The batch the payment was made in (see `batches`).
    #[serde(flatten)]
    batch: Option<serde_json::Map<String, serde_json::Value>>,
    has_validation_errors: bool,
}

/// Every payment of the tenant in Xero's default order (`UpdatedDateUTC`, then id), with its
/// `UpdatedDateUTC` in ms.
pub fn all(data: &TenantData) -> Vec<(i64, Uuid, PaymentView<'_>)> {
    let mut out = Vec::new();
    for invoice in data.invoices.rows() {
        let live = invoice.head.payments.iter().map(|p| (p, "AUTHORISED"));
        let deleted = invoice.deleted_payments.iter().map(|p| (p, "DELETED"));
        for (payment, status) in live.chain(deleted) {
            out.push((
                payment.updated_ms,
                payment.payment_id,
                view(data, invoice, payment, status),
            ));
        }
    }
    for refund in &data.refunds {
        out.push((
            refund.updated_ms,
            refund.payment_id,
            refund_view(data, refund),
        ));
    }
    out.sort_unstable_by_key(|(ms, id, _)| (*ms, *id));
    out
}

fn view<'a>(
    data: &'a TenantData,
    invoice: &'a Invoice,
    payment: &'a PaymentSummary,
    status: &'static str,
) -> PaymentView<'a> {
    let head = &invoice.head;
    PaymentView {
        payment_id: payment.payment_id,
        date: payment.date,
        bank_amount: payment.amount,
        amount: payment.amount,
        reference: &payment.reference,
        currency_rate: payment.currency_rate,
        payment_type: if head.kind == "ACCREC" {
            "ACCRECPAYMENT"
        } else {
            "ACCPAYPAYMENT"
        },
        status,
        updated: MsDateTime(payment.updated_ms),
        updated_string: UtcSecondString(MsDateTime(payment.updated_ms)),
        has_account: true,
        is_reconciled: false,
        account: AccountRef::bank(data),
        invoice: Some(InvoiceRef {
            kind: head.kind,
            invoice_id: head.invoice_id,
            invoice_number: &head.invoice_number,
            payments: Empty,
            credit_notes: Empty,
            prepayments: Empty,
            overpayments: Empty,
            has_errors: head.has_errors,
            is_discounted: head.is_discounted,
            contact: &head.contact,
            line_items: Empty,
            currency_code: head.currency_code,
        }),
        refunded: None,
        batch: crate::batches::on_payment(data, payment),
        has_validation_errors: false,
    }
}

/// A refund of credit as served: the refunded document in place of an invoice.
fn refund_view<'a>(data: &'a TenantData, refund: &'a Refund) -> PaymentView<'a> {
    let (key, document) = refunds::document_ref(data, refund);
    let mut refunded = serde_json::Map::new();
    refunded.insert(key.to_owned(), document);
    PaymentView {
        payment_id: refund.payment_id,
        date: refund.date,
        bank_amount: refund.amount,
        amount: refund.amount,
        reference: &refund.reference,
        currency_rate: 1.0,
        payment_type: refund.payment_type,
        status: "AUTHORISED",
        updated: MsDateTime(refund.updated_ms),
        updated_string: UtcSecondString(MsDateTime(refund.updated_ms)),
        has_account: true,
        is_reconciled: false,
        account: AccountRef::bank(data),
        invoice: None,
        refunded: Some(refunded),
        batch: None,
        has_validation_errors: false,
    }
}

/// The digest's `(id, version)` of every payment, deleted ones included.
pub fn versions(data: &TenantData) -> Vec<(Uuid, i64)> {
    all(data).into_iter().map(|(ms, id, _)| (id, ms)).collect()
}

/// One change to payments: mostly a deletion of a payment (its invoice is due again), else a
/// new payment of an authorised invoice.
pub fn change(data: &mut TenantData, stamp: i64, out: &mut Outcome) -> bool {
    let paid: Vec<usize> = (0..data.invoices.len())
        .filter(|&i| data.invoices.row(i).head.status == "PAID")
        .collect();
    if paid.is_empty() || data.rng.random_ratio(1, 3) {
        return false;
    }
    let i = paid[data.rng.random_range(0..paid.len())];
    let TenantData {
        invoices,
        journals,
        book,
        rng,
        ..
    } = data;
    invoices.update(i, |inv| {
        inv.touch(stamp);
        let Some(mut payment) = inv.head.payments.pop() else {
            return;
        };
        payment.updated_ms = stamp;
        let day = MsDate::of_instant(stamp);
        let lines = postings::payment_lines(rng, book, inv.head.kind, -payment.amount);
        let source = postings::payment_source(inv, payment.payment_id, day);
        journals.post(postings::journal(
            rng,
            journals.next_number(),
            stamp,
            source,
            lines,
        ));
        let head = &mut inv.head;
        head.status = "AUTHORISED";
        head.amount_paid = Money(head.amount_paid.0 - payment.amount.0);
        head.amount_due = Money(head.total.0 - head.amount_paid.0 - head.amount_credited.0);
        head.fully_paid_on_date = None;
        inv.deleted_payments.push(payment);
        out.deleted += 1;
        out.updated += 1;
        out.journals_posted += 1;
    });
    true
}
