//! Building invoices: lines, totals, payment. Shared by the initial generation and by
//! `/sim/mutate`, so both produce the same kind of record.

use rand::Rng;
use rand::rngs::SmallRng;

use crate::book::Book;
use crate::contact::ContactHead;
use crate::dates::{DateString, MsDate, MsDateTime, UtcSecondString};
use crate::model::{ContactRef, Invoice, InvoiceHead, LineItem, Money, PaymentSummary, Tracking};
use crate::names::ITEMS;
use crate::postings::{gst_on, new_id};

/// Invoice statuses, in the order tests expect to find them all.
pub const STATUSES: [&str; 6] = [
    "DRAFT",
    "SUBMITTED",
    "AUTHORISED",
    "PAID",
    "VOIDED",
    "DELETED",
];

/// Random lines for an invoice of `kind` (sales lines on revenue accounts, bills on expense
/// accounts), each with GST and sometimes tracking.
pub fn fresh_lines(rng: &mut SmallRng, book: &Book, kind: &str) -> Vec<LineItem> {
    let pool = if kind == "ACCREC" {
        &book.revenue
    } else {
        &book.expense
    };
    let tax_type = if kind == "ACCREC" {
        "OUTPUT2"
    } else {
        "INPUT2"
    };
    let count = rng.random_range(1..=4);
    (0..count)
        .map(|_| {
            let account = &pool[rng.random_range(0..pool.len())];
            let quantity = rng.random_range(1..=10);
            let unit = Money(rng.random_range(500..200_000));
            let net = Money(unit.0 * quantity);
            let mut tracking = Vec::new();
            for cat in &book.tracking {
                if rng.random_bool(0.4) {
                    let (option_id, option) = &cat.options[rng.random_range(0..cat.options.len())];
                    tracking.push(Tracking {
                        category_id: cat.category_id,
                        option_id: *option_id,
                        name: cat.name.clone(),
                        option: option.clone(),
                    });
                }
            }
            LineItem {
                line_item_id: new_id(rng),
                description: ITEMS[rng.random_range(0..ITEMS.len())].to_owned(),
                quantity: quantity as f64,
                unit_amount: unit,
                account_code: account.code.clone(),
                account_id: account.id,
                tax_type,
                tax_amount: gst_on(net),
                line_amount: net,
                tracking,
            }
        })
        .collect()
}

/// Replaces an invoice's lines and recomputes its totals.
pub fn set_lines(invoice: &mut Invoice, lines: Vec<LineItem>) {
    let sub_total: i64 = lines.iter().map(|l| l.line_amount.0).sum();
    let tax: i64 = lines.iter().map(|l| l.tax_amount.0).sum();
    let head = &mut invoice.head;
    head.sub_total = Money(sub_total);
    head.total_tax = Money(tax);
    head.total = Money(sub_total + tax);
    head.amount_due = Money(sub_total + tax - head.amount_paid.0 - head.amount_credited.0);
    invoice.lines = lines;
}

/// What a new invoice is made of.
#[derive(Debug, Clone)]
pub struct NewInvoice<'a> {
    /// `ACCREC` or `ACCPAY`.
    pub kind: &'static str,
    /// `InvoiceNumber`.
    pub number: String,
    /// The contact it is for.
    pub contact: &'a ContactHead,
    /// `UpdatedDateUTC`.
    pub updated_ms: i64,
    /// `Date` (the due date follows 20 days later).
    pub date: MsDate,
    /// `Status` (payment is applied separately by [`pay`]).
    pub status: &'static str,
}

/// Builds an unpaid invoice with fresh lines.
pub fn build(rng: &mut SmallRng, book: &Book, spec: NewInvoice<'_>) -> Invoice {
    let due = spec.date.plus_days(20);
    let reference = if spec.kind == "ACCREC" {
        format!("PO {}", rng.random_range(1000..99999))
    } else {
        String::new()
    };
    let mut invoice = Invoice {
        head: InvoiceHead {
            kind: spec.kind,
            invoice_id: new_id(rng),
            invoice_number: spec.number,
            reference,
            branding_theme_id: book.branding_theme.filter(|_| spec.kind == "ACCREC"),
            payments: Vec::new(),
            credit_notes: Vec::new(),
            prepayments: Vec::new(),
            overpayments: Vec::new(),
            amount_due: Money(0),
            amount_paid: Money(0),
            amount_credited: Money(0),
            sent_to_contact: spec.kind == "ACCREC" && spec.status != "DRAFT",
            currency_rate: 1.0,
            is_discounted: false,
            has_attachments: false,
            has_errors: false,
            contact: ContactRef {
                contact_id: spec.contact.contact_id,
                name: spec.contact.name.clone(),
                has_validation_errors: false,
            },
            date_string: DateString(spec.date),
            date: spec.date,
            due_date_string: DateString(due),
            due_date: due,
            expected_payment_date: None,
            planned_payment_date: None,
            status: spec.status,
            line_amount_types: "Exclusive",
            sub_total: Money(0),
            total_tax: Money(0),
            total: Money(0),
            updated: MsDateTime(spec.updated_ms),
            updated_string: UtcSecondString(MsDateTime(spec.updated_ms)),
            currency_code: "NZD",
            fully_paid_on_date: None,
        },
        lines: Vec::new(),
        posting: None,
        deleted_payments: Vec::new(),
    };
    let lines = fresh_lines(rng, book, spec.kind);
    set_lines(&mut invoice, lines);
    plan_payment(&mut invoice.head);
    invoice
}

/// The payment date one approved invoice in four has set, derived from its id (not drawn, so
/// the stream stays as it was): the due date, as expected of a sale or planned for a bill.
fn plan_payment(head: &mut InvoiceHead) {
    let approved = !matches!(head.status, "DRAFT" | "SUBMITTED" | "DELETED");
    if !(approved && head.invoice_id.as_bytes()[3].is_multiple_of(4)) {
        return;
    }
    if head.kind == "ACCREC" {
        head.expected_payment_date = Some(head.due_date);
    } else {
        head.planned_payment_date = Some(head.due_date);
    }
}

/// Gives the organisation's sales its branding theme, once the settings that hold it exist
/// (the history's invoices are generated before them).
pub fn brand(invoices: &mut [Invoice], book: &Book) {
    for invoice in invoices.iter_mut().filter(|i| i.head.kind == "ACCREC") {
        invoice.head.branding_theme_id = book.branding_theme;
    }
}

/// Pays what is due on an invoice on `date`: status PAID, one payment, nothing due.
pub fn pay(rng: &mut SmallRng, invoice: &mut Invoice, date: MsDate) -> PaymentSummary {
    let head = &mut invoice.head;
    let payment = PaymentSummary {
        payment_id: new_id(rng),
        date,
        amount: head.amount_due,
        reference: String::new(),
        currency_rate: 1.0,
        has_account: false,
        has_validation_errors: false,
        updated_ms: head.updated.0,
        batch_payment_id: None,
    };
    head.status = "PAID";
    head.amount_paid = Money(head.amount_paid.0 + payment.amount.0);
    head.amount_due = Money(0);
    head.fully_paid_on_date = Some(date);
    head.payments.push(payment.clone());
    payment
}
