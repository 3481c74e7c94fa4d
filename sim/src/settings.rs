//! The organisation's small settings sets, each served unpaged: Items and Users (with
//! `If-Modified-Since` and `UpdatedDateUTC`; an item can be deleted outright, which no
//! incremental read can see), and the full-refresh sets without either — Currencies,
//! TrackingCategories (with their options; `includeArchived`), ContactGroups, BrandingThemes —
//! and Organisation (one record). Records are kept as Xero's JSON.
//!
//! `/sim/mutate` of each set edits, archives, creates and removes records the way Xero lets a
//! user: a removed item, currency, contact group or tracking option is simply gone.

use rand::Rng;
use rand::rngs::SmallRng;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::dates::{MsDateTime, envelope_date};
use crate::mutate::Outcome;
use crate::postings::new_id;
use crate::state::{Book, TenantData};

/// One record of a set: its digest id, its `UpdatedDateUTC` (when the set has one), its JSON.
#[derive(Debug, Clone)]
pub struct Record {
    /// The digest id: the lower-case Xero id, or code for sets keyed by code.
    pub key: String,
    /// `UpdatedDateUTC` in ms, for the sets that have one.
    pub updated_ms: Option<i64>,
    /// The record as served.
    pub body: Value,
}

impl Record {
    /// Stamps a change: `UpdatedDateUTC` in the body and the record's version move together.
    pub fn touch(&mut self, ms: i64) {
        self.body["UpdatedDateUTC"] = json!(MsDateTime(ms));
        self.updated_ms = Some(ms);
    }
}

/// The digest's `(id, version)` of records versioned by `UpdatedDateUTC`.
pub fn timed_versions(set: &[Record]) -> Vec<(String, i64)> {
    set.iter()
        .map(|r| (r.key.clone(), r.updated_ms.unwrap_or_default()))
        .collect()
}

/// The records of `set` that `If-Modified-Since` (at second precision) lets through; records
/// without an `UpdatedDateUTC` always pass, as Xero's endpoints without one ignore it.
pub fn since(set: &[Record], ims_ms: Option<i64>) -> Vec<&Value> {
    let from = ims_ms.map(crate::dates::floor_to_second);
    set.iter()
        .filter(|r| match (from, r.updated_ms) {
            (Some(from), Some(ms)) => crate::dates::floor_to_second(ms) >= from,
            _ => true,
        })
        .map(|r| &r.body)
        .collect()
}

/// Every settings set of an organisation.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `GET /Items`.
    pub items: Vec<Record>,
    /// `GET /Users`.
    pub users: Vec<Record>,
    /// `GET /Currencies`.
    pub currencies: Vec<Record>,
    /// `GET /TrackingCategories` (options inside each).
    pub tracking: Vec<Record>,
    /// `GET /ContactGroups`.
    pub contact_groups: Vec<Record>,
    /// `GET /BrandingThemes`.
    pub branding_themes: Vec<Record>,
    /// `GET /Organisation`.
    pub organisation: Vec<Record>,
    /// `GET /BankTransfers` (`updated_ms` holds `CreatedDateUTC`: what If-Modified-Since
    /// filters on; a deletion does not move it).
    pub bank_transfers: Vec<Record>,
    /// `GET /BatchPayments`.
    pub batch_payments: Vec<Record>,
    /// `GET /RepeatingInvoices`.
    pub repeating_invoices: Vec<Record>,
    /// Items created so far (for fresh codes).
    pub next_item: usize,
}

/// The version the digest gives a record without `UpdatedDateUTC`: 60 bits of SHA-256 over its
/// name and status (what such a record's change changes); the sync computes the same.
pub fn content_version(name: &str, status: &str) -> i64 {
    let hash = Sha256::digest(format!("{name}|{status}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    (u64::from_be_bytes(first) >> 4) as i64
}

fn stamped(key: String, ms: i64, mut body: Value) -> Record {
    body["UpdatedDateUTC"] = json!(MsDateTime(ms));
    Record {
        key,
        updated_ms: Some(ms),
        body,
    }
}

fn item(rng: &mut SmallRng, book: &Book, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let sales = &book.revenue[rng.random_range(0..book.revenue.len())];
    let purchases = &book.expense[rng.random_range(0..book.expense.len())];
    let price = f64::from(rng.random_range(100..50_000_u32)) / 100.0;
    stamped(
        id.to_string(),
        ms,
        json!({
            "ItemID": id, "Code": format!("ITEM-{n:04}"), "Name": format!("Item {n}"),
            "Description": format!("Item {n} for sale"), "PurchaseDescription": format!("Item {n}"),
            "IsSold": true, "IsPurchased": true, "IsTrackedAsInventory": false,
            "SalesDetails": {"UnitPrice": price, "AccountCode": sales.code, "TaxType": "OUTPUT2"},
            "PurchaseDetails": {"UnitPrice": price / 2.0, "AccountCode": purchases.code,
                                "TaxType": "INPUT2"},
        }),
    )
}

fn user(rng: &mut SmallRng, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let role = ["STANDARD", "READONLY", "FINANCIALADVISER", "INVOICEONLY"][n % 4];
    stamped(
        id.to_string(),
        ms,
        json!({
            "UserID": id, "EmailAddress": format!("user{n}@example.com"),
            "FirstName": format!("User{n}"), "LastName": "Sim", "IsSubscriber": n == 0,
            "OrganisationRole": role,
        }),
    )
}

fn named(key: String, body: Value) -> Record {
    Record {
        key,
        updated_ms: None,
        body,
    }
}

fn currency(code: &str, description: &str) -> Record {
    named(
        code.to_lowercase(),
        json!({"Code": code, "Description": description}),
    )
}

fn tracking_category(id: Uuid, name: &str, options: &[(Uuid, String)]) -> Record {
    let options: Vec<Value> = options
        .iter()
        .map(|(oid, o)| json!({"TrackingOptionID": oid, "Name": o, "Status": "ACTIVE"}))
        .collect();
    named(
        id.to_string(),
        json!({"TrackingCategoryID": id, "Name": name, "Status": "ACTIVE", "Options": options}),
    )
}

fn contact_group(rng: &mut SmallRng, name: &str) -> Record {
    let id = new_id(rng);
    named(
        id.to_string(),
        json!({"ContactGroupID": id, "Name": name, "Status": "ACTIVE", "Contacts": []}),
    )
}

fn bank_transfer(rng: &mut SmallRng, book: &Book, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let amount = f64::from(rng.random_range(1_000..900_000_u32)) / 100.0;
    let other = &book.revenue[rng.random_range(0..book.revenue.len())];
    Record {
        key: id.to_string(),
        updated_ms: Some(ms),
        body: json!({
            "BankTransferID": id, "Amount": amount, "Date": crate::dates::MsDate::of_instant(ms),
            "CurrencyRate": 1.0, "Reference": format!("Transfer {n}"), "HasAttachments": false,
            "FromBankAccount": {"AccountID": book.bank.id, "Code": book.bank.code,
                                "Name": book.bank.name},
            "ToBankAccount": {"AccountID": other.id, "Code": other.code, "Name": other.name},
            "FromBankTransactionID": new_id(rng), "ToBankTransactionID": new_id(rng),
            "FromIsReconciled": false, "ToIsReconciled": false,
            "CreatedDateUTC": MsDateTime(ms), "Status": "AUTHORISED",
        }),
    }
}

fn batch_payment(rng: &mut SmallRng, book: &Book, n: usize, ms: i64) -> Record {
    let id = new_id(rng);
    let amount = f64::from(rng.random_range(1_000..900_000_u32)) / 100.0;
    stamped(
        id.to_string(),
        ms,
        json!({
            "BatchPaymentID": id, "Type": if n.is_multiple_of(2) { "RECBATCH" } else { "PAYBATCH" },
            "Status": "AUTHORISED", "Date": crate::dates::MsDate::of_instant(ms),
            "Reference": format!("Batch {n}"), "TotalAmount": amount, "IsReconciled": false,
            "Account": {"AccountID": book.bank.id, "Code": book.bank.code},
            "Payments": [],
        }),
    )
}

fn repeating_invoice(rng: &mut SmallRng, book: &Book, n: usize) -> Record {
    let id = new_id(rng);
    let account = &book.revenue[rng.random_range(0..book.revenue.len())];
    let amount = f64::from(rng.random_range(1_000..90_000_u32)) / 100.0;
    let tax = (amount * 0.15 * 100.0).round() / 100.0;
    Record {
        key: id.to_string(),
        updated_ms: None,
        body: json!({
            "RepeatingInvoiceID": id, "ID": id, "Type": "ACCREC",
            "Contact": {"ContactID": new_id(rng), "Name": format!("Subscriber {n}")},
            "Schedule": {"Period": 1, "Unit": "MONTHLY", "DueDate": 20,
                         "DueDateType": "OFFOLLOWINGMONTH"},
            "LineItems": [{"LineItemID": new_id(rng), "Description": "Monthly subscription",
                           "Quantity": 1.0, "UnitAmount": amount, "AccountCode": account.code,
                           "TaxType": "OUTPUT2", "TaxAmount": tax, "LineAmount": amount}],
            "LineAmountTypes": "Exclusive", "Reference": format!("Subscription {n}"),
            "CurrencyCode": "NZD", "Status": "AUTHORISED", "SubTotal": amount, "TotalTax": tax,
            "Total": amount + tax, "HasAttachments": false,
        }),
    }
}

/// A new organisation's settings. Draws from a stream of its own (`rng`), after the older data.
pub fn generate(rng: &mut SmallRng, book: &Book, name: &str, start: i64, end: i64) -> Settings {
    let span = (end - start).max(1);
    let at = |rng: &mut SmallRng| start + rng.random_range(0..span);
    let mut items: Vec<Record> = (1..=25)
        .map(|n| {
            let ms = at(rng);
            item(rng, book, n, ms)
        })
        .collect();
    items.sort_by_key(|r| r.updated_ms);
    let users = (0..4)
        .map(|n| {
            let ms = at(rng);
            user(rng, n, ms)
        })
        .collect();
    let currencies = vec![
        currency("NZD", "New Zealand Dollar"),
        currency("AUD", "Australian Dollar"),
        currency("USD", "United States Dollar"),
    ];
    let tracking = book
        .tracking
        .iter()
        .map(|t| {
            let options: Vec<(Uuid, String)> = t
                .options
                .iter()
                .map(|(id, n)| (*id, n.0.to_string()))
                .collect();
            tracking_category(t.category_id, &t.name.0, &options)
        })
        .collect();
    let contact_groups = ["Preferred suppliers", "Wholesale customers", "Staff"]
        .iter()
        .map(|n| contact_group(rng, n))
        .collect();
    let theme = new_id(rng);
    let branding_themes = vec![named(
        theme.to_string(),
        json!({"BrandingThemeID": theme, "Name": "Standard", "Type": "INVOICE", "SortOrder": 0,
               "CreatedDateUTC": MsDateTime(start)}),
    )];
    let org = new_id(rng);
    let organisation = vec![named(
        org.to_string(),
        json!({"OrganisationID": org, "Name": name, "LegalName": format!("{name} Limited"),
               "PaysTax": true, "Version": "NZ", "OrganisationType": "COMPANY",
               "BaseCurrency": "NZD", "CountryCode": "NZ", "IsDemoCompany": false,
               "OrganisationStatus": "ACTIVE", "FinancialYearEndDay": 31,
               "FinancialYearEndMonth": 3, "SalesTaxBasis": "INVOICE",
               "SalesTaxPeriod": "ONEMONTHS", "DefaultSalesTax": "Tax Exclusive",
               "DefaultPurchasesTax": "Tax Inclusive", "CreatedDateUTC": envelope_date(start),
               "Timezone": "NEWZEALANDSTANDARDTIME", "OrganisationEntityType": "COMPANY",
               "ShortCode": "!sim42", "Class": "STANDARD", "Edition": "BUSINESS"}),
    )];
    let bank_transfers = (0..12)
        .map(|n| {
            let ms = at(rng);
            bank_transfer(rng, book, n, ms)
        })
        .collect();
    let batch_payments = (0..6)
        .map(|n| {
            let ms = at(rng);
            batch_payment(rng, book, n, ms)
        })
        .collect();
    let repeating_invoices = (0..5).map(|n| repeating_invoice(rng, book, n)).collect();
    Settings {
        bank_transfers,
        batch_payments,
        repeating_invoices,
        next_item: items.len(),
        items,
        users,
        currencies,
        tracking,
        contact_groups,
        branding_themes,
        organisation,
    }
}

/// The set an endpoint serves.
pub fn set<'a>(settings: &'a Settings, endpoint: &str) -> &'a [Record] {
    match endpoint {
        "Items" => &settings.items,
        "Users" => &settings.users,
        "Currencies" => &settings.currencies,
        "TrackingCategories" => &settings.tracking,
        "ContactGroups" => &settings.contact_groups,
        "BrandingThemes" => &settings.branding_themes,
        "BankTransfers" => &settings.bank_transfers,
        "BatchPayments" => &settings.batch_payments,
        "RepeatingInvoices" => &settings.repeating_invoices,
        _ => &settings.organisation,
    }
}

/// A record's name and status, what [`content_version`] hashes.
fn name_status(r: &Record) -> (String, String) {
    let text = |k: &str| r.body[k].as_str().unwrap_or_default().to_owned();
    let name = ["Name", "Description", "Reference"]
        .iter()
        .find(|k| r.body.get(**k).is_some())
        .map(|k| text(k))
        .unwrap_or_default();
    (name, text("Status"))
}

/// The digest's `(id, version)` of a set (`items`, `tracking_options`, …), or `None`.
pub fn versions(settings: &Settings, entity: &str) -> Option<Vec<(String, i64)>> {
    let timed = timed_versions;
    let content = |set: &[Record]| -> Vec<(String, i64)> {
        set.iter()
            .map(|r| {
                let (name, status) = name_status(r);
                (r.key.clone(), content_version(&name, &status))
            })
            .collect()
    };
    Some(match entity {
        "items" => timed(&settings.items),
        "users" => timed(&settings.users),
        "currencies" => content(&settings.currencies),
        "tracking_categories" => content(&settings.tracking),
        "contact_groups" => content(&settings.contact_groups),
        "branding_themes" => content(&settings.branding_themes),
        "organisation" => content(&settings.organisation),
        "batch_payments" => timed(&settings.batch_payments),
        "repeating_invoices" => content(&settings.repeating_invoices),
        "bank_transfers" => settings
            .bank_transfers
            .iter()
            .map(|r| {
                let deleted = i64::from(r.body["Status"] == "DELETED");
                (
                    r.key.clone(),
                    r.updated_ms.unwrap_or_default() * 2 + deleted,
                )
            })
            .collect(),
        "tracking_options" => settings
            .tracking
            .iter()
            .flat_map(|c| c.body["Options"].as_array().cloned().unwrap_or_default())
            .map(|o| {
                let text = |k: &str| o[k].as_str().unwrap_or_default().to_owned();
                (
                    text("TrackingOptionID"),
                    content_version(&text("Name"), &text("Status")),
                )
            })
            .collect(),
        _ => return None,
    })
}

/// One change to the set `entity`; `false` when `entity` is not a settings set.
pub fn change(data: &mut TenantData, entity: &str, stamp: i64, out: &mut Outcome) -> bool {
    let TenantData {
        settings,
        book,
        rng,
        ..
    } = data;
    let roll = rng.random_range(0..100);
    match entity {
        "items" => {
            let n = settings.items.len();
            if n == 0 || roll >= 70 {
                settings.next_item += 1;
                settings
                    .items
                    .push(item(rng, book, settings.next_item, stamp));
                out.created += 1;
            } else if roll < 50 {
                let r = &mut settings.items[rng.random_range(0..n)];
                r.body["Description"] = json!(format!("Edited at {stamp}"));
                *r = stamped(r.key.clone(), stamp, r.body.clone());
                out.updated += 1;
            } else {
                settings.items.remove(rng.random_range(0..n));
                out.deleted += 1;
            }
        }
        "users" => {
            let n = settings.users.len();
            let r = &mut settings.users[rng.random_range(0..n)];
            r.body["LastName"] = json!(format!("Sim {stamp}"));
            *r = stamped(r.key.clone(), stamp, r.body.clone());
            out.updated += 1;
        }
        "currencies" => {
            let extra = ["GBP", "EUR", "JPY", "CAD", "SGD"];
            let present: Vec<usize> = (0..settings.currencies.len())
                .filter(|&i| {
                    extra
                        .iter()
                        .any(|c| settings.currencies[i].body["Code"] == *c)
                })
                .collect();
            if present.is_empty() || roll < 60 {
                let code = extra[rng.random_range(0..extra.len())];
                if !settings.currencies.iter().any(|c| c.body["Code"] == code) {
                    settings
                        .currencies
                        .push(currency(code, &format!("{code} currency")));
                    out.created += 1;
                }
            } else {
                settings
                    .currencies
                    .remove(present[rng.random_range(0..present.len())]);
                out.deleted += 1;
            }
        }
        "tracking_categories" => tracking_change(settings, rng, roll, out),
        "contact_groups" => {
            let n = settings.contact_groups.len();
            match roll {
                0..40 if n > 0 => {
                    let r = &mut settings.contact_groups[rng.random_range(0..n)];
                    r.body["Name"] = json!(format!("Group {stamp}"));
                    out.updated += 1;
                }
                40..60 if n > 0 => {
                    settings.contact_groups.remove(rng.random_range(0..n));
                    out.deleted += 1;
                }
                _ => {
                    let name = format!("Group {stamp}");
                    settings.contact_groups.push(contact_group(rng, &name));
                    out.created += 1;
                }
            }
        }
        "branding_themes" => {
            settings.branding_themes[0].body["Name"] = json!(format!("Standard {stamp}"));
            out.updated += 1;
        }
        "bank_transfers" => {
            let live: Vec<usize> = (0..settings.bank_transfers.len())
                .filter(|&i| settings.bank_transfers[i].body["Status"] == "AUTHORISED")
                .collect();
            if live.is_empty() || roll < 50 {
                let n = settings.bank_transfers.len();
                settings
                    .bank_transfers
                    .push(bank_transfer(rng, book, n, stamp));
                out.created += 1;
            } else {
                // Deleted in Xero: served with includeDeleted=true, CreatedDateUTC unchanged.
                let i = live[rng.random_range(0..live.len())];
                settings.bank_transfers[i].body["Status"] = json!("DELETED");
                out.deleted += 1;
            }
        }
        "batch_payments" => {
            let live: Vec<usize> = (0..settings.batch_payments.len())
                .filter(|&i| settings.batch_payments[i].body["Status"] == "AUTHORISED")
                .collect();
            if live.is_empty() || roll < 50 {
                let n = settings.batch_payments.len();
                settings
                    .batch_payments
                    .push(batch_payment(rng, book, n, stamp));
                out.created += 1;
            } else {
                let r = &mut settings.batch_payments[live[rng.random_range(0..live.len())]];
                r.body["Status"] = json!("DELETED");
                *r = stamped(r.key.clone(), stamp, r.body.clone());
                out.deleted += 1;
            }
        }
        "repeating_invoices" => {
            let n = settings.repeating_invoices.len();
            match roll {
                0..40 if n > 0 => {
                    let r = &mut settings.repeating_invoices[rng.random_range(0..n)];
                    r.body["Reference"] = json!(format!("Subscription renamed {stamp}"));
                    out.updated += 1;
                }
                40..60 if n > 0 => {
                    settings.repeating_invoices.remove(rng.random_range(0..n));
                    out.deleted += 1;
                }
                _ => {
                    settings
                        .repeating_invoices
                        .push(repeating_invoice(rng, book, n + 100));
                    out.created += 1;
                }
            }
        }
        "organisation" => {
            settings.organisation[0].body["LegalName"] = json!(format!("Renamed {stamp} Limited"));
            settings.organisation[0].body["Name"] = json!(format!("Renamed {stamp}"));
            out.updated += 1;
        }
        _ => return false,
    }
    true
}

/// Tracking options are added, renamed, archived and deleted; a category is archived now and
/// then (archived ones are served only with `includeArchived=true`).
fn tracking_change(settings: &mut Settings, rng: &mut SmallRng, roll: u32, out: &mut Outcome) {
    let n = settings.tracking.len();
    if n == 0 {
        return;
    }
    let category = &mut settings.tracking[rng.random_range(0..n)];
    if roll < 5 {
        category.body["Status"] = json!("ARCHIVED");
        out.updated += 1;
        return;
    }
    let Some(options) = category.body["Options"].as_array_mut() else {
        return;
    };
    match roll {
        5..45 => {
            let id = new_id(rng);
            options.push(
                json!({"TrackingOptionID": id, "Name": format!("Option {id}"),
                                "Status": "ACTIVE"}),
            );
            out.created += 1;
        }
        65..80 if !options.is_empty() => {
            let i = rng.random_range(0..options.len());
            options[i]["Status"] = json!("ARCHIVED");
            out.updated += 1;
        }
        _ => {
            // Only options no invoice line uses (those added here) are renamed or deleted,
            // as Xero allows.
            let added: Vec<usize> = (0..options.len())
                .filter(|&i| {
                    options[i]["Name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("Option "))
                })
                .collect();
            let Some(&i) = added.get(rng.random_range(0..added.len().max(1))) else {
                return;
            };
            if roll < 65 {
                options[i]["Name"] =
                    json!(format!("Option renamed {}", rng.random_range(0..1_000_000)));
                out.updated += 1;
            } else {
                options.remove(i);
                out.deleted += 1;
            }
        }
    }
}
