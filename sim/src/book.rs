//! What postings need to know about an organisation's chart of accounts: the role accounts
//! (bank, receivable, payable, GST), the pools invoice lines draw from, and the tracking
//! categories, and the branding theme of sales. Built once with the chart; `/sim/mutate` of accounts adds to the pools.

use std::collections::HashMap;

use uuid::Uuid;

use crate::model::{AccountInfo, Shared};

/// A tracking category with its options.
#[derive(Debug, Clone)]
pub struct TrackingDef {
    /// `TrackingCategoryID`.
    pub category_id: Uuid,
    /// The category's name, e.g. "Region".
    pub name: Shared,
    /// `(TrackingOptionID, option name)`.
    pub options: Vec<(Uuid, Shared)>,
}

/// What postings need to know about the chart of accounts: role accounts and pools.
#[derive(Debug, Clone)]
pub struct Book {
    /// The bank account payments and cash journals go through.
    pub bank: AccountInfo,
    /// Accounts Receivable.
    pub receivable: AccountInfo,
    /// Accounts Payable.
    pub payable: AccountInfo,
    /// The GST control account.
    pub tax: AccountInfo,
    /// Accounts sales lines may use.
    pub revenue: Vec<AccountInfo>,
    /// Accounts purchase lines may use.
    pub expense: Vec<AccountInfo>,
    /// Every account by id (journal lines name the account of each invoice line).
    pub by_id: HashMap<Uuid, AccountInfo>,
    /// The organisation's tracking categories.
    pub tracking: Vec<TrackingDef>,
    /// The branding theme sales documents are printed with (`BrandingThemeID`): the
    /// organisation's standard theme, whose id a rename keeps.
    pub branding_theme: Option<Uuid>,
}
