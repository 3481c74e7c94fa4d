//! Double-entry postings: the journal lines behind invoices, payments, voids and other
//! transactions. Every builder here returns lines whose `NetAmount`s sum to zero, with
//! `GrossAmount = NetAmount + TaxAmount` on every line.

use rand::Rng;
use rand::rngs::SmallRng;
use uuid::Uuid;

use crate::book::Book;
use crate::dates::{MsDate, MsDateTime};
use crate::model::{AccountInfo, Invoice, Journal, JournalLine, Money, Tracking};

/// The equity account of the owner's funds introduced (in the base chart).
const OWNER_FUNDS_CODE: &str = "970";

/// GST rate of the simulated (New Zealand) organisations, in percent.
pub const GST_PERCENT: i64 = 15;

/// A random (v4-shaped) uuid from the seeded stream, so ids are reproducible from the seed.
pub fn new_id(rng: &mut SmallRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// GST on a net amount, rounded to the cent.
pub fn gst_on(net: Money) -> Money {
    Money((net.0 * GST_PERCENT + 50).div_euclid(100))
}

/// A journal line of `net` (and `tax`) on `account`; gross is their sum.
pub fn line(
    rng: &mut SmallRng,
    account: &AccountInfo,
    description: &str,
    net: Money,
    tax: Money,
    tax_type: Option<(&'static str, &'static str)>,
    tracking: &[Tracking],
) -> JournalLine {
    JournalLine {
        journal_line_id: new_id(rng),
        account_id: account.id,
        account_code: account.code.clone(),
        account_type: account.kind,
        account_name: account.name.clone(),
        description: description.to_owned(),
        net_amount: net,
        gross_amount: Money(net.0 + tax.0),
        tax_amount: tax,
        tax_type: tax_type.map(|(t, _)| t),
        tax_name: tax_type.map(|(_, n)| n),
        tracking_categories: tracking.to_vec(),
    }
}

/// The lines posting an authorised invoice: the control account (receivable or payable) takes
/// the total, each line's account its net amount and tax, the GST account the total tax.
pub fn invoice_lines(rng: &mut SmallRng, book: &Book, invoice: &Invoice) -> Vec<JournalLine> {
    // Sales credit revenue (negative) and debit the receivable; purchases the other way round.
    let sign = if invoice.head.kind == "ACCREC" { -1 } else { 1 };
    let (control, tax_type) = if sign < 0 {
        (&book.receivable, ("OUTPUT2", "GST on Income"))
    } else {
        (&book.payable, ("INPUT2", "GST on Expenses"))
    };
    let mut lines = Vec::with_capacity(invoice.lines.len() + 2);
    lines.push(line(
        rng,
        control,
        "",
        Money(-sign * invoice.head.total.0),
        Money(0),
        None,
        &[],
    ));
    for item in &invoice.lines {
        let account = book.by_id.get(&item.account_id).unwrap_or(control);
        lines.push(line(
            rng,
            account,
            &item.description,
            Money(sign * item.line_amount.0),
            Money(sign * item.tax_amount.0),
            Some(tax_type),
            &item.tracking,
        ));
    }
    if invoice.head.total_tax.0 != 0 {
        lines.push(line(
            rng,
            &book.tax,
            "",
            Money(sign * invoice.head.total_tax.0),
            Money(0),
            None,
            &[],
        ));
    }
    lines
}

/// The lines of a payment: receipts debit the bank and credit the receivable; payments of
/// bills debit the payable and credit the bank.
pub fn payment_lines(
    rng: &mut SmallRng,
    book: &Book,
    invoice_kind: &str,
    amount: Money,
) -> Vec<JournalLine> {
    let (debit, credit) = if invoice_kind == "ACCREC" {
        (&book.bank, &book.receivable)
    } else {
        (&book.payable, &book.bank)
    };
    vec![
        line(rng, debit, "", amount, Money(0), None, &[]),
        line(rng, credit, "", -amount, Money(0), None, &[]),
    ]
}

/// The reversal of earlier lines: every amount negated, fresh line ids.
pub fn reversal_lines(rng: &mut SmallRng, original: &[JournalLine]) -> Vec<JournalLine> {
    original
        .iter()
        .map(|l| JournalLine {
            journal_line_id: new_id(rng),
            net_amount: -l.net_amount,
            gross_amount: -l.gross_amount,
            tax_amount: -l.tax_amount,
            ..l.clone()
        })
        .collect()
}

/// Lines of a journal that is not an invoice's: a manual journal between two accounts (an
/// expense and a revenue account, or now and then the owner's funds paid into the bank), or a
/// cash receipt / payment straight through the bank with GST.
pub fn other_lines(rng: &mut SmallRng, book: &Book, source_type: &str) -> Vec<JournalLine> {
    let net = Money(rng.random_range(1_000..500_000));
    // The owner's funds introduced, straight into the bank: now and then a manual journal.
    let owner = book
        .by_id
        .values()
        .find(|a| a.kind == "EQUITY" && &*a.code.0 == OWNER_FUNDS_CODE);
    if let (true, Some(owner)) = (source_type == "MANJOURNAL" && rng.random_ratio(1, 5), owner) {
        return vec![
            line(
                rng,
                &book.bank,
                "Funds introduced",
                net,
                Money(0),
                None,
                &[],
            ),
            line(rng, owner, "Funds introduced", -net, Money(0), None, &[]),
        ];
    }
    match source_type {
        "CASHREC" => cash_lines(rng, book, net, true),
        "CASHPAID" => cash_lines(rng, book, net, false),
        _ => {
            let from = pick(rng, &book.expense);
            let to = pick(rng, &book.revenue);
            vec![
                line(rng, &from, "Manual adjustment", net, Money(0), None, &[]),
                line(rng, &to, "Manual adjustment", -net, Money(0), None, &[]),
            ]
        }
    }
}

/// A cash sale (`sale`) or a card purchase of `net` plus GST, straight through the bank: money
/// in debits the bank and credits revenue and GST, money out the other way round.
fn cash_lines(rng: &mut SmallRng, book: &Book, net: Money, sale: bool) -> Vec<JournalLine> {
    let tax = gst_on(net);
    let (sign, pool, description, tax_type) = if sale {
        (1, &book.revenue, "Cash sale", ("OUTPUT2", "GST on Income"))
    } else {
        (
            -1,
            &book.expense,
            "Card purchase",
            ("INPUT2", "GST on Expenses"),
        )
    };
    let account = pick(rng, pool);
    let gross = Money(sign * (net.0 + tax.0));
    vec![
        line(rng, &book.bank, "", gross, Money(0), None, &[]),
        line(
            rng,
            &account,
            description,
            Money(-sign * net.0),
            Money(-sign * tax.0),
            Some(tax_type),
            &[],
        ),
        line(
            rng,
            &book.tax,
            "",
            Money(-sign * tax.0),
            Money(0),
            None,
            &[],
        ),
    ]
}

/// A random account of `pool`.
fn pick(rng: &mut SmallRng, pool: &[AccountInfo]) -> AccountInfo {
    pool[rng.random_range(0..pool.len())].clone()
}

/// The lines posting an authorised document other than an invoice (`SourceType` `kind`): a
/// control account — the bank for cash and over- and prepayments, receivable or payable for
/// credit notes — takes the total, each line's account its net amount and tax, the GST
/// account the total tax. Money in and purchase credits credit the lines; money out and sales
/// credits debit them.
pub fn document_lines(
    rng: &mut SmallRng,
    book: &Book,
    kind: &str,
    items: &[serde_json::Value],
) -> Vec<JournalLine> {
    let (control, sign) = match kind {
        "ACCRECCREDIT" => (&book.receivable, 1),
        "ACCPAYCREDIT" => (&book.payable, -1),
        "CASHREC" | "AROVERPAYMENT" | "ARPREPAYMENT" => (&book.bank, -1),
        _ => (&book.bank, 1),
    };
    let tax_type = if sign < 0 {
        ("OUTPUT2", "GST on Income")
    } else {
        ("INPUT2", "GST on Expenses")
    };
    let mut lines = Vec::with_capacity(items.len() + 2);
    let (mut total, mut total_tax) = (0, 0);
    for item in items {
        let (net, tax) = (
            Money::of(&item["LineAmount"]),
            Money::of(&item["TaxAmount"]),
        );
        total += net.0 + tax.0;
        total_tax += tax.0;
        let account = item["AccountID"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .and_then(|id| book.by_id.get(&id))
            .unwrap_or(control);
        let description = item["Description"].as_str().unwrap_or_default();
        lines.push(line(
            rng,
            account,
            description,
            Money(sign * net.0),
            Money(sign * tax.0),
            Some(tax_type),
            &[],
        ));
    }
    lines.insert(
        0,
        line(rng, control, "", Money(-sign * total), Money(0), None, &[]),
    );
    if total_tax != 0 {
        lines.push(line(
            rng,
            &book.tax,
            "",
            Money(sign * total_tax),
            Money(0),
            None,
            &[],
        ));
    }
    lines
}

/// The lines moving `amount` of a prepayment out of the account its first line was posted
/// to. Allocated to an invoice (`refund` false), it settles the control account — a
/// customer's prepayment credits receivable, a prepayment to a supplier debits payable — so
/// the control account follows the invoice's amount due. (Credit notes and overpayments
/// already sit in the control account: allocating them posts nothing.) Refunded, it goes back
/// through the bank.
pub fn prepayment_lines(
    rng: &mut SmallRng,
    book: &Book,
    (sale, refund): (bool, bool),
    items: &[serde_json::Value],
    amount: Money,
) -> Vec<JournalLine> {
    let (control, sign) = if sale {
        (&book.receivable, 1)
    } else {
        (&book.payable, -1)
    };
    let (to, description) = if refund {
        (&book.bank, "Prepayment refunded")
    } else {
        (control, "Prepayment allocated")
    };
    let posted_to = items
        .first()
        .and_then(|item| item["AccountID"].as_str())
        .and_then(|id| Uuid::parse_str(id).ok())
        .and_then(|id| book.by_id.get(&id))
        .unwrap_or(&book.bank);
    vec![
        line(
            rng,
            posted_to,
            description,
            Money(sign * amount.0),
            Money(0),
            None,
            &[],
        ),
        line(
            rng,
            to,
            description,
            Money(-sign * amount.0),
            Money(0),
            None,
            &[],
        ),
    ]
}

/// What a journal is about: its source and dates.
#[derive(Debug, Clone)]
pub struct Source {
    /// `SourceID`.
    pub id: Uuid,
    /// `SourceType`.
    pub kind: &'static str,
    /// `Reference`.
    pub reference: String,
    /// `JournalDate`.
    pub date: MsDate,
}

/// Builds a journal with the given number and `CreatedDateUTC`.
pub fn journal(
    rng: &mut SmallRng,
    number: u64,
    created_ms: i64,
    source: Source,
    lines: Vec<JournalLine>,
) -> Journal {
    Journal {
        journal_id: new_id(rng),
        journal_date: source.date,
        journal_number: number,
        created: MsDateTime(created_ms),
        reference: source.reference,
        source_id: source.id,
        source_type: source.kind,
        journal_lines: lines,
    }
}

/// The journal source of an invoice.
pub fn invoice_source(invoice: &Invoice) -> Source {
    Source {
        id: invoice.head.invoice_id,
        kind: invoice.head.kind,
        reference: invoice.head.invoice_number.clone(),
        date: invoice.head.date,
    }
}

/// The journal source of an invoice's payment.
pub fn payment_source(invoice: &Invoice, payment_id: Uuid, date: MsDate) -> Source {
    Source {
        id: payment_id,
        kind: if invoice.head.kind == "ACCREC" {
            "ACCRECPAYMENT"
        } else {
            "ACCPAYPAYMENT"
        },
        reference: format!("Payment: {}", invoice.head.invoice_number),
        date,
    }
}
