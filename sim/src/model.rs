//! The records the simulator serves, shaped and named as Xero's JSON (PascalCase, Xero date
//! formats, money as JSON numbers). They serialise straight into response bodies with serde, so
//! serving a page is one pass over borrowed records; summary views (unpaged Invoices without
//! LineItems, unpaged Contacts without their heavy parts) are borrowed views, not copies.

use std::sync::Arc;

use serde::{Serialize, Serializer};
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

/// A contact's fields present in every view.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactHead {
    #[serde(rename = "ContactID")]
    pub contact_id: Uuid,
    pub contact_number: String,
    pub contact_status: &'static str,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    pub email_address: String,
    pub bank_account_details: String,
    pub tax_number: String,
    pub is_supplier: bool,
    pub is_customer: bool,
    pub default_currency: &'static str,
    #[serde(rename = "UpdatedDateUTC")]
    pub updated: MsDateTime,
    pub has_attachments: bool,
    pub has_validation_errors: bool,
    /// The contact this one was merged into (it is then ARCHIVED).
    #[serde(rename = "MergedToContactID", skip_serializing_if = "Option::is_none")]
    pub merged_to_contact_id: Option<Uuid>,
}

/// A contact's heavy fields, left out of unpaged (summary) responses.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactDetail {
    pub addresses: Vec<Address>,
    pub phones: Vec<Phone>,
    pub contact_groups: Empty,
    pub contact_persons: Vec<ContactPerson>,
    pub sales_default_line_amount_type: &'static str,
    pub purchases_default_line_amount_type: &'static str,
    pub balances: Balances,
}

/// A contact (`GET /Contacts`).
#[derive(Debug, Clone)]
pub struct Contact {
    /// Fields in every view.
    pub head: ContactHead,
    /// Fields only in paged (full) responses.
    pub detail: ContactDetail,
}

/// How a contact is rendered: full (paged) or summary (unpaged).
#[derive(Serialize)]
pub struct ContactView<'a> {
    #[serde(flatten)]
    head: &'a ContactHead,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    detail: Option<&'a ContactDetail>,
}

impl Contact {
    /// The JSON view of this contact; `full` includes addresses, phones and balances.
    pub fn view(&self, full: bool) -> ContactView<'_> {
        ContactView {
            head: &self.head,
            detail: full.then_some(&self.detail),
        }
    }
}

/// A postal or street address.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    pub address_type: &'static str,
    pub address_line1: String,
    pub city: &'static str,
    pub region: &'static str,
    pub postal_code: String,
    pub country: &'static str,
}

/// A person at a contact (Xero gives them no id; a contact has at most five).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactPerson {
    pub first_name: String,
    pub last_name: String,
    pub email_address: String,
    pub include_in_emails: bool,
}

/// A phone number.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Phone {
    pub phone_type: &'static str,
    pub phone_number: String,
    pub phone_area_code: String,
    pub phone_country_code: String,
}

/// Outstanding and overdue amounts (informational; Xero does not bump `UpdatedDateUTC` for them).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Balances {
    pub accounts_receivable: Balance,
    pub accounts_payable: Balance,
}

/// One side of [`Balances`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Balance {
    pub outstanding: Money,
    pub overdue: Money,
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
    pub payments: Vec<PaymentSummary>,
    pub credit_notes: Empty,
    pub prepayments: Empty,
    pub overpayments: Empty,
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
