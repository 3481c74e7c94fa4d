//! Contacts as served (`GET /Contacts`): the fields of every view, the heavy ones only paged
//! requests get, and the parts they are made of. Shaped and named as Xero's JSON, like
//! [`model`](crate::model).
//!
//! Left out, as Xero leaves them out of a typical organisation's list responses: `Attachments`
//! (single-contact GETs only), `ValidationErrors` and `StatusAttributeString` (write responses),
//! `TaxNumberType` (US tax ids only), `XeroNetworkKey` (contacts linked through the Xero network,
//! which the simulator does not model), `BrandingTheme` and `Discount` (an organisation with the
//! one standard theme and no discounted lines sets neither on a contact).

use serde::Serialize;
use uuid::Uuid;

use crate::dates::MsDateTime;
use crate::model::{Empty, Money, Shared};

/// A contact's fields present in every view (what unpaged `GET /Contacts` returns).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContactHead {
    #[serde(rename = "ContactID")]
    pub contact_id: Uuid,
    pub contact_number: String,
    /// A user-defined account number, on the contacts that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    pub contact_status: &'static str,
    pub name: String,
    pub first_name: String,
    pub last_name: String,
    /// The company registration number, on companies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_number: Option<String>,
    pub email_address: String,
    pub bank_account_details: String,
    pub tax_number: String,
    /// The default tax type of the contact's sales, on customers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts_receivable_tax_type: Option<&'static str>,
    /// The default tax type of the contact's bills, on suppliers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts_payable_tax_type: Option<&'static str>,
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
    /// Group membership is not modelled: the groups' own `Contacts` are empty too.
    pub contact_groups: Empty,
    pub contact_persons: Vec<ContactPerson>,
    /// The default account of the contact's sales lines, on the customers that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_default_account_code: Option<Shared>,
    /// The default account of the contact's bill lines, on the suppliers that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchases_default_account_code: Option<Shared>,
    /// No contact has default tracking: lines pick their own.
    pub sales_tracking_categories: Empty,
    /// See `sales_tracking_categories`.
    pub purchases_tracking_categories: Empty,
    pub sales_default_line_amount_type: &'static str,
    pub purchases_default_line_amount_type: &'static str,
    /// Payment terms of their own, on the contacts that have them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<PaymentTerms>,
    /// The website, on the companies that have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// Where batch payments to the contact go, on suppliers with bank details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_payments: Option<BatchPaymentDetails>,
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

/// A contact's own payment terms (`PaymentTerm`): when its bills and its sales fall due.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PaymentTerms {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bills: Option<Term>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales: Option<Term>,
}

/// One side of [`PaymentTerms`] (`Bill`): a day and how it counts.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Term {
    pub day: u32,
    #[serde(rename = "Type")]
    pub kind: &'static str,
}

/// Where batch payments to a contact go (`BatchPaymentDetails`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchPaymentDetails {
    pub bank_account_number: String,
    pub bank_account_name: String,
    pub details: String,
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
