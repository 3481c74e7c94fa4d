//! The records the simulator serves, shaped and named as Xero's JSON (PascalCase, Xero date
//! formats, money as JSON numbers). They serialise straight into response bodies with serde, so
//! serving a page is one pass over borrowed records; summary views (unpaged Invoices without
//! LineItems, unpaged Contacts without their heavy parts) are borrowed views, not copies.

use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

use crate::dates::{DateString, MsDate, MsDateTime, UtcSecondString};

/// A cheaply cloned shared string (account names and codes repeat on thousands of lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared(pub Arc<str>);

impl Shared {
    /// Wraps a string.
    pub fn new(s: &str) -> Self {
        Self(Arc::from(s))
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// An amount in cents, rendered as a JSON number with two decimals' worth of value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub i64);

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 as f64 / 100.0)
    }
}

impl Money {
    /// The amount a JSON number of Xero's holds (`12.34`), to the cent; 0 if it is no number.
    pub fn of(v: &serde_json::Value) -> Money {
        Money((v.as_f64().unwrap_or_default() * 100.0).round() as i64)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

/// An always-empty JSON array (`ContactGroups`, `Prepayments`…).
#[derive(Debug, Clone, Copy, Default)]
pub struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(std::iter::empty::<()>())
    }
}

/// What a journal line or line item needs to know about an account.
#[derive(Debug, Clone)]
pub struct AccountInfo {
    /// `AccountID`.
    pub id: Uuid,
    /// `Code`.
    pub code: Shared,
    /// `Name`.
    pub name: Shared,
    /// `Type` (an `AccountType` value).
    pub kind: &'static str,
}

/// An account of the chart of accounts (`GET /Accounts`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    #[serde(rename = "AccountID")]
    pub account_id: Uuid,
    pub code: Shared,
    pub name: String,
    pub status: &'static str,
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub tax_type: &'static str,
    pub description: String,
    pub class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_account: Option<&'static str>,
    pub enable_payments_to_account: bool,
    pub show_in_expense_claims: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_account_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_account_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_code: Option<&'static str>,
    pub reporting_code: &'static str,
    pub reporting_code_name: &'static str,
    pub has_attachments: bool,
    #[serde(rename = "UpdatedDateUTC")]
    pub updated: MsDateTime,
    pub add_to_watchlist: bool,
}

/// The contact summary embedded in an invoice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactRef {
    #[serde(rename = "ContactID")]
    pub contact_id: Uuid,
    pub name: String,
    pub has_validation_errors: bool,
}

/// A tracking option on a line (`LineItemTracking` on invoices, `TrackingCategory` on journals:
/// the same four keys).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tracking {
    #[serde(rename = "TrackingCategoryID")]
    pub category_id: Uuid,
    #[serde(rename = "TrackingOptionID")]
    pub option_id: Uuid,
    pub name: Shared,
    pub option: Shared,
}

/// An invoice line.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LineItem {
    #[serde(rename = "LineItemID")]
    pub line_item_id: Uuid,
    pub description: String,
    pub quantity: f64,
    pub unit_amount: Money,
    pub account_code: Shared,
    #[serde(rename = "AccountID")]
    pub account_id: Uuid,
    pub tax_type: &'static str,
    pub tax_amount: Money,
    pub line_amount: Money,
    pub tracking: Vec<Tracking>,
}

/// The payment summary embedded in an invoice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentSummary {
    #[serde(rename = "PaymentID")]
    pub payment_id: Uuid,
    pub date: MsDate,
    pub amount: Money,
    pub reference: String,
    pub currency_rate: f64,
    pub has_account: bool,
    pub has_validation_errors: bool,
    /// When the payment was made or last changed (its `UpdatedDateUTC` on `GET /Payments`).
    #[serde(skip)]
    pub updated_ms: i64,
    /// The batch it was made in, if any (see `batches`).
    #[serde(skip)]
    pub batch_payment_id: Option<Uuid>,
}

/// An invoice's fields present in every view.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InvoiceHead {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    #[serde(rename = "InvoiceID")]
    pub invoice_id: Uuid,
    pub invoice_number: String,
    pub reference: String,
    /// The theme a sale is printed with; bills have none.
    #[serde(rename = "BrandingThemeID", skip_serializing_if = "Option::is_none")]
    pub branding_theme_id: Option<Uuid>,
    pub payments: Vec<PaymentSummary>,
    /// The credit notes allocated to it (see `allocations`), as Xero lists them.
    pub credit_notes: Vec<Value>,
    /// The prepayments allocated to it.
    pub prepayments: Vec<Value>,
    /// The overpayments allocated to it.
    pub overpayments: Vec<Value>,
    pub amount_due: Money,
    pub amount_paid: Money,
    pub amount_credited: Money,
    pub sent_to_contact: bool,
    pub currency_rate: f64,
    pub is_discounted: bool,
    pub has_attachments: bool,
    pub has_errors: bool,
    pub contact: ContactRef,
    pub date_string: DateString,
    pub date: MsDate,
    pub due_date_string: DateString,
    pub due_date: MsDate,
    /// When the customer said they would pay, on the sales that have it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_payment_date: Option<MsDate>,
    /// When the bill is to be paid, on the bills that have it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub planned_payment_date: Option<MsDate>,
    pub status: &'static str,
    pub line_amount_types: &'static str,
    pub sub_total: Money,
    pub total_tax: Money,
    pub total: Money,
    #[serde(rename = "UpdatedDateUTC")]
    pub updated: MsDateTime,
    #[serde(rename = "UpdatedDateUTCString")]
    pub updated_string: UtcSecondString,
    pub currency_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fully_paid_on_date: Option<MsDate>,
}

/// An invoice (`GET /Invoices`).
#[derive(Debug, Clone)]
pub struct Invoice {
    /// Fields in every view.
    pub head: InvoiceHead,
    /// Lines; served only on paged requests (unpaged Invoices carry `LineItems: []`, as Xero).
    pub lines: Vec<LineItem>,
    /// Index of the journal that currently posts this invoice (what a void or edit reverses).
    pub posting: Option<usize>,
    /// Payments of this invoice that were deleted: `GET /Payments` still serves them, with
    /// `Status: DELETED`, as Xero does.
    pub deleted_payments: Vec<PaymentSummary>,
}

/// How an invoice is rendered.
#[derive(Serialize)]
pub struct InvoiceView<'a> {
    #[serde(flatten)]
    head: &'a InvoiceHead,
    #[serde(rename = "LineItems")]
    lines: &'a [LineItem],
}

impl Invoice {
    /// The JSON view; `full` includes the line items.
    pub fn view(&self, full: bool) -> InvoiceView<'_> {
        InvoiceView {
            head: &self.head,
            lines: if full { &self.lines } else { &[] },
        }
    }

    /// Stamps a change: `UpdatedDateUTC` and its string companion move together.
    pub fn touch(&mut self, ms: i64) {
        self.head.updated = MsDateTime(ms);
        self.head.updated_string = UtcSecondString(MsDateTime(ms));
    }
}

/// A journal line. Lines of one journal sum to zero (`NetAmount`); positive is a debit.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JournalLine {
    #[serde(rename = "JournalLineID")]
    pub journal_line_id: Uuid,
    #[serde(rename = "AccountID")]
    pub account_id: Uuid,
    pub account_code: Shared,
    pub account_type: &'static str,
    pub account_name: Shared,
    pub description: String,
    pub net_amount: Money,
    pub gross_amount: Money,
    pub tax_amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_name: Option<&'static str>,
    pub tracking_categories: Vec<Tracking>,
}

/// A journal (`GET /Journals`). Immutable once posted.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Journal {
    #[serde(rename = "JournalID")]
    pub journal_id: Uuid,
    pub journal_date: MsDate,
    pub journal_number: u64,
    #[serde(rename = "CreatedDateUTC")]
    pub created: MsDateTime,
    pub reference: String,
    #[serde(rename = "SourceID")]
    pub source_id: Uuid,
    pub source_type: &'static str,
    pub journal_lines: Vec<JournalLine>,
}

/// A refund made: the payment, and the document it refunded.
#[derive(Debug, Clone)]
pub struct Refund {
    /// `PaymentID`.
    pub payment_id: Uuid,
    /// The document's kind (its place in `KINDS`) and position in its set.
    pub doc: (usize, usize),
    /// `Reference`.
    pub reference: String,
    /// `Date`.
    pub date: MsDate,
    /// `Amount`, in the base currency.
    pub amount: Money,
    /// `PaymentType`.
    pub payment_type: &'static str,
    /// When it was made (its `UpdatedDateUTC` on `GET /Payments`).
    pub updated_ms: i64,
}
